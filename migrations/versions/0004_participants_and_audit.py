"""deployments: who produces and consumes which version of a schema where, and the audit of changes

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "participants",
        sa.Column("id", ID, primary_key=True),
        sa.Column("registry_id", ID, nullable=False),
        sa.Column("schema_id", ID, nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("environment", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_participants"),
        sa.ForeignKeyConstraint(
            ["registry_id"],
            ["registries.id"],
            name="fk_participants_registry_id_registries",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["schema_id"], ["schemas.id"], name="fk_participants_schema_id_schemas", ondelete="CASCADE"
        ),
        sa.UniqueConstraint(
            "schema_id", "service", "role", "environment", name="uq_participants_schema_id_service"
        ),
    )
    op.create_index("ix_participants_schema_id_environment", "participants", ["schema_id", "environment"])
    op.create_index("ix_participants_registry_id_environment", "participants", ["registry_id", "environment"])
    op.create_table(
        "participant_audit",
        sa.Column("id", ID, primary_key=True),
        sa.Column("registry_id", ID, nullable=False),
        sa.Column("schema_name", sa.String(385), nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("environment", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("previous_version", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_participant_audit"),
        sa.ForeignKeyConstraint(
            ["registry_id"],
            ["registries.id"],
            name="fk_participant_audit_registry_id_registries",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_participant_audit_registry_id", "participant_audit", ["registry_id", "id"])


def downgrade() -> None:
    op.drop_table("participant_audit")
    op.drop_table("participants")

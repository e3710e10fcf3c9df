"""eventbridge: tags, AWS-style credentials, mirror configuration and outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("registries") as batch:
        batch.add_column(sa.Column("tags", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("mirror", sa.JSON(), nullable=True))
    with op.batch_alter_table("schemas") as batch:
        batch.add_column(sa.Column("tags", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("aws_access_key_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("aws_secret_access_key", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_api_tokens_aws_access_key_id", ["aws_access_key_id"])
    op.create_table(
        "mirror_outbox",
        sa.Column("id", ID, primary_key=True),
        sa.Column("registry_id", ID, nullable=False),
        sa.Column("version_id", ID, nullable=True),
        sa.Column("schema_name", sa.String(385), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("description", sa.String(256), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=False),
        sa.Column("lease_until", TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("remote_version", sa.String(32), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mirror_outbox"),
        sa.ForeignKeyConstraint(
            ["registry_id"],
            ["registries.id"],
            name="fk_mirror_outbox_registry_id_registries",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["schema_versions.id"],
            name="fk_mirror_outbox_version_id_schema_versions",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_mirror_outbox_status", "mirror_outbox", ["status", "next_attempt_at"])
    op.create_index(
        "ix_mirror_outbox_registry_id", "mirror_outbox", ["registry_id", "schema_name", "version"]
    )
    op.create_index("ix_mirror_outbox_version_id", "mirror_outbox", ["version_id"])


def downgrade() -> None:
    op.drop_table("mirror_outbox")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_constraint("uq_api_tokens_aws_access_key_id", type_="unique")
        batch.drop_column("aws_secret_access_key")
        batch.drop_column("aws_access_key_id")
    with op.batch_alter_table("schemas") as batch:
        batch.drop_column("tags")
    with op.batch_alter_table("registries") as batch:
        batch.drop_column("mirror")
        batch.drop_column("tags")

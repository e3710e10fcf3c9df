"""registries, schemas, versions and API tokens

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "registries",
        sa.Column("id", ID, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("description", sa.String(256), nullable=True),
        sa.Column("compatibility", sa.String(32), nullable=False),
        sa.Column("compatibility_policy", sa.String(16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registries"),
        sa.UniqueConstraint("name", name="uq_registries_name"),
    )
    op.create_table(
        "schemas",
        sa.Column("id", ID, primary_key=True),
        sa.Column("registry_id", ID, nullable=False),
        sa.Column("name", sa.String(385), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("description", sa.String(256), nullable=True),
        sa.Column("compatibility", sa.String(32), nullable=True),
        sa.Column("compatibility_policy", sa.String(16), nullable=True),
        sa.Column("last_version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schemas"),
        sa.ForeignKeyConstraint(
            ["registry_id"], ["registries.id"], name="fk_schemas_registry_id_registries", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("registry_id", "name", name="uq_schemas_registry_id_name"),
    )
    op.create_table(
        "schema_versions",
        sa.Column("id", ID, primary_key=True),
        sa.Column("schema_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("event_root", sa.String(256), nullable=True),
        sa.Column("description", sa.String(256), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schema_versions"),
        sa.ForeignKeyConstraint(
            ["schema_id"], ["schemas.id"], name="fk_schema_versions_schema_id_schemas", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("schema_id", "version", name="uq_schema_versions_schema_id_version"),
        sa.UniqueConstraint("schema_id", "fingerprint", name="uq_schema_versions_schema_id_fingerprint"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", ID, primary_key=True),
        sa.Column("public_id", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("registry_name", sa.String(64), nullable=True),
        sa.Column("description", sa.String(256), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("public_id", name="uq_api_tokens_public_id"),
    )
    op.create_index("ix_api_tokens_token_hash", "api_tokens", ["token_hash"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_api_tokens_token_hash", table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("schema_versions")
    op.drop_table("schemas")
    op.drop_table("registries")

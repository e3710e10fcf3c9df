"""references between versions (shared types), and each referencing version's bundle

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

A version may name other stored versions in `references`; its `$ref`s to them resolve into `bundle`, the
contract with every reference inlined. Versions without references keep `bundle` NULL, so existing data
is unchanged and the previous release, which never reads the column, keeps working.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("schema_versions") as batch:
        batch.add_column(sa.Column("bundle", sa.Text(), nullable=True))
    op.create_table(
        "schema_version_references",
        sa.Column("id", ID, primary_key=True),
        sa.Column("version_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(2048), nullable=False),
        sa.Column("target_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schema_version_references"),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["schema_versions.id"],
            name="fk_schema_version_references_version_id_schema_versions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["schema_versions.id"],
            name="fk_schema_version_references_target_id_schema_versions",
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.UniqueConstraint("version_id", "name", name="uq_schema_version_references_version_id_name"),
    )
    op.create_index("ix_schema_version_references_target_id", "schema_version_references", ["target_id"])


def downgrade() -> None:
    # Versions with references lose them: their stored content still names URIs nothing resolves, so they
    # are deleted rather than left as contracts the previous release could not read. The table goes first,
    # so that no constraint on it is left to check against the deleted rows.
    connection = op.get_bind()
    having = sa.text("SELECT DISTINCT version_id FROM schema_version_references")
    dependents = [row[0] for row in connection.execute(having)]
    op.drop_index("ix_schema_version_references_target_id", table_name="schema_version_references")
    op.drop_table("schema_version_references")
    for version_id in dependents:
        connection.execute(sa.text("DELETE FROM schema_versions WHERE id = :id"), {"id": version_id})
    with op.batch_alter_table("schema_versions") as batch:
        batch.drop_column("bundle")

"""python bindings: package names of schemas, generated code, built package files

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import hashlib
import re

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def _package_name(registry: str, schema: str) -> str:
    # The rule of codegen.names.distribution_name as of this revision (a migration must not change later).
    name = re.sub(r"[^A-Za-z0-9]+", "-", f"{registry}-{schema}").strip("-").lower()
    digest = hashlib.sha256(f"{registry}\0{schema}".encode()).hexdigest()[:10]
    if not name:
        return f"schema-{digest}"
    if len(name) > 100:
        name = f"{name[:89].rstrip('-')}-{digest}"
    return name


def upgrade() -> None:
    with op.batch_alter_table("schemas") as batch:
        batch.add_column(sa.Column("package_name", sa.String(100), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT s.id, r.name, s.name FROM schemas s JOIN registries r ON r.id = s.registry_id"
            " ORDER BY s.id"
        )
    ).all()
    taken: set[str] = set()
    for schema_id, registry, schema in rows:
        name = _package_name(registry, schema)
        if name in taken:  # two existing schemas share a name: the later one gets its id appended
            name = f"{name[:90]}-{schema_id}"
        taken.add(name)
        connection.execute(
            sa.text("UPDATE schemas SET package_name = :name WHERE id = :id"), {"name": name, "id": schema_id}
        )
    with op.batch_alter_table("schemas") as batch:
        batch.alter_column("package_name", existing_type=sa.String(100), nullable=False)
    op.create_index("ix_schemas_package_name", "schemas", ["package_name"], unique=True)

    op.create_table(
        "generated_code",
        sa.Column("id", ID, primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("event_root", sa.String(256), nullable=False),
        sa.Column("generator_version", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("module", sa.Text(), nullable=True),
        sa.Column("root_class", sa.String(128), nullable=True),
        sa.Column("detail_class", sa.String(128), nullable=True),
        sa.Column("is_envelope", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_generated_code"),
        sa.UniqueConstraint(
            "fingerprint", "event_root", "generator_version", name="uq_generated_code_fingerprint"
        ),
    )
    op.create_table(
        "package_files",
        sa.Column("id", ID, primary_key=True),
        sa.Column("version_id", ID, nullable=False),
        sa.Column("generator_version", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_package_files"),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["schema_versions.id"],
            name="fk_package_files_version_id_schema_versions",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("version_id", "generator_version", "kind", name="uq_package_files_version_id"),
    )


def downgrade() -> None:
    op.drop_table("package_files")
    op.drop_table("generated_code")
    op.drop_index("ix_schemas_package_name", table_name="schemas")
    with op.batch_alter_table("schemas") as batch:
        batch.drop_column("package_name")

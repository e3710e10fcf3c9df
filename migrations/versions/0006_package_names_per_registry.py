"""package names: unique within each registry instead of across all of them

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

Each registry has its own package index (`/registries/{registry}/simple/`), so a package name only has to
be unique there: a writer of registry `team-a` no longer finds `team-a-orders` taken by schema `a-orders`
of registry `team`. The service-wide index keeps a plain index on the name for its lookups.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_schemas_package_name", table_name="schemas")
    op.create_index(
        "ix_schemas_registry_id_package_name", "schemas", ["registry_id", "package_name"], unique=True
    )
    op.create_index("ix_schemas_package_name", "schemas", ["package_name"], unique=False)


def downgrade() -> None:
    # Names shared by schemas of different registries cannot stay unique across them: as revision 0002 did
    # when it introduced the names, every schema after the first to hold a name gets its id appended.
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, package_name FROM schemas ORDER BY id")).all()
    taken = {name for _, name in rows}
    seen: set[str] = set()
    for schema_id, name in rows:
        if name in seen:
            renamed, attempt = f"{name[:88]}-{schema_id}", 0
            while renamed in taken:  # a name of that form may exist already: count on until one is free
                attempt += 1
                renamed = f"{name[:80]}-{schema_id}-{attempt}"
            taken.add(renamed)
            connection.execute(
                sa.text("UPDATE schemas SET package_name = :name WHERE id = :id"),
                {"name": renamed, "id": schema_id},
            )
        seen.add(name)
    op.drop_index("ix_schemas_package_name", table_name="schemas")
    op.drop_index("ix_schemas_registry_id_package_name", table_name="schemas")
    op.create_index("ix_schemas_package_name", "schemas", ["package_name"], unique=True)

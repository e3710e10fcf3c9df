"""environments: explicit places to deploy to, back-filled from the environments deployments name

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)

# Every environment something is recorded in becomes one, created when and by whom its first audit entry
# says (the audit holds every recording; the record's own time and `anonymous` only if it were missing).
BACK_FILL = """
INSERT INTO environments (registry_id, name, description, created_at, created_by)
SELECT p.registry_id, p.environment, NULL,
       COALESCE((SELECT a.at FROM participant_audit a
                 WHERE a.registry_id = p.registry_id AND a.environment = p.environment
                 ORDER BY a.id LIMIT 1), MIN(p.updated_at)),
       COALESCE((SELECT a.actor FROM participant_audit a
                 WHERE a.registry_id = p.registry_id AND a.environment = p.environment
                 ORDER BY a.id LIMIT 1), 'anonymous')
FROM participants p
GROUP BY p.registry_id, p.environment
"""


def upgrade() -> None:
    op.create_table(
        "environments",
        sa.Column("id", ID, primary_key=True),
        sa.Column("registry_id", ID, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("description", sa.String(256), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_environments"),
        sa.ForeignKeyConstraint(
            ["registry_id"],
            ["registries.id"],
            name="fk_environments_registry_id_registries",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("registry_id", "name", name="uq_environments_registry_id"),
    )
    op.execute(BACK_FILL)


def downgrade() -> None:
    # The environments themselves were names in `participants`: what was recorded there stays.
    op.drop_table("environments")

"""one audit history of every change (who, when, what), and who registered each version

Revision ID: 0008_audit_history
Revises: 0007
Create Date: 2026-12-06

`audit_history` replaces `participant_audit`: its entries move over as `participant.recorded`, `.changed`
and `.removed` (service in `subject`; role and previous version in `detail`), in their order. Versions
registered before this revision keep `created_by` NULL: nobody recorded who registered them. The downgrade
moves the deployment entries back and drops the rest of the history.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_audit_history"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)
BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("schema_versions") as batch:
        batch.add_column(sa.Column("created_by", sa.String(64), nullable=True))
    history = op.create_table(
        "audit_history",
        sa.Column("id", ID, primary_key=True),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("registry_id", ID, nullable=True),
        sa.Column("registry_name", sa.String(64), nullable=True),
        sa.Column("schema_name", sa.String(385), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("environment", sa.String(64), nullable=True),
        sa.Column("subject", sa.String(64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_history"),
        sa.ForeignKeyConstraint(
            ["registry_id"],
            ["registries.id"],
            name="fk_audit_history_registry_id_registries",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_audit_history_registry_id", "audit_history", ["registry_id", "id"])
    op.create_index("ix_audit_history_registry_name", "audit_history", ["registry_name", "schema_name", "id"])
    op.create_index("ix_audit_history_actor", "audit_history", ["actor", "id"])
    _move_deployment_entries(history)
    op.drop_index("ix_participant_audit_registry_id", table_name="participant_audit")
    op.drop_table("participant_audit")


# The tables as this revision finds them, typed so that each database hands back datetimes and JSON values.
_PARTICIPANT_AUDIT = sa.table(
    "participant_audit",
    *(sa.column(name) for name in ("id", "registry_id", "schema_name", "service", "role", "environment")),
    *(sa.column(name) for name in ("action", "version", "previous_version", "actor")),
    sa.column("at", TIMESTAMP),
)
_REGISTRIES = sa.table("registries", sa.column("id"), sa.column("name"))


def _move_deployment_entries(history: sa.Table) -> None:
    connection = op.get_bind()
    old = _PARTICIPANT_AUDIT
    query = (
        sa.select(old, _REGISTRIES.c.name.label("registry"))
        .join(_REGISTRIES, _REGISTRIES.c.id == old.c.registry_id)
        .order_by(old.c.id)
    )
    after = 0
    while rows := connection.execute(query.where(old.c.id > after).limit(BATCH)).all():
        connection.execute(
            history.insert(),
            [
                {
                    "at": row.at,
                    "actor": row.actor,
                    "action": f"participant.{row.action}",
                    "registry_id": row.registry_id,
                    "registry_name": row.registry,
                    "schema_name": row.schema_name,
                    "version": row.version,
                    "environment": row.environment,
                    "subject": row.service,
                    "detail": {"role": row.role, "previous_version": row.previous_version},
                }
                for row in rows
            ],
        )
        after = rows[-1].id


def downgrade() -> None:
    audit = op.create_table(
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
    connection = op.get_bind()
    history = sa.table(
        "audit_history",
        *(sa.column(name) for name in ("id", "actor", "action", "registry_id", "schema_name", "version")),
        *(sa.column(name) for name in ("environment", "subject")),
        sa.column("at", TIMESTAMP),
        sa.column("detail", sa.JSON()),
    )
    # Entries of deleted registries have no registry to belong to any more: before 0008 they went with it.
    query = (
        sa.select(history)
        .where(history.c.action.like("participant.%"), history.c.registry_id.is_not(None))
        .order_by(history.c.id)
    )
    after = 0
    while rows := connection.execute(query.where(history.c.id > after).limit(BATCH)).all():
        connection.execute(
            audit.insert(),
            [
                {
                    "registry_id": row.registry_id,
                    "schema_name": row.schema_name,
                    "service": row.subject,
                    "role": row.detail["role"],
                    "environment": row.environment,
                    "action": row.action.partition(".")[2],
                    "version": row.version,
                    "previous_version": row.detail.get("previous_version"),
                    "actor": row.actor,
                    "at": row.at,
                }
                for row in rows
            ],
        )
        after = rows[-1].id
    op.drop_index("ix_audit_history_actor", table_name="audit_history")
    op.drop_index("ix_audit_history_registry_name", table_name="audit_history")
    op.drop_index("ix_audit_history_registry_id", table_name="audit_history")
    op.drop_table("audit_history")
    # In place (SQLite 3.35+ drops a column itself): rebuilding the table would drop the old one, and with
    # foreign keys on, SQLite deletes the rows that reference it (package files, references) as it does so.
    with op.batch_alter_table("schema_versions", recreate="never") as batch:
        batch.drop_column("created_by")

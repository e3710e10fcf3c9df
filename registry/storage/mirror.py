"""The mirror outbox: rows written with their versions, leased by one worker at a time, in order per
schema."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.orm import Session, aliased

from registry.domain.mirror import FAILED, MIRRORED, PENDING, MirrorState, MirrorTarget, OutboxItem
from registry.storage.direct import Direct
from registry.storage.models import MirrorOutboxRow, RegistryRow, SchemaRow, VersionRow, utcnow
from registry.storage.repositories import RESOLVED_CONTENT, mirror_state

_OUTBOX_COLUMNS = (
    "registry_id", "version_id", "schema_name", "version", "type", "content", "description", "status",
    "attempts", "next_attempt_at", "created_at", "updated_at",
)  # fmt: skip
# Written with every version of a mirrored registry: built once, run on the driver's cursor in the
# registration's transaction (registry.storage.direct).
_NEW_ITEM = Direct(insert(MirrorOutboxRow), columns=_OUTBOX_COLUMNS)


class MirrorRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def enqueue(
        self,
        registry_id: int,
        version_id: int,
        *,
        schema: str,
        version: int,
        type_: str,
        content: str,
        description: str | None,
    ) -> None:
        now = utcnow()
        values = dict(
            registry_id=registry_id,
            version_id=version_id,
            schema_name=schema,
            version=version,
            type=type_,
            content=content,
            description=description,
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        _NEW_ITEM.run(self.session, values)

    def restart(self, registry_id: int) -> None:
        """A new target: forget every delivery to the old one and queue every version, in order."""
        self.session.execute(delete(MirrorOutboxRow).where(MirrorOutboxRow.registry_id == registry_id))
        versions = (
            select(
                SchemaRow.registry_id,
                VersionRow.id,
                SchemaRow.name,
                VersionRow.version,
                SchemaRow.type,
                RESOLVED_CONTENT,  # EventBridge has no references: it gets the bundle
                VersionRow.description,
            )
            .join(SchemaRow, VersionRow.schema_id == SchemaRow.id)
            .where(SchemaRow.registry_id == registry_id)
            .order_by(SchemaRow.name, VersionRow.version)
        )
        for row in self.session.execute(versions):
            self.enqueue(
                row[0],
                row[1],
                schema=row[2],
                version=row[3],
                type_=row[4],
                content=row[5],
                description=row[6],
            )

    def stop(self, registry_id: int) -> None:
        """Mirroring switched off: what was not delivered will not be."""
        self.session.execute(
            delete(MirrorOutboxRow).where(
                MirrorOutboxRow.registry_id == registry_id, MirrorOutboxRow.status != MIRRORED
            )
        )

    def claim(self, *, lease_seconds: float) -> OutboxItem | None:
        """Lease the first deliverable row: due, not leased, and the earliest undelivered of its schema (so
        versions arrive in order). PostgreSQL replicas skip each other's locked rows."""
        now = utcnow()
        earlier = aliased(MirrorOutboxRow)
        blocked = exists().where(
            earlier.registry_id == MirrorOutboxRow.registry_id,
            earlier.schema_name == MirrorOutboxRow.schema_name,
            earlier.id < MirrorOutboxRow.id,
            earlier.status != MIRRORED,
        )
        query = (
            select(MirrorOutboxRow, RegistryRow.mirror)
            .join(RegistryRow, MirrorOutboxRow.registry_id == RegistryRow.id)
            .where(
                MirrorOutboxRow.status != MIRRORED,
                MirrorOutboxRow.next_attempt_at <= now,
                (MirrorOutboxRow.lease_until.is_(None)) | (MirrorOutboxRow.lease_until < now),
                RegistryRow.mirror.is_not(None),
                ~blocked,
            )
            .order_by(MirrorOutboxRow.id)
            .limit(1)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(of=MirrorOutboxRow, skip_locked=True)
        found = self.session.execute(query).first()
        if found is None:
            return None
        row, config = found
        assert config is not None, "the query only takes rows of registries that mirror"
        row.lease_until = now + timedelta(seconds=lease_seconds)
        row.attempts += 1
        return OutboxItem(
            id=row.id,
            target=MirrorTarget.from_config(config),
            schema=row.schema_name,
            version=row.version,
            type=row.type,
            content=row.content,
            description=row.description,
            attempts=row.attempts,
        )

    def delivered(self, item_id: int, remote_version: str) -> None:
        self.session.execute(
            update(MirrorOutboxRow)
            .where(MirrorOutboxRow.id == item_id)
            .values(status=MIRRORED, remote_version=remote_version, last_error=None, lease_until=None,
                    updated_at=utcnow())
        )  # fmt: skip

    def failed(self, item_id: int, error: str, retry_at: datetime) -> None:
        self.session.execute(
            update(MirrorOutboxRow)
            .where(MirrorOutboxRow.id == item_id)
            .values(status=FAILED, last_error=error[:2000], next_attempt_at=retry_at, lease_until=None,
                    updated_at=utcnow())
        )  # fmt: skip

    def release(self, item_id: int) -> None:
        """Hand a leased row back undelivered (a worker stopping mid-delivery): another may take it now."""
        self.session.execute(
            update(MirrorOutboxRow)
            .where(MirrorOutboxRow.id == item_id, MirrorOutboxRow.status != MIRRORED)
            .values(lease_until=None, updated_at=utcnow())
        )

    def states(
        self, registry_id: int, *, after: int | None, limit: int
    ) -> list[tuple[int, str, int, MirrorState]]:
        """(row id, schema, version, state) in delivery order."""
        query = (
            select(MirrorOutboxRow)
            .where(MirrorOutboxRow.registry_id == registry_id)
            .order_by(MirrorOutboxRow.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(MirrorOutboxRow.id > after)
        return [
            (row.id, row.schema_name, row.version, mirror_state(row)) for row in self.session.scalars(query)
        ]

    def counts(self, registry_id: int) -> dict[str, int]:
        query = (
            select(MirrorOutboxRow.status, func.count())
            .where(MirrorOutboxRow.registry_id == registry_id)
            .group_by(MirrorOutboxRow.status)
        )
        counted = {PENDING: 0, MIRRORED: 0, FAILED: 0}
        counted.update({status: count for status, count in self.session.execute(query)})
        return counted

    def backlog(self) -> tuple[int, datetime | None]:
        """How many rows are not delivered yet, and when the oldest of them was written (None: no row)."""
        query = select(func.count(), func.min(MirrorOutboxRow.created_at)).where(
            MirrorOutboxRow.status.in_((PENDING, FAILED))  # the status index, not every delivered row
        )
        count, oldest = self.session.execute(query).one()
        return int(count), oldest

"""The audit history (`audit_history`): entries written in the transaction of the change they describe, and
the pages that read them back, newest first."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from registry.domain.audit import Action, AuditRecord, Change
from registry.storage.direct import Direct
from registry.storage.models import AuditRow, Base, utcnow
from registry.storage.repositories import aware

_COLUMNS = (
    "at", "actor", "action", "registry_id", "registry_name", "schema_name", "version", "environment",
    "subject", "detail",
)  # fmt: skip
# Built once (every change writes one): building a statement costs more than running it; run on the
# driver's cursor (registry.storage.direct), in the change's transaction.
_NEW_ENTRY = Direct(insert(Base.metadata.tables["audit_history"]), columns=_COLUMNS)


def _entry(change: Change, *, actor: str, registry_id: int | None, at: datetime | None) -> dict[str, Any]:
    return dict(
        at=at or utcnow(),
        actor=actor,
        action=change.action.value,
        registry_id=registry_id,
        registry_name=change.registry,
        schema_name=change.schema,
        version=change.version,
        environment=change.environment,
        subject=change.subject,
        detail=dict(change.detail),
    )


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self, change: Change, *, actor: str, registry_id: int | None = None, at: datetime | None = None
    ) -> None:
        """Add an entry to the history; it is kept only if the transaction commits, with the change."""
        _NEW_ENTRY.run(self.session, _entry(change, actor=actor, registry_id=registry_id, at=at))

    def record_all(
        self, changes: list[Change], *, actor: str, registry_id: int | None = None, at_commit: bool = False
    ) -> None:
        """`record` for several changes at once (one statement). `at_commit`: the caller reads nothing of
        the history before it commits, so the entries may go with the COMMIT (direct.run_at_commit)."""
        at = utcnow()
        entries = [_entry(change, actor=actor, registry_id=registry_id, at=at) for change in changes]
        if at_commit:
            _NEW_ENTRY.run_many_at_commit(self.session, entries)
        else:
            _NEW_ENTRY.run_many(self.session, entries)

    def page(
        self,
        *,
        registry: str | None = None,
        registry_id: int | None = None,
        schema: str | None = None,
        actor: str | None = None,
        actions: Collection[Action] = (),
        environment: str | None = None,
        subject: str | None = None,
        before: int | None,
        limit: int,
    ) -> list[AuditRecord]:
        """Newest first, keyed by the row id (which grows with every entry); only entries matching every
        filter given (`actions`: any of these)."""
        filters: list[Any] = []
        if registry is not None:
            filters.append(AuditRow.registry_name == registry)
        if registry_id is not None:
            filters.append(AuditRow.registry_id == registry_id)
        if schema is not None:
            filters.append(AuditRow.schema_name == schema)
        if actor is not None:
            filters.append(AuditRow.actor == actor)
        if actions:
            filters.append(AuditRow.action.in_(sorted(action.value for action in actions)))
        if environment is not None:
            filters.append(AuditRow.environment == environment)
        if subject is not None:
            filters.append(AuditRow.subject == subject)
        if before is not None:
            filters.append(AuditRow.id < before)
        query = select(AuditRow).where(*filters).order_by(AuditRow.id.desc()).limit(limit)
        return [_record(row) for row in self.session.scalars(query)]


def _record(row: AuditRow) -> AuditRecord:
    change = Change(
        action=Action(row.action),
        registry=row.registry_name,
        schema=row.schema_name,
        version=row.version,
        environment=row.environment,
        subject=row.subject,
        detail=row.detail or {},
    )
    return AuditRecord(id=row.id, at=aware(row.at), actor=row.actor, change=change)

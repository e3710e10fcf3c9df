"""Environments: the places of a registry that deployments are recorded in (`environments`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from registry.domain.deployments import EnvironmentSummary
from registry.storage.models import EnvironmentRow, ParticipantRow
from registry.storage.repositories import aware


class EnvironmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, registry_id: int, name: str, *, for_update: bool = False) -> EnvironmentRow | None:
        query = select(EnvironmentRow).where(
            EnvironmentRow.registry_id == registry_id, EnvironmentRow.name == name
        )
        return self.session.scalar(query.with_for_update() if for_update else query)

    def lock_or_create(
        self, registry_id: int, name: str, *, actor: str, at: datetime
    ) -> tuple[EnvironmentRow, bool]:
        """The environment, locked until the transaction ends (created with it when missing), and whether
        it was created. The lock orders a recording there and the environment's deletion: whichever comes
        second sees what the first did. A concurrent creation is waited for, not duplicated."""
        for _ in range(3):  # a row deleted between the two statements is created on the next round
            found = self.get(registry_id, name, for_update=True)
            if found is not None:
                return found, False
            values = dict(registry_id=registry_id, name=name, created_at=at, created_by=actor)
            dialect = self.session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            statement = insert(EnvironmentRow).values(**values).on_conflict_do_nothing()
            inserted = self.session.execute(statement.returning(EnvironmentRow.id)).scalar()
            if inserted is not None:
                row = self.session.get(EnvironmentRow, inserted)
                assert row is not None, "inserted by this transaction"
                return row, True
        raise RuntimeError(f"environment {name!r} kept being created and deleted concurrently")

    def delete(self, row: EnvironmentRow) -> None:
        self.session.execute(delete(EnvironmentRow).where(EnvironmentRow.id == row.id))

    def summaries(
        self, registry_id: int, *, after: str | None = None, only: str | None = None, limit: int | None = None
    ) -> list[EnvironmentSummary]:
        """The registry's environments by name, each with how much is recorded there."""
        counts = (
            select(
                ParticipantRow.environment.label("name"),
                func.count(func.distinct(ParticipantRow.schema_id)).label("schemas"),
                func.count(ParticipantRow.id).label("participants"),
            )
            .where(ParticipantRow.registry_id == registry_id)
            .group_by(ParticipantRow.environment)
            .subquery()
        )
        query = (
            select(EnvironmentRow, counts.c.schemas, counts.c.participants)
            .outerjoin(counts, counts.c.name == EnvironmentRow.name)
            .where(EnvironmentRow.registry_id == registry_id)
            .order_by(EnvironmentRow.name)
        )
        if after is not None:
            query = query.where(EnvironmentRow.name > after)
        if only is not None:
            query = query.where(EnvironmentRow.name == only)
        if limit is not None:
            query = query.limit(limit)
        return [
            EnvironmentSummary(
                environment=row.name,
                description=row.description,
                created_at=aware(row.created_at),
                created_by=row.created_by,
                schemas=schemas or 0,
                participants=participants or 0,
            )
            for row, schemas, participants in self.session.execute(query)
        ]

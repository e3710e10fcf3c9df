"""Recorded deployments: queries over `participants` (their audit is in the one history: storage/audit.py)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Select, and_, delete, select, tuple_
from sqlalchemy.orm import Session

from registry.domain.deployments import Participant, ParticipantRole
from registry.storage.models import ParticipantRow, RegistryRow, SchemaRow, VersionRow
from registry.storage.repositories import RESOLVED_CONTENT, StoredContract, aware

ParticipantKey = tuple[str, str, str]  # (environment, service, role): the order of a schema's participants


def _participant(registry: str, schema: str, row: ParticipantRow) -> Participant:
    return Participant(
        registry=registry,
        schema=schema,
        service=row.service,
        role=ParticipantRole(row.role),
        version=row.version,
        environment=row.environment,
        updated_at=aware(row.updated_at),
        updated_by=row.updated_by,
    )


def _named_participants() -> Select[str, str, ParticipantRow]:
    return (
        select(RegistryRow.name, SchemaRow.name, ParticipantRow)
        .join(SchemaRow, ParticipantRow.schema_id == SchemaRow.id)
        .join(RegistryRow, ParticipantRow.registry_id == RegistryRow.id)
    )


class DeploymentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(
        self, schema_id: int, service: str, role: ParticipantRole, environment: str
    ) -> ParticipantRow | None:
        return self.session.scalar(
            select(ParticipantRow).where(
                ParticipantRow.schema_id == schema_id,
                ParticipantRow.service == service,
                ParticipantRow.role == role.value,
                ParticipantRow.environment == environment,
            )
        )

    def add(
        self,
        *,
        registry_id: int,
        schema_id: int,
        service: str,
        role: ParticipantRole,
        environment: str,
        version: int,
        actor: str,
        at: datetime,
    ) -> ParticipantRow:
        row = ParticipantRow(
            registry_id=registry_id,
            schema_id=schema_id,
            service=service,
            role=role.value,
            environment=environment,
            version=version,
            updated_at=at,
            updated_by=actor,
        )
        self.session.add(row)
        return row

    def remove(self, row: ParticipantRow) -> None:
        self.session.execute(delete(ParticipantRow).where(ParticipantRow.id == row.id))

    def of_schema(
        self,
        schema_id: int,
        *,
        environment: str | None = None,
        role: ParticipantRole | None = None,
        service: str | None = None,
        version: int | None = None,
        after: ParticipantKey | None = None,
        limit: int | None = None,
    ) -> list[Participant]:
        """The schema's participants ordered by environment, service and role, optionally only some."""
        query = (
            _named_participants()
            .where(ParticipantRow.schema_id == schema_id)
            .order_by(ParticipantRow.environment, ParticipantRow.service, ParticipantRow.role)
        )
        if environment is not None:
            query = query.where(ParticipantRow.environment == environment)
        if role is not None:
            query = query.where(ParticipantRow.role == role.value)
        if service is not None:
            query = query.where(ParticipantRow.service == service)
        if version is not None:
            query = query.where(ParticipantRow.version == version)
        if after is not None:
            key = tuple_(ParticipantRow.environment, ParticipantRow.service, ParticipantRow.role)
            query = query.where(key > tuple_(*after))
        if limit is not None:
            query = query.limit(limit)
        return [_participant(registry, schema, row) for registry, schema, row in self.session.execute(query)]

    def in_environment(self, registry_id: int, environment: str) -> list[tuple[int, Participant]]:
        """(schema id, participant) of every schema with participants in the environment, by schema name.
        Columns rather than ORM rows: an environment may have thousands of participants."""
        query = (
            select(
                SchemaRow.id,
                RegistryRow.name,
                SchemaRow.name,
                ParticipantRow.service,
                ParticipantRow.role,
                ParticipantRow.version,
                ParticipantRow.updated_at,
                ParticipantRow.updated_by,
            )
            .join(SchemaRow, ParticipantRow.schema_id == SchemaRow.id)
            .join(RegistryRow, ParticipantRow.registry_id == RegistryRow.id)
            .where(ParticipantRow.registry_id == registry_id, ParticipantRow.environment == environment)
            .order_by(SchemaRow.name, ParticipantRow.service, ParticipantRow.role)
        )
        found = self.session.execute(query)
        return [
            (
                schema_id,
                Participant(
                    registry=registry,
                    schema=schema,
                    service=service,
                    role=ParticipantRole(role),
                    version=version,
                    environment=environment,
                    updated_at=aware(updated_at),
                    updated_by=updated_by,
                ),
            )
            for schema_id, registry, schema, service, role, version, updated_at, updated_by in found
        ]

    def contracts_in_environment(
        self, registry_id: int, environment: str
    ) -> dict[int, dict[int, StoredContract]]:
        """Schema id → number → what a compatibility check needs of each version running in the
        environment. Joined to the participants rather than asked by (schema, version) pairs: SQLite reads
        every version to answer `(schema_id, version) IN (...)`, and PostgreSQL took 3 times longer too."""
        running = (
            select(ParticipantRow.schema_id, ParticipantRow.version)
            .where(ParticipantRow.registry_id == registry_id, ParticipantRow.environment == environment)
            .distinct()
            .subquery()
        )
        query = select(
            VersionRow.schema_id,
            VersionRow.version,
            VersionRow.fingerprint,
            RESOLVED_CONTENT,
            VersionRow.event_root,
        ).join(
            running,
            and_(VersionRow.schema_id == running.c.schema_id, VersionRow.version == running.c.version),
        )
        found: dict[int, dict[int, StoredContract]] = {}
        for schema_id, number, fingerprint, canonical, event_root in self.session.execute(query):
            found.setdefault(schema_id, {})[number] = StoredContract(
                number, fingerprint, canonical, event_root
            )
        return found

    def contracts(self, schema_id: int, versions: Collection[int]) -> dict[int, StoredContract]:
        """What a compatibility check needs of some of the schema's versions, by number."""
        if not versions:
            return {}
        query = select(
            VersionRow.version, VersionRow.fingerprint, RESOLVED_CONTENT, VersionRow.event_root
        ).where(VersionRow.schema_id == schema_id, VersionRow.version.in_(sorted(set(versions))))
        return {found[0]: StoredContract(*found) for found in self.session.execute(query)}

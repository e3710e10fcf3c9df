"""The reference graph read backwards, for impact analysis: the versions that reference given versions, and
which of a schema's versions are its latest or recorded as deployed."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.domain.formats.bundle import VersionKey
from registry.domain.impact import Edge
from registry.storage.models import ParticipantRow, ReferenceRow, RegistryRow, SchemaRow, VersionRow

_CHUNK = 500  # ids per IN (...): SQLite bounds the parameters of one statement


def _chunks(ids: Collection[int]) -> Iterator[Sequence[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


class DependentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def versions_of(self, schema_id: int) -> dict[int, VersionKey]:
        """Row id → key of every version of the schema."""
        query = (
            select(VersionRow.id, RegistryRow.name, SchemaRow.name, VersionRow.version)
            .join(SchemaRow, VersionRow.schema_id == SchemaRow.id)
            .join(RegistryRow, SchemaRow.registry_id == RegistryRow.id)
            .where(VersionRow.schema_id == schema_id)
        )
        return {row_id: VersionKey(r, s, v) for row_id, r, s, v in self.session.execute(query)}

    def referencing(self, target_ids: Collection[int]) -> list[Edge]:
        """Every reference into one of the versions, in the order they were recorded (per chunk of ids)."""
        edges: list[Edge] = []
        for chunk in _chunks(target_ids):
            query = (
                select(
                    ReferenceRow.version_id,
                    ReferenceRow.target_id,
                    ReferenceRow.name,
                    RegistryRow.name,
                    SchemaRow.name,
                    VersionRow.version,
                    SchemaRow.id,
                    VersionRow.event_root,
                )
                .join(VersionRow, ReferenceRow.version_id == VersionRow.id)
                .join(SchemaRow, VersionRow.schema_id == SchemaRow.id)
                .join(RegistryRow, SchemaRow.registry_id == RegistryRow.id)
                .where(ReferenceRow.target_id.in_(chunk))
                .order_by(ReferenceRow.id)
            )
            edges += [
                Edge(version_id, target_id, name, VersionKey(r, s, v), schema_id, event_root)
                for version_id, target_id, name, r, s, v, schema_id, event_root in self.session.execute(query)
            ]
        return edges

    def latest(self, schema_ids: Collection[int]) -> dict[int, int]:
        """Schema id → the number of its latest version."""
        found: dict[int, int] = {}
        for chunk in _chunks(schema_ids):
            query = (
                select(VersionRow.schema_id, func.max(VersionRow.version))
                .where(VersionRow.schema_id.in_(chunk))
                .group_by(VersionRow.schema_id)
            )
            found.update({schema_id: number for schema_id, number in self.session.execute(query)})
        return found

    def deployed(self, schema_ids: Collection[int]) -> set[tuple[int, int]]:
        """(schema id, version number) of every version a participant is recorded running."""
        found: set[tuple[int, int]] = set()
        for chunk in _chunks(schema_ids):
            query = (
                select(ParticipantRow.schema_id, ParticipantRow.version)
                .where(ParticipantRow.schema_id.in_(chunk))
                .distinct()
            )
            found.update((schema_id, number) for schema_id, number in self.session.execute(query))
        return found

"""The reference graph read backwards, for impact analysis: the versions that reference given versions, and
which of a schema's versions are its latest or recorded as deployed; and, a few statements for any number
of dependents, what judging them needs (the analysis of hundreds must not cost a round trip each)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from registry.domain.formats.bundle import Reference, Referenced, VersionKey
from registry.domain.impact import Edge
from registry.storage.models import ParticipantRow, ReferenceRow, RegistryRow, SchemaRow, VersionRow
from registry.storage.references import _targets
from registry.storage.repositories import (
    RESOLVED_CONTENT,
    SchemaState,
    StoredContract,
    schema_state,
    schema_states,
)

_CHUNK = 500  # ids per IN (...): SQLite bounds the parameters of one statement


def _chunks(ids: Collection[Any]) -> Iterator[Sequence[Any]]:
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

    def nodes(self, version_ids: Collection[int]) -> dict[VersionKey, Referenced]:
        """The versions as written, each with its own references (as `ReferenceRepository.node` reads one)."""
        found: dict[VersionKey, Referenced] = {}
        for chunk in _chunks(version_ids):
            references: dict[int, list[Reference]] = {}
            for version_id, name, r, s, v in self.session.execute(
                _targets().where(ReferenceRow.version_id.in_(chunk))
            ):
                references.setdefault(version_id, []).append(Reference(name, VersionKey(r, s, v)))
            query = (
                select(
                    VersionRow.id,
                    RegistryRow.name,
                    SchemaRow.name,
                    VersionRow.version,
                    SchemaRow.type,
                    VersionRow.content,
                    VersionRow.fingerprint,
                )
                .join(SchemaRow, VersionRow.schema_id == SchemaRow.id)
                .join(RegistryRow, SchemaRow.registry_id == RegistryRow.id)
                .where(VersionRow.id.in_(chunk))
            )
            for version_id, r, s, v, type_, content, fingerprint in self.session.execute(query):
                key = VersionKey(r, s, v)
                found[key] = Referenced(
                    key, type_, json.loads(content), fingerprint, tuple(references.get(version_id, ()))
                )
        return found

    def rules(self, schema_ids: Collection[int]) -> dict[int, SchemaState]:
        """Schema id → its rules, as `SchemaRepository.state` reads them."""
        found: dict[int, SchemaState] = {}
        for chunk in _chunks(schema_ids):
            for row in self.session.execute(schema_states().where(SchemaRow.id.in_(chunk))):
                state = schema_state(row)
                found[state.id] = state
        return found

    def contracts(self, versions: Collection[tuple[int, int]]) -> dict[tuple[int, int], StoredContract]:
        """(schema id, number) → what a compatibility check needs of that version."""
        found: dict[tuple[int, int], StoredContract] = {}
        for chunk in _chunks(versions):
            query = select(
                VersionRow.schema_id,
                VersionRow.version,
                VersionRow.fingerprint,
                RESOLVED_CONTENT,
                VersionRow.event_root,
            ).where(
                # the schema ids alone first: SQLite reads a row-value IN list by scanning every version
                VersionRow.schema_id.in_({schema_id for schema_id, _ in chunk}),
                tuple_(VersionRow.schema_id, VersionRow.version).in_(chunk),
            )
            for schema_id, number, fingerprint, canonical, event_root in self.session.execute(query):
                found[(schema_id, number)] = StoredContract(number, fingerprint, canonical, event_root)
        return found

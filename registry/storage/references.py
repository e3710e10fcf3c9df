"""References between versions: which versions a version's `$ref`s resolve to, and who depends on one."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from registry.domain.formats.bundle import Reference, Referenced, VersionKey
from registry.domain.model import ReferenceInfo
from registry.storage.models import ReferenceRow, RegistryRow, SchemaRow, VersionRow

VersionIds = Select[int]
"""A query of version row ids: the versions a deletion takes, or whose dependents are asked for."""

_Target = aliased(VersionRow)
_TargetSchema = aliased(SchemaRow)
_TargetRegistry = aliased(RegistryRow)


def _version_id(key: VersionKey) -> VersionIds:
    return (
        select(VersionRow.id)
        .join(SchemaRow, VersionRow.schema_id == SchemaRow.id)
        .join(RegistryRow, SchemaRow.registry_id == RegistryRow.id)
        .where(
            RegistryRow.name == key.registry, SchemaRow.name == key.schema, VersionRow.version == key.version
        )
    )


def _targets() -> Select[int, str, str, str, int]:
    """(referencing version id, name, target registry, schema, version), in registration order."""
    return (
        select(
            ReferenceRow.version_id,
            ReferenceRow.name,
            _TargetRegistry.name,
            _TargetSchema.name,
            _Target.version,
        )
        .join(_Target, ReferenceRow.target_id == _Target.id)
        .join(_TargetSchema, _Target.schema_id == _TargetSchema.id)
        .join(_TargetRegistry, _TargetSchema.registry_id == _TargetRegistry.id)
        .order_by(ReferenceRow.version_id, ReferenceRow.position)
    )


class ReferenceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def node(self, key: VersionKey) -> Referenced | None:
        """The stored version as written, with its own references; None when it does not exist."""
        query = _version_id(key).add_columns(SchemaRow.type, VersionRow.content, VersionRow.fingerprint)
        found = self.session.execute(query).first()
        if found is None:
            return None
        version_id, type_, content, fingerprint = found
        references = tuple(
            Reference(name, VersionKey(registry, schema, version))
            for _, name, registry, schema, version in self.session.execute(
                _targets().where(ReferenceRow.version_id == version_id)
            )
        )
        return Referenced(key, type_, json.loads(content), fingerprint, references)

    def version_id(self, key: VersionKey, *, hold: bool = False) -> int | None:
        """`hold`: keep the version from being deleted until this transaction ends (PostgreSQL's FOR KEY
        SHARE: what a foreign key takes, but now, not at commit; SQLite has one writer at a time)."""
        query = _version_id(key)
        if hold:
            query = query.with_for_update(read=True, key_share=True, of=VersionRow)
        found: int | None = self.session.scalar(query)
        return found

    def lock(self, versions: VersionIds) -> None:
        """Lock versions about to be deleted: a registration holding one of them as its target finishes
        first (and its reference is then seen), or finds the target gone."""
        query = select(VersionRow.id).where(VersionRow.id.in_(versions)).with_for_update(of=VersionRow)
        self.session.execute(query).all()

    def add(self, version_id: int, targets: Sequence[tuple[str, int]]) -> None:
        """Record that the version's `$ref`s to each name resolve to the version of that id."""
        self.session.add_all(
            ReferenceRow(version_id=version_id, position=position, name=name, target_id=target_id)
            for position, (name, target_id) in enumerate(targets)
        )
        self.session.flush()

    def of_version(self, registry: str, schema: str, version: int) -> tuple[ReferenceInfo, ...]:
        version_id = self.version_id(VersionKey(registry, schema, version))
        query = _targets().where(ReferenceRow.version_id == version_id)
        return tuple(
            ReferenceInfo(name=name, registry=r, schema=s, version=v)
            for _, name, r, s, v in self.session.execute(query)
        )

    def dependents(
        self,
        targets: VersionIds,
        *,
        outside: VersionIds | None = None,
        after: int | None = None,
        limit: int | None = None,
    ) -> list[tuple[int, ReferenceInfo]]:
        """(reference row id, the referencing version as registry/schema/version with the name it uses)
        for every reference to a version among `targets`, excluding referencing versions among `outside`,
        by row id."""
        query = (
            select(ReferenceRow.id, ReferenceRow.name, RegistryRow.name, SchemaRow.name, VersionRow.version)
            .join(VersionRow, ReferenceRow.version_id == VersionRow.id)
            .join(SchemaRow, VersionRow.schema_id == SchemaRow.id)
            .join(RegistryRow, SchemaRow.registry_id == RegistryRow.id)
            .where(ReferenceRow.target_id.in_(targets))
            .order_by(ReferenceRow.id)
        )
        if outside is not None:
            query = query.where(ReferenceRow.version_id.not_in(outside))
        if after is not None:
            query = query.where(ReferenceRow.id > after)
        if limit is not None:
            query = query.limit(limit)
        return [
            (row_id, ReferenceInfo(name=name, registry=r, schema=s, version=v))
            for row_id, name, r, s, v in self.session.execute(query)
        ]


def versions_of_version(version_id: int) -> VersionIds:
    return select(VersionRow.id).where(VersionRow.id == version_id)


def versions_of_schema(schema_id: int) -> VersionIds:
    return select(VersionRow.id).where(VersionRow.schema_id == schema_id)


def versions_of_registry(registry_id: int) -> VersionIds:
    return (
        select(VersionRow.id)
        .join(SchemaRow, VersionRow.schema_id == SchemaRow.id)
        .where(SchemaRow.registry_id == registry_id)
    )

"""Repositories: queries over the models, returning rows or domain values. No business rules here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Select,
    Table,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from registry.domain.auth import Role, TokenInfo
from registry.domain.mirror import MIRRORED, MirrorState
from registry.domain.model import (
    BindingsSource,
    CompatibilityMode,
    CompatibilityPolicy,
    RegistryInfo,
    SchemaInfo,
    VersionInfo,
    VersionSummary,
)
from registry.storage.direct import Direct
from registry.storage.models import (
    Base,
    MirrorOutboxRow,
    RegistryRow,
    SchemaRow,
    TokenRow,
    VersionRow,
    utcnow,
)


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every timestamp we store is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def mirror_state(row: MirrorOutboxRow) -> MirrorState:
    return MirrorState(
        status=row.status,
        remote_version=row.remote_version,
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=None if row.status == MIRRORED else aware(row.next_attempt_at),
        updated_at=aware(row.updated_at),
    )


class RegistryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, name: str) -> RegistryRow | None:
        return self.session.scalar(_REGISTRY_BY_NAME, {"name": name})

    def rules(self, name: str) -> RegistryRules | None:
        """What a schema created in the registry starts with (plain columns: registration's hot path)."""
        found = _REGISTRY_RULES_BY_NAME.first(self.session, {"name": name})
        if found is None:
            return None
        id_, mode, policy, mirrored = found
        return RegistryRules(id_, CompatibilityMode(mode), CompatibilityPolicy(policy), bool(mirrored))

    def create(self, name: str) -> RegistryRow:
        row = RegistryRow(
            name=name,
            compatibility=CompatibilityMode.BACKWARD,
            compatibility_policy=CompatibilityPolicy.STRICT,
            created_at=utcnow(),
        )
        self.session.add(row)
        return row

    def delete(self, row: RegistryRow) -> None:
        self.session.execute(delete(RegistryRow).where(RegistryRow.id == row.id))

    def page(self, *, after: str | None, limit: int, only: str | None) -> list[RegistryRow]:
        query = select(RegistryRow).order_by(RegistryRow.name).limit(limit)
        if after is not None:
            query = query.where(RegistryRow.name > after)
        if only is not None:
            query = query.where(RegistryRow.name == only)
        return list(self.session.scalars(query))

    @staticmethod
    def info(row: RegistryRow) -> RegistryInfo:
        return RegistryInfo(
            name=row.name,
            description=row.description,
            compatibility=CompatibilityMode(row.compatibility),
            compatibility_policy=CompatibilityPolicy(row.compatibility_policy),
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
            mirror=row.mirror,
        )


def _schema_stats() -> Select[SchemaRow, int | None, int]:
    latest = select(func.max(VersionRow.version)).where(VersionRow.schema_id == SchemaRow.id)
    count = select(func.count(VersionRow.id)).where(VersionRow.schema_id == SchemaRow.id)
    return select(SchemaRow, latest.scalar_subquery(), count.scalar_subquery())


@dataclass(frozen=True)
class SchemaState:
    """What registration needs of a schema row, with the compatibility rules in force for it."""

    id: int
    type: str
    last_version: int
    mode: CompatibilityMode
    policy: CompatibilityPolicy
    registry_id: int
    mirrored: bool  # the registry mirrors its versions: each new one goes to the outbox


@dataclass(frozen=True)
class RegistryRules:
    """What registration needs of a registry row: its id and the rules its new schemas follow."""

    id: int
    mode: CompatibilityMode
    policy: CompatibilityPolicy
    mirrored: bool


@dataclass(frozen=True)
class StoredContract:
    version: int
    fingerprint: str
    canonical: str
    event_root: str | None


# The tables themselves: statements on their columns run as Core statements. On the ORM's mapped attributes
# they would run through the ORM's loading (about twice the CPU per statement, for plain columns anyway).
_REGISTRIES = Base.metadata.tables["registries"]
_SCHEMAS, _VERSIONS = Base.metadata.tables["schemas"], Base.metadata.tables["schema_versions"]


def schema_states() -> Select[int, str, int, str, str, int, bool]:
    """The columns of SchemaState, the schema's own rules overriding its registry's (`schema_state`)."""
    schemas, registries = _SCHEMAS.c, _REGISTRIES.c
    return select(
        schemas.id,
        schemas.type,
        schemas.last_version,
        func.coalesce(schemas.compatibility, registries.compatibility),
        func.coalesce(schemas.compatibility_policy, registries.compatibility_policy),
        registries.id,
        registries.mirror.is_not(None),
    ).join(_REGISTRIES, schemas.registry_id == registries.id)


# Registration's statements, built once: building a statement (and its cache key) costs more than running
# it, and registration is a hot path. Values come in as parameters. `Direct`: run on the driver's cursor,
# in the session's transaction (registry.storage.direct).
_STATE = schema_states().where(
    _REGISTRIES.c.name == bindparam("registry"), _SCHEMAS.c.name == bindparam("schema")
)
_STATE_BY_NAMES = Direct(_STATE)
_LOCKED_STATE_BY_NAMES = Direct(_STATE.with_for_update(of=_SCHEMAS))
_REGISTRY_BY_NAME = select(RegistryRow).where(RegistryRow.name == bindparam("name"))
_REGISTRY_RULES_BY_NAME = Direct(
    select(
        _REGISTRIES.c.id,
        _REGISTRIES.c.compatibility,
        _REGISTRIES.c.compatibility_policy,
        _REGISTRIES.c.mirror.is_not(None),
    ).where(_REGISTRIES.c.name == bindparam("name"))
)


def schema_state(found: Sequence[Any]) -> SchemaState:
    id_, type_, last_version, mode, policy, registry_id, mirrored = found
    return SchemaState(
        id_,
        type_,
        last_version,
        CompatibilityMode(mode),
        CompatibilityPolicy(policy),
        registry_id,
        bool(mirrored),  # SQLite's 0 or 1 when read on the driver's cursor
    )


class SchemaRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, registry_id: int, name: str, *, for_update: bool = False) -> SchemaRow | None:
        query = select(SchemaRow).where(SchemaRow.registry_id == registry_id, SchemaRow.name == name)
        if for_update:
            # Serialises writers of one schema (PostgreSQL row lock; SQLite already holds the write lock).
            query = query.with_for_update(of=SchemaRow)
        return self.session.scalar(query)

    def state(self, registry: str, name: str, *, lock: bool = False) -> SchemaState | None:
        """The schema; with `lock`, row-locked until the transaction ends: writers of one schema take turns
        here (PostgreSQL row lock; on SQLite the writer already holds the database's write lock).
        Plain columns, no ORM objects: this is the hot path of registration.

        Only the locked row is read here. Under PostgreSQL's READ COMMITTED a SELECT ... FOR UPDATE that
        waited for the lock returns the locked row as it is now, but anything joined to it as it was when
        the statement started, so a check of the versions must be a statement of its own."""
        query = _LOCKED_STATE_BY_NAMES if lock else _STATE_BY_NAMES
        found = query.first(self.session, {"registry": registry, "schema": name})
        return None if found is None else schema_state(found)

    def create_if_absent(
        self, registry: RegistryRules, name: str, type_: str, package_name: str
    ) -> SchemaState | None:
        """Insert the schema, or None when a concurrent writer inserted it first (or another schema holds
        `package_name`). The new row is locked by this transaction until it ends, like one `state` locked."""
        now = utcnow()
        values = dict(
            registry_id=registry.id,
            name=name,
            type=type_,
            last_version=0,
            package_name=package_name,
            tags={},
            created_at=now,
            updated_at=now,
        )
        found = _NEW_SCHEMA.first(self.session, values)
        if found is None:
            return None
        return SchemaState(
            found[0], found[1], found[2], registry.mode, registry.policy, registry.id, registry.mirrored
        )

    def delete(self, row: SchemaRow) -> None:
        self.session.execute(delete(SchemaRow).where(SchemaRow.id == row.id))

    def holders_of_package(
        self, package_name: str, registry: str | None, *, limit: int = 2
    ) -> list[tuple[str, str, int]]:
        """(registry, schema, schema id) of the schemas whose bindings are distributed as `package_name`, in
        one registry (at most one) or in any (one per registry that has it), by registry name."""
        query = (
            select(RegistryRow.name, SchemaRow.name, SchemaRow.id)
            .join(RegistryRow, SchemaRow.registry_id == RegistryRow.id)
            .where(SchemaRow.package_name == package_name)
            .order_by(RegistryRow.name)
            .limit(limit)
        )
        if registry is not None:
            query = query.where(RegistryRow.name == registry)
        return [(found[0], found[1], found[2]) for found in self.session.execute(query)]

    def package_names(self, registry: str | None) -> list[str]:
        """Every package name (once, though several registries may have it), or those of one registry."""
        query = select(SchemaRow.package_name).distinct().order_by(SchemaRow.package_name)
        if registry is not None:
            query = query.join(RegistryRow, SchemaRow.registry_id == RegistryRow.id).where(
                RegistryRow.name == registry
            )
        return list(self.session.scalars(query))

    def info(self, row: SchemaRow) -> SchemaInfo:
        query = _schema_stats().where(SchemaRow.id == row.id)
        found = self.session.execute(query).one()
        return self._info(row.parent.name, found[0], found[1], found[2])

    def page(
        self, registry: RegistryRow, *, prefix: str | None, after: str | None, limit: int
    ) -> list[SchemaInfo]:
        query = (
            _schema_stats().where(SchemaRow.registry_id == registry.id).order_by(SchemaRow.name).limit(limit)
        )
        if prefix:
            query = query.where(SchemaRow.name.startswith(prefix, autoescape=True))
        if after is not None:
            query = query.where(SchemaRow.name > after)
        return [self._info(registry.name, *found) for found in self.session.execute(query)]

    @staticmethod
    def _info(registry: str, row: SchemaRow, latest: int | None, count: int) -> SchemaInfo:
        return SchemaInfo(
            registry=registry,
            name=row.name,
            type=row.type,
            description=row.description,
            latest_version=latest,
            version_count=count,
            compatibility=CompatibilityMode(row.compatibility) if row.compatibility else None,
            compatibility_policy=CompatibilityPolicy(row.compatibility_policy)
            if row.compatibility_policy
            else None,
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
            package_name=row.package_name,
        )


class VersionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, schema_id: int, version: int | None) -> VersionRow | None:
        query = select(VersionRow).where(VersionRow.schema_id == schema_id)
        if version is None:
            query = query.order_by(VersionRow.version.desc()).limit(1)
        else:
            query = query.where(VersionRow.version == version)
        return self.session.scalar(query)

    def append(
        self,
        schema: SchemaState,
        *,
        canonical: str,
        fingerprint: str,
        event_root: str | None,
        description: str | None,
        bundle: str | None = None,
        created_by: str | None = None,
    ) -> tuple[int, int, datetime] | None:
        """Store a version numbered after the highest ever allocated (the caller holds the schema's lock),
        and return its row id, number and creation time; None when a version of the schema already holds
        this content. The unique index decides that, so no earlier read can be out of date."""
        now = utcnow()
        number = schema.last_version + 1
        values = dict(
            schema_id=schema.id,
            version=number,
            content=canonical,
            fingerprint=fingerprint,
            event_root=event_root,
            description=description,
            created_at=now,
            created_by=created_by,
            bundle=bundle,
        )
        if self.session.get_bind().dialect.name == "postgresql":  # one round trip instead of two
            added = _NUMBERED_VERSION.first(self.session, values)
            return None if added is None else (added[0], number, now)
        added = _NEW_VERSION.first(self.session, values)
        if added is None:
            return None
        _NUMBER_ALLOCATED.run(self.session, {"id_": schema.id, "number": number, "now": now})
        return added[0], number, now

    def before(
        self, schema_id: int, fingerprint: str, *, every: bool
    ) -> tuple[int | None, list[StoredContract]]:
        """What registering content of `fingerprint` needs to know, in one statement: the number of the
        version that already holds it (None: none does), and the versions to check it against, oldest
        first (the latest only, unless `every`)."""
        if every:
            rows = _EVERY_VERSION.rows(self.session, {"schema_id": schema_id})
        else:
            rows = _LATEST_OR_SAME_VERSION.rows(
                self.session, {"schema_id": schema_id, "fingerprint": fingerprint}
            )
        found = [StoredContract(*row) for row in rows]
        same = next((each.version for each in found if each.fingerprint == fingerprint), None)
        if not every:
            found = found[-1:]  # the latest (ordered by number): the other row, if any, is the same content
        return same, found

    def contracts(self, schema_id: int, *, latest_only: bool) -> list[StoredContract]:
        """What a compatibility check needs of the schema's versions, oldest first."""
        query = (
            select(VersionRow.version, VersionRow.fingerprint, RESOLVED_CONTENT, VersionRow.event_root)
            .where(VersionRow.schema_id == schema_id)
            .order_by(VersionRow.version.desc() if latest_only else VersionRow.version)
        )
        if latest_only:
            query = query.limit(1)
        return [StoredContract(*found) for found in self.session.execute(query)]

    def contracts_between(
        self, schema_id: int, *, first: int | None, last: int | None, limit: int
    ) -> list[StoredContract]:
        """At most `limit` versions numbered first..last (either end open), oldest first: the latest of
        them, or the earliest when only `first` is given."""
        query = select(
            VersionRow.version, VersionRow.fingerprint, RESOLVED_CONTENT, VersionRow.event_root
        ).where(VersionRow.schema_id == schema_id)
        if first is not None:
            query = query.where(VersionRow.version >= first)
        if last is not None:
            query = query.where(VersionRow.version <= last)
        from_the_start = first is not None and last is None
        query = query.order_by(VersionRow.version if from_the_start else VersionRow.version.desc()).limit(
            limit
        )
        found = [StoredContract(*each) for each in self.session.execute(query)]
        return found if from_the_start else found[::-1]

    def bounds(self, schema_id: int) -> tuple[int | None, int | None]:
        """The lowest and highest version numbers the schema has (None, None without versions)."""
        lowest, highest = self.session.execute(
            select(func.min(VersionRow.version), func.max(VersionRow.version)).where(
                VersionRow.schema_id == schema_id
            )
        ).one()
        return lowest, highest

    def delete(self, row: VersionRow) -> None:
        self.session.execute(delete(VersionRow).where(VersionRow.id == row.id))

    def page(self, schema_id: int, *, after: int | None, limit: int) -> list[VersionSummary]:
        query = (
            select(
                VersionRow.version,
                VersionRow.fingerprint,
                VersionRow.description,
                VersionRow.created_at,
                VersionRow.created_by,
            )
            .where(VersionRow.schema_id == schema_id)
            .order_by(VersionRow.version)
            .limit(limit)
        )
        if after is not None:
            query = query.where(VersionRow.version > after)
        return [
            VersionSummary(version=v, fingerprint=f, description=d, created_at=aware(c), created_by=b)
            for v, f, d, c, b in self.session.execute(query)
        ]

    def find(self, registry: str, schema: str, version: int | None) -> VersionInfo | None:
        """One query from names to the version: the hot path of every read."""
        found = self.session.execute(_version_query(registry, schema, version)).first()
        return None if found is None else _version_info(registry, schema, found)

    def bindings_source(self, registry: str, schema: str, version: int | None) -> BindingsSource | None:
        """The version with what code generation needs besides: its row id and the package name."""
        query = _version_query(registry, schema, version).add_columns(VersionRow.id, SchemaRow.package_name)
        found = self.session.execute(query).first()
        if found is None:
            return None
        return BindingsSource(
            version_id=found[-2], package_name=found[-1], info=_version_info(registry, schema, found)
        )


def _ignoring_conflicts(
    table: Table, columns: Sequence[str], *returned: Column[Any], index: list[str] | None = None
) -> Direct:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING, by dialect: no row back when the row exists."""
    return Direct(
        {
            dialect: insert(table).on_conflict_do_nothing(index_elements=index).returning(*returned)
            for dialect, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
        },
        columns=columns,
    )


_NEW_SCHEMA = _ignoring_conflicts(
    _SCHEMAS,
    ("registry_id", "name", "type", "last_version", "package_name", "tags", "created_at", "updated_at"),
    _SCHEMAS.c.id,
    _SCHEMAS.c.type,
    _SCHEMAS.c.last_version,
)
_NEW_VERSION = _ignoring_conflicts(
    _VERSIONS,
    (
        "schema_id", "version", "content", "fingerprint", "event_root", "description", "created_at",
        "created_by", "bundle",
    ),
    _VERSIONS.c.id,
    index=["schema_id", "fingerprint"],
)  # fmt: skip
_NUMBER_ALLOCATED = Direct(
    update(_SCHEMAS)
    .where(_SCHEMAS.c.id == bindparam("id_"))
    .values(last_version=bindparam("number"), updated_at=bindparam("now"))
)


def _numbered_version() -> Direct:
    """PostgreSQL: `_NEW_VERSION` and `_NUMBER_ALLOCATED` in one statement (a round trip costs the server and
    the client about 40 µs of CPU each): the schema's number moves only when the version was stored."""
    columns = [column.key for column in _VERSIONS.c if column.key != "id"]
    added = (
        postgresql.insert(_VERSIONS)
        .values({key: bindparam(key) for key in columns})
        .on_conflict_do_nothing(index_elements=["schema_id", "fingerprint"])
        .returning(_VERSIONS.c.id)
        .cte("added")
    )
    allocated = (
        update(_SCHEMAS)
        .where(_SCHEMAS.c.id == bindparam("schema_id"), exists(select(added.c.id)))
        .values(last_version=bindparam("version"), updated_at=bindparam("created_at"))
        .cte("allocated")
    )
    return Direct({"postgresql": select(added.c.id).add_cte(allocated)})


_NUMBERED_VERSION = _numbered_version()

VersionColumns = Select[
    int, str, str, str, str | None, str | None, datetime, MirrorOutboxRow | None, str | None, str | None
]
RESOLVED_CONTENT = func.coalesce(VersionRow.bundle, VersionRow.content)
"""What checks read: the bundle of a version with references, else its content."""

_V = _VERSIONS.c
_CHECKED_COLUMNS = select(_V.version, _V.fingerprint, func.coalesce(_V.bundle, _V.content), _V.event_root)
_EVERY_VERSION = Direct(_CHECKED_COLUMNS.where(_V.schema_id == bindparam("schema_id")).order_by(_V.version))
_LATEST_OR_SAME_VERSION = Direct(
    _CHECKED_COLUMNS.where(
        _V.schema_id == bindparam("schema_id"),
        or_(
            _V.fingerprint == bindparam("fingerprint"),
            _V.version
            == select(func.max(_V.version)).where(_V.schema_id == bindparam("schema_id")).scalar_subquery(),
        ),
    ).order_by(_V.version)
)


def _version_query(registry: str, schema: str, version: int | None) -> VersionColumns:
    # Plain columns rather than ORM objects: nothing here is changed, and reads are the hot path.
    query = (
        select(
            VersionRow.version,
            SchemaRow.type,
            VersionRow.content,
            VersionRow.fingerprint,
            VersionRow.event_root,
            VersionRow.description,
            VersionRow.created_at,
            MirrorOutboxRow,
            VersionRow.bundle,
            VersionRow.created_by,
        )
        .join(SchemaRow, VersionRow.schema_id == SchemaRow.id)
        .join(RegistryRow, SchemaRow.registry_id == RegistryRow.id)
        .outerjoin(MirrorOutboxRow, MirrorOutboxRow.version_id == VersionRow.id)
        .where(RegistryRow.name == registry, SchemaRow.name == schema)
    )
    if version is None:
        return query.order_by(VersionRow.version.desc()).limit(1)
    return query.where(VersionRow.version == version)


def _version_info(registry: str, schema: str, found: Sequence[Any]) -> VersionInfo:
    number, type_, content, fingerprint, event_root, description, created_at, delivery, bundle, by = found[
        :10
    ]
    return VersionInfo(
        registry=registry,
        schema=schema,
        version=number,
        type=type_,
        canonical_content=content,
        fingerprint=fingerprint,
        event_root=event_root,
        description=description,
        created_at=aware(created_at),
        created_by=by,
        mirror=None if delivery is None else mirror_state(delivery),
        bundle=bundle,
    )


class TokenRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def create(
        self, *, public_id: str, token_hash: str, role: Role, registry: str | None, description: str | None
    ) -> TokenRow:
        row = TokenRow(
            public_id=public_id,
            token_hash=token_hash,
            role=role,
            registry_name=registry,
            description=description,
            created_at=utcnow(),
        )
        self.session.add(row)
        return row

    def get(self, public_id: str) -> TokenRow | None:
        return self.session.scalar(select(TokenRow).where(TokenRow.public_id == public_id))

    def all_rows(self) -> list[TokenRow]:
        return list(self.session.scalars(select(TokenRow).order_by(TokenRow.created_at, TokenRow.id)))

    def all(self) -> list[TokenInfo]:
        return [self.info(row) for row in self.all_rows()]

    @staticmethod
    def info(row: TokenRow) -> TokenInfo:
        return TokenInfo(
            id=row.public_id,
            role=Role(row.role),
            registry=row.registry_name,
            description=row.description,
            revoked=row.revoked_at is not None,
        )

"""Use cases of the EventBridge `schemas` API that the native services do not cover: resource tags, ARNs,
registries that must not exist yet, and listings shaped as EventBridge answers them.

Schemas and versions are still written through `registry.services` (so that compatibility checks and
mirroring apply however a version arrives); what is here reads and writes the EventBridge-only fields
around them. One unit of work per function, like the services.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from registry.audit import registry_settings
from registry.domain import errors, names
from registry.domain.audit import Action, Change, field_changes
from registry.domain.model import Page, RegistryInfo, SchemaInfo, VersionInfo, VersionSummary
from registry.domain.pagination import decode_int_cursor, decode_text_cursor, encode_cursor
from registry.domain.search import query_terms, search_after
from registry.storage.models import RegistryRow, SchemaRow, VersionRow, utcnow
from registry.storage.repositories import aware
from registry.storage.unit_of_work import Transaction, UnitOfWork

T = TypeVar("T")

PYTHON_LANGUAGE = "Python36"  # the one code-binding language served (EventBridge also knows Java8, Go1, ...)
EXPORT_TYPE = "JSONSchemaDraft4"  # the one export format EventBridge documents
MAX_TAGS = 50  # per resource, as on AWS


# --- values ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registry:
    info: RegistryInfo
    tags: dict[str, str]


@dataclass(frozen=True)
class Schema:
    info: SchemaInfo
    tags: dict[str, str]


@dataclass(frozen=True)
class SchemaVersions:
    """A schema's type with one page of its versions: ListSchemaVersions names the type on every entry."""

    type: str
    page: Page[VersionSummary]


@dataclass(frozen=True)
class VersionEntry:
    version: int
    created_at: datetime


@dataclass(frozen=True)
class SearchResult:
    registry: str
    schema: str
    type: str
    versions: list[VersionEntry]


@dataclass(frozen=True)
class Resource:
    """What an ARN names: a registry (schema None) or a schema."""

    registry: str
    schema: str | None


@dataclass(frozen=True)
class Arns:
    """ARNs of this service's registries and schemas, in the region and account it is configured with."""

    region: str
    account: str

    @property
    def _prefix(self) -> str:
        return f"arn:aws:schemas:{self.region}:{self.account}:"

    def registry(self, name: str) -> str:
        return f"{self._prefix}registry/{name}"

    def schema(self, registry: str, schema: str) -> str:
        return f"{self._prefix}schema/{registry}/{schema}"

    def readings(self, arn: str) -> list[Resource]:
        """Every resource the ARN can name, most likely first. Names may hold `/`, so `schema/a/b/c` reads
        as registry `a` with schema `b/c`, or registry `a/b` with schema `c`; the stored data decides."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "schemas":
            raise errors.InvalidArn(arn=arn)
        kind, _, path = parts[5].partition("/")
        if kind == "registry":
            candidates = [Resource(path, None)]
        elif kind == "schema":
            segments = path.split("/")
            candidates = [
                Resource("/".join(segments[:cut]), "/".join(segments[cut:]))
                for cut in range(1, len(segments))
            ]
        else:
            raise errors.InvalidArn(arn=arn)
        valid = [candidate for candidate in candidates if _valid_names(candidate)]
        if not valid:
            raise errors.InvalidArn(arn=arn)
        if (parts[3], parts[4]) != (self.region, self.account):
            raise errors.ResourceNotFound(arn=arn)  # well formed, but nothing of another account lives here
        return valid


def _valid_names(resource: Resource) -> bool:
    try:
        names.registry_name(resource.registry)
        if resource.schema is not None:
            names.schema_name(resource.schema)
    except errors.InvalidName:
        return False
    return True


def _page(items: list[T], limit: int, key: Any) -> Page[T]:
    """Queries fetch limit + 1 rows; the extra one only says whether another page exists."""
    if len(items) <= limit:
        return Page(items=items, next_cursor=None)
    kept = items[:limit]
    return Page(items=kept, next_cursor=encode_cursor(key(kept[-1])))


def _tags(stored: dict[str, str] | None) -> dict[str, str]:
    return dict(stored or {})


def _merged_tags(stored: dict[str, str] | None, added: dict[str, str]) -> dict[str, str]:
    merged = {**_tags(stored), **added}
    if len(merged) > MAX_TAGS:
        raise errors.TooManyTags(limit=MAX_TAGS, count=len(merged))
    return merged


def _require_registry(tx: Transaction, name: str) -> RegistryRow:
    row = tx.registries.get(name)
    if row is None:
        raise errors.RegistryNotFound(registry=name)
    return row


def _require_schema(tx: Transaction, registry: str, schema: str) -> SchemaRow:
    row = tx.schemas.get(_require_registry(tx, registry).id, schema)
    if row is None:
        raise errors.SchemaNotFound(registry=registry, schema=schema)
    return row


# --- registries ------------------------------------------------------------------------------------------


def create_registry(
    uow: UnitOfWork, name: str, *, description: str | None, tags: dict[str, str], actor: str
) -> Registry:
    """CreateRegistry creates or fails: unlike the native PUT, an existing registry is a conflict."""
    with uow.writing() as tx:
        if tx.registries.get(name) is not None:
            raise errors.RegistryAlreadyExists(registry=name)
        row = tx.registries.create(name)
        row.description = description
        row.tags = _merged_tags(None, tags)
        row.updated_at = utcnow()
        try:
            tx.session.flush()
        except IntegrityError:  # a concurrent CreateRegistry (PostgreSQL) inserted it first
            raise errors.RegistryAlreadyExists(registry=name) from None
        detail = {**registry_settings(row), **({"tags": _tags(row.tags)} if row.tags else {})}
        tx.audit.record(
            Change(Action.REGISTRY_CREATED, registry=name, detail=detail), actor=actor, registry_id=row.id
        )
        created = Registry(tx.registries.info(row), _tags(row.tags))
        tx.commit()
    return created


def update_registry(uow: UnitOfWork, name: str, *, description: str | None, actor: str) -> Registry:
    """UpdateRegistry changes the description when one is given; it never creates the registry."""
    with uow.writing() as tx:
        row = _require_registry(tx, name)
        if description is not None and description != row.description:
            changed = field_changes({"description": row.description}, {"description": description})
            change = Change(Action.REGISTRY_UPDATED, registry=name, detail=changed)
            tx.audit.record(change, actor=actor, registry_id=row.id)
            row.description = description
            row.updated_at = utcnow()
            tx.session.flush()
        updated = Registry(tx.registries.info(row), _tags(row.tags))
        tx.commit()
    return updated


def describe_registry(uow: UnitOfWork, name: str) -> Registry:
    with uow.reading() as tx:
        row = _require_registry(tx, name)
        return Registry(tx.registries.info(row), _tags(row.tags))


def list_registries(
    uow: UnitOfWork, *, prefix: str | None, limit: int, cursor: str | None, only: str | None
) -> Page[Registry]:
    """Registries by name, optionally only those starting with `prefix` (and `only` that one)."""
    after = decode_text_cursor(cursor)
    query = select(RegistryRow).order_by(RegistryRow.name).limit(limit + 1)
    if prefix:
        query = query.where(RegistryRow.name.startswith(prefix, autoescape=True))
    if after is not None:
        query = query.where(RegistryRow.name > after)
    if only is not None:
        query = query.where(RegistryRow.name == only)
    with uow.reading() as tx:
        found = [Registry(tx.registries.info(row), _tags(row.tags)) for row in tx.session.scalars(query)]
    return _page(found, limit, lambda registry: registry.info.name)


# --- schemas ---------------------------------------------------------------------------------------------


def require_new_schema(uow: UnitOfWork, registry: str, schema: str) -> None:
    """CreateSchema must not add a version to an existing schema (the native API would)."""
    with uow.reading() as tx:
        if tx.schemas.get(_require_registry(tx, registry).id, schema) is not None:
            raise errors.SchemaAlreadyExists(registry=registry, schema=schema)


def annotate_schema(
    uow: UnitOfWork,
    registry: str,
    schema: str,
    *,
    description: str | None,
    tags: dict[str, str],
    actor: str,
) -> Schema:
    """After a version was written: set the schema's description (when given) and add `tags`."""
    with uow.writing() as tx:
        row = _require_schema(tx, registry, schema)
        before = {"description": row.description, "tags": _tags(row.tags)}
        if description is not None:
            row.description = description
            row.updated_at = utcnow()
            tx.session.flush()
            tx.search.describe(row.id)
        if tags:
            row.tags = _merged_tags(row.tags, tags)
        tx.session.flush()
        if changed := field_changes(before, {"description": row.description, "tags": _tags(row.tags)}):
            change = Change(Action.SCHEMA_UPDATED, registry=registry, schema=schema, detail=changed)
            tx.audit.record(change, actor=actor, registry_id=row.registry_id)
        annotated = Schema(tx.schemas.info(row), _tags(row.tags))
        tx.commit()
    return annotated


def describe_schema(
    uow: UnitOfWork, registry: str, schema: str, version: int | None
) -> tuple[Schema, VersionInfo]:
    """The schema with one of its versions (None: the latest): DescribeSchema answers both at once."""
    with uow.reading() as tx:
        row = _require_schema(tx, registry, schema)
        found = tx.versions.find(registry, schema, version)
        if found is None:
            raise errors.VersionNotFound(registry=registry, schema=schema, version=version or "latest")
        return Schema(tx.schemas.info(row), _tags(row.tags)), found


def list_schemas(
    uow: UnitOfWork, registry: str, *, prefix: str | None, limit: int, cursor: str | None
) -> Page[Schema]:
    after = decode_text_cursor(cursor)
    with uow.reading() as tx:
        registry_row = _require_registry(tx, registry)
        found = tx.schemas.page(registry_row, prefix=prefix, after=after, limit=limit + 1)
        tags_query = select(SchemaRow.name, SchemaRow.tags).where(
            SchemaRow.registry_id == registry_row.id, SchemaRow.name.in_([info.name for info in found])
        )
        tags = {name: _tags(stored) for name, stored in tx.session.execute(tags_query)}
    schemas = [Schema(info, tags.get(info.name, {})) for info in found]
    return _page(schemas, limit, lambda each: each.info.name)


def list_versions(
    uow: UnitOfWork, registry: str, schema: str, *, limit: int, cursor: str | None
) -> SchemaVersions:
    after = decode_int_cursor(cursor)
    with uow.reading() as tx:
        row = _require_schema(tx, registry, schema)
        found = tx.versions.page(row.id, after=after, limit=limit + 1)
        return SchemaVersions(row.type, _page(found, limit, lambda each: each.version))


def search(
    uow: UnitOfWork, registry: str, keywords: str, *, limit: int, cursor: str | None
) -> Page[SearchResult]:
    """Schemas of one registry whose name, description or content holds every keyword (as the native
    search), each with all its versions: SearchSchemas lists them."""
    after = search_after(decode_text_cursor(cursor))
    with uow.reading() as tx:
        registry_row = _require_registry(tx, registry)
        ranked = tx.search.search(
            query_terms(keywords), registry=registry, only=None, after=after, limit=limit + 1
        )
        hits = [each.hit for each in ranked]
        versions_query = (
            select(SchemaRow.name, VersionRow.version, VersionRow.created_at)
            .join(VersionRow, VersionRow.schema_id == SchemaRow.id)
            .where(SchemaRow.registry_id == registry_row.id, SchemaRow.name.in_([hit.schema for hit in hits]))
            .order_by(SchemaRow.name, VersionRow.version)
        )
        versions: dict[str, list[VersionEntry]] = {}
        for name, number, created_at in tx.session.execute(versions_query):
            versions.setdefault(name, []).append(VersionEntry(number, aware(created_at)))
    results = [SearchResult(hit.registry, hit.schema, hit.type, versions.get(hit.schema, [])) for hit in hits]
    page = _page(list(zip(results, ranked, strict=True)), limit, lambda pair: pair[1].cursor_key())
    return Page([result for result, _ in page.items], page.next_cursor)


# --- tags ------------------------------------------------------------------------------------------------


def _resolve(tx: Transaction, arn: str, readings: list[Resource]) -> tuple[Resource, RegistryRow | SchemaRow]:
    """The first reading of the ARN that exists, with its row."""
    for reading in readings:
        registry_row = tx.registries.get(reading.registry)
        if registry_row is None:
            continue
        if reading.schema is None:
            return reading, registry_row
        schema_row = tx.schemas.get(registry_row.id, reading.schema)
        if schema_row is not None:
            return reading, schema_row
    raise errors.ResourceNotFound(arn=arn)


def tags_of(uow: UnitOfWork, arn: str, readings: list[Resource]) -> tuple[Resource, dict[str, str]]:
    with uow.reading() as tx:
        resource, row = _resolve(tx, arn, readings)
        return resource, _tags(row.tags)


def tag(uow: UnitOfWork, arn: str, readings: list[Resource], tags: dict[str, str], *, actor: str) -> Resource:
    """Add or overwrite tags; returns what the ARN named."""
    with uow.writing() as tx:
        resource, row = _resolve(tx, arn, readings)
        before = _tags(row.tags)
        row.tags = _merged_tags(row.tags, tags)  # a new dict: the JSON column tracks assignment only
        _audit_tags(tx, resource, row, before, actor)
        tx.commit()
    return resource


def untag(uow: UnitOfWork, arn: str, readings: list[Resource], keys: list[str], *, actor: str) -> Resource:
    """Remove tags by key; keys the resource does not hold are ignored, as on AWS."""
    with uow.writing() as tx:
        resource, row = _resolve(tx, arn, readings)
        before = _tags(row.tags)
        row.tags = {key: value for key, value in before.items() if key not in set(keys)}
        _audit_tags(tx, resource, row, before, actor)
        tx.commit()
    return resource


def _audit_tags(
    tx: Transaction, resource: Resource, row: RegistryRow | SchemaRow, before: dict[str, str], actor: str
) -> None:
    """Tags are part of what a registry or schema is: `{"tags": {key: {"from", "to"}}}` (null: absent)."""
    changed = field_changes(before, {key: row.tags.get(key) for key in {*before, *row.tags}})
    if not changed:
        return
    action = Action.REGISTRY_UPDATED if resource.schema is None else Action.SCHEMA_UPDATED
    change = Change(action, registry=resource.registry, schema=resource.schema, detail={"tags": changed})
    registry_id = row.id if isinstance(row, RegistryRow) else row.registry_id
    tx.audit.record(change, actor=actor, registry_id=registry_id)

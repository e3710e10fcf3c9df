"""What the web catalog shows beside what the API's use cases give: counts per registry, the latest
registrations, and the event root of a contract as a tree of fields (registry.web renders them)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from registry import audit
from registry.domain.audit import AuditRecord
from registry.domain.mirror import MirrorState
from registry.domain.model import VersionInfo
from registry.storage.models import MirrorOutboxRow, ParticipantRow, RegistryRow, SchemaRow, VersionRow
from registry.storage.repositories import mirror_state
from registry.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class RegistryCounts:
    schemas: int = 0
    versions: int = 0
    producers: int = 0
    consumers: int = 0


def registry_counts(uow: UnitOfWork, registries: list[str]) -> dict[str, RegistryCounts]:
    """Schemas, versions and recorded producers and consumers of each named registry: three grouped queries
    whatever the number of registries."""
    if not registries:
        return {}
    with uow.reading() as tx:
        session = tx.session
        schemas = dict(
            session.execute(
                select(RegistryRow.name, func.count(SchemaRow.id))
                .join(SchemaRow, SchemaRow.registry_id == RegistryRow.id)
                .where(RegistryRow.name.in_(registries))
                .group_by(RegistryRow.name)
            ).all()
        )
        versions = dict(
            session.execute(
                select(RegistryRow.name, func.count(VersionRow.id))
                .join(SchemaRow, SchemaRow.registry_id == RegistryRow.id)
                .join(VersionRow, VersionRow.schema_id == SchemaRow.id)
                .where(RegistryRow.name.in_(registries))
                .group_by(RegistryRow.name)
            ).all()
        )
        roles: dict[tuple[str, str], int] = {
            (name, role): count
            for name, role, count in session.execute(
                select(RegistryRow.name, ParticipantRow.role, func.count(ParticipantRow.id))
                .join(SchemaRow, SchemaRow.registry_id == RegistryRow.id)
                .join(ParticipantRow, ParticipantRow.schema_id == SchemaRow.id)
                .where(RegistryRow.name.in_(registries))
                .group_by(RegistryRow.name, ParticipantRow.role)
            ).all()
        }
    return {
        name: RegistryCounts(
            schemas=schemas.get(name, 0),
            versions=versions.get(name, 0),
            producers=roles.get((name, "producer"), 0),
            consumers=roles.get((name, "consumer"), 0),
        )
        for name in registries
    }


def schema_participants(uow: UnitOfWork, registry: str, schemas: list[str]) -> dict[str, tuple[int, int]]:
    """(producers, consumers) recorded for each named schema of the registry, in every environment: one
    grouped query."""
    if not schemas:
        return {}
    with uow.reading() as tx:
        rows = tx.session.execute(
            select(SchemaRow.name, ParticipantRow.role, func.count(ParticipantRow.id))
            .join(RegistryRow, SchemaRow.registry_id == RegistryRow.id)
            .join(ParticipantRow, ParticipantRow.schema_id == SchemaRow.id)
            .where(RegistryRow.name == registry, SchemaRow.name.in_(schemas))
            .group_by(SchemaRow.name, ParticipantRow.role)
        ).all()
    counts = {(name, role): count for name, role, count in rows}
    return {name: (counts.get((name, "producer"), 0), counts.get((name, "consumer"), 0)) for name in schemas}


def mirror_states(uow: UnitOfWork, registry: str, schema: str, versions: list[int]) -> dict[int, MirrorState]:
    """Where the delivery of each listed version to the registry's EventBridge mirror stands, as the version
    API shows it (`mirror`): one query. A version absent from the answer was never queued (no mirror)."""
    if not versions:
        return {}
    with uow.reading() as tx:
        rows = tx.session.execute(
            select(VersionRow.version, MirrorOutboxRow)
            .join(MirrorOutboxRow, MirrorOutboxRow.version_id == VersionRow.id)
            .join(SchemaRow, VersionRow.schema_id == SchemaRow.id)
            .join(RegistryRow, SchemaRow.registry_id == RegistryRow.id)
            .where(RegistryRow.name == registry, SchemaRow.name == schema, VersionRow.version.in_(versions))
        ).all()
        return {number: mirror_state(delivery) for number, delivery in rows}


def latest_registrations(uow: UnitOfWork, *, registry: str | None, limit: int) -> list[AuditRecord]:
    """The newest versions registered (of `registry`, or of every registry), from the audit history."""
    page = audit.audit_history(
        uow, registry=registry, schema=None, actor=None, action="version.registered", limit=limit, cursor=None
    )
    return page.items


# --- the event root as a tree ----------------------------------------------------------------------------

CONSTRAINTS = (
    "enum",
    "const",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "additionalProperties",
    "default",
)
MAX_DEPTH = 12  # a recursive contract is shown to this depth, then as a reference


@dataclass
class FieldNode:
    name: str
    type: str
    required: bool
    description: str | None
    constraints: list[tuple[str, str]]
    children: list[FieldNode] = field(default_factory=list)
    ref: str | None = None  # where a `$ref` led, shown rather than followed past MAX_DEPTH or in a cycle


def event_root(version: VersionInfo) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the document `$ref`s resolve in, the schema of the event)."""
    document = json.loads(version.resolved_content)
    if version.event_root is not None:  # OpenAPI: a components.schemas entry
        return document, document.get("components", {}).get("schemas", {}).get(version.event_root, {})
    return document, document


def field_tree(version: VersionInfo) -> FieldNode:
    document, root = event_root(version)
    return _field(document, "event", root, required=True, depth=0, seen=())


def _resolve(document: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#"):
        return None
    node: Any = document
    for part in ref[1:].split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _field(
    document: dict[str, Any], name: str, schema: Any, *, required: bool, depth: int, seen: tuple[str, ...]
) -> FieldNode:
    if not isinstance(schema, dict):
        return FieldNode(name, "any" if schema is True else "nothing", required, None, [])
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = _resolve(document, ref)
        if ref in seen or depth >= MAX_DEPTH or not isinstance(target, dict):
            return FieldNode(name, "reference", required, schema.get("description"), [], ref=ref)
        merged = {**target, **{key: value for key, value in schema.items() if key != "$ref"}}
        return _field(document, name, merged, required=required, depth=depth, seen=(*seen, ref))
    kind = schema.get("type")
    type_ = " | ".join(map(str, kind)) if isinstance(kind, list) else str(kind or _implied_type(schema))
    if schema.get("nullable") is True:
        type_ += " | null"
    constraints = [(key, json.dumps(schema[key], ensure_ascii=False)) for key in CONSTRAINTS if key in schema]
    description = schema.get("description")
    node = FieldNode(
        name, type_, required, description if isinstance(description, str) else None, constraints
    )
    properties = schema.get("properties")
    given = schema.get("required")
    needed: list[Any] = given if isinstance(given, list) else []
    if isinstance(properties, dict):
        for child, child_schema in properties.items():
            node.children.append(
                _field(document, child, child_schema, required=child in needed, depth=depth + 1, seen=seen)
            )
    items = schema.get("items")
    if isinstance(items, dict):
        node.children.append(_field(document, "[items]", items, required=False, depth=depth + 1, seen=seen))
    for keyword in ("oneOf", "anyOf", "allOf"):
        options = schema.get(keyword)
        if isinstance(options, list):
            for index, option in enumerate(options):
                label = f"[{keyword} {index + 1}]"
                node.children.append(
                    _field(document, label, option, required=False, depth=depth + 1, seen=seen)
                )
    return node


def _implied_type(schema: dict[str, Any]) -> str:
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    if "enum" in schema or "const" in schema:
        return "enum"
    return "any"

"""The corpus: a few hundred contracts shaped like those teams already have, built deterministically.

Each contract comes from one family (tests/corpus/configs.py, tests/corpus/events.py and the reference
families below) written in one dialect, with a random.Random seeded by its name, so the corpus is the same
on every machine and every run, and a contract can be rebuilt from its name alone.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from tests.corpus import configs, events, manifests
from tests.corpus.blocks import Blocks
from tests.corpus.dialects import (
    ALL_DIALECTS,
    DRAFT4,
    DRAFT6,
    DRAFT7,
    DRAFT2019,
    DRAFT2020,
    JSON_SCHEMA_DIALECTS,
    OAS30,
    OAS31,
    Dialect,
    Schema,
)


@dataclass(frozen=True)
class CorpusContract:
    name: str  # family-dialect-number: unique, and enough to rebuild it
    type: str  # "JSONSchemaDraft4" or "OpenApi3", as registered
    content: dict[str, Any]
    family: str
    dialect: str
    event_root: str | None = (
        None  # OpenAPI: the components.schemas key of the event (None: the registry's rule)
    )


CONFIG_FAMILIES: dict[str, Callable[[Blocks], Schema]] = {
    "ci-pipeline": configs.ci_pipeline,
    "package-manifest": configs.package_manifest,
    "linter-config": configs.linter_config,
    "compose-file": configs.compose_file,
    "cluster-manifest": manifests.cluster_manifest,
    "compiler-settings": manifests.compiler_settings,
    "infrastructure": manifests.infrastructure,
    "settings-file": manifests.settings_file,
    "big-hierarchy": manifests.big_hierarchy,
}


def workspace(b: Blocks) -> Schema:
    """Several configuration files in one large contract, as monorepo tool configurations are."""
    chosen = b.rng.sample(sorted(CONFIG_FAMILIES), b.rng.randint(3, 5))
    sections = {name.replace("-", "_"): CONFIG_FAMILIES[name](b) for name in chosen}
    return b.obj(sections, required=sorted(sections)[:1])


TITLES = ["Config", "config file", "Schema", "Event", "ünïcode title", "AWSEvent", "class", "1st", "", None]


def _json_schema(name: str, family: str, dialect: Dialect, blocks: Blocks, root: Schema) -> CorpusContract:
    title = blocks.rng.choice(TITLES)
    if title is not None and "title" not in root:
        root = {"title": title, **root}
    own_id = f"https://schemas.example.com/{family}/{name}.json" if blocks.rng.random() < 0.3 else None
    content = dialect.document(root, blocks.defs, own_id)
    return CorpusContract(name, dialect.contract_type, content, family, dialect.name)


def _openapi(name: str, family: str, dialect: Dialect, blocks: Blocks, root: Schema) -> CorpusContract:
    root_key = blocks.rng.choice(["Root", "Configuration", "Event", "root.Config", "My-Schema"])
    while root_key in blocks.defs:
        root_key += "X"
    schemas = {**blocks.defs, root_key: root}
    content = dialect.openapi_document(schemas, f"{family} {name}")
    return CorpusContract(name, dialect.contract_type, content, family, dialect.name, root_key)


def _config(family: str, build: Callable[[Blocks], Schema], dialect: Dialect, number: int) -> CorpusContract:
    name = (
        f"{family}-{dialect.name}{'' if dialect.schema_uri or dialect.is_openapi else '-implicit'}-{number}"
    )
    blocks = Blocks(random.Random(name), dialect)
    root = build(blocks)
    assemble = _openapi if dialect.is_openapi else _json_schema
    return assemble(name, family, dialect, blocks, root)


def _eventbridge(payload: str, dialect: Dialect, number: int) -> CorpusContract:
    """An EventBridge contract: the envelope `AWSEvent` in OpenAPI, or the export layout in JSON Schema (the
    envelope at the root, the detail among the definitions)."""
    name = f"eventbridge-{payload}-{dialect.name}-{number}"
    blocks = Blocks(random.Random(name), dialect)
    keys = ["OrderCreated", "Detail", "StateChange", "ticket.Created", "Ünïcode Détail"]
    # OpenAPI component keys are limited to ASCII letters, digits, `.`, `-` and `_`
    detail_key = blocks.rng.choice(keys[:-1] if dialect.is_openapi else keys)
    detail = events.PAYLOADS[payload](blocks)
    detail_type = blocks.rng.choice(["Order Created", "EC2 Instance State-change Notification", "x", "ünï"])
    source = blocks.rng.choice(events.SOURCES)
    envelope = events.envelope(blocks, blocks.define(detail_key, detail), detail_type, source)
    if dialect.is_openapi:
        content = dialect.openapi_document({**blocks.defs, "AWSEvent": envelope}, detail_type)
    else:
        content = dialect.document(
            {"title": blocks.rng.choice(["AWSEvent", detail_key]), **envelope}, blocks.defs
        )
    return CorpusContract(name, dialect.contract_type, content, "eventbridge", dialect.name)


def _cloud_event(dialect: Dialect, number: int) -> CorpusContract:
    name = f"cloudevent-{dialect.name}-{number}"
    blocks = Blocks(random.Random(name), dialect)
    root = events.cloud_event(blocks)
    assemble = _openapi if dialect.is_openapi else _json_schema
    return assemble(name, "cloudevent", dialect, blocks, root)


def _self_references(dialect: Dialect, number: int) -> CorpusContract:
    """A contract with its own `$id` that refers to itself by URL (absolute and relative), to anchors, and
    to a subschema with an `$id` of its own whose `#/...` references mean its own definitions."""
    name = f"self-reference-{dialect.name}-{number}"
    blocks = Blocks(random.Random(name), dialect)
    own = f"https://example.com/schemas/{name}.json"
    key, id_key = dialect.defs_key, dialect.id_key
    assert id_key is not None
    blocks.defs["address"] = blocks.record(4)
    blocks.defs["item"] = blocks.record(3, depth=1)
    item_ref = f"{own}#/{key}/item" if blocks.rng.random() < 0.5 else f"{name}.json#/{key}/item"
    properties: dict[str, Schema] = {
        "home": {"$ref": f"{own}#/{key}/address"},
        "work": {"$ref": f"#/{key}/address"},
        "items": {"type": "array", "items": {"$ref": item_ref}},
        "self": {"$ref": own} if blocks.rng.random() < 0.5 else {"$ref": "#"},
    }
    if dialect.draft >= 2019:  # a plain-name fragment
        blocks.defs["tagged"] = {"$anchor": "tag", **blocks.record(2)}
        properties["tag"] = {"$ref": "#tag"}
    elif dialect.draft >= 6:
        blocks.defs["tagged"] = {"$id": "#tag", **blocks.record(2)}
        properties["tag"] = {"$ref": "#tag"}
    inner_defs = {
        "point": blocks.obj({"x": {"type": "number"}, "y": {"type": "number"}}, required=["x", "y"])
    }
    properties["shape"] = {
        id_key: f"https://example.com/schemas/shapes/{number}.json",
        "type": "object",
        "properties": {"corner": {"$ref": f"#/{key}/point"}, "corners": {"type": "array",
                       "items": {"$ref": f"#/{key}/point"}}},
        key: inner_defs,
    }  # fmt: skip
    root = blocks.obj(properties, required=["home"])
    content = dialect.document({"title": "Located", **root}, blocks.defs, own)
    return CorpusContract(name, dialect.contract_type, content, "self-reference", dialect.name)


def _tuples_and_constants(dialect: Dialect, number: int) -> CorpusContract:
    """Drafts 6 to 2020-12: tuples, constants, defaults, boolean schemas, if/then, dependent members."""
    name = f"modern-{dialect.name}-{number}"
    blocks = Blocks(random.Random(name), dialect)
    rng = blocks.rng
    properties: dict[str, Schema] = {
        "range": dialect.tuple([{"type": "integer"}, {"type": "integer"}], None),
        "header": dialect.tuple([dialect.const("v1"), {"type": "string"}], {"type": "boolean"}),
        "kind": dialect.const(rng.choice(["fixed", "", "1.0", "a b"])),
        "anything": True,
        "nothing": {"not": {}} if rng.random() < 0.5 else False,
        "limit": {"type": "integer", "default": 10, "minimum": 0},
        "ratio": {"type": "number", "default": 0.5, "exclusiveMaximum": 1, "exclusiveMinimum": 0},
        "mode": {"enum": ["a", 1, None, True, 2.5]},
        "label": {"type": ["string", "null"], "default": None},
        **blocks.record(rng.randint(2, 8), odd=0.4)["properties"],
    }
    root = blocks.obj(properties, required=["kind"], closed=rng.random() < 0.5)
    if dialect.has_if_then and rng.random() < 0.5:
        root["if"] = {"properties": {"limit": {"const": 0}}}
        root["then"] = {"required": ["label"]}
    if dialect.draft >= 2019:
        root["dependentRequired"] = {"limit": ["ratio"]}
    return _json_schema(name, "modern", dialect, blocks, root)


def _payload(payload: str, dialect: Dialect, number: int) -> CorpusContract:
    """A bare event payload, rooted at its title."""
    name = f"payload-{payload}-{dialect.name}-{number}"
    blocks = Blocks(random.Random(name), dialect)
    return _json_schema(name, "payload", dialect, blocks, events.PAYLOADS[payload](blocks))


@cache
def _build() -> tuple[CorpusContract, ...]:
    built: list[CorpusContract] = []
    for family, build in CONFIG_FAMILIES.items():
        for number in range(22):
            built.append(_config(family, build, ALL_DIALECTS[number % len(ALL_DIALECTS)], number))
    for number in range(10):
        built.append(_config("workspace", workspace, ALL_DIALECTS[number % len(ALL_DIALECTS)], number))
    for payload in events.PAYLOADS:
        for number, dialect in enumerate(
            [OAS30, OAS31, DRAFT4, OAS30, OAS31, DRAFT4, DRAFT7, OAS30, DRAFT2020, OAS31]
        ):
            built.append(_eventbridge(payload, dialect, number))
        for number, dialect in enumerate(JSON_SCHEMA_DIALECTS):
            built.append(_payload(payload, dialect, number))
    for number in range(16):
        built.append(_cloud_event([*JSON_SCHEMA_DIALECTS, OAS31][number % 7], number))
    for number in range(16):
        built.append(_self_references([DRAFT4, DRAFT6, DRAFT7, DRAFT2019, DRAFT2020][number % 5], number))
    for number in range(12):
        built.append(_tuples_and_constants([DRAFT6, DRAFT7, DRAFT2019, DRAFT2020][number % 4], number))
    return tuple(built)


def corpus() -> list[CorpusContract]:
    """Every contract of the corpus, in a fixed order."""
    return list(_build())


def sample(size: int, seed: str = "sample") -> list[CorpusContract]:
    """A fixed spread of `size` contracts: the same ones on every run, drawn across every family."""
    everything = corpus()
    return sorted(random.Random(seed).sample(everything, min(size, len(everything))), key=everything.index)

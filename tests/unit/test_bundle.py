"""Resolving references into a bundle: the graph (cycles, depth, diamonds), where parts land, and that a
bundle accepts exactly what the referencing contract accepts when its references are resolved the
standard way (a `referencing` registry holding each referenced document under its URI)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from registry.domain.errors import (
    DocumentTooDeep,
    InvalidContract,
    InvalidReference,
    ReferenceCycle,
    ReferenceNotFound,
    ReferencesTooDeep,
    UnresolvableRef,
)
from registry.domain.formats import parse_contract
from registry.domain.formats.bundle import (
    MAX_REFERENCE_DEPTH,
    Reference,
    Referenced,
    VersionKey,
    bundle,
    resolve_graph,
)

DRAFT4_TYPE = "JSONSchemaDraft4"
MONEY = VersionKey("common", "Money", 1)
MONEY_DOC = {"type": "object", "properties": {"amount": {"type": "number"}}, "required": ["amount"]}


def stored(
    key: VersionKey, content: dict[str, Any], *references: Reference, type_: str = DRAFT4_TYPE
) -> Referenced:
    return Referenced(key, type_, content, key.label().ljust(64, "0"), references)


def loader(*nodes: Referenced) -> Any:
    by_key = {node.key: node for node in nodes}

    def load(key: VersionKey) -> Referenced:
        if key not in by_key:
            raise ReferenceNotFound(
                name=key.label(), registry=key.registry, schema=key.schema, version=key.version
            )
        return by_key[key]

    return load


def chain(length: int) -> tuple[list[Reference], Any]:
    """Version i references version i + 1; the last references nothing."""
    keys = [VersionKey("r", f"S{index}", 1) for index in range(length)]
    nodes = [
        stored(
            key,
            {"type": "object"},
            *([Reference("next.json", keys[index + 1])] if index + 1 < length else []),
        )
        for index, key in enumerate(keys)
    ]
    return [Reference("first.json", keys[0])], loader(*nodes)


def test_a_cycle_is_refused_with_its_path() -> None:
    a, b = VersionKey("r", "A", 1), VersionKey("r", "B", 1)
    load = loader(stored(a, {}, Reference("b.json", b)), stored(b, {}, Reference("a.json", a)))
    with pytest.raises(ReferenceCycle) as raised:
        resolve_graph([Reference("a.json", a)], load)
    assert raised.value.details["cycle"] == ["r/A/1", "r/B/1", "r/A/1"]


def test_references_nest_at_most_the_limit() -> None:
    references, load = chain(MAX_REFERENCE_DEPTH)
    assert len(resolve_graph(references, load)) == MAX_REFERENCE_DEPTH
    references, load = chain(MAX_REFERENCE_DEPTH + 1)
    with pytest.raises(ReferencesTooDeep):
        resolve_graph(references, load)


def test_a_missing_target_is_not_found() -> None:
    with pytest.raises(ReferenceNotFound):
        resolve_graph([Reference("money.json", MONEY)], loader())


def test_a_diamond_loads_and_inlines_the_shared_version_once() -> None:
    left, right = VersionKey("r", "Left", 1), VersionKey("r", "Right", 1)
    nodes = [
        stored(MONEY, MONEY_DOC),
        stored(left, {"$ref": "money.json"}, Reference("money.json", MONEY)),
        stored(right, {"$ref": "money.json"}, Reference("money.json", MONEY)),
    ]
    references = [Reference("left.json", left), Reference("right.json", right)]
    graph = resolve_graph(references, loader(*nodes))
    document = {"allOf": [{"$ref": "left.json"}, {"$ref": "right.json"}]}
    bundled = bundle(DRAFT4_TYPE, document, references, graph)
    assert bundled["allOf"] == [{"$ref": "#/definitions/Left"}, {"$ref": "#/definitions/Right"}]
    assert bundled["definitions"]["Left"] == {"$ref": "#/definitions/Money"}
    assert sorted(bundled["definitions"]) == ["Left", "Money", "Right"]


def test_a_taken_name_falls_back_to_the_registry_and_schema() -> None:
    document = {"definitions": {"Money": {"type": "string"}}, "properties": {"m": {"$ref": "money.json"}}}
    references = [Reference("money.json", MONEY)]
    bundled = bundle(DRAFT4_TYPE, document, references, {MONEY: stored(MONEY, MONEY_DOC)})
    assert bundled["properties"]["m"] == {"$ref": "#/definitions/common.Money"}
    assert bundled["definitions"]["Money"] == {"type": "string"}


def test_a_2020_12_contract_keeps_references_under_defs() -> None:
    later = "https://json-schema.org/draft/2020-12/schema"
    document = {"$schema": later, "$ref": "money.json"}
    references = [Reference("money.json", MONEY)]
    graph = {MONEY: stored(MONEY, {"$schema": later, **MONEY_DOC})}
    contract = parse_contract(DRAFT4_TYPE, document, references=references, graph=graph)
    assert contract.content["$ref"] == "#/$defs/Money"
    assert contract.validate_event({"amount": "x"}) != []


def test_references_stay_within_one_draft() -> None:
    # `exclusiveMinimum: true` is a flag in draft 4, a bound in draft 7: inlined, it would mean another thing
    document = {"$schema": "http://json-schema.org/draft-07/schema#", "$ref": "money.json"}
    references = [Reference("money.json", MONEY)]
    with pytest.raises(InvalidReference) as raised:
        parse_contract(DRAFT4_TYPE, document, references=references, graph={MONEY: stored(MONEY, MONEY_DOC)})
    assert raised.value.details["dialect"] == "http://json-schema.org/draft-04/schema"


def test_an_openapi_30_type_keeps_its_nullable_meaning_inside_a_json_schema() -> None:
    events = VersionKey("common", "Events", 1)
    openapi = {
        "openapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": {"Note": {"type": "string", "nullable": True}}},
    }
    references = [Reference("events.yaml", events)]
    graph = {events: stored(events, openapi, type_="OpenApi3")}
    document = {"properties": {"note": {"$ref": "events.yaml#/components/schemas/Note"}}}
    contract = parse_contract(DRAFT4_TYPE, document, references=references, graph=graph)
    assert contract.validate_event({"note": None}) == []
    assert contract.validate_event({"note": 3}) != []
    with pytest.raises(UnresolvableRef):  # an OpenAPI document is not a schema: name one of its schemas
        parse_contract(DRAFT4_TYPE, {"$ref": "events.yaml"}, references=references, graph=graph)


# --- the bundle accepts what standard multi-document resolution accepts ----------------------------------

SHARED_URI = "https://schemas.acme.example/shared.json"
BASE_URI = "https://schemas.acme.example/base.json"
leaves = st.sampled_from(
    [
        {"type": "string", "maxLength": 3},
        {"type": "integer", "minimum": 0},
        {"enum": ["a", 1, None]},
        {"type": "object", "properties": {"x": {"type": "boolean"}}, "required": ["x"]},
        {"type": "array", "items": {"type": "integer"}, "maxItems": 2},
        {"not": {"type": "null"}},
    ]
)
scalars = st.none() | st.booleans() | st.integers(-2, 5) | st.sampled_from(["", "a", "abcd"])
shallow = scalars | st.lists(scalars, max_size=3)
values = shallow | st.dictionaries(st.sampled_from(["x", "a", "b", "c"]), shallow, max_size=3)
events = st.dictionaries(st.sampled_from(["p", "q", "r"]), values, max_size=3)


@settings(max_examples=40)
@given(base_leaf=leaves, inner=leaves, outer=leaves, own=leaves, event=events)
def test_validation_by_the_referencing_contract_equals_validation_by_its_bundle(
    base_leaf: dict[str, Any], inner: dict[str, Any], outer: dict[str, Any], own: dict[str, Any], event: Any
) -> None:
    # a chain: the contract -> shared (with definitions) -> base
    base_key, shared_key = VersionKey("c", "Base", 1), VersionKey("c", "Shared", 1)
    base = {"id": BASE_URI, **base_leaf}
    shared = {
        "id": SHARED_URI,
        "type": "object",
        "properties": {"a": {"$ref": "#/definitions/Inner"}, "b": outer, "c": {"$ref": BASE_URI}},
        "definitions": {"Inner": inner},
    }
    contract = {
        "type": "object",
        "properties": {
            "p": {"$ref": SHARED_URI},
            "q": {"$ref": f"{SHARED_URI}#/definitions/Inner"},
            "r": own,
        },
    }
    nodes = [stored(base_key, base), stored(shared_key, shared, Reference(BASE_URI, base_key))]
    references = [Reference(SHARED_URI, shared_key)]
    parsed = parse_contract(
        DRAFT4_TYPE, contract, references=references, graph=resolve_graph(references, loader(*nodes))
    )
    documents = Registry().with_resources(
        (uri, Resource.from_contents(each, default_specification=DRAFT4))
        for uri, each in ((SHARED_URI, shared), (BASE_URI, base))
    )
    expected = Draft4Validator(contract, registry=documents).is_valid(event)
    assert (parsed.validate_event(event) == []) == expected
    Draft4Validator.check_schema(parsed.content)
    assert Draft4Validator(parsed.content).is_valid(event) == expected


def test_the_depth_limit_applies_to_the_resolved_whole() -> None:
    deep: dict[str, Any] = {"type": "object"}
    for _ in range(31):  # 63 levels: a valid contract on its own
        deep = {"properties": {"a": deep}}
    parse_contract(DRAFT4_TYPE, deep)
    references = [Reference("deep.json", MONEY)]
    with pytest.raises(DocumentTooDeep):  # under definitions/Money it is deeper than any contract may be
        parse_contract(
            DRAFT4_TYPE, {"$ref": "deep.json"}, references=references, graph={MONEY: stored(MONEY, deep)}
        )


def test_a_percent_encoded_fragment_finds_its_definition() -> None:
    shared = {"definitions": {"Unit Price": {"type": "number", "minimum": 0}}}
    references = [Reference("shared.json", MONEY)]
    document = {"$ref": "shared.json#/definitions/Unit%20Price"}
    contract = parse_contract(
        DRAFT4_TYPE, document, references=references, graph={MONEY: stored(MONEY, shared)}
    )
    assert contract.content["$ref"] == "#/definitions/Unit_Price"
    assert contract.validate_event(-1) != []


def test_a_container_that_is_not_an_object_is_refused_not_replaced() -> None:
    references = [Reference("money.json", MONEY)]
    with pytest.raises(InvalidContract) as raised:
        parse_contract(
            DRAFT4_TYPE,
            {"$ref": "money.json", "definitions": 5},
            references=references,
            graph={MONEY: stored(MONEY, MONEY_DOC)},
        )
    assert raised.value.details["pointer"] == "/definitions"

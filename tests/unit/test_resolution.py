"""`$ref` resolution that knows where each draft holds schemas: a member named like a keyword is a name, an
identifier that is not a string is none, and a large contract's registry is crawled once."""

from __future__ import annotations

import time
from typing import Any

import pytest
from referencing.exceptions import Unresolvable

from registry.domain.formats import parse_contract
from registry.domain.formats.resolution import KEYWORDS, is_schema_place, offline_resolver

DRAFT4 = "http://json-schema.org/draft-04/schema"
DRAFT7 = "http://json-schema.org/draft-07/schema"
DRAFT2019 = "https://json-schema.org/draft/2019-09/schema"
DRAFT2020 = "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize(
    ("segments", "expected"),
    [
        (["properties", "id"], True),
        (["properties"], False),
        (["items"], True),
        (["items", 0], True),
        (["items", "properties"], False),  # referencing's shortcut took this map for a schema
        (["items", "properties", "id"], True),
        (["items", 0, "properties", "id", "items"], True),
        (["definitions", "properties", "properties", "id"], True),  # a definition named `properties`
        (["definitions", "id", "id"], False),  # the `id` keyword's value is no schema
        (["allOf"], False),
        (["allOf", 1], True),
        (["allOf", "a"], False),
        (["dependencies", "a"], True),
        (["enum", 0], False),
        (["not", "not", "additionalProperties"], True),
    ],
)
def test_draft4_schema_places_are_decided_by_the_keyword_before_each_name(
    segments: list[str | int], expected: bool
) -> None:
    assert is_schema_place(segments, KEYWORDS[DRAFT4]) is expected


@pytest.mark.parametrize(
    ("dialect", "segments", "expected"),
    [
        (DRAFT2020, ["items", "properties", "$id"], True),
        (DRAFT2020, ["items", 0], False),  # 2020-12: `items` is one schema, `prefixItems` the array
        (DRAFT2020, ["prefixItems", 0], True),
        (DRAFT2020, ["$defs", "$defs"], True),
        (DRAFT2019, ["dependentSchemas", "a"], True),
        (DRAFT2019, ["dependencies", "a"], False),
        (DRAFT7, ["if"], True),
        (DRAFT4, ["if"], False),
    ],
)
def test_each_draft_has_its_own_schema_places(
    dialect: str, segments: list[str | int], expected: bool
) -> None:
    assert is_schema_place(segments, KEYWORDS[dialect]) is expected


@pytest.mark.parametrize(
    ("dialect", "member"),
    [(DRAFT4, "id"), (DRAFT7, "$id"), (DRAFT2019, "$id"), (DRAFT2019, "$anchor"), (DRAFT2020, "$anchor")],
)
def test_a_lookup_through_a_member_named_like_an_identifier_finds_it(dialect: str, member: str) -> None:
    named = {"type": "string"}
    document = {"$schema": dialect, "items": {"properties": {member: named}}}
    resolver = offline_resolver(document, dialect)

    assert resolver.lookup(f"#/items/properties/{member}").contents is named
    assert resolver.lookup("#/items/properties").contents == {member: named}


def test_an_identifier_that_is_not_a_string_names_nothing() -> None:
    document: dict[str, Any] = {"definitions": {"a": {"id": {"type": "string"}}, "b": {"id": "#b"}}}
    resolver = offline_resolver(document, DRAFT4)

    assert resolver.lookup("#b").contents is document["definitions"]["b"]
    assert resolver.lookup("#/definitions/a").contents is document["definitions"]["a"]


def test_a_map_member_named_anchor_is_no_anchor() -> None:
    document = {"$schema": DRAFT2020, "properties": {"$anchor": {"type": "string"}}, "$defs": {"x": {}}}
    resolver = offline_resolver(document, DRAFT2020)

    with pytest.raises(Unresolvable):
        resolver.lookup("#string")


def test_an_embedded_id_still_scopes_the_references_inside_it() -> None:
    document = {
        "id": "http://s.test/root.json",
        "definitions": {
            "inner": {"id": "inner.json", "definitions": {"a": {"type": "integer"}}},
            "a": {"type": "string"},
        },
    }
    resolver = offline_resolver(document, DRAFT4)
    inner = resolver.lookup("#/definitions/inner").resolver

    assert inner.lookup("#/definitions/a").contents == {"type": "integer"}
    assert resolver.lookup("inner.json#/definitions/a").contents == {"type": "integer"}
    assert resolver.lookup("#/definitions/a").contents == {"type": "string"}


def anchored_contract(count: int) -> dict[str, Any]:
    """`count` definitions, each an anchor (`"id": "#Dn"`) referring to two others by anchor."""
    definitions = {
        f"D{index}": {
            "id": f"#D{index}",
            "type": "object",
            "properties": {
                "name": {"type": "string", "maxLength": 40},
                "next": {"$ref": f"#D{(index * 7 + 1) % count}"},
                "other": {"$ref": f"#D{(index * 3 + 2) % count}"},
            },
        }
        for index in range(count)
    }
    return {"definitions": definitions, "$ref": "#D0"}


def test_a_contract_of_many_anchors_is_checked_and_validated_without_crawling_it_per_reference() -> None:
    """Every anchor lookup used to crawl the whole document: 700 anchors took over a minute to register,
    and each event a crawl per reference it met. Generous bounds: the machine may be loaded."""
    started = time.monotonic()
    contract = parse_contract("JSONSchemaDraft4", anchored_contract(700))
    registered = time.monotonic() - started
    event: dict[str, Any] = {"name": "leaf"}
    for _ in range(60):
        event = {"name": "node", "next": event, "other": {"name": "x"}}
    contract.validate_event(event)  # compiles: the registry is crawled here, once
    started = time.monotonic()
    errors = contract.validate_event(event)
    validated = time.monotonic() - started

    assert errors == []
    assert registered < 20.0
    assert validated < 0.5

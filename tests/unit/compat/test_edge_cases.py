"""Inputs at the edges: the checker answers (conservatively when it must), never raises, never fetches."""

from __future__ import annotations

from typing import Any

from registry.domain.compat import CompatibilityPolicy, check
from registry.domain.compat.policy import close
from tests.unit.compat.checking import checked, rules

DRAFT7 = "http://json-schema.org/draft-07/schema#"


def test_boolean_schemas() -> None:
    assert checked({"$schema": DRAFT7, "not": {}}, {"$schema": DRAFT7, "type": "string"}) == []
    found = checked({"$schema": DRAFT7}, {"$schema": DRAFT7, "not": {}})
    assert found and found[0].proven


def test_a_reference_that_points_nowhere_is_never_assumed_compatible() -> None:
    assert checked({"type": "string"}, {"$ref": "#/definitions/missing"}) != []
    assert checked({"$ref": "#/definitions/missing"}, {"type": "string"}) != []


def test_references_outside_the_document_are_never_fetched(no_network: list[str]) -> None:
    found = checked({"type": "string"}, {"$ref": "http://example.com/schema.json"})
    assert rules(found) == {"unsupported_keyword"}
    assert no_network == []


def test_a_cycle_of_references_with_nothing_in_between_terminates() -> None:
    looping = {"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}}
    assert checked({"type": "string"}, {**looping, "$ref": "#/definitions/a"}) != []


def test_a_pattern_that_cannot_be_read_gets_a_conservative_answer() -> None:
    # not ECMA-262 (nor Python): ECMA-262 patterns Python cannot read are tested in test_ecma_regex.py
    found = check(
        {"type": "string"}, {"type": "string", "pattern": "(?<=a+)b("}, policy=CompatibilityPolicy.STRICT
    )
    assert found and not any(item.proven for item in found)


def nested(leaf: dict[str, Any], levels: int) -> dict[str, Any]:
    for _ in range(levels):
        leaf = {"type": "array", "items": leaf}
    return leaf


def test_schemas_as_deep_as_contracts_may_be_are_compared_exactly() -> None:
    deep, wide = nested({"type": "integer"}, 31), nested({"type": "number"}, 31)  # 64 levels of JSON
    assert checked(deep, wide) == []
    (item,) = checked(wide, deep)
    assert item.rule == "type_narrowed" and item.proven


def test_deeper_schemas_get_an_answer_without_raising() -> None:
    deep, wide = nested({"type": "integer"}, 400), nested({"type": "number"}, 400)
    assert rules(checked(deep, wide)) <= {"too_complex"}


def test_an_unknown_schema_dialect_is_read_as_draft_4() -> None:
    unknown = "https://example.com/my-dialect"
    assert checked({"$schema": unknown, "type": "integer"}, {"$schema": unknown, "type": "number"}) == []


def test_a_map_given_as_an_empty_schema_stays_a_map_under_lenient() -> None:
    assert close({"type": "object", "additionalProperties": {}})["additionalProperties"] == {}
    assert close({"type": ["object", "null"]})["additionalProperties"] is False


def test_inputs_are_not_changed() -> None:
    producer = {"type": "object", "properties": {"a": {"type": "string"}}}
    consumer = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    before = (repr(producer), repr(consumer))
    for policy in CompatibilityPolicy:
        check(producer, consumer, policy=policy)
    assert (repr(producer), repr(consumer)) == before

"""STRICT is plain JSON Schema; LENIENT(P, C) = STRICT(close(P), open(C)) (DESIGN section 4)."""

from __future__ import annotations

from typing import Any

from registry.domain.compat import CompatibilityPolicy
from registry.domain.compat.policy import close, open_
from tests.unit.compat.checking import checked, rules

STRICT, LENIENT = CompatibilityPolicy.STRICT, CompatibilityPolicy.LENIENT


def obj(properties: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, **more}


def test_adding_an_optional_property_to_an_open_object_breaks_strict_only() -> None:
    old = obj({"id": {"type": "string"}})
    new = obj({"id": {"type": "string"}, "note": {"type": "string"}})
    found = checked(old, new, STRICT)
    assert rules(found) == {"property_added_to_open_model"}
    assert found[0].proven and "note" in found[0].witness
    assert checked(old, new, LENIENT) == []


def test_removing_a_property_from_a_closed_producer_breaks_strict_only() -> None:
    old = obj({"id": {"type": "string"}, "note": {"type": "string"}}, additionalProperties=False)
    new = obj({"id": {"type": "string"}}, additionalProperties=False)
    found = checked(old, new, STRICT)
    assert rules(found) == {"property_removed_from_closed_model"}
    assert found[0].proven and "note" in found[0].witness
    assert checked(old, new, LENIENT) == []


def test_adding_a_required_property_breaks_both_policies() -> None:
    old = obj({"id": {"type": "string"}})
    new = obj({"id": {"type": "string"}, "note": {"type": "string"}}, required=["note"])
    for policy in (STRICT, LENIENT):
        found = checked(old, new, policy)
        assert "required_added" in rules(found)
        assert all(item.proven for item in found if item.rule == "required_added")


def test_a_map_of_values_stays_data_under_lenient() -> None:
    old = obj({}, additionalProperties={"type": "number"})
    new = obj({}, additionalProperties={"type": "integer"})
    for policy in (STRICT, LENIENT):
        found = checked(old, new, policy)
        assert rules(found) == {"additional_properties_narrowed"}
        assert found[0].proven


def test_lenient_applies_to_nested_objects_and_definitions() -> None:
    old = {"type": "object", "properties": {"a": {"$ref": "#/definitions/A"}}, "definitions": {"A": obj({})}}
    new = {
        "type": "object",
        "properties": {"a": {"$ref": "#/definitions/A"}},
        "definitions": {"A": obj({"x": {"type": "integer"}})},
    }
    assert rules(checked(old, new, STRICT)) == {"property_added_to_open_model"}
    assert checked(old, new, LENIENT) == []


def test_close_and_open_keep_every_key_in_place() -> None:
    schema = {
        "properties": {"a": obj({}, additionalProperties=False)},
        "additionalProperties": {"type": "string"},
    }
    assert close(schema) == {
        "properties": {"a": obj({}, additionalProperties=False)},
        "additionalProperties": {"type": "string"},
    }
    assert close(obj({}))["additionalProperties"] is False
    assert "additionalProperties" not in open_(schema)["properties"]["a"]
    assert open_(schema)["additionalProperties"] == {"type": "string"}


def test_reported_pointers_name_places_in_the_schemas_as_given() -> None:
    old = {"type": "object", "properties": {"a": {"type": "string"}}}
    new = {"type": "object", "properties": {"a": {"type": "string", "maxLength": 2}}}
    for policy in (STRICT, LENIENT):
        (item,) = checked(old, new, policy)
        assert (item.producer_path, item.consumer_path) == ("/properties/a", "/properties/a")

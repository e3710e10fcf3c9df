"""A consumer's `propertyNames`, compared with the names the producer's objects may have (SchemaStore's
Mergify and Buildkite: docs/compat.md "Version histories"). Each test is a small hand-made schema of the
same shape."""

from __future__ import annotations

from typing import Any

from tests.unit.compat.checking import checked

DRAFT6 = "http://json-schema.org/draft-06/schema#"
DRAFT7 = "http://json-schema.org/draft-07/schema#"
CONDITIONS = {"type": "array", "items": {"type": "string"}}


def _keyed(names: dict[str, Any]) -> dict[str, Any]:
    """Mergify's old condition: any of a few keys, each holding conditions."""
    return {
        "$schema": DRAFT7,
        "type": "object",
        "propertyNames": names,
        "patternProperties": {"": CONDITIONS},
        "additionalProperties": False,
    }


def _one_key(name: str) -> dict[str, Any]:
    """Mergify's new condition: one closed object per key."""
    return {
        "$schema": DRAFT7,
        "type": "object",
        "properties": {name: CONDITIONS},
        "required": [name],
        "additionalProperties": False,
    }


def test_a_closed_producer_whose_names_all_pass_is_contained() -> None:
    assert checked(_one_key("and"), _keyed({"enum": ["and", "or", "not"]})) == []


def test_a_declared_name_the_consumer_refuses_is_shown() -> None:
    found = checked(_one_key("xor"), _keyed({"enum": ["and", "or", "not"]}))
    assert [(item.rule, item.proven) for item in found] == [("property_removed_from_closed_model", True)]
    assert found[0].consumer_path == "/propertyNames"
    assert "xor" in found[0].witness


def test_an_open_producer_may_use_a_name_the_consumer_refuses() -> None:
    producer = {"$schema": DRAFT7, "type": "object", "additionalProperties": CONDITIONS}
    found = checked(producer, _keyed({"pattern": "^[a-z]+$"}))
    assert [(item.rule, item.proven) for item in found] == [("additional_properties_narrowed", True)]
    (name,) = found[0].witness
    assert not name.isalpha() or not name.islower()


def test_names_matching_producer_patterns_are_compared_by_their_language() -> None:
    producer = {
        "$schema": DRAFT7,
        "type": "object",
        "patternProperties": {"^x-[a-z]+$": CONDITIONS},
        "additionalProperties": False,
    }
    assert checked(producer, _keyed({"pattern": "^[a-z-]+$"})) == []
    found = checked(producer, _keyed({"pattern": "^[a-z]+$"}))
    assert [(item.rule, item.proven) for item in found] == [("additional_properties_narrowed", True)]
    assert all(name.startswith("x-") for name in found[0].witness)


def test_the_same_property_names_in_another_draft_are_no_change() -> None:
    # Buildkite's matrix setup: a map whose names follow a pattern, in Draft 6 and then in Draft 7 (the
    # keyword means the same in both; its own text alone no longer decides: the drafts' keywords differ)
    def matrix(draft: str) -> dict[str, Any]:
        names = {"type": "string", "pattern": "^[a-zA-Z0-9_]+$"}
        return {
            "$schema": draft,
            "type": "object",
            "propertyNames": names,
            "additionalProperties": CONDITIONS,
        }

    assert checked(matrix(DRAFT6), matrix(DRAFT7)) == []
    assert checked(matrix(DRAFT7), matrix(DRAFT6)) == []

"""Alternatives met on real version histories (issue 10, point 7): unions too large to expand (a task list of
a CI system), `oneOf` siblings that change between versions, `propertyNames` that keep siblings apart, and the
witness that only another consumer alternative's findings hold."""

from __future__ import annotations

import copy
from typing import Any

from tests.unit.compat.checking import checked, rules

DRAFT7 = "http://json-schema.org/draft-07/schema#"


def tasks(names: list[str]) -> dict[str, Any]:
    """Azure Pipelines' shape: a step is a task, and a task is one of hundreds, each naming itself."""
    alternatives = [
        {
            "properties": {
                "task": {"pattern": f"^{name}$"},
                "inputs": {"type": "object", "properties": {"path": {"type": "string"}}},
            }
        }
        for name in names
    ]
    return {
        "$schema": DRAFT7,
        "type": "object",
        "properties": {"steps": {"type": "array", "items": {"$ref": "#/definitions/step"}}},
        "definitions": {
            "step": {"anyOf": [{"$ref": "#/definitions/task"}, {"type": "string"}]},
            "task": {
                "type": "object",
                "required": ["task"],
                "properties": {"task": {"anyOf": [{"enum": [name]} for name in names]}},
                "anyOf": alternatives,
            },
        },
    }


def test_a_union_of_hundreds_of_alternatives_is_compared_one_alternative_at_a_time() -> None:
    names = [f"Task{i}@1" for i in range(150)]
    old, new = tasks(names), tasks([*names, "Added@1"])
    assert checked(old, new) == []  # each alternative meets its equal: no expansion of the 150 together
    changed = copy.deepcopy(old)
    inputs = changed["definitions"]["task"]["anyOf"][7]["properties"]["inputs"]
    inputs["properties"]["path"] = {"type": ["string", "integer"]}
    assert checked(old, changed) == []
    found = checked(changed, old)
    assert "too_complex" not in rules(found) and any(item.proven for item in found)


def executors(images: list[str]) -> dict[str, Any]:
    """CircleCI's shape: executors of several kinds that do not forbid each other's keys."""
    return {
        "$schema": DRAFT7,
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "oneOf": [
                {"required": ["docker"], "properties": {"docker": {"type": "array"}}},
                {
                    "required": ["machine"],
                    "properties": {"machine": {"type": "object", "properties": {"image": {"enum": images}}}},
                },
            ],
        },
    }


def test_a_widened_sibling_makes_a_oneof_match_twice_and_the_witness_shows_it() -> None:
    # {"docker": [], "machine": {"image": "new"}}: one docker executor for the old schema, two for the new
    found = checked(executors(["old"]), executors(["old", "new"]))
    assert found and all(item.proven for item in found)


def test_a_sibling_the_producer_excludes_entirely_is_excluded_for_the_consumer_too() -> None:
    def schema(typed: bool) -> dict[str, Any]:
        def needs(name: str) -> dict[str, Any]:
            return (
                {"properties": {name: {"type": "string"}}, "required": [name]}
                if typed
                else {"required": [name]}
            )

        return {
            "$schema": DRAFT7,
            "type": "object",
            "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
            "oneOf": [needs("a"), needs("b")],
        }

    # Dependabot's shape: the consumer's sibling {a: string, required a} lies within the producer's
    # {required a}, which the producer's values already fail
    assert checked(schema(False), schema(True)) == []


def test_property_names_keep_oneof_siblings_apart() -> None:
    def steps(conditions: list[str]) -> dict[str, Any]:
        return {
            "$schema": DRAFT7,
            "oneOf": [
                {
                    "type": "object",
                    "minProperties": 1,
                    "maxProperties": 1,
                    "propertyNames": {"not": {"enum": ["when", "unless"]}},
                },
                {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": False,
                    "properties": {name: {"type": "object"} for name in conditions},
                },
            ],
        }

    assert checked(steps(["when"]), steps(["when", "unless"])) == []
    found = checked(steps(["when", "unless"]), steps(["when"]))
    assert found and any(item.proven for item in found)


def test_a_witness_from_another_consumer_alternative_leads_when_it_fails_them_all() -> None:
    # Bitbucket's shape: items that are one of several closed wrappers; a property added to the open step
    def pipeline(step_properties: list[str]) -> dict[str, Any]:
        step = {"type": "object", "properties": {name: {"type": "string"} for name in step_properties}}
        wrappers = [
            {"type": "object", "additionalProperties": False, "properties": {kind: body}}
            for kind, body in (("step", step), ("parallel", {"type": "array"}), ("stage", {"type": "object"}))
        ]
        return {"$schema": DRAFT7, "type": "array", "items": {"oneOf": wrappers}}

    found = checked(pipeline(["script"]), pipeline(["script", "environment"]))
    assert found and all(item.proven for item in found)

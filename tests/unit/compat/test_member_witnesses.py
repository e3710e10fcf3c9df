"""Witnesses for members of open objects (`patternProperties` / `additionalProperties`): the counterexample
is found below the member, and the member's whole value must still reach the report proven."""

from __future__ import annotations

import json
from typing import Any

from registry.domain.compat import witnesses
from registry.domain.compat.document import Doc
from registry.domain.compat.policy import validator_class_of
from tests.unit.compat.checking import checked


def _commands(defer_object: dict[str, Any]) -> dict[str, Any]:
    """A map of commands (any name) each a `cmd` call or a `defer` call, as in Taskfile's schema."""
    return {
        "definitions": {
            "cmd_call": {
                "type": "object",
                "properties": {"cmd": {"type": "string"}},
                "additionalProperties": False,
                "required": ["cmd"],
            },
            "defer_call": {
                "type": "object",
                "properties": {"defer": {"anyOf": [{"type": "string"}, defer_object]}},
                "additionalProperties": False,
                "required": ["defer"],
            },
        },
        "type": "object",
        "patternProperties": {
            "^.*$": {"anyOf": [{"$ref": "#/definitions/cmd_call"}, {"$ref": "#/definitions/defer_call"}]}
        },
    }


def test_a_member_counterexample_found_past_the_first_candidates_is_proven() -> None:
    # the consumer's closest alternative for a `defer` call is the `cmd` call (as many differences as its own
    # `defer` call), whose candidates come first: strings for `defer`, valid on both sides
    task_call = {
        "type": "object",
        "properties": {"task": {"type": "string"}, "silent": {"type": "boolean"}, "vars": {"type": "object"}},
        "additionalProperties": False,
        "required": ["task"],
    }
    task_only = {
        "type": "object",
        "properties": {"task": {"type": "string"}},
        "additionalProperties": False,
        "required": ["task"],
    }
    found = checked(_commands(task_call), _commands(task_only))
    assert [(item.rule, item.proven) for item in found] == [("additional_properties_narrowed", True)]
    (member,) = found[0].witness.values()
    assert isinstance(member["defer"], dict) and set(member["defer"]) - {"task"}
    assert checked(_commands(task_only), _commands(task_call)) == []


def test_the_search_for_any_counterexample_varies_every_place_of_a_producer_event() -> None:
    # the consumer closes the items of a nested array: a witness needs a member added two levels down
    item = {"type": "object", "properties": {"run": {"type": "array"}}, "required": ["run"]}
    producer = {"type": "object", "properties": {"jobs": {"type": "array", "items": item, "minItems": 1}}}
    producer["required"] = ["jobs"]
    consumer = json.loads(json.dumps(producer))
    consumer["properties"]["jobs"]["items"]["additionalProperties"] = False
    consumer["properties"]["jobs"]["items"]["properties"]["delegate"] = {"type": "string"}

    def searched(deep: bool) -> tuple[bool, Any]:
        docs = Doc(producer, validator_class_of(producer)), Doc(consumer, validator_class_of(consumer))
        return witnesses.search(witnesses.Verifier(*docs, seconds=2.0), seconds=1.0, deep=deep)

    assert searched(deep=False) == (False, None)  # variations of the top level only
    proven, value = searched(deep=True)
    assert proven and any(set(job) - {"run"} for job in value["jobs"])

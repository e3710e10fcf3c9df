"""Members of unions met on real version histories (issue 10, point 7): a `oneOf` rewritten between versions
whose branches the rest of the schema already keeps apart, producer alternatives that several consumer
alternatives hold together, and witnesses that must also satisfy the rest of the producer."""

from __future__ import annotations

from typing import Any

from tests.unit.compat.checking import checked

DRAFT7 = "http://json-schema.org/draft-07/schema#"

STEP_PROPERTIES = {"uses": {"type": "string"}, "run": {"type": "string"}, "name": {"type": "string"}}


def typed_branches() -> dict[str, Any]:
    """GitHub workflows' older step: a `oneOf` of typed branches beside a closed object."""
    return {
        "$schema": DRAFT7,
        "type": "array",
        "items": {
            "allOf": [
                {
                    "oneOf": [
                        {"type": "object", "properties": {"uses": {"type": "string"}}, "required": ["uses"]},
                        {"type": "object", "properties": {"run": {"type": "string"}}, "required": ["run"]},
                    ]
                },
                {"type": "object", "additionalProperties": False, "properties": STEP_PROPERTIES},
            ]
        },
    }


def bare_branches() -> dict[str, Any]:
    """The same steps written as the newer version does: the branches only say what they require."""
    return {
        "$schema": DRAFT7,
        "type": "array",
        "items": {"$ref": "#/definitions/step"},
        "definitions": {
            "step": {
                "type": "object",
                "additionalProperties": False,
                "properties": STEP_PROPERTIES,
                "oneOf": [{"required": ["uses"]}, {"required": ["run"]}],
            }
        },
    }


def test_a_oneof_sibling_the_producer_excludes_together_with_its_other_parts() -> None:
    # the consumer's sibling {required: [run]} is not within the producer's typed one on its own, but the
    # producer's values that hold it (run is a string there) all are, so the producer sends none of them
    assert checked(typed_branches(), bare_branches()) == []
    assert checked(bare_branches(), typed_branches()) == []


def wrappers(runtime: dict[str, Any]) -> dict[str, Any]:
    """Bitbucket's shape: closed one-member wrappers none of which requires its member, under `oneOf`."""
    step = {"type": "object", "properties": {"runtime": runtime}}
    parallel = {"items": step}
    return {
        "$schema": DRAFT7,
        "type": "array",
        "items": {
            "oneOf": [
                {"type": "object", "additionalProperties": False, "properties": {"step": step}},
                {"type": "object", "additionalProperties": False, "properties": {"parallel": parallel}},
            ]
        },
    }


def test_siblings_kept_apart_by_their_closed_names_whatever_their_members_become() -> None:
    # the consumer's parallel wrapper (its step open) is wider than the producer's, but the only value it
    # shares with a producer step wrapper is {}, which the producer's own parallel wrapper holds too
    typed = wrappers({"type": "object", "properties": {"self-hosted": {"type": "object"}}})
    assert checked(typed, wrappers({"type": "object"})) == []
    found = checked(wrappers({"type": "object"}), typed)
    assert found and any(item.proven for item in found)

"""Negations compared by what they reject: a `oneOf`'s other branches and a condition's `else` side, where
the complement is exact and small (SchemaStore's GitHub actions, Travis: docs/compat.md "Version
histories"). Each test is a small hand-made schema of the same shape."""

from __future__ import annotations

from typing import Any

from tests.unit.compat.checking import checked

DRAFT7 = "http://json-schema.org/draft-07/schema#"
STEP = {"run": {"type": "string"}, "shell": {"type": "string"}, "uses": {"type": "string"}}


def _present(name: str) -> dict[str, Any]:
    """`{properties: {name: true}, required: [name]}`: the `properties` only names the member."""
    return {"properties": {name: True}, "required": [name]}


def _step(one_of: list[Any]) -> dict[str, Any]:
    return {
        "$schema": DRAFT7,
        "type": "object",
        "properties": STEP,
        "additionalProperties": False,
        "oneOf": one_of,
    }


def test_a_one_of_of_required_sets_equals_its_spelling_by_negations() -> None:
    # "run and shell, or uses, not both" written twice: as required sets, and as "exactly one of (run or
    # shell missing), (uses missing)". Each producer branch keeps "none of the others" as the objects they
    # reject (the producer would otherwise drop it), and each consumer sibling is shown disjoint by its
    # complement
    required = _step([{"required": ["run", "shell"]}, {"required": ["uses"]}])
    negated = _step(
        [{"anyOf": [{"not": _present("run")}, {"not": _present("shell")}]}, {"not": _present("uses")}]
    )
    assert checked(required, negated) == []
    assert checked(negated, required) == []


def test_required_names_moved_out_of_one_of_branches_is_no_change() -> None:
    # Travis' deployment: the names every branch requires moved beside the `oneOf`
    properties = {"provider": {"enum": ["npm"]}, "email": {"type": "string"}, "key": {}, "token": {}}
    old = {
        "type": "object",
        "properties": properties,
        "oneOf": [{"required": ["provider", "email", "key"]}, {"required": ["provider", "email", "token"]}],
    }
    new = {
        "type": "object",
        "properties": properties,
        "required": ["provider", "email"],
        "oneOf": [{"required": ["key"]}, {"required": ["token"]}],
    }
    assert checked(old, new) == []
    assert checked(new, old) == []


def test_a_producer_value_held_by_two_consumer_branches_is_shown() -> None:
    producer = {
        "type": "object",
        "properties": STEP,
        "anyOf": [{"required": ["run"]}, {"required": ["uses"]}],
    }
    consumer = {
        "type": "object",
        "properties": STEP,
        "oneOf": [{"required": ["run"]}, {"required": ["uses"]}],
    }
    found = checked(producer, consumer)
    assert "negation_overlap" in {item.rule for item in found}
    assert any(item.proven and {"run", "uses"} <= set(item.witness) for item in found)
    assert checked(consumer, producer) == []


def _action(condition_type: bool) -> dict[str, Any]:
    """GitHub actions' shape: `runs` is required and always an object; the condition on it gained a
    `type: object`, which changes nothing where `runs` can only be an object."""
    runs_if: dict[str, Any] = {"properties": {"using": {"const": "composite"}}}
    if condition_type:
        runs_if = {"type": "object", **runs_if}
    kinds = [
        {"type": "object", "properties": {"using": {"enum": ["node20"]}, "main": {"type": "string"}}},
        {"type": "object", "properties": {"using": {"const": "composite"}, "steps": {"type": "array"}}},
    ]
    return {
        "$schema": DRAFT7,
        "type": "object",
        "properties": {"runs": {"oneOf": kinds}, "outputs": {}},
        "required": ["runs"],
        "if": {"properties": {"runs": runs_if}},
        "then": {"properties": {"outputs": {"type": "object"}}},
        "else": {"properties": {"outputs": {"type": "array"}}},
    }


def test_a_condition_narrowed_where_the_producer_never_reaches_is_no_change() -> None:
    # the consumer's `not if` must be disjoint from the producer's `else` side: `{runs: 5}` satisfies the
    # old condition and not the new, but no producer value has it (its own parts count, not only its `not if`)
    assert checked(_action(False), _action(True)) == []
    assert checked(_action(True), _action(False)) == []


def test_a_condition_narrowed_where_the_producer_reaches_is_shown() -> None:
    # the same with `runs` free: `{"runs": null, "outputs": []}` is in the new `else` only, and
    # `{"runs": null, "outputs": {}}` in the old `then` only
    old, new = _action(False), _action(True)
    for schema in (old, new):
        schema["properties"]["runs"] = {}
        schema["required"] = ["runs", "outputs"]
    for producer, consumer in ((new, old), (old, new)):
        found = checked(producer, consumer)
        assert found and all(item.proven for item in found)
        assert not isinstance(found[0].witness["runs"], dict)


def _notify(check_members: dict[str, Any]) -> dict[str, Any]:
    """Buildkite's notifications: a `oneOf` of closed objects whose members are all optional, so `{}` and
    `{"if": ...}` match several branches (and no event holds them)."""
    condition = {"type": "string"}

    def closed(members: dict[str, Any]) -> dict[str, Any]:
        return {"type": "object", "properties": members, "additionalProperties": False}

    return {
        "type": "array",
        "items": {
            "oneOf": [
                closed({"email": {"type": "string"}, "if": condition}),
                closed({"slack": {"type": "string"}, "if": condition}),
                closed({"github_check": {"type": "object"}, **check_members}),
            ]
        },
    }


def test_a_member_added_to_one_closed_branch_is_shown_with_that_branch_s_own_member() -> None:
    # the new `if` of the check branch: `[{"if": ""}]` is no event of the new version (it matches the
    # email and slack branches too); `[{"if": "", "github_check": {}}]` is, and the old one refuses it
    old, new = _notify({}), _notify({"if": {"type": "string"}})
    found = checked(new, old)
    assert found and all(item.proven for item in found)
    assert all(set(item.witness[0]) == {"if", "github_check"} for item in found)
    assert checked(old, new) == []

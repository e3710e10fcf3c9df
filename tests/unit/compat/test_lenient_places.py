"""LENIENT's `close` reads "the properties a producer declares" per instance place: every subschema that
applies in place (allOf/anyOf/oneOf branches, `$ref` targets, ...) admits the names all of them declare.
Closing each branch on its own names made composed producers (nearly) unsatisfiable, and the answer
vacuously "compatible"."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator, Draft7Validator  # type: ignore[import-untyped, unused-ignore]

from registry.domain.compat import CompatibilityPolicy, check
from registry.domain.compat.policy import close, open_
from tests.unit.compat.checking import checked, rules

STRICT, LENIENT = CompatibilityPolicy.STRICT, CompatibilityPolicy.LENIENT


def obj(properties: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, **more}


NAME = obj({"given": {"type": "string", "maxLength": 80}}, required=["given"])
OWN = obj({"locale": {"type": "string"}}, required=["locale"])


def with_defs(root: dict[str, Any], **definitions: Any) -> dict[str, Any]:
    return {**root, "definitions": definitions}


def test_closing_an_allof_admits_every_branchs_names() -> None:
    schema = {"allOf": [NAME, OWN]}
    assert close(schema) == {
        "allOf": [
            {**NAME, "properties": {**NAME["properties"], "locale": {}}, "additionalProperties": False},
            {**OWN, "properties": {"given": {}, **OWN["properties"]}, "additionalProperties": False},
        ]
    }
    closed = Draft4Validator(close(schema))
    assert closed.is_valid({"given": "Maja", "locale": "sv"})
    assert not closed.is_valid({"given": "Maja", "locale": "sv", "other": 1})


def narrowed(schema: dict[str, Any], *path: str | int) -> dict[str, Any]:
    """`schema` with the `given` property's maxLength at `path` lowered to 2."""
    copied = copy.deepcopy(schema)
    node: Any = copied
    for key in path:
        node = node[key]
    node["properties"]["given"]["maxLength"] = 2
    return copied


def assert_both_policies_find_the_narrowing(old: dict[str, Any], new: dict[str, Any]) -> None:
    for policy in (STRICT, LENIENT):
        found = checked(old, new, policy)  # witnesses verified against close(old) and open(new)
        assert rules(found) == {"max_length_lowered"}, (policy, found)
        assert all(item.proven for item in found)
        assert all(len(item.witness["given"]) > 2 and "locale" in item.witness for item in found)


def test_a_narrowing_inside_an_allof_branch_is_caught_under_lenient() -> None:
    old = {"allOf": [NAME, OWN]}
    assert_both_policies_find_the_narrowing(old, narrowed(old, "allOf", 0))


def test_a_narrowing_inside_a_referenced_branch_is_caught_under_lenient() -> None:
    old = with_defs(
        {
            "type": "object",
            "properties": {"person": {"$ref": "#/definitions/Person"}},
            "required": ["person"],
        },
        Name=NAME,
        Person={"allOf": [{"$ref": "#/definitions/Name"}, OWN]},
    )
    new = narrowed(old, "definitions", "Name")
    for policy in (STRICT, LENIENT):
        (item,) = checked(old, new, policy)
        assert item.rule == "max_length_lowered" and item.proven
        assert item.producer_path == "/definitions/Name/properties/given"  # a place in the schema as given
        assert len(item.witness["person"]["given"]) > 2 and "locale" in item.witness["person"]


def test_a_narrowing_inside_a_oneof_branch_is_caught_under_lenient() -> None:
    def kind(tag: str, **properties: Any) -> dict[str, Any]:
        return obj({"kind": {"enum": [tag]}, **properties}, required=["kind"])

    old = {"oneOf": [kind("person", given={"type": "string", "maxLength": 80}), kind("firm", vat={})]}
    new = narrowed(old, "oneOf", 0)
    for policy in (STRICT, LENIENT):
        found = checked(old, new, policy)
        assert "max_length_lowered" in rules(found), (policy, found)
        assert any(item.proven and item.rule == "max_length_lowered" for item in found)


def test_a_definition_used_in_several_places_admits_the_names_of_all() -> None:
    schema = with_defs(
        obj(
            {"a": {"allOf": [{"$ref": "#/definitions/D"}, obj({"x": {}})]}, "b": {"$ref": "#/definitions/D"}}
        ),
        D=obj({"d": {}}),
    )
    closed = close(schema)
    assert closed["definitions"]["D"]["properties"] == {"d": {}, "x": {}}
    assert Draft4Validator(closed).is_valid({"a": {"d": 1, "x": 2}, "b": {"d": 1}})


def test_adding_an_optional_property_to_a_composed_producer_still_passes_lenient() -> None:
    old = {"allOf": [NAME, OWN]}
    new = {"allOf": [NAME, {**OWN, "properties": {**OWN["properties"], "note": {"type": "integer"}}}]}
    assert rules(checked(old, new, STRICT)) == {"property_added_to_open_model"}
    assert checked(old, new, LENIENT) == []
    referenced_old = with_defs(obj({"p": {"$ref": "#/definitions/P"}}), P={"allOf": [NAME, OWN]})
    referenced_new = with_defs(obj({"p": {"$ref": "#/definitions/P"}}), P=new)
    assert checked(referenced_old, referenced_new, LENIENT) == []


def test_recursive_references_terminate() -> None:
    cycle = with_defs({"$ref": "#/definitions/A"}, A={"allOf": [{"$ref": "#/definitions/A"}, obj({"a": {}})]})
    assert close(cycle)["definitions"]["A"]["allOf"][1]["additionalProperties"] is False
    tree = with_defs(
        {"$ref": "#/definitions/Node"},
        Base=obj({"id": {"type": "string"}}),
        Node={
            "allOf": [
                {"$ref": "#/definitions/Base"},
                obj({"children": {"type": "array", "items": {"$ref": "#/definitions/Node"}}}),
            ]
        },
    )
    closed = close(tree)
    assert closed["definitions"]["Base"]["properties"] == {"children": {}, "id": {"type": "string"}}
    assert Draft4Validator(closed).is_valid({"id": "1", "children": [{"id": "2", "children": []}]})
    deeper = copy.deepcopy(tree)
    deeper["definitions"]["Node"]["allOf"][1]["properties"]["label"] = {"type": "string"}
    assert checked(tree, deeper, LENIENT) == []
    deeper["definitions"]["Base"]["properties"]["id"]["maxLength"] = 1
    (item,) = checked(tree, deeper, LENIENT)
    assert item.rule == "max_length_lowered" and item.proven


def test_what_close_leaves_as_written() -> None:
    # Draft 4 ignores the siblings of `$ref`: nothing to close there, and their names declare nothing
    ref_siblings = with_defs(
        {"type": "object", "properties": {"a": {"$ref": "#/definitions/A", "properties": {"zz": {}}}}},
        A=obj({"x": {}}),
    )
    closed = close(ref_siblings)
    assert closed["properties"]["a"] == ref_siblings["properties"]["a"]
    assert closed["definitions"]["A"]["properties"] == {"x": {}}
    # a reference that cannot be followed: the names of the place are unknown, so it stays open
    unknown = {"allOf": [obj({"a": {}}), {"$ref": "other.json#/B"}]}
    assert close(unknown) == unknown
    # a negation and a condition declare nothing the producer emits
    negated = {"type": "object", "not": obj({"a": {}})}
    assert close(negated)["not"] == negated["not"]
    conditional = {"type": "object", "if": obj({"kind": {"const": "x"}}), "then": obj({"x": {}})}
    closed = close(conditional, Draft7Validator)
    assert closed["if"] == conditional["if"]
    assert closed["then"]["properties"] == {"kind": {}, "x": {}}
    assert closed["properties"] == {"kind": {}, "x": {}} and closed["additionalProperties"] is False


# Soundness, as a property: compositions of small object schemas over a few names, and instances over them.
NAMES = ["a", "b", "c"]
VALUES = [0, 7, "xyz", None]
leaf = st.fixed_dictionaries(
    {"type": st.just("object")},
    optional={
        "properties": st.dictionaries(
            st.sampled_from(NAMES),
            st.sampled_from(
                [
                    {},
                    {"type": "integer"},
                    {"type": "string", "maxLength": 2},
                    {"type": "integer", "maximum": 5},
                ]
            ),
            max_size=2,
        ),
        "required": st.lists(st.sampled_from(NAMES), min_size=1, max_size=2, unique=True),
    },
)
composed = st.recursive(
    leaf,
    lambda inner: st.builds(
        lambda keyword, branches: {keyword: branches},
        st.sampled_from(["allOf", "anyOf", "oneOf"]),
        st.lists(inner, min_size=1, max_size=3),
    ),
    max_leaves=5,
)
producers = st.one_of(
    composed,
    st.builds(
        lambda d, own: {"allOf": [{"$ref": "#/definitions/D"}, own], "definitions": {"D": d}},
        composed,
        composed,
    ),
)
ABSENT = object()
# every object over the names with these values (exhaustive: the property does not rest on luck), and some
# with a name no schema declares
EVENTS = [
    {n: v for n, v in zip(NAMES, values, strict=True) if v is not ABSENT}
    for values in itertools.product([ABSENT, *VALUES], repeat=len(NAMES))
]
EVENTS += [{**event, "other": 0} for event in EVENTS[::10]]


def _mentioned(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        found = set(schema.get("properties", {})) | set(schema.get("required", []))
        return found.union(*(_mentioned(v) for v in schema.values()))
    return set().union(*(_mentioned(v) for v in schema)) if isinstance(schema, list) else set()


def _edit(schema: Any, choice: int) -> Any:
    """A narrowing somewhere in `schema`: the `choice`-th property schema becomes `maximum: 0` integers."""
    spots: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            spots.extend(p for p in node.get("properties", {}).values())
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    edited = copy.deepcopy(schema)
    walk(edited)
    if spots:
        spot = spots[choice % len(spots)]
        spot.clear()
        spot.update({"type": "integer", "maximum": 0})
    return edited


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(producers, st.integers(0, 10))
def test_close_keeps_every_producer_event_over_declared_names_and_lenient_is_sound(
    producer: dict[str, Any], choice: int
) -> None:
    declared = _mentioned(producer)  # one place: every name in the composition is declared for it
    original, closed = Draft4Validator(producer), Draft4Validator(close(producer))
    for event in EVENTS:
        if set(event) <= declared:
            assert original.is_valid(event) == closed.is_valid(event), event
        else:  # every object schema of these compositions is closed: other names are never sent
            assert not closed.is_valid(event), event
    consumer = _edit(producer, choice)
    opened = Draft4Validator(open_(consumer))
    witnesses = [e for e in EVENTS if closed.is_valid(e) and not opened.is_valid(e)]
    if witnesses:
        assert check(producer, consumer, policy=LENIENT) != [], witnesses[0]

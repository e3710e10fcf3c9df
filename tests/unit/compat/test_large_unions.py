"""Unions of hundreds of alternatives (issue 10, point 7: Azure Pipelines' tasks) compared within the bound:
alternatives told apart by the values of a property the producer requires, and soundness where that index
must not be trusted (values of other kinds, a property not required, patterns that are not a few names)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator  # type: ignore[import-untyped, unused-ignore]

from registry.domain.compat import CompatibilityPolicy
from registry.domain.compat.checker import check_prepared, prepare
from registry.domain.compat.regex_samples import finite_language
from tests.unit.compat.checking import checked, rules

DRAFT7 = "http://json-schema.org/draft-07/schema#"
STRICT = CompatibilityPolicy.STRICT
FILLERS = 70  # past the expansion's bound (64 alternatives): the union is compared one alternative at a time


def tasks(names: list[str]) -> dict[str, Any]:
    """Azure Pipelines' shape: a task names itself in a pattern, beside its own inputs."""
    return {
        "$schema": DRAFT7,
        "type": "array",
        "items": {
            "type": "object",
            "required": ["task"],
            "properties": {"task": {"anyOf": [{"enum": [name]} for name in names]}, "inputs": {}},
            "additionalProperties": False,
            "anyOf": [
                {
                    "properties": {
                        "task": {"pattern": f"^{name}$"},
                        "inputs": {"type": "object", "properties": {"path": {"type": "string"}}},
                    }
                }
                for name in names
            ],
        },
    }


def validations(producer: Any, consumer: Any) -> tuple[list[Any], int]:
    """The checker's answer, and how many distinct validations it asked of jsonschema on the consumer's side
    (trying each consumer alternative in turn would ask one per alternative at least)."""
    p_doc = prepare(producer, as_producer=True, policy=STRICT)
    c_doc = prepare(consumer, as_producer=False, policy=STRICT)
    found = check_prepared(p_doc, c_doc)
    return found, sum(1 for key in c_doc.memo if key[0] == "valid")


def test_a_changed_alternative_meets_the_one_that_names_the_same_task_wherever_it_moved() -> None:
    names = [f"Task{i}@1" for i in range(300)]
    old = tasks(names)
    new = tasks([f"New{i}@1" for i in range(5)] + names)  # every alternative moves by five places
    changed = copy.deepcopy(new)
    inputs = changed["items"]["anyOf"][150]["properties"]["inputs"]
    inputs["additionalProperties"] = False  # Task145@1 no longer takes other inputs
    found, asked = validations(old, changed)
    assert "too_complex" not in rules(found) and any(item.proven for item in found)
    # the alternatives are looked up by the name the producer's task requires, not each validated in turn
    assert asked < 30, asked
    assert checked(changed, new) == []  # a narrowed alternative, found by its name


def test_a_task_only_one_side_knows_is_a_witness_without_trying_every_alternative() -> None:
    names = [f"Task{i}@1" for i in range(300)]
    found, asked = validations(tasks([*names, "Added@1"]), tasks(names))
    assert "too_complex" not in rules(found) and any(item.proven for item in found)
    assert asked < 30, asked


def test_a_pattern_under_flags_is_not_read_as_the_few_strings_it_spells() -> None:
    # Python-syntax patterns kept as they were stored: `(?i)^foo$` also matches "FOO"
    assert finite_language("(?i)^foo$") is None
    assert finite_language("^(?i:foo)$") is None
    assert finite_language("(?m)^a$") is None
    assert set(finite_language("^(a|b)$") or []) >= {"a", "b"}

    def schema(listed: list[str]) -> dict[str, Any]:
        fillers = [{"properties": {"task": {"pattern": f"^v{i}$"}}} for i in range(FILLERS)]
        return {
            "$schema": DRAFT7,
            "type": "object",
            "required": ["task"],
            "properties": {"task": {"anyOf": [{"enum": [name]} for name in listed]}},
            "anyOf": [{"properties": {"task": {"pattern": "(?i)^foo$"}}}, *fillers],
        }

    names = [f"v{i}" for i in range(FILLERS)]
    found = checked(schema([*names, "FOO"]), schema(names))
    assert found and all(item.proven for item in found)  # {"task": "FOO"}


def padded(kinds: list[Any], typed: bool = True, last: bool = True) -> dict[str, Any]:
    """A union of alternatives told apart by `kind`, padded past the expansion's bound (the fillers first
    or `last`: the alternative at the producer's place is then another one)."""
    fillers = [{"properties": {"kind": {"const": f"filler{i}"}}} for i in range(FILLERS)]
    own = [{"properties": {"kind": kind}} for kind in kinds]
    schema: dict[str, Any] = {
        "$schema": DRAFT7,
        "required": ["kind"],
        "anyOf": [*own, *fillers] if last else [*fillers, *own],
    }
    return {**schema, "type": "object"} if typed else schema


def test_the_index_keeps_every_alternative_that_may_hold_the_producers_value() -> None:
    # a value of another kind than strings, a consumer alternative that bounds `kind` by kind only, one that
    # does not name it: each still holds the producer's alternative, wherever it stands
    producer = padded([{"const": 1}], last=False)
    assert checked(producer, padded([{"const": "b"}, {"enum": ["a", 1]}])) == []
    producer = padded([{"const": "a"}], last=False)
    assert checked(producer, padded([{"const": "b"}, {"type": "string"}])) == []
    assert checked(producer, padded([{"const": "b"}, {"pattern": "^(a|c)$"}])) == []
    assert (
        checked(padded([{"pattern": "^a$", "type": "string"}], last=False), padded([{}, {"const": "b"}]))
        == []
    )


# Soundness of unions compared one alternative at a time (the index, a part skipped when it surely holds
# another kind). Random unions around a property `kind`, padded past the expansion's bound, are checked;
# whenever the answer is "compatible", every value of a set that covers those cases (kinds of values, names
# in and out of the patterns, the property missing) that the producer accepts must be accepted by the
# consumer.
KIND_SCHEMAS: list[Any] = [
    {"const": "a"},
    {"enum": ["a", "b"]},
    {"enum": ["a", 1]},
    {"pattern": "^a$"},
    {"pattern": "(?i)^a$"},
    {"type": "string", "pattern": "^(a|b)$"},
    {"type": "string"},
    {},
    False,
]
PROBES: list[Any] = [None, 1, "a", [], *[{"kind": k} for k in ("a", "b", "A", "c", 1, None, "filler3")]]
PROBES += [{"kind": "a", "x": 1}, {"kind": "b", "x": "s"}, {"x": 1}, {}]


def union(envelope_type: bool, required: bool, kinds: list[Any], closed: list[bool]) -> dict[str, Any]:
    alternatives: list[Any] = []
    for kind, shut in zip(kinds, closed, strict=False):
        alternative: dict[str, Any] = {"properties": {"kind": kind, "x": {"type": "integer"}}}
        if shut:
            alternative["additionalProperties"] = False
        alternatives.append(alternative)
    alternatives.append({"properties": {"other": {"type": "string"}}, "additionalProperties": False})
    alternatives += [{"properties": {"kind": {"const": f"filler{i}"}}} for i in range(FILLERS)]
    schema: dict[str, Any] = {"$schema": DRAFT7, "anyOf": alternatives}
    if envelope_type:
        schema["type"] = "object"
    if required:
        schema["required"] = ["kind"]
    return schema


sides = st.builds(
    union,
    st.booleans(),
    st.booleans(),
    st.lists(st.sampled_from(KIND_SCHEMAS), min_size=1, max_size=3),
    st.lists(st.booleans(), min_size=3, max_size=3),
)


@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(producer=sides, consumer=sides)
def test_alternatives_left_out_by_the_index_never_hide_a_counterexample(producer: Any, consumer: Any) -> None:
    if checked(producer, consumer):
        return
    allows, reads = Draft7Validator(producer), Draft7Validator(consumer)
    for value in PROBES:
        if allows.is_valid(value):
            assert reads.is_valid(value), value

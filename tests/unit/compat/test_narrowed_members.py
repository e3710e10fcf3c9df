"""Members of unions met on real version histories (issue 10, point 7): a `oneOf` rewritten between versions
whose branches the rest of the schema already keeps apart, producer alternatives that several consumer
alternatives hold together, and witnesses that must also satisfy the rest of the producer."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from jsonschema import Draft4Validator, Draft7Validator  # type: ignore[import-untyped, unused-ignore]

from registry.domain.compat.containment import Containment
from registry.domain.compat.document import Doc, Node
from registry.domain.compat.normalise import Budget
from registry.domain.compat.samples import samples
from tests.unit.compat.checking import checked
from tests.unit.compat.test_soundness_generated import assert_no_generated_counterexample

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


def inputs(conditional: dict[str, Any]) -> dict[str, Any]:
    """GitHub workflows' dispatch inputs: what `default` may hold depends on the declared `type`."""
    return {
        "$schema": DRAFT7,
        "type": "object",
        "additionalProperties": False,
        "properties": {"type": {"enum": ["string", "boolean", "choice"]}, "default": {}},
        "allOf": [conditional],
    }


def when(value: str, then: dict[str, Any], otherwise: dict[str, Any] | None = None) -> dict[str, Any]:
    condition = {"properties": {"type": {"const": value}}, "required": ["type"]}
    return {"if": condition, "then": then, **({"else": otherwise} if otherwise is not None else {})}


def typed_default(kind: str) -> dict[str, Any]:
    return {"properties": {"default": {"type": kind}}}


def test_an_alternative_several_conditions_hold_together_is_cut_by_its_listed_values() -> None:
    # "boolean, else string" became one condition per type (choice left free): each value of `type` (and
    # its absence) meets the one consumer alternative that holds it
    old = inputs(when("boolean", typed_default("boolean"), typed_default("string")))
    new = inputs(
        {"allOf": [when("string", typed_default("string")), when("boolean", typed_default("boolean"))]}
    )
    assert checked(old, new) == []
    found = checked(new, old)  # a choice's default may now be a number
    assert found and any(item.proven for item in found)


def detached(commands: dict[str, Any]) -> dict[str, Any]:
    """Woodpecker's step: a detached one needs no commands."""
    return {
        "$schema": DRAFT7,
        "type": "object",
        "properties": {"detach": {"type": "boolean"}, "commands": {"type": "array"}, "image": {}},
        **commands,
    }


def test_a_boolean_member_cuts_an_alternative_in_three() -> None:
    always = detached({"required": ["commands"]})
    unless_detached = detached(
        {"if": {"properties": {"detach": {"const": True}}}, "then": {}, "else": {"required": ["commands"]}}
    )
    assert checked(always, unless_detached) == []
    found = checked(unless_detached, always)  # {"detach": true}: no commands
    assert found and all(item.proven for item in found)
    needs_image = detached(
        {"if": {"properties": {"detach": {"const": True}}}, "then": {}, "else": {"required": ["image"]}}
    )
    found = checked(always, needs_image)  # cut or not, a step that is not detached may lack an image
    assert found and all(item.proven for item in found)


def deferred(alternatives: list[dict[str, Any]]) -> dict[str, Any]:
    """Taskfile's deferred command: a member that was a string or a call, split into two alternatives."""
    return {"$schema": DRAFT7, "definitions": {"call": CALL}, "anyOf": alternatives}


CALL = {
    "type": "object",
    "properties": {"task": {"type": "string"}},
    "required": ["task"],
    "additionalProperties": False,
}


def defer(value: dict[str, Any], **more: Any) -> dict[str, Any]:
    properties = {"defer": value, **more}
    return {"type": "object", "properties": properties, "required": ["defer"], "additionalProperties": False}


def test_a_member_of_two_kinds_cuts_an_alternative_by_kind() -> None:
    either = deferred([defer({"anyOf": [{"type": "string"}, {"$ref": "#/definitions/call"}]})])
    split = deferred(
        [
            defer({"type": "string"}, silent={"type": "boolean"}),
            defer({"anyOf": [{"$ref": "#/definitions/call"}]}),
        ]
    )
    assert checked(either, split) == []
    found = checked(split, either)  # {"defer": "", "silent": true}
    assert found and any(item.proven for item in found)


def test_an_undecided_comparison_below_a_map_stays_too_complex() -> None:
    # each value is a validation: out of time, the values left are undecided, and so are the map's members
    values = {"enum": [f"value {n}" for n in range(3000)]}
    producer = {"type": "object", "additionalProperties": values}
    consumer = {"type": "object", "additionalProperties": {"type": "string", "minLength": 1}}
    p_doc, c_doc = Doc(producer, Draft4Validator), Doc(consumer, Draft4Validator)
    budget = Budget(seconds=0.02)  # far less than 3000 validations take

    found = Containment(budget).contained([Node(producer, "", p_doc)], [Node(consumer, "", c_doc)])

    assert [item.rule for item in found] == ["too_complex"]
    assert all(isinstance(value, dict) for item in found for value in item.candidates)


def targets(typed: bool) -> dict[str, Any]:
    """Woodpecker's secret target: an environment variable or a file, one of them (its older version wrote
    the branches' members where their keywords belong, so both branches hold everything)."""

    def target(name: str) -> dict[str, Any]:
        member = {"type": "string"}
        if not typed:
            return {name: member}
        return {"type": "object", "properties": {name: member}, "additionalProperties": False}

    secret = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "target": {"$ref": "#/definitions/target"}},
        "required": ["name"],
    }
    return {
        "$schema": DRAFT7,
        "definitions": {"target": {"oneOf": [target("env"), target("file")]}},
        "type": "object",
        "properties": {"secrets": {"type": "array", "items": secret}},
    }


def test_a_sample_of_a_oneof_branch_escapes_the_other_branches() -> None:
    # {} is in both typed branches (no value of the union); {"env": ""} only in the first
    schema = targets(typed=True)
    doc = Doc(schema, Draft7Validator)
    union = Node(schema["definitions"]["target"], "/definitions/target", doc)
    found = samples([union])
    assert found and Draft7Validator(union.schema).is_valid(found[0])
    # and a whole witness, against the older version that accepts no target at all
    found_items = checked(schema, targets(typed=False))
    assert found_items and all(item.proven for item in found_items)


def variables(patterns: dict[str, Any]) -> dict[str, Any]:
    """GitLab CI's variables: any name, a scalar value (an older version also had a pattern that forbids)."""
    return {"type": "object", "properties": {"variables": {"type": "object", "patternProperties": patterns}}}


def test_a_pattern_that_forbids_is_shown_with_a_name_of_its_own() -> None:
    scalar = {"type": ["string", "number", "boolean"]}
    found = checked(variables({".*": scalar}), variables({".*": scalar, "additionalProperties": False}))
    assert found and all(item.proven for item in found)
    assert all("additionalProperties" in item.witness["variables"] for item in found)
    assert checked(variables({".*": scalar, "additionalProperties": False}), variables({".*": scalar})) == []


def workflow(steps: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """GitHub workflows' jobs: a map of jobs, each with steps that use or run something."""
    step = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"uses": {"type": "string"}, "run": {"type": "string"}, "name": {"type": "string"}},
    }
    job = {"type": "object", "required": ["runs-on"], "properties": {"runs-on": {}, "steps": steps(step)}}
    return {"$schema": DRAFT7, "type": "object", "properties": {"jobs": {"additionalProperties": job}}}


USES_OR_RUN = {"oneOf": [{"required": ["uses"]}, {"required": ["run"]}]}


def test_an_item_witness_keeps_an_item_the_producer_must_contain() -> None:
    # the older version needs one step that uses or runs something, the newer every step: [{}] alone fails
    # the older one's `contains`, [{}, {"uses": ""}] does not
    some = workflow(lambda step: {"type": "array", "items": step, "contains": USES_OR_RUN})
    every = workflow(lambda step: {"type": "array", "items": {"allOf": [USES_OR_RUN, step]}})
    found = checked(some, every)
    assert found and all(item.proven for item in found)


MONTHS = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC"
DAYS = "MON|TUE|WED|THU|FRI|SAT|SUN"


def schedule(ranges_with_steps: bool) -> dict[str, Any]:
    """A cron line: five fields, each a number, a list, a step, a range or a name (a newer version also
    takes a range with a step, `1-5/2`)."""
    fields = [r"(\d+,)+\d+", r"(\d+|\*)/\d+", r"\d+-\d+", r"\d+", r"\*", f"({MONTHS})(-({MONTHS}))?"]
    if ranges_with_steps:
        fields.insert(3, r"\d+(-\d+)?/\d+(-\d+)?")
    fields.append(f"({DAYS})(-({DAYS}))?")
    cron = {"type": "string", "pattern": "^((" + "|".join(fields) + ") ?){5}$"}
    return {"type": "object", "properties": {"cron": cron}}


def test_an_alternative_added_to_a_pattern_is_shown_by_a_string_of_it() -> None:
    # beyond the automaton's bound (five copies of eight alternatives, both sides): "0-0/0-0 0-0/0-0 ..."
    found = checked(schedule(True), schedule(False))
    assert found and all(item.proven for item in found)


def discriminated_pair(rng: random.Random) -> tuple[dict[str, Any], dict[str, Any]]:
    """A producer object with a listed `kind`, a boolean `flag` and a `value`, and a consumer that types
    `value` (or requires it) by the value of `kind` or `flag`: alternatives, conditions or `oneOf` branches,
    the shapes cuts decide."""
    kinds = ["a", "b", "c"]
    types = ["string", "integer", "boolean", "null"]

    def some(values: list[str]) -> list[str]:
        return rng.sample(values, rng.randint(1, len(values)))

    properties = {"kind": {"enum": some(kinds)}, "flag": {"type": "boolean"}, "value": {"type": some(types)}}
    producer: dict[str, Any] = {
        "$schema": DRAFT7,
        "type": "object",
        "properties": properties,
        "required": rng.choice([[], ["kind"], ["value"]]),
        "additionalProperties": rng.random() < 0.5,
    }
    by_kind: list[dict[str, Any]] = [
        {"properties": {"kind": {"const": k}, "value": {"type": some(types)}}, "required": ["kind"]}
        for k in kinds
    ]
    form = rng.randrange(4)
    if form == 0:
        union: dict[str, Any] = {
            "anyOf": [*rng.sample(by_kind, rng.randint(1, 3)), {"properties": {"kind": False}}]
        }
    elif form == 1:
        union = {
            "allOf": [
                {
                    "if": {"properties": {"kind": b["properties"]["kind"]}, "required": ["kind"]},
                    "then": {"properties": {"value": b["properties"]["value"]}},
                }
                for b in by_kind
            ]
        }
    elif form == 2:
        union = {
            "if": {"properties": {"flag": {"const": True}}},
            "then": {},
            "else": {"required": some(["value", "kind"])},
        }
    else:
        union = {
            "oneOf": [
                {"properties": {"kind": {"enum": some(kinds)}}, "required": ["kind"]},
                {"properties": {"kind": False}},
            ]
        }
    consumer = {"$schema": DRAFT7, "type": "object", "properties": properties, **union}
    return producer, consumer


def test_cut_alternatives_survive_generated_events() -> None:
    # whenever such a pair is answered compatible, no event hypothesis draws from the producer fails the
    # consumer (and witnesses are verified by `checked`): 22 of these 120 are compatible, 16 of them only
    # by a cut
    rng = random.Random(7)
    tried = compatible = 0
    for _ in range(120):
        producer, consumer = discriminated_pair(rng)
        compatible += not checked(producer, consumer)
        tried += assert_no_generated_counterexample(producer, consumer, Draft7Validator)
    assert compatible >= 15 and tried >= 150


def sibling_pair(rng: random.Random) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two versions of a `oneOf` over which member an object has (typed branches or bare `required`s, in an
    `allOf` or beside the object), the members typed alike (mostly), the object closed or open."""
    types = ["string", "integer", "object"]
    typed = {n: rng.choice(types) for n in ("uses", "run", "name")}

    def version() -> dict[str, Any]:
        own = dict(typed)
        if rng.random() < 0.2:  # now and then a member retyped
            own[rng.choice(["uses", "run"])] = rng.choice(types)
        branches = []
        for name in ("uses", "run"):
            branch: dict[str, Any] = {"required": [name]}
            if rng.random() < 0.5:
                branch["properties"] = {name: {"type": own[name]}}
            branches.append(branch)
        body = {
            "type": "object",
            "properties": {n: {"type": t} for n, t in own.items()},
            "additionalProperties": rng.random() < 0.3,
        }
        if rng.random() < 0.5:
            return {"$schema": DRAFT7, "allOf": [{"oneOf": branches}, body]}
        return {"$schema": DRAFT7, **body, "oneOf": branches}

    return version(), version()


def test_excluded_siblings_survive_generated_events() -> None:
    # 52 of 80 such pairs are compatible, 14 of them without excluding siblings by the producer's parts
    rng = random.Random(3)
    tried = compatible = 0
    for _ in range(80):
        producer, consumer = sibling_pair(rng)
        compatible += not checked(producer, consumer)
        tried += assert_no_generated_counterexample(producer, consumer, Draft7Validator)
    assert compatible >= 20 and tried >= 150

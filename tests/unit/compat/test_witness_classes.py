"""Witnesses for the classes of real evolutions that were answered incompatible without one (SchemaStore's
histories, docs/compat.md "Version histories"): each test is a small hand-made schema of the same shape."""

from __future__ import annotations

import copy
import itertools
import random
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]

from registry.domain.compat import witnesses
from registry.domain.compat.disjoint import patterns_apart
from registry.domain.compat.document import Doc
from registry.domain.compat.policy import validator_class_of
from registry.domain.compat.report import finding
from registry.domain.compat.strings import Text
from registry.domain.formats.refs import OFFLINE_REGISTRY
from registry.domain.formats.regexes import search
from tests.unit.compat.checking import checked


def _jobs(requirement: dict[str, Any]) -> dict[str, Any]:
    """CircleCI's shape: a list of job names or of one-member maps naming a job, whose value is a job."""
    job = {"type": "object", "properties": {"requires": {"type": "array", "items": requirement}}}
    job_map = {"type": "object", "additionalProperties": {"$ref": "#/definitions/job", "type": "object"}}
    return {
        "definitions": {"job": job},
        "type": "object",
        "properties": {"jobs": {"type": "array", "items": {"oneOf": [{"type": "string"}, job_map]}}},
    }


def test_a_member_of_an_open_map_under_a_union_takes_its_value_from_the_part_that_types_it() -> None:
    # the union's own node (no additionalProperties) and its object branch (additionalProperties: a job) both
    # apply to the map's members: the candidates must come from the branch, where the narrowing is
    status = {"type": "object", "maxProperties": 1, "patternProperties": {"^[a-z]+$": {"enum": ["success"]}}}
    found = checked(_jobs({"oneOf": [{"type": "string"}, status]}), _jobs({"type": "string"}))
    assert [(item.rule, item.proven) for item in found] == [("additional_properties_narrowed", True)]
    (job,) = found[0].witness["jobs"][0].values()
    assert not isinstance(job["requires"][0], str)


DRAFT2020 = "https://json-schema.org/draft/2020-12/schema"


def _plugin(shared: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Meltano's and compose's shape: an object made of `allOf` references, closed by
    `unevaluatedProperties: false` (its names are those of the parts it is made of)."""
    return {
        "$schema": DRAFT2020,
        "$defs": {
            "generic": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
            "shared": {"type": "object", "properties": shared},
        },
        "type": "object",
        "allOf": [{"$ref": "#/$defs/generic"}, {"$ref": "#/$defs/shared"}],
        "unevaluatedProperties": False,
        **extra,
    }


def test_unevaluated_properties_made_of_references_is_compared_as_the_names_they_declare() -> None:
    old = _plugin({"catalog": {"type": "string"}})
    new = _plugin({"catalog": {"type": "string"}, "log_parser": {"enum": ["sdk"]}})
    # the new version only adds a name: the old one's events all pass it (both sides closed by
    # unevaluatedProperties, which the checker reads as the names their parts declare)
    assert checked(old, new) == []
    found = checked(new, old)
    assert [(item.rule, item.proven) for item in found] == [("property_removed_from_closed_model", True)]
    assert found[0].consumer_path == "/unevaluatedProperties"
    assert "log_parser" in found[0].witness


def test_unevaluated_properties_closes_names_beyond_the_parts_and_their_patterns() -> None:
    named = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    found = checked({"$schema": DRAFT2020, **named}, _plugin({}))
    assert [(item.rule, item.proven) for item in found] == [("additional_properties_narrowed", True)]
    assert set(found[0].witness) - {"name"}
    # names of a pattern the consumer's parts declare count as evaluated
    patterned = {
        "$schema": DRAFT2020,
        **named,
        "patternProperties": {"^x-": {}},
        "additionalProperties": False,
    }
    assert checked(patterned, _plugin({}, patternProperties={"^x-": {}})) == []
    assert checked(patterned, _plugin({})) != []


def test_unevaluated_properties_whose_names_depend_on_the_instance_stays_unsupported() -> None:
    # a name counted only when an anyOf branch holds: not read as fixed names (the answer stays conservative)
    closed = {"$schema": DRAFT2020, "type": "object", "properties": {"a": {}}, "additionalProperties": False}
    consumer = {
        "$schema": DRAFT2020,
        "type": "object",
        "anyOf": [{"properties": {"a": {}}}, {"properties": {"b": {}}}],
        "unevaluatedProperties": False,
    }
    assert {(item.rule, item.proven) for item in checked(closed, consumer)} == {
        ("unsupported_keyword", False)
    }


def _object(rng: random.Random, depth: int = 0, refers: bool = True) -> dict[str, Any]:
    """A random 2020-12 object schema with the keywords `unevaluatedProperties` reads (`refers`: it may
    refer to `#/$defs/part`, itself made with `refers=False`)."""
    leaves: list[Any] = [{}, {"type": "string"}, {"type": "null"}, False]
    schema: dict[str, Any] = {"type": "object"} if rng.random() < 0.5 else {}
    names = rng.sample(["a", "b", "c"], rng.randint(0, 2))
    if names:
        schema["properties"] = {name: rng.choice(leaves) for name in names}
    if rng.random() < 0.25:
        schema["patternProperties"] = {"^x-": rng.choice(leaves)}
    if rng.random() < 0.15:
        schema["additionalProperties"] = rng.choice(leaves)
    if rng.random() < 0.3:
        schema["required"] = rng.sample(["a", "b"], 1)
    if depth < 2 and rng.random() < 0.5:
        keyword = rng.choice(["allOf", "allOf", "anyOf", "oneOf"])
        schema[keyword] = [_object(rng, depth + 1, refers) for _ in range(rng.randint(1, 2))]
    if refers and rng.random() < 0.3:
        schema["$ref"] = "#/$defs/part"
    if rng.random() < (0.6 if depth == 0 else 0.15):
        schema["unevaluatedProperties"] = rng.choice(leaves)
    return schema


def _edited(schema: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """`schema` after an edit that often keeps it compatible: its names regrouped (under `allOf`, or an
    `anyOf` branch, which makes them count only when it holds), a name or a pattern added, its
    `unevaluatedProperties` loosened."""
    edited = copy.deepcopy(schema)
    names = edited.pop("properties", {})
    choice = rng.randrange(5)
    if choice == 0:
        edited["allOf"] = [*edited.get("allOf", []), {"properties": names}]
    elif choice == 1:
        edited["anyOf"] = [{"properties": names, "required": [rng.choice(["a", "b"])]}, {}]
    elif choice == 2:
        edited["properties"] = {**names, "c": rng.choice([{}, {"type": "string"}])}
    elif choice == 3:
        edited["properties"] = names
        edited["patternProperties"] = {"^x-": {}}
    else:
        edited["properties"] = names
        edited["unevaluatedProperties"] = rng.choice([{}, {"type": "null"}])
    return edited


def test_unevaluated_properties_is_never_called_compatible_unsoundly() -> None:
    rng = random.Random(10)
    keys = ["a", "b", "x-1", "z"]
    pool: list[Any] = [
        dict(zip(names, chosen, strict=True))
        for size in range(4)
        for names in itertools.combinations(keys, size)
        for chosen in itertools.product([None, "s"], repeat=size)
    ]
    decided = 0
    for _ in range(50):
        producer = {"$schema": DRAFT2020, "$defs": {"part": _object(rng, 1, refers=False)}, **_object(rng)}
        consumer = _edited(producer, rng)
        for p, c in ((producer, consumer), (consumer, producer)):
            if checked(p, c):
                continue
            decided += 1
            allows, reads = (Draft202012Validator(s, registry=OFFLINE_REGISTRY) for s in (p, c))
            for instance in pool:
                assert not (allows.is_valid(instance) and not reads.is_valid(instance)), (p, c, instance)
    assert decided > 40


def test_findings_at_the_same_places_share_their_candidates() -> None:
    # two findings of one rule at the same places (from two producer alternatives, or two listed values): one
    # item is reported, and a counterexample among the second one's candidates still proves it (Drone's
    # removed pipeline type: the first finding's candidates were all other types)
    producer, consumer = {"type": "string"}, {"not": {"enum": ["zebra-42"]}}
    docs = Doc(producer, validator_class_of(producer)), Doc(consumer, validator_class_of(consumer))
    found = [finding("negation_overlap", "", "/not", "m", [value]) for value in ("a", "zebra-42")]
    items = witnesses.incompatibilities(found, witnesses.Verifier(*docs))
    assert [(item.rule, item.proven, item.witness) for item in items] == [
        ("negation_overlap", True, "zebra-42")
    ]


def _pipeline(kubernetes_ref: str, types: list[str], **definitions: Any) -> dict[str, Any]:
    """Drone's shape: a `oneOf` of pipeline kinds, one of which refers to another document (never fetched)."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://example.com/ci/drone.json",
        "definitions": {
            "kubernetes": {
                "type": "object",
                "properties": {"type": {"const": "kubernetes"}, "metadata": {"$ref": kubernetes_ref}},
            },
            "other": {"type": "object", "properties": {"type": {"enum": types}}, "required": ["type"]},
            **definitions,
        },
        "oneOf": [{"$ref": "#/definitions/kubernetes"}, {"$ref": "#/definitions/other"}],
    }


def test_references_to_the_same_other_document_name_the_same_schema() -> None:
    absolute = "https://example.com/ci/kubernetes.json#/definitions/ObjectMeta"
    relative = "kubernetes.json#/definitions/ObjectMeta"
    # the same URI, written relative to the document's $id or absolute: the same schema, whatever it is
    assert checked(_pipeline(relative, ["docker"]), _pipeline(absolute, ["docker"])) == []
    assert checked(_pipeline(absolute, ["docker"]), _pipeline(relative, ["docker"])) == []
    # a `oneOf` branch that refers to it is excluded the same way on both sides: a type added is compatible,
    # a type removed is shown by an event that never reaches the other document
    assert checked(_pipeline(relative, ["docker"]), _pipeline(absolute, ["docker", "vm"])) == []
    found = checked(_pipeline(relative, ["docker", "vm"]), _pipeline(absolute, ["docker"]))
    assert {item.witness.get("type") for item in found if item.proven} == {"vm"}
    # another document: never taken for the same
    other = "https://example.com/ci/kubernetes-v2.json#/definitions/ObjectMeta"
    assert not any(
        item.proven for item in checked(_pipeline(absolute, ["docker"]), _pipeline(other, ["docker"]))
    )
    assert checked(_pipeline(absolute, ["docker"]), _pipeline(other, ["docker"])) != []


def test_a_reference_to_the_document_itself_by_its_uri_is_not_another_documents() -> None:
    # both versions name `.../drone.json#/definitions/meta`: the URI is the same, the schemas it names differ
    own = "https://example.com/ci/drone.json#/definitions/meta"
    old = _pipeline(own, ["docker"], meta={"type": "string"})
    new = _pipeline(own, ["docker"], meta={"type": "integer"})
    found = checked(old, new)
    assert found and any(item.proven for item in found)


def _orbs(*strings: str) -> dict[str, Any]:
    """CircleCI's orbs: a map whose values are one of several kinds of references (`oneOf`)."""
    kinds = [{"type": "string", "pattern": pattern} for pattern in strings] + [{"type": "object"}]
    return {"type": "object", "additionalProperties": {"oneOf": kinds}}


def test_a_oneof_branch_added_whose_pattern_no_other_branch_meets_is_compatible() -> None:
    versioned = "^[a-z]+/[a-z]+@([0-9]+|volatile)$"
    # an old value matches no URL: it still matches exactly one branch of the new union
    assert checked(_orbs(versioned), _orbs(versioned, "^https://.+$")) == []
    # a pattern that meets the old one's strings: a value may then match two branches
    found = checked(_orbs(versioned), _orbs(versioned, "@volatile$"))
    assert found and any(item.proven for item in found)


def test_patterns_shown_disjoint_share_no_string() -> None:
    patterns = ["^a", "b$", "^[a-z]+$", "^[0-9]+$", "@", "^x-", "^h.*:", "a|b", "^$", "^a*$", "[^a]"]
    alphabet = "ab0x-@:h"
    texts = ["".join(chars) for size in range(4) for chars in itertools.product(alphabet, repeat=size)]
    shown = 0
    for first, second in itertools.combinations(patterns, 2):
        if patterns_apart(Text(patterns=[first]), Text(patterns=[second])):
            shown += 1
            assert not [t for t in texts if search(first, t) and search(second, t)], (first, second)
    assert shown >= 10

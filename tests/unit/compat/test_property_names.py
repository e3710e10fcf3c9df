"""A consumer's `propertyNames`, compared with the names the producer's objects may have (SchemaStore's
Mergify and Buildkite: docs/compat.md "Version histories"). Each test is a small hand-made schema of the
same shape."""

from __future__ import annotations

import copy
import itertools
import random
from typing import Any

from registry.domain.compat.policy import validator_class_of
from registry.domain.formats.refs import OFFLINE_REGISTRY
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


def test_property_names_every_string_passes_constrain_nothing() -> None:
    producer = {"$schema": DRAFT7, "type": "object", "properties": {"a": {"type": "string"}}}
    assert checked(producer, {**producer, "propertyNames": {"type": "string"}}) == []


def test_a_name_the_producer_s_property_names_refuse_is_never_sent() -> None:
    # the consumer forbids "c" (here through a negation whose exact complement is `properties: {c: false}`):
    # no producer object has it, its names all start with "a"
    producer = {"$schema": DRAFT7, "type": "object", "propertyNames": {"pattern": "^a"}}
    consumer = {"$schema": DRAFT7, "type": "object", "not": {"properties": {"a": True}, "required": ["c"]}}
    assert checked(producer, consumer) == []
    found = checked({"$schema": DRAFT7, "type": "object"}, consumer)
    assert found and found[0].proven and "c" in found[0].witness


NAMES = ["a", "b", "c", "x-a"]


def _names_schema(rng: random.Random) -> dict[str, Any]:
    return rng.choice(
        [
            {"enum": rng.sample(NAMES, rng.randint(1, 3))},
            {"pattern": rng.choice(["^[a-z]+$", "^x-", "^a", "b|c"])},
            {"maxLength": 1},
            {"type": "string"},
        ]
    )


def _object(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    """Small objects with property names, closed or not, required names, `oneOf`s and negations of
    `{properties: {x: true}, required: [y]}`: the shapes of this file and test_negations.py, mixed."""
    schema: dict[str, Any] = {"type": "object"}
    names = rng.sample(NAMES, rng.randint(0, 3))
    if names:
        values = [True, {"type": "string"}, {}, False, {"enum": [None, 0]}]
        schema["properties"] = {n: rng.choice(values) for n in names}
    if rng.random() < 0.4:
        schema["additionalProperties"] = rng.choice([False, {"type": "string"}])
    if rng.random() < 0.3:
        schema["patternProperties"] = {rng.choice(["^x-", "^a", "^b"]): rng.choice([{}, {"type": "string"}])}
    if rng.random() < 0.4:
        schema["required"] = rng.sample(NAMES, rng.randint(1, 2))
    if rng.random() < 0.4:
        schema["propertyNames"] = _names_schema(rng)
    r = rng.random()
    if depth < 1 and r < 0.3:
        schema["oneOf"] = [_object(rng, depth + 1) for _ in range(rng.randint(2, 3))]
    elif depth < 1 and r < 0.45:
        present = {"properties": {rng.choice(NAMES): True}, "required": [rng.choice(NAMES)]}
        schema["not"] = rng.choice([present, _object(rng, depth + 1)])
    elif depth < 1 and r < 0.55:
        schema["anyOf"] = [{"not": {"properties": {n: True}, "required": [n]}} for n in rng.sample(NAMES, 2)]
    return {"$schema": DRAFT7, **schema} if depth == 0 else schema


def test_random_objects_with_names_and_negations_are_never_called_compatible_unsoundly() -> None:
    rng = random.Random(11)
    pool: list[Any] = [{}, {"zz": ""}, {"a": 0}, {"x-b": ""}]
    for size in (1, 2, 3):
        for keys in itertools.combinations(NAMES, size):
            pool += [
                dict(zip(keys, values, strict=True)) for values in itertools.product(["", None], repeat=size)
            ]
    for _ in range(300):
        producer, consumer = _object(rng), _object(rng)
        if rng.random() < 0.3:  # a version of the producer with names narrowed
            consumer = {k: v for k, v in copy.deepcopy(producer).items() if k != "oneOf"}
            consumer.setdefault("propertyNames", _names_schema(rng))
        if checked(producer, consumer):
            continue
        allows = validator_class_of(producer)(producer, registry=OFFLINE_REGISTRY)
        reads = validator_class_of(consumer)(consumer, registry=OFFLINE_REGISTRY)
        for instance in pool:
            assert not (allows.is_valid(instance) and not reads.is_valid(instance)), (
                producer,
                consumer,
                instance,
            )

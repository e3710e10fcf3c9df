"""Soundness, property-style: whenever the checker answers "compatible", a search for a counterexample (an
instance the producer allows and the consumer rejects) finds none. Pairs come from seeded random edits of the
example contracts and from small random schemas; candidates from the example events edited at every place."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft7Validator  # type: ignore[import-untyped, unused-ignore]

from registry.domain.formats import jsonschema_draft
from tests.unit.compat.checking import judged_compatible
from tests.unit.conftest import Example

ODD: list[Any] = [None, True, 0, -1, 1, 2.5, 10**6, "", "x", "\n", "ab", [], [1], {}, {"x": 1}]
EDITS = 8


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copied = copy.deepcopy(value)
    node = copied
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = new
    return copied


def candidates(event: Any, rng: random.Random, size: int = 200) -> list[Any]:
    """The event with places given odd values, removed, or joined by an extra property (a sample of those)."""
    found = [event]
    for path in leaves(event):
        found += [replaced(event, path, odd) for odd in ODD]
        if path and isinstance(path[-1], str):
            parent = copy.deepcopy(event)
            node = parent
            for key in path[:-1]:
                node = node[key]
            del node[path[-1]]
            found.append(parent)
    for path in leaves(event):
        found += [replaced(event, path, {**v, "extra": 1}) for v in [_at(event, path)] if isinstance(v, dict)]
    return [event, *rng.sample(found, min(size, len(found)))]


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def schema_edits(schema: dict[str, Any], rng: random.Random) -> Iterator[dict[str, Any]]:
    objects = [p for p in leaves(schema) if isinstance(_at(schema, p), dict) and "enum" not in p]
    for _ in range(EDITS):
        path = rng.choice(objects)
        node = _at(schema, path)
        edits: list[dict[str, Any]] = [
            {"type": "string"},
            {"maxLength": 3},
            {"minimum": 1},
            {"maximum": 0},
            {"required": ["id"]},
            {"additionalProperties": False},
            {"enum": [None]},
            {"maxItems": 0},
            {"properties": {"extra": {"type": "integer"}}},
            {"anyOf": [copy.deepcopy(node), {"type": "null"}]},
        ]
        edit = rng.choice(edits)
        yield replaced(schema, path, {**node, **edit})


def assert_sound(producer: Any, consumer: Any, cls: Any, pool: list[Any]) -> None:
    for policy, _schema, allows, reads in judged_compatible(producer, consumer, cls):
        for instance in pool:
            assert not (allows.is_valid(instance) and not reads.is_valid(instance)), (policy, instance)


def test_edits_of_the_example_contracts_are_never_called_compatible_unsoundly(example: Example) -> None:
    if example.kind != "draft4":
        return  # OpenAPI contracts reach the checker through the same Draft 4 path (test_examples)
    schema = example.content
    cls = jsonschema_draft.event_validator_class(schema)
    rng = random.Random(example.name)
    pool = candidates(example.event, rng)
    for edited in schema_edits(schema, rng):
        assert_sound(schema, edited, cls, pool)
        assert_sound(edited, schema, cls, pool)


def random_schema(rng: random.Random, depth: int = 0) -> Any:
    choice = rng.random()
    if depth > 2 or choice < 0.4:
        return rng.choice(
            [
                {"type": rng.choice(["integer", "number", "string", "null", "boolean"])},
                {"type": "integer", rng.choice(["minimum", "maximum", "multipleOf"]): rng.choice([1, 2, 3])},
                {"type": "string", rng.choice(["minLength", "maxLength"]): rng.choice([0, 1, 2])},
                {"enum": rng.sample(ODD, 2)},
                {"const": rng.choice(ODD)},
                {},
            ]
        )
    if choice < 0.65:
        names = rng.sample(["a", "b"], rng.randint(0, 2))
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {n: random_schema(rng, depth + 1) for n in names},
        }
        if rng.random() < 0.4:
            schema["required"] = rng.sample(["a", "b"], 1)
        if rng.random() < 0.3:
            schema["additionalProperties"] = rng.choice([False, random_schema(rng, depth + 1)])
        return schema
    if choice < 0.8:
        return {"type": "array", "items": random_schema(rng, depth + 1), "maxItems": rng.choice([1, 2, 5])}
    keyword = rng.choice(["anyOf", "allOf", "oneOf", "not"])
    if keyword == "not":
        return {"not": random_schema(rng, depth + 1)}
    return {keyword: [random_schema(rng, depth + 1) for _ in range(2)]}


def test_random_small_schemas_are_never_called_compatible_unsoundly() -> None:
    rng = random.Random(7)
    pool = ODD + [{"a": v} for v in ODD] + [{"a": v, "b": w} for v in ODD[:6] for w in ODD[:6]]
    pool += [[v] for v in ODD] + [[v, v] for v in ODD[:6]] + [{"b": [v]} for v in ODD]
    for _ in range(300):
        producer = random_schema(rng)
        consumer = random_schema(rng) if rng.random() < 0.5 else {"anyOf": [producer, random_schema(rng)]}
        assert_sound(producer, consumer, Draft7Validator, pool)

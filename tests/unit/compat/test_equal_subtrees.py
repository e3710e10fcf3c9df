"""Equal subtrees are recognised before anything is expanded (digest.py), and what point 7 of issue 10 asked
the checker to follow: references through `$id`, `$ref: "#"` recursion, `if`/`then`/`else`."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from registry.domain.compat.containment import Containment
from registry.domain.compat.document import Doc, Node
from registry.domain.compat.normalise import Budget
from registry.domain.compat.policy import validator_class_of
from tests.corpus.contracts import corpus
from tests.corpus.evolutions import schema_of
from tests.unit.compat.checking import checked, rules

DRAFT7 = "http://json-schema.org/draft-07/schema#"


def steps(producer: Any, consumer: Any) -> int:
    """How many comparisons the checker makes for the pair."""
    budget = Budget()
    p_doc, c_doc = Doc(producer, validator_class_of(producer)), Doc(consumer, validator_class_of(consumer))
    Containment(budget).contained([Node(producer, "", p_doc)], [Node(consumer, "", c_doc)])
    return budget.spent


def annotated(schema: dict[str, Any]) -> dict[str, Any]:
    """The next version of a contract that only gains an `$id`, a title and descriptions."""
    result = copy.deepcopy(schema)
    result["$id" if "draft-04" not in str(result.get("$schema")) else "id"] = "https://example.com/next.json"
    result["title"] = "Next"
    for definition in result.get("definitions", {}).values():
        if isinstance(definition, dict):
            definition["description"] = "Now described."
    return result


def test_an_added_id_and_descriptions_cost_one_comparison_both_ways() -> None:
    # (the largest of a family without embedded resources: their references would keep their `$id`s relevant)
    family = [c for c in corpus() if c.family == "big-hierarchy" and c.type == "JSONSchemaDraft4"]
    large = max(family, key=lambda c: len(str(c.content)))
    before = schema_of(large)
    after = annotated(before)
    assert checked(before, after) == [] and checked(after, before) == []
    assert steps(before, after) == 1 and steps(after, before) == 1


def test_property_names_and_values_that_look_like_annotations_still_count() -> None:
    producer = {"type": "object", "properties": {"title": {"type": "string"}}, "default": {"title": "x"}}
    consumer = {"type": "object", "properties": {"title": {"type": "integer"}}, "default": {"title": "x"}}
    found = checked(producer, consumer)
    assert rules(found) == {"type_narrowed"} and found[0].proven


def test_an_id_above_a_reference_changes_its_resolution() -> None:
    # inside the embedded resource, "#/definitions/a" names the resource's own definition, not the root's
    def schema(inner_id: str | None) -> dict[str, Any]:
        inner: dict[str, Any] = {
            "definitions": {"a": {"type": "integer"}},
            "properties": {"x": {"$ref": "#/definitions/a"}},
        }
        if inner_id:
            inner["$id"] = inner_id
        return {"$schema": DRAFT7, "definitions": {"a": {"type": "string"}}, "properties": {"v": inner}}

    found = checked(schema("https://example.com/inner.json"), schema(None))
    assert rules(found) == {"type_narrowed"} and found[0].proven


def test_a_self_reference_by_url_is_followed() -> None:
    def schema(kind: str) -> dict[str, Any]:
        return {
            "$schema": DRAFT7,
            "$id": "https://example.com/x.json",
            "definitions": {"a": {"type": kind}},
            "properties": {"p": {"$ref": "https://example.com/x.json#/definitions/a"}},
        }

    found = checked(schema("number"), schema("integer"))
    assert rules(found) == {"type_narrowed"} and found[0].proven
    assert checked(schema("integer"), schema("number")) == []


def test_recursion_through_the_root_meets_itself_again() -> None:
    # Renovate's shape: a hundred properties each `$ref: "#"` (draft 4: the reference replaces its siblings)
    def schema(kind: str) -> dict[str, Any]:
        properties: dict[str, Any] = {f"manager{i}": {"$ref": "#", "type": "object"} for i in range(150)}
        properties["enabled"] = {"type": kind}
        return {
            "$schema": "http://json-schema.org/draft-04/schema#",
            "type": "object",
            "properties": properties,
        }

    assert checked(schema("boolean"), schema(["boolean", "null"])) == []
    found = checked(schema(["boolean", "null"]), schema("boolean"))
    assert "too_complex" not in rules(found) and found[0].proven


@pytest.mark.parametrize("closed", [False, True])
def test_properties_equal_but_for_annotations_are_not_read_and_count_their_steps(closed: bool) -> None:
    # the next version of a contract of thirty properties changes one bound, and every description: the
    # other 29 are recognised by their digests (`objects._unchanged`), none of their keywords read, and each
    # still counts the step its comparison would have, so that the budget runs out where it did; also where
    # the producer is closed (as LENIENT reads producers), whose additionalProperties applies to no property
    def version(revision: int) -> dict[str, Any]:
        properties = {
            f"p{i:02d}": {"type": "integer", "minimum": 0, "description": f"{i}, revision {revision}"}
            for i in range(30)
        }
        properties["p00"]["maximum"] = 10 + revision
        return {"type": "object", "properties": properties}

    producer, consumer = version(1), version(2)
    if closed:
        producer["additionalProperties"] = False
    c_doc = Doc(consumer, validator_class_of(consumer))
    budget = Budget()
    found = Containment(budget).contained(
        [Node(producer, "", Doc(producer, validator_class_of(producer)))], [Node(consumer, "", c_doc)]
    )
    assert found == [] and checked(consumer, producer) != []
    read = [name for name, s in consumer["properties"].items() if c_doc.keywords_kept.get(id(s)) is s]
    assert read == ["p00"]
    assert budget.spent == 1 + 30 + 2  # the root, one per property, two inside p00 (as before the shortcut)

"""`allOf` of many `if`/`then`s keyed by one property's value (a form's item types, an event's kinds): the
expansion leaves out the conjunctions that ask that property for two values at once, so a dozen conditions
cost a dozen alternatives, not 2^12."""

from __future__ import annotations

import copy
from typing import Any

from registry.domain.compat import CompatibilityPolicy, check
from registry.domain.compat.containment import Containment
from registry.domain.compat.document import Doc, Node
from registry.domain.compat.normalise import Budget, expand
from registry.domain.compat.policy import validator_class_of

KINDS = [f"kind{n}" for n in range(9)]


def _form(max_length: int = 10, draft: str = "http://json-schema.org/draft-07/schema#") -> dict[str, Any]:
    return {
        "$schema": draft,
        "type": "object",
        "required": ["kind"],
        "properties": {"kind": {"enum": KINDS}},
        "allOf": [
            {
                "if": {"properties": {"kind": {"const": kind}}},
                "then": {
                    "required": ["kind", f"field{n}"],
                    "properties": {
                        "kind": {"enum": KINDS},
                        f"field{n}": {"type": "string", "maxLength": max_length if n == 4 else 10},
                    },
                    "additionalProperties": False,
                },
            }
            for n, kind in enumerate(KINDS)
        ],
    }


def test_conditions_on_one_required_value_expand_to_one_alternative_each() -> None:
    schema = _form()
    doc = Doc(schema, validator_class_of(schema))
    # one alternative per kind, and the one where no condition holds (2^9 = 512 before)
    assert len(expand(Node(schema, "", doc))) == len(KINDS) + 1


def test_a_narrowed_branch_among_many_conditions_is_found_and_shown() -> None:
    [item] = check(_form(), _form(max_length=3), policy=CompatibilityPolicy.STRICT)

    assert item.proven  # (no consumer alternative holds it: reported against the nearest, as any union)
    assert item.witness["kind"] == "kind4" and len(item.witness["field4"]) > 3


def test_a_widened_branch_among_many_conditions_is_compatible() -> None:
    assert check(_form(max_length=3), _form(), policy=CompatibilityPolicy.STRICT) == []


def test_a_condition_on_a_value_not_required_keeps_its_alternatives() -> None:
    # an object without the property satisfies every condition at once: no conjunction is left out
    producer = _form()
    producer["required"] = []
    for member in producer["allOf"]:
        member["then"]["required"].remove("kind")
    assert _too_large(producer)


def test_a_const_beside_a_draft_7_reference_is_no_bound() -> None:
    # before 2019-09 a `$ref` replaces its siblings: `const` there bounds nothing, and the conjunction of two
    # such conditions is no contradiction
    schema = _form()
    schema["definitions"] = {"any": {}}
    for n, member in enumerate(schema["allOf"]):
        member["if"]["properties"]["kind"] = {"$ref": "#/definitions/any", "const": KINDS[n]}
    doc = Doc(schema, validator_class_of(schema))
    assert _too_large(schema) or len(expand(Node(schema, "", doc))) > len(KINDS) + 1
    narrowed = copy.deepcopy(schema)
    narrowed["allOf"][4]["then"]["properties"]["field4"]["maxLength"] = 3
    assert check(schema, narrowed, policy=CompatibilityPolicy.STRICT)  # never "compatible"


def _too_large(schema: dict[str, Any]) -> bool:
    from registry.domain.compat.normalise import TooComplex

    try:
        expand(Node(schema, "", Doc(schema, validator_class_of(schema))))
    except TooComplex:
        return True
    return False


def _inputs(closed: bool) -> dict[str, Any]:
    """A map of inputs, each a base object and four conditions on its `type` (not required: 16
    alternatives), or null."""
    base: dict[str, Any] = {"type": "object", "properties": {"type": {"enum": KINDS[:4]}, "default": {}}}
    if closed:
        base["additionalProperties"] = False
    conditions = [
        {"if": {"properties": {"type": {"enum": [k]}}}, "then": {"properties": {"default": {}}}}
        for k in KINDS[:4]
    ]
    variants = {"allOf": [{"$ref": "#/definitions/base"}, {"allOf": conditions}]}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "definitions": {"base": base},
        "type": "object",
        "patternProperties": {".*": {"oneOf": [variants, {"type": "null"}]}},
    }


def test_alternatives_that_fail_on_the_base_they_share_are_compared_once() -> None:
    producer, consumer = _inputs(closed=False), _inputs(closed=True)
    budget = Budget()
    p_doc, c_doc = Doc(producer, validator_class_of(producer)), Doc(consumer, validator_class_of(consumer))

    found = Containment(budget).contained([Node(producer, "", p_doc)], [Node(consumer, "", c_doc)])

    assert [f.consumer_path for f in found] == ["/definitions/base/additionalProperties"]
    assert budget.spent < 400  # (each of 16 producer alternatives against each of 16: 3,860 steps)
    [item] = check(producer, consumer, policy=CompatibilityPolicy.STRICT)
    assert (item.rule, item.proven) == ("additional_properties_narrowed", True)
    assert check(consumer, producer, policy=CompatibilityPolicy.STRICT) == []

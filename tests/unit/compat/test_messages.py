"""Report messages speak the user's words (issue 10, point 11): kinds of values as JSON Schema users name
them, and a way out where there is an obvious one."""

from __future__ import annotations

from typing import Any

import pytest

from registry.domain.compat import CompatibilityPolicy
from registry.domain.compat.report import kinds_in_words
from tests.unit.compat.checking import checked

STRICT, LENIENT = CompatibilityPolicy.STRICT, CompatibilityPolicy.LENIENT


@pytest.mark.parametrize(
    ("producer", "consumer", "message", "witness"),
    [
        (
            {"type": "number"},
            {"type": "integer"},
            "the consumer does not accept fractional numbers such as 0.5 here",
            0.5,
        ),
        ({"type": "integer"}, {"type": "string"}, "the consumer does not accept integers here", 0),
        ({"type": ["number", "string"]}, {"type": "string"}, "the consumer does not accept numbers here", 0),
        ({"type": "integer"}, {"not": {}}, "the consumer accepts no integers here", 0),
    ],
)
def test_a_narrowed_type_is_named_in_the_users_words(
    producer: dict[str, Any], consumer: dict[str, Any], message: str, witness: Any
) -> None:
    (item,) = checked(producer, consumer)
    assert (item.rule, item.message, item.witness, item.proven) == ("type_narrowed", message, witness, True)
    assert not any(kind in item.message.split() for kind in ("int", "frac"))


def test_kinds_are_named_as_users_name_them() -> None:
    assert kinds_in_words({"int", "frac"}) == "numbers"
    assert kinds_in_words({"frac"}) == "fractional numbers such as 0.5"
    assert kinds_in_words({"null", "boolean", "string"}) == "null, booleans or strings"
    assert kinds_in_words({"int", "frac", "array", "object"}) == "numbers, arrays or objects"


def test_a_property_added_to_an_open_model_says_how_to_allow_it() -> None:
    old = {"type": "object", "properties": {"id": {"type": "string"}}}
    new = {"type": "object", "properties": {"id": {"type": "string"}, "note": {"type": "integer"}}}
    (item,) = checked(old, new, STRICT)
    assert item.rule == "property_added_to_open_model"
    assert item.message.startswith("the producer may already send 'note' with other values")
    assert "`additionalProperties: false`" in item.message and "LENIENT" in item.message
    assert checked({**old, "additionalProperties": False}, new, STRICT) == []  # the first way out works
    assert checked(old, new, LENIENT) == []  # and so does the second

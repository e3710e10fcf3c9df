"""The fast check (jsonschema-rs) and jsonschema give the same verdict on every event: over the example
contracts, with `format` checked and not, on events drawn near each contract's example event (edits that
keep or break it) and on strings that tell the ECMA-262 regex dialect from Python's."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.domain.formats import Contract, parse_contract
from registry.domain.formats.events import validate_with
from registry.domain.formats.fast_validation import MAX_EXPANDED_NODES, trusted
from tests.unit.conftest import Example

# Strings on which ECMA-262 and Python's `re` (or Rust's engine) disagree, and format edge cases.
TRICKY_STRINGS = [
    "ABC\n",  # `$` matches before a final line break in Python, not in ECMA-262
    "\u0663\u0664",  # Arabic-Indic digits: `\d` in Python, not in ECMA-262
    "é",  # `\w` is ASCII in ECMA-262
    "\r",  # `.` excludes \r, \n, \u2028, \u2029 in ECMA-262
    "\u2028",
    "a\u00a0b",  # `\s` includes no-break space in ECMA-262
    "2026-12-06T10:15:30Z",
    "2026-12-06T10:15:30+01:00",
    "2026-13-06T10:15:30Z",
    "2026-12-06",
    "10:15:30Z",
    "user@example.com",
    "not an email",
    "@",  # jsonschema's email check asks for an "@" and nothing else
    "a@b@c",
    "192.168.0.1",
    "192.168.000.1",
    "::1",
    "0b1c6b0e-0d57-4c5f-9f1e-2b1e4b0d7a10",
    "[a-",
    "(?P<x>a)",
    "^\\d+$",
    "",
]
ECMA_DIALECT = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "digits": {"type": "string", "pattern": "^\\d+$"},
        "word": {"type": "string", "pattern": "^\\w+$"},
        "one": {"type": "string", "pattern": "^.$"},
        "space": {"type": "string", "pattern": "a\\sb"},
        "upper": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "when": {"type": "string", "format": "date-time"},
        "day": {"type": "string", "format": "date"},
        "mail": {"type": "string", "format": "email"},
        "ip": {"type": "string", "format": "ipv4"},
        "ip6": {"type": "string", "format": "ipv6"},
        "id": {"type": "string", "format": "uuid"},
        "expression": {"type": "string", "format": "regex"},
        "count": {"type": "integer", "minimum": 0, "maximum": 18446744073709551616, "multipleOf": 3},
        "tags": {"type": "array", "uniqueItems": True},
        "kind": {"enum": [1, "one", None, {"a": [1]}]},
    },
}
DIALECT_KEYS = list(ECMA_DIALECT["properties"])  # type: ignore[call-overload]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8) | st.sampled_from(TRICKY_STRINGS),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)  # fmt: skip


def places(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The paths of every value inside `value` (itself included)."""
    found = [at]
    if isinstance(value, dict):
        for key, item in value.items():
            found += places(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += places(item, (*at, index))
    return found


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


@st.composite
def edits_of(draw: st.DrawFn, event: Any) -> Any:
    """The event with up to three values replaced (by other JSON, a tricky string, or removed)."""
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(places(event)))
        if path and isinstance(event, dict) and draw(st.booleans()) and len(path) == 1:
            event = {key: item for key, item in event.items() if key != path[0]}
        else:
            event = replaced(event, path, draw(json_values))
    return event


def jsonschema_says_valid(contract: Contract, event: Any, check_formats: bool) -> bool:
    return not validate_with(contract._validator(check_formats), event)


def assert_same_verdicts(contract: Contract, events: st.SearchStrategy[Any], examples: int) -> None:
    for check_formats in (False, True):
        assert_same_verdicts_on(contract, events, examples, check_formats)


def assert_same_verdicts_on(
    contract: Contract, events: st.SearchStrategy[Any], examples: int, check_formats: bool
) -> None:
    fast = contract.fast_check(check_formats)
    assert fast is not None

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(events)
    def agree(event: Any) -> None:
        assert fast(event) is jsonschema_says_valid(contract, event, check_formats), event

    agree()


# The example contracts jsonschema keeps for itself, and why.
LEFT_TO_JSONSCHEMA = {
    "custom-invoice-issued": "patternProperties",
    "order-tree": "recursive references",
}


def test_the_fast_check_agrees_with_jsonschema_on_the_example_contracts(example: Example) -> None:
    contract = parse_contract(example.type, example.content)
    if example.name in LEFT_TO_JSONSCHEMA and example.kind == "draft4":
        assert contract.fast_check(False) is None and contract.fast_check(True) is None
        return
    assert contract.fast_check(True) is not None and contract.fast_check(True)(example.event)
    assert_same_verdicts(contract, edits_of(example.event), examples=20)


def test_the_fast_check_agrees_on_the_ecma_dialect_and_formats() -> None:
    contract = parse_contract("JSONSchemaDraft4", ECMA_DIALECT)
    for check_formats in (False, True):
        fast = contract.fast_check(check_formats)
        assert fast is not None
        for key in DIALECT_KEYS:  # every tricky string in every place, then random ones
            for text in TRICKY_STRINGS:
                event = {key: text}
                assert fast(event) is jsonschema_says_valid(contract, event, check_formats), event
    events = st.dictionaries(
        st.sampled_from(DIALECT_KEYS), st.sampled_from(TRICKY_STRINGS) | json_values, max_size=5
    )
    assert_same_verdicts(contract, events, examples=60)


@pytest.mark.parametrize(
    ("schema", "why"),
    [
        ({"patternProperties": {"^a": {}}, "additionalProperties": False}, "keys matched by Rust's regex"),
        ({"properties": {"a": {"unevaluatedProperties": False}}}, "unevaluated*"),
        ({"definitions": {"n": {"items": {"$ref": "#/definitions/n"}}}, "$ref": "#/definitions/n"}, "cycle"),
        ({"properties": {"a": {"id": "http://x/a", "type": "string"}}}, "a base URI switch"),
        ({"properties": {"a": {"$schema": "http://json-schema.org/draft-07/schema#"}}}, "a dialect switch"),
        ({"$ref": "#anchor"}, "not a JSON pointer"),
        ({"multipleOf": 0.01}, "float arithmetic"),
    ],
)
def test_contracts_where_agreement_is_not_ours_are_left_to_jsonschema(
    schema: dict[str, Any], why: str
) -> None:
    assert not trusted(schema), why


def test_a_property_named_like_a_keyword_is_no_reason_to_fall_back() -> None:
    schema = {"properties": {"id": {"type": "string"}, "$schema": {"type": "string"}}, "enum": [{"id": "x"}]}
    assert trusted(schema)


def test_references_expanding_past_the_bound_are_left_to_jsonschema() -> None:
    # each level refers twice to the next: 2^20 nodes once expanded, from a few dozen written
    levels = {f"l{i}": {"anyOf": [{"$ref": f"#/definitions/l{i + 1}"}] * 2} for i in range(20)}
    levels["l20"] = {"type": "string"}
    schema = {"definitions": levels, "$ref": "#/definitions/l0"}
    assert MAX_EXPANDED_NODES < 2**20
    assert not trusted(schema)


@pytest.mark.parametrize("levels", [127, 128, 129])
def test_events_nesting_past_the_limit_get_the_same_verdict(levels: int) -> None:
    contract = parse_contract("JSONSchemaDraft4", {"type": "object"})
    event: Any = {}
    for _ in range(levels - 1):
        event = {"a": event}
    for check_formats in (False, True):
        fast = contract.fast_check(check_formats)
        assert fast is not None
        assert fast(event) is jsonschema_says_valid(contract, event, check_formats) is (levels <= 128)

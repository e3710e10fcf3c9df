"""A contract's regular expressions never hang validation: events, `default` values, registration.

The catastrophic pattern below backtracks exponentially in `re` (and in `regex` without a timeout). The
string is sized so that a regression costs a few seconds and fails the timing assertions, instead of
hanging the suite for minutes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from jsonschema import (  # type: ignore[import-untyped, unused-ignore]
    Draft4Validator,
    Draft6Validator,
    Draft7Validator,
    Draft201909Validator,
    Draft202012Validator,
)
from openapi_schema_validator import OAS30Validator, OAS31Validator

from registry.domain.errors import InvalidContract, RegexTooComplex, ValidationBudgetExceeded
from registry.domain.formats import EventError, parse_contract
from registry.domain.formats import bounded_keywords as keywords
from registry.domain.formats.bounded_keywords import bounded
from registry.domain.formats.regexes import (
    PATTERN_TIMEOUT,
    VALIDATION_BUDGET,
    PatternTimeout,
    regex_budget,
    search,
)
from tests.unit.conftest import openapi_doc

CATASTROPHIC = "^(a|aa)+$"
SLOW = "a" * 38 + "!"  # about 4 s for `re`, 12 s for `regex` without a timeout; here, one timeout
PROMPT = 1.0  # seconds: one or two timeouts, never the minutes of backtracking
DRAFT4 = "JSONSchemaDraft4"
OPENAPI = "OpenApi3"
DRAFT_2019 = "https://json-schema.org/draft/2019-09/schema"
DRAFT_2020 = "https://json-schema.org/draft/2020-12/schema"

T = TypeVar("T")


def promptly(call: Callable[[], T]) -> T:
    started = time.monotonic()
    result = call()
    assert time.monotonic() - started < PROMPT
    return result


def refused(path: str) -> list[EventError]:
    return [EventError(path, f"pattern {CATASTROPHIC!r} took too long to evaluate; the event is refused")]


def validate(schema: dict[str, Any], event: Any) -> list[EventError]:
    contract = parse_contract(DRAFT4, schema)
    return promptly(lambda: contract.validate_event(event))


# --- events ----------------------------------------------------------------------------------------------


def test_a_catastrophic_pattern_refuses_the_event_promptly_at_the_string() -> None:
    schema = {"properties": {"name": {"type": "string", "pattern": CATASTROPHIC}}}

    assert validate(schema, {"name": SLOW}) == refused("/name")


def test_a_catastrophic_pattern_properties_key_refuses_the_event_at_the_property() -> None:
    schema = {"patternProperties": {CATASTROPHIC: {"type": "integer"}}}

    assert validate(schema, {"ok": 1, SLOW: 1}) == refused(f"/{SLOW}")


def test_additional_properties_false_beside_a_catastrophic_key_gives_one_error_at_the_property() -> None:
    schema = {"patternProperties": {CATASTROPHIC: {}}, "additionalProperties": False}

    assert validate(schema, {SLOW: 1}) == refused(f"/{SLOW}")


@pytest.mark.parametrize("dialect", [DRAFT_2019, DRAFT_2020])
def test_unevaluated_properties_beside_a_catastrophic_key_refuses_the_event(dialect: str) -> None:
    schema = {"$schema": dialect, "patternProperties": {CATASTROPHIC: {}}, "unevaluatedProperties": False}

    assert validate(schema, {SLOW: 1}) == refused(f"/{SLOW}")


def test_a_timeout_a_not_would_swallow_still_refuses_the_event() -> None:
    schema = {"properties": {"name": {"not": {"pattern": CATASTROPHIC}}}}

    assert validate(schema, {"name": SLOW}) == refused("")


def test_a_timeout_in_an_any_of_branch_is_reported_instead_of_the_any_of() -> None:
    schema = {"properties": {"name": {"anyOf": [{"type": "integer"}, {"pattern": CATASTROPHIC}]}}}

    assert validate(schema, {"name": SLOW}) == refused("/name")


@pytest.mark.parametrize(
    "schema",
    [
        # a `$ref` back to a root that declares `$schema`: jsonschema switches to that draft's class
        {"$schema": "http://json-schema.org/draft-07/schema#", "properties": {"c": {"$ref": "#"}}},
        # a subschema declaring `$schema` itself
        {"properties": {"c": {"$schema": "http://json-schema.org/draft-07/schema#", "properties": {}}}},
    ],
)
def test_patterns_stay_bounded_when_a_subschema_switches_dialect(schema: dict[str, Any]) -> None:
    schema["properties"]["name"] = {"pattern": CATASTROPHIC}
    schema["properties"]["c"].setdefault("properties", {})["name"] = {"pattern": CATASTROPHIC}

    assert validate(schema, {"c": {"name": SLOW}}) == refused("/c/name")


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_an_openapi_event_with_a_catastrophic_pattern_is_refused_promptly(version: str) -> None:
    document = openapi_doc({"E": {"type": "object", "properties": {"n": {"pattern": CATASTROPHIC}}}}, version)
    contract = parse_contract(OPENAPI, document)

    assert promptly(lambda: contract.validate_event({"n": SLOW})) == refused("/n")


def test_the_searches_of_one_validation_share_one_budget() -> None:
    strings = [f"{SLOW}{index}" for index in range(100)]  # distinct: no search is repeated
    started = time.monotonic()

    with regex_budget(0.2):
        for text in strings:
            with pytest.raises(PatternTimeout):
                search(CATASTROPHIC, text)

    # unshared, 100 timeouts would take 100 * PATTERN_TIMEOUT (7.5 s); shared, the budget and a little more
    assert time.monotonic() - started < 0.2 + 6 * PATTERN_TIMEOUT


# --- registration ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_an_openapi_default_that_runs_a_catastrophic_pattern_refuses_the_contract_at_the_pattern(
    version: str,
) -> None:
    schema = {
        "type": "object",
        "properties": {"n": {"type": "string", "pattern": CATASTROPHIC, "default": SLOW}},
    }

    with pytest.raises(RegexTooComplex) as raised:
        promptly(lambda: parse_contract(OPENAPI, openapi_doc({"E": schema}, version)))

    assert raised.value.code == "regex_too_complex"
    assert raised.value.details["pointer"] == "/components/schemas/E/properties/n/pattern"


def test_a_default_reaching_a_catastrophic_pattern_through_a_reference_names_the_pattern() -> None:
    schemas = {
        "Name": {"type": "string", "pattern": CATASTROPHIC},
        "E": {
            "type": "object",
            "properties": {"n": {"allOf": [{"$ref": "#/components/schemas/Name"}], "default": SLOW}},
        },
    }

    with pytest.raises(RegexTooComplex) as raised:
        promptly(lambda: parse_contract(OPENAPI, openapi_doc(schemas)))

    assert raised.value.details["pointer"] == "/components/schemas/Name/pattern"


def test_an_openapi_example_is_not_evaluated_so_it_cannot_hang_registration() -> None:
    # openapi-spec-validator checks `default` values only; an `example` is an annotation
    schema = {"type": "string", "pattern": CATASTROPHIC, "example": SLOW}

    promptly(lambda: parse_contract(OPENAPI, openapi_doc({"E": schema})))


@pytest.mark.parametrize(
    ("schema", "pointer"),
    [
        ({"patternProperties": {"(": {}}}, "/patternProperties/("),
        ({"properties": {"a": {"patternProperties": {"[": {}}}}}, "/properties/a/patternProperties/["),
        ({"$schema": DRAFT_2020, "$defs": {"a": {"pattern": "(?P<"}}}, "/$defs/a/pattern"),
    ],
)
def test_a_pattern_that_does_not_compile_is_refused_with_its_pointer(
    schema: dict[str, Any], pointer: str
) -> None:
    with pytest.raises(InvalidContract) as raised:
        parse_contract(DRAFT4, schema)

    assert raised.value.code == "invalid_contract"
    assert raised.value.details["pointer"] == pointer


def test_a_pattern_that_would_unroll_into_all_memory_is_refused_as_too_complex() -> None:
    schema = {"properties": {"a": {"pattern": "(?:a{100000}){100000}"}}}

    with pytest.raises(RegexTooComplex) as raised:
        promptly(lambda: parse_contract(DRAFT4, schema))

    assert raised.value.details["pointer"] == "/properties/a/pattern"


def test_many_large_patterns_together_are_refused_as_too_complex() -> None:
    # each unrolls to about 4,000 steps, under the bound for one pattern; 25 pass the bound for a contract
    patterns = {f"p{index:02}": {"pattern": f"(?:a{{40}}){{100}}{index}"} for index in range(30)}
    schema = {"properties": patterns}

    with pytest.raises(RegexTooComplex) as raised:
        promptly(lambda: parse_contract(DRAFT4, schema))

    assert raised.value.details["pointer"] == "/properties/p24/pattern"


def test_a_pattern_key_inside_a_default_value_is_data_not_a_pattern() -> None:
    schema = {"properties": {"default": {"pattern": "^a"}}, "default": {"pattern": "("}}

    parse_contract(DRAFT4, schema)


# --- nothing else changes --------------------------------------------------------------------------------

CATALOGUE: list[tuple[dict[str, Any], Any]] = [
    ({"pattern": "^[a-z]+$"}, "abc"),
    ({"pattern": "^[a-z]+$"}, "ab1"),
    ({"pattern": "b"}, "abc"),  # a search, not a full match
    ({"pattern": "^a$"}, "a"),  # (`$` before a final line break: see test_ecma_regex.py)
    ({"pattern": r"^(\w)\1$"}, "xx"),  # backreferences
    ({"pattern": "^(?!x)"}, "xy"),  # lookarounds
    ({"pattern": "^[a-z]+$"}, 12),  # not a string: ignored
    ({"patternProperties": {"^x-": {"type": "integer"}, "^y": {}}}, {"x-a": "no", "y": 1, "z": 2}),
    ({"patternProperties": {"^x-": {}}, "additionalProperties": False}, {"x-a": 1, "b": 2, "c": 3}),
    ({"properties": {"a": {}}, "additionalProperties": False}, {"a": 1, "b": 2}),
    ({"patternProperties": {"^x": {}}, "additionalProperties": {"type": "string"}}, {"x": 1, "b": 2}),
    ({"patternProperties": {"^x": {}}, "unevaluatedProperties": False}, {"x": 1, "b": 2}),
    (
        {"allOf": [{"patternProperties": {"^x": {}}}], "unevaluatedProperties": {"type": "string"}},
        {"x": 1, "b": 2},
    ),
    ({"propertyNames": {"pattern": "^[a-z]+$"}}, {"ok": 1, "Not": 2}),
]
CLASSES = [Draft4Validator, Draft6Validator, Draft7Validator, Draft201909Validator, Draft202012Validator]


def messages(validator: Any, instance: Any) -> list[tuple[list[Any], str]]:
    return sorted((list(error.absolute_path), error.message) for error in validator.iter_errors(instance))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize(("schema", "instance"), CATALOGUE)
def test_bounded_validators_report_what_jsonschema_reports(
    cls: Any, schema: dict[str, Any], instance: Any
) -> None:
    assert messages(bounded(cls)(schema), instance) == messages(cls(schema), instance)


@pytest.mark.parametrize("cls", [*CLASSES, OAS30Validator, OAS31Validator], ids=lambda cls: cls.__name__)
def test_every_regex_keyword_of_every_validator_class_is_replaced(cls: Any) -> None:
    replaced = {"pattern": keywords.pattern, "patternProperties": keywords.patternProperties}
    replaced["additionalProperties"] = keywords.additionalProperties

    for name, function in bounded(cls).VALIDATORS.items():
        if name in replaced:
            assert function is replaced[name]
        elif name == "unevaluatedProperties":
            assert function is not cls.VALIDATORS[name]


def test_a_normal_pattern_still_accepts_and_refuses_as_before() -> None:
    schema = {"properties": {"id": {"type": "string", "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}$"}}}

    assert validate(schema, {"id": "0123abcd-0000-ffff"}) == []
    assert validate(schema, {"id": "0123abcd-0000-fffg"}) == [
        EventError("/id", "'0123abcd-0000-fffg' does not match '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}$'")
    ]


def test_an_exponential_schema_is_cut_off_by_the_validation_budget_without_a_verdict() -> None:
    """anyOf over recursive refs doubles the work per level: without a budget 20 levels take minutes. Running
    out of time says nothing about the event: no verdict, an error of its own naming the budget."""
    branches = [{"$ref": "#"} for _ in range(4)]
    contract = parse_contract(
        "JSONSchemaDraft4",
        {"type": "object", "properties": {"a": {"anyOf": [*branches, {"type": "integer"}]}}},
    )
    event: dict[str, object] = {"a": "leaf"}
    for _ in range(20):
        event = {"a": event}
    started = time.monotonic()
    with pytest.raises(ValidationBudgetExceeded) as raised:
        contract.validate_event(event)
    # a margin for a loaded machine (seen: 4 s beside a benchmark); without the budget it takes minutes
    assert time.monotonic() - started < VALIDATION_BUDGET + 9.0
    assert raised.value.code == "validation_budget_exceeded"
    assert raised.value.details == {"budget_seconds": VALIDATION_BUDGET}
    assert f"{VALIDATION_BUDGET:g} s budget" in raised.value.message


def test_many_strings_that_use_up_the_budget_between_them_give_no_verdict() -> None:
    """Each search stays under PATTERN_TIMEOUT, but together they outrun the validation's budget: the last
    ones are cut short by the budget, which is no finding about the event."""
    contract = parse_contract(
        "JSONSchemaDraft4", {"type": "array", "items": {"type": "string", "pattern": CATASTROPHIC}}
    )
    event = [f"{SLOW}{index}" for index in range(int(VALIDATION_BUDGET / PATTERN_TIMEOUT) + 10)]

    with pytest.raises(ValidationBudgetExceeded):
        contract.validate_event(event)


@pytest.mark.parametrize(
    "items",
    [
        [1, 1.0],
        [1, True],
        [0, False],
        [{"a": 1}, {"a": 1.0}],
        [{"a": [1, {"b": None}]}, {"a": [1, {"b": None}]}],
        [{"a": 1}, {"a": True}],
        [[1, 2], [2, 1]],
        ["1", 1],
        [None, False],
        [{}, []],
    ],
)
def test_unique_items_agrees_with_jsonschema(items: list[Any]) -> None:
    schema = {"type": "array", "uniqueItems": True}
    expected = Draft4Validator(schema).is_valid(items)
    assert bounded(Draft4Validator)(schema).is_valid(items) is expected


def test_unique_items_is_linear_on_large_arrays_of_objects() -> None:
    contract = parse_contract("JSONSchemaDraft4", {"type": "array", "uniqueItems": True})
    event = [{"id": index, "tags": ["x", index]} for index in range(40_000)]
    started = time.monotonic()
    assert contract.validate_event(event) == []
    assert contract.validate_event([*event, {"tags": ["x", 7], "id": 7.0}])[0].path == ""
    # linear: ~1.5 s here on a busy 2-core machine; pairwise comparison of 40,000 items would take minutes
    assert time.monotonic() - started < 10.0

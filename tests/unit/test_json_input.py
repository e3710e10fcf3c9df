"""The one JSON reader of the registry: what `json.loads` lets through or fails on is refused with a code."""

from __future__ import annotations

import json

import pytest

from registry.domain.errors import (
    DuplicateKey,
    JsonTooDeep,
    MalformedJson,
    NumberOutOfRange,
    NumberTooLong,
    RegistryError,
)
from registry.domain.json_input import MAX_DEPTH, MAX_NUMBER_CHARS, parse_json


@pytest.mark.parametrize("text", ["NaN", '{"a": Infinity}', "[1, -Infinity]"])
def test_nan_and_infinity_are_not_json(text: str) -> None:
    with pytest.raises(MalformedJson, match="which is not JSON"):
        parse_json(text)


@pytest.mark.parametrize(
    ("text", "pointer", "key"),
    [
        ('{"a": 1, "a": 2}', "/a", "a"),
        ('{"x": {"ok": 1}, "p": {"q": [0, {"t/~": 1, "t/~": 2}]}}', "/p/q/1/t~1~0", "t/~"),
        # one of several: the first met walking from the root, whatever the parser finished first
        ('{"a": [{"k": 1, "k": 2}], "b": 1, "b": 2}', "/b", "b"),
        ('{"a": [{"k": 1, "k": 2}, {"j": 1, "j": 2}]}', "/a/0/k", "k"),
    ],
)
def test_a_repeated_key_is_refused_with_its_pointer(text: str, pointer: str, key: str) -> None:
    with pytest.raises(DuplicateKey) as raised:
        parse_json(text, where="event 0")
    assert raised.value.details == {"pointer": pointer, "key": key}
    assert raised.value.message.startswith(f"event 0 names the key {key!r} twice")


def test_numbers_past_the_limit_name_it() -> None:
    with pytest.raises(NumberTooLong) as raised:
        parse_json("[" + "9" * 5000 + "]")
    assert raised.value.details == {"length": 5000, "limit": MAX_NUMBER_CHARS}
    with pytest.raises(NumberTooLong):
        parse_json("0." + "1" * MAX_NUMBER_CHARS)
    assert parse_json("9" * MAX_NUMBER_CHARS) == int("9" * MAX_NUMBER_CHARS)


def test_a_number_beyond_a_double_is_refused() -> None:
    with pytest.raises(NumberOutOfRange):
        parse_json('{"n": -1e999}')


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1000, 100_000])
def test_nesting_past_the_limit_names_it(depth: int) -> None:
    with pytest.raises(JsonTooDeep) as raised:
        parse_json("[" * depth + "]" * depth)
    assert raised.value.details == {"limit": MAX_DEPTH}


def test_values_within_the_limits_read_as_json_loads_reads_them() -> None:
    texts = [
        "[" * MAX_DEPTH + "]" * MAX_DEPTH,
        '{"a": [1, 2.5, -0, 1e308, "x", null, true], "b": {"c": {}}}',
        '"\\u00e9"',
        "[" + ",".join("{}" for _ in range(2 * MAX_DEPTH)) + "]",  # many brackets, little depth
    ]
    for text in texts:
        assert parse_json(text) == json.loads(text)
        assert parse_json(text.encode()) == json.loads(text)


@pytest.mark.parametrize("text", ["", "{", '{"a": 1} x', b"\xff\xfe\xff"])
def test_text_that_is_no_json_is_malformed(text: str | bytes) -> None:
    with pytest.raises(MalformedJson):
        parse_json(text)


def test_every_refusal_is_a_registry_error_with_a_code() -> None:
    for text in ["NaN", '{"a":1,"a":1}', "9" * 2000, "1e400", "[" * 300 + "]" * 300, "{"]:
        with pytest.raises(RegistryError):
            parse_json(text)

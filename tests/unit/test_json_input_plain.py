"""The plain parse (json.loads' own reading, hooks that only raise) gives parse_json's answer on every text:
the same value, or the same refusal, as the strict parse alone gives it."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.domain.errors import RegistryError
from registry.domain.json_input import MAX_NUMBER_CHARS, _strict_parse, parse_json

NUMBERS = st.one_of(
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1e400", "1E+2", "-0.0", "0e0", "2.5e-400"]),
    st.integers(min_value=MAX_NUMBER_CHARS - 3, max_value=MAX_NUMBER_CHARS + 3).map(lambda n: "7" * n),
    st.integers(min_value=MAX_NUMBER_CHARS - 3, max_value=MAX_NUMBER_CHARS + 3).map(lambda n: "1." + "5" * n),
)
STRINGS = st.text(max_size=8).map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"')
KEYS = st.sampled_from(['"a"', '"b"', '"\\u0061"', '"c"'])  # "\u0061" repeats "a" as text differs


def texts() -> st.SearchStrategy[str]:
    scalars = st.one_of(NUMBERS, STRINGS, st.sampled_from(["true", "false", "null"]))
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4).map(lambda items: "[" + ",".join(items) + "]"),
            st.lists(st.tuples(KEYS, inner), max_size=4).map(
                lambda pairs: "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}"
            ),
        ),
        max_leaves=12,
    )


def damaged(text: str, where: int, junk: str) -> str:
    cut = where % (len(text) + 1)
    return text[:cut] + junk + text[cut:]


def outcome(parse: Any, text: str | bytes) -> Any:
    try:
        value = parse(text)
    except RegistryError as error:
        return type(error), error.code, error.message, error.details
    return "value", _comparable(value)


def _comparable(value: Any) -> Any:
    """Values compared with their types (1 and 1.0 and True differ) and -0.0 apart from 0.0."""
    if isinstance(value, dict):
        return type(value), [(k, _comparable(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    if isinstance(value, float):
        return float, value, math.copysign(1, value)
    return type(value), value


@settings(max_examples=400, deadline=None)
@given(
    texts(),
    st.sampled_from(["", "\ufeff", " ", ",", "]", "{", '"x":1', "NaN"]),
    st.integers(min_value=0),
    st.sampled_from(["str", "utf-8", "utf-16", "utf-32-le"]),
)
def test_parse_json_answers_as_the_strict_parse(text: str, junk: str, where: int, encoding: str) -> None:
    chosen = damaged(text, where, junk) if junk else text
    sent: str | bytes = chosen
    if encoding != "str":
        try:
            sent = chosen.encode(encoding)
        except UnicodeEncodeError:  # a lone surrogate hypothesis drew
            return
    assert outcome(parse_json, sent) == outcome(lambda t: _strict_parse(t, "the request body"), sent)

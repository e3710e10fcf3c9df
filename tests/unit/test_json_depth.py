"""Nesting depth read from a JSON text (`json_input.nests_deeper`) gives the verdict of a walk over its value
(`document.first_too_deep`, which the validation path uses): brackets inside strings, escaped quotes, every
encoding `json.loads` reads, and depths at and just past the limit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.domain.formats.document import first_too_deep
from registry.domain.formats.events import EVENT_MAX_DEPTH
from registry.domain.json_input import MAX_DEPTH, nests_deeper

# strings made of what could fool a scan of the text: brackets, quotes, backslashes, escapes, non-ASCII
TRICKY = st.text(st.sampled_from(list('[]{}"\\/\n\t\x00u0aé€𝄞 ,:')), max_size=12)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TRICKY,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY, inner, max_size=4),
    max_leaves=40,
)
ENCODINGS = [None, "utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"]


def walked(value: Any, limit: int) -> bool:
    return first_too_deep(value, limit) is not None


@settings(max_examples=400, deadline=None)
@given(
    value=VALUES,
    limit=st.integers(0, 8),
    ensure_ascii=st.booleans(),
    indent=st.sampled_from([None, 0, 2]),
    encoding=st.sampled_from(ENCODINGS),
)
def test_the_text_gives_the_verdict_of_the_walk(
    value: Any, limit: int, ensure_ascii: bool, indent: int | None, encoding: str | None
) -> None:
    dumped = json.dumps(value, ensure_ascii=ensure_ascii, indent=indent)
    text = dumped if encoding is None else dumped.encode(encoding)
    assert nests_deeper(text, limit) == walked(json.loads(text), limit)


@pytest.mark.parametrize("limit", [EVENT_MAX_DEPTH, MAX_DEPTH])
@pytest.mark.parametrize("extra", [-1, 0, 1])
@pytest.mark.parametrize("encoding", [None, "utf-8", "utf-16-le", "utf-32-be"])
def test_at_and_just_past_the_limit_with_brackets_in_strings(
    limit: int, extra: int, encoding: str | None
) -> None:
    """Enough brackets inside strings that counting them all would say "too deep" every time."""
    decoy = '[{"\\"[{\\\\' * limit
    levels = limit + extra
    nested = "[" * (levels - 1) + json.dumps({decoy: [decoy, "]]}}"]}) + "]" * (levels - 1)
    text = nested if encoding is None else nested.encode(encoding)
    value = json.loads(text)
    assert walked(value, limit) == (levels + 1 > limit)  # the innermost list is one level more
    assert nests_deeper(text, limit) == walked(value, limit)


def test_deep_siblings_count_as_deep_as_the_deepest() -> None:
    deep = "[" * 10 + "]" * 10
    text = "[" + ",".join([deep] * 50) + "]"  # 500 brackets, 11 levels
    assert not nests_deeper(text, 11)
    assert nests_deeper(text, 10)

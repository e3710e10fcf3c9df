"""The fast validation path skips the walk for depth when the event's text has too few brackets to be too deep
(`json_input.may_nest_deeper`). That must never change a verdict: brackets inside strings, escaped quotes,
every encoding `json.loads` reads, depths at and just past the limit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.domain.formats import parse_contract
from registry.domain.formats.document import first_too_deep
from registry.domain.formats.events import EVENT_MAX_DEPTH
from registry.domain.json_input import MAX_DEPTH, may_nest_deeper

# strings made of what could fool a reading of the text: brackets, quotes, backslashes, escapes, non-ASCII
TRICKY = st.text(st.sampled_from(list('[]{}"\\/\n\t\x00u0aé€𝄞 ,:')), max_size=12)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TRICKY,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY, inner, max_size=4),
    max_leaves=40,
)
ENCODINGS = [None, "utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"]
ANY_EVENT = parse_contract("JSONSchemaDraft4", {"$schema": "http://json-schema.org/draft-04/schema#"})


def encoded(text: str, encoding: str | None) -> str | bytes:
    return text if encoding is None else text.encode(encoding)


@settings(max_examples=400, deadline=None)
@given(
    value=VALUES,
    limit=st.integers(0, 8),
    ensure_ascii=st.booleans(),
    indent=st.sampled_from([None, 0, 2]),
    encoding=st.sampled_from(ENCODINGS),
)
def test_too_few_brackets_means_not_too_deep(
    value: Any, limit: int, ensure_ascii: bool, indent: int | None, encoding: str | None
) -> None:
    text = encoded(json.dumps(value, ensure_ascii=ensure_ascii, indent=indent), encoding)
    if first_too_deep(json.loads(text), limit) is not None:
        assert may_nest_deeper(text, limit)


def nested(levels: int, filler: str) -> str:
    """`levels` levels of arrays and objects, the innermost holding `filler`."""
    return "[" * (levels - 1) + json.dumps({"x": filler}) + "]" * (levels - 1)


@pytest.mark.parametrize("levels", [EVENT_MAX_DEPTH - 1, EVENT_MAX_DEPTH, EVENT_MAX_DEPTH + 1])
@pytest.mark.parametrize("filler", ["", '[{"\\"[{\\\\' * EVENT_MAX_DEPTH])  # no decoys, decoys past the limit
@pytest.mark.parametrize("encoding", [None, "utf-8", "utf-16-le", "utf-32-be"])
def test_the_fast_check_judges_depth_as_before(levels: int, filler: str, encoding: str | None) -> None:
    text = encoded(nested(levels, filler), encoding)
    event = json.loads(text)
    fast = ANY_EVENT.fast_check(False)
    assert fast is not None
    walked = fast(event)  # the check walks the event, as it did for every event before
    assert walked == (levels <= EVENT_MAX_DEPTH)
    assert fast(event, within_depth=not may_nest_deeper(text, EVENT_MAX_DEPTH)) == walked


@pytest.mark.parametrize("limit", [EVENT_MAX_DEPTH, MAX_DEPTH])
def test_the_count_is_exact_at_the_limit(limit: int) -> None:
    """As many brackets as levels allowed: sure to be within; one more: walk to know."""
    assert not may_nest_deeper("[" * limit + "]" * limit, limit)
    assert not may_nest_deeper(("{" * limit).encode("utf-16-le"), limit)
    assert may_nest_deeper("[" * (limit + 1) + "]" * (limit + 1), limit)

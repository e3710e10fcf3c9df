"""Canonical JSON and fingerprints: one text and one digest per JSON value, whatever its spelling."""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from registry.domain.formats import canonical_json, fingerprint_of

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


def shuffled(value: Any, rng: random.Random) -> Any:
    """The same JSON value with every object's keys in another order."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {key: shuffled(child, rng) for key, child in items}
    if isinstance(value, list):
        return [shuffled(child, rng) for child in value]
    return value


@given(JSON_VALUES)
def test_canonical_json_is_idempotent(value: Any) -> None:
    canonical = canonical_json(value)

    assert canonical_json(json.loads(canonical)) == canonical


@given(JSON_VALUES, st.randoms(use_true_random=False))
def test_the_fingerprint_does_not_depend_on_key_order(value: Any, rng: random.Random) -> None:
    assert fingerprint_of(canonical_json(shuffled(value, rng))) == fingerprint_of(canonical_json(value))


@given(JSON_VALUES)
def test_the_fingerprint_does_not_depend_on_whitespace(value: Any) -> None:
    pretty = json.dumps(value, indent=4, sort_keys=False)

    assert canonical_json(json.loads(pretty)) == canonical_json(value)


def test_canonical_json_is_compact_sorted_and_not_ascii_escaped() -> None:
    assert canonical_json({"b": [1, 2.5, None], "a": "é€", "c": {"z": True, "y": False}}) == (
        '{"a":"é€","b":[1,2.5,null],"c":{"y":false,"z":true}}'
    )


def test_the_fingerprint_is_the_sha256_of_the_utf8_text() -> None:
    assert fingerprint_of('{"a":"é"}') == hashlib.sha256('{"a":"é"}'.encode()).hexdigest()

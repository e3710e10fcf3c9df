"""Regular-expression inclusion (`regex_inclusion`): proven inclusions hold on every short string, and every
witness of a difference is a producer string the consumer's pattern misses, as the validator runs them."""

from __future__ import annotations

import itertools
from re import escape as re_escape

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.domain.compat import CompatibilityPolicy, check
from registry.domain.compat.regex_inclusion import Inclusion, inclusion
from registry.domain.formats.regexes import search

ALPHABET = "ab\n"
SHORT_STRINGS = ["".join(chars) for n in range(6) for chars in itertools.product(ALPHABET, repeat=n)]

atoms = st.sampled_from(["a", "b", ".", "[ab]", "[^a]", "\\n", "\\s", "\\S", "(a|b)", "(?:ab)"])
pieces = st.builds(
    lambda atom, suffix: atom + suffix, atoms, st.sampled_from(["", "*", "+", "?", "{2}", "{1,2}"])
)
bodies = st.lists(pieces, min_size=0, max_size=3).map("".join)
patterns = st.builds(
    lambda start, body, end, other: start + body + end + other,
    st.sampled_from(["", "^"]),
    bodies,
    st.sampled_from(["", "$"]),
    st.sampled_from(["", "|b$", "|^a"]),
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(producer=patterns, consumer=patterns, min_length=st.integers(0, 2))
def test_inclusion_agrees_with_the_validator_on_every_short_string(
    producer: str, consumer: str, min_length: int
) -> None:
    found = inclusion((producer,), min_length, None, consumer)
    if found.contained is True:
        for text in SHORT_STRINGS:
            if len(text) >= min_length and search(producer, text):
                assert search(consumer, text), f"{producer!r} ⊆ {consumer!r} claimed, {text!r} refutes it"
    elif found.contained is False:
        assert found.witness is not None and len(found.witness) >= min_length
        assert search(producer, found.witness) and not search(consumer, found.witness)


def test_equivalent_patterns_are_compatible_both_ways() -> None:
    a, b = {"type": "string", "pattern": "^[a-z0-9-]+$"}, {"type": "string", "pattern": "^([a-z]|[0-9]|-)+$"}
    assert check(a, b, policy=CompatibilityPolicy.STRICT) == []
    assert check(b, a, policy=CompatibilityPolicy.STRICT) == []


def test_a_narrowed_pattern_is_shown_by_the_shortest_string_of_the_difference() -> None:
    producer = {"type": "object", "properties": {"key": {"type": "string", "pattern": "^[a-z_\\-:.,]+$"}}}
    consumer = {"type": "object", "properties": {"key": {"type": "string", "pattern": "^[a-z_\\-:]+$"}}}
    [item] = check(producer, consumer, policy=CompatibilityPolicy.STRICT)
    assert (item.rule, item.proven, item.witness) == ("pattern_changed", True, {"key": ","})


words = st.lists(st.text(alphabet="ab\n", min_size=0, max_size=3).map(re_escape), min_size=1, max_size=4)
finite_patterns = words.map(lambda ws: "^(" + "|".join(ws) + ")$")


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(producer=finite_patterns, other=patterns, consumer=patterns, min_length=st.integers(0, 2))
def test_a_producer_of_a_few_strings_is_decided_by_the_validator_itself(
    producer: str, other: str, consumer: str, min_length: int
) -> None:
    # (each listed string is searched, as jsonschema searches, instead of stepping automata through them)
    found = inclusion((producer, other), min_length, 2, consumer)
    allowed = [
        t for t in SHORT_STRINGS if min_length <= len(t) <= 2 and search(producer, t) and search(other, t)
    ]
    missed = [t for t in allowed if not search(consumer, t)]
    assert found.contained is (not missed)
    if missed:
        assert found.witness in missed and len(found.witness) == min(map(len, missed))


def test_patterns_beyond_the_automaton_stay_undecided() -> None:
    assert inclusion(("^a+$",), 0, None, "^(a)\\1$").contained is None  # a back-reference
    # (unless the producer lists its few strings: each is asked of the validator)
    assert inclusion(("^aa$",), 0, None, "^(a)\\1$").contained is True
    assert inclusion(("^(aa|ab)$",), 0, None, "^(a)\\1$") == Inclusion(False, "ab")
    # a producer pattern beyond it is left out (the producer only grows): never a proof, only candidates
    assert inclusion(("^(a)\\1$",), 0, None, "^aa$").contained is not True
    assert inclusion(("^a",), 0, None, "\\ba").contained is None  # a word boundary
    assert inclusion(("^a",), 0, None, "\\p{L}").contained is None  # a Unicode property

"""Containment of string constraints: lengths (in code points, as jsonschema counts) and patterns.

A consumer's pattern holds on every producer string when the producer imposes the same one, when it matches
everything, or when the producer's patterns and lengths are shown to imply it (`regex_inclusion`, which also
gives the shortest string of the difference as a witness). Otherwise the answer is "incompatible", proven
only when a sample string shows it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from registry.domain.compat.document import Node
from registry.domain.compat.regex_inclusion import NOTHING, inclusion
from registry.domain.compat.regex_samples import (
    alternative_samples,
    matches_everywhere,
    pattern_samples,
    same_pattern,
    shortest_match,
)
from registry.domain.formats.regexes import UnsafePattern, search

UNIVERSAL_PATTERNS = frozenset({"", ".*", "^.*", "[\\s\\S]*", "^[\\s\\S]*$"})


@dataclass
class Text:
    min_length: int = 0
    max_length: int | None = None
    patterns: list[str] = field(default_factory=list)


def text_of(parts: list[Node]) -> Text:
    result = Text()
    for part in parts:
        keywords = part.keywords()
        low, high, pattern = (
            _count(keywords.get("minLength")),
            _count(keywords.get("maxLength")),
            keywords.get("pattern"),
        )
        if low is not None:
            result.min_length = max(result.min_length, low)
        if high is not None:
            result.max_length = high if result.max_length is None else min(result.max_length, high)
        if isinstance(pattern, str):
            result.patterns.append(pattern)
            # every string holding a match is at least as long as the shortest match
            result.min_length = max(result.min_length, shortest_match(pattern))
    return result


def _count(value: Any) -> int | None:
    valid = (
        isinstance(value, int | float) and not isinstance(value, bool) and value >= 0 and value == int(value)
    )
    return int(value) if valid else None


Problem = tuple[str, str, list[Any]]


def narrowing(p: Text, c: Text) -> list[Problem]:
    if p.max_length is not None and p.min_length > p.max_length:
        return []
    problems: list[Problem] = []
    if c.min_length > p.min_length:
        shorter = [_string(p, n) for n in range(p.min_length, c.min_length)][-3:]
        problems.append(
            ("min_length_raised", f"the consumer requires at least {c.min_length} characters", shorter)
        )
    if c.max_length is not None and (p.max_length is None or p.max_length > c.max_length):
        longer = [_string(p, c.max_length + 1), _string(p, c.max_length + 2)]
        problems.append(
            ("max_length_lowered", f"the consumer allows at most {c.max_length} characters", longer)
        )
    for pattern in c.patterns:
        if any(same_pattern(pattern, own) for own in p.patterns) or _universal(pattern):
            continue
        found = inclusion(tuple(p.patterns), p.min_length, p.max_length, pattern)
        if found.contained:
            continue  # every producer string holds a match of the consumer's pattern
        shown = [found.witness] if found.witness is not None else _differing(p, pattern)
        problems.append(
            ("pattern_changed", f"the consumer requires the pattern {pattern!r}", shown + samples(p))
        )
    return problems


def _differing(p: Text, pattern: str) -> list[str]:
    """Producer strings the consumer's `pattern` misses, among the strings of each alternative of the
    producer's patterns (where the automaton gave no answer): the likeliest witnesses, checked here."""
    found = []
    for text in (t for own in p.patterns[:1] for t in alternative_samples(own)):
        within = p.min_length <= len(text) and (p.max_length is None or len(text) <= p.max_length)
        if within and _matches_all(p.patterns, text) and not _matches_all([pattern], text):
            found.append(text)
            if len(found) == 2:
                break
    return found


def accepts_every_string(node: Node) -> bool:
    """True for a schema that holds every string: at most a type that admits strings and a pattern that
    matches anywhere."""
    schema = node.schema
    if schema is True:
        return True
    keywords = node.keywords()
    if not isinstance(schema, dict) or not set(keywords) <= {"type", "pattern"}:
        return False
    declared = keywords.get("type", "string")
    types = declared if isinstance(declared, list) else [declared]
    pattern = keywords.get("pattern", "")
    return "string" in types and isinstance(pattern, str) and _universal(pattern)


def matches_every_name(pattern: Any) -> bool:
    """Whether a `patternProperties` pattern matches every property name."""
    return isinstance(pattern, str) and _universal(pattern)


def _universal(pattern: str) -> bool:
    return pattern in UNIVERSAL_PATTERNS or matches_everywhere(pattern)


def samples(p: Text) -> list[str]:
    """Strings likely to satisfy `p`, of several lengths, for witnesses."""
    return list(_samples(p.min_length, p.max_length, tuple(p.patterns)))


@functools.lru_cache(maxsize=4096)
def _samples(min_length: int, max_length: int | None, patterns: tuple[str, ...]) -> tuple[str, ...]:
    """(remembered: the same string constraints recur all over a large contract)"""
    p = Text(min_length, max_length, list(patterns))
    lengths = [p.min_length, p.min_length + 1, max(p.min_length, 8)]
    if p.max_length is not None:
        lengths = [n for n in lengths if n <= p.max_length] or [p.max_length]
    found = [_string(p, n) for n in lengths]
    # the other alternatives of a pattern's `|`, where they satisfy the rest
    found += [
        text
        for text in dict.fromkeys(t for pattern in patterns[:1] for t in pattern_samples(pattern, 0)[-3:])
        if text not in found
        and min_length <= len(text)
        and (max_length is None or len(text) <= max_length)
        and _matches_all(list(patterns), text)
    ]
    if len(patterns) > 1 and not any(_matches_all(list(patterns), text) for text in found):
        # several patterns that the samples of each miss together: the automaton spells a string of all
        shared = inclusion(patterns, min_length, max_length, NOTHING).witness
        if shared is not None and _matches_all(list(patterns), shared):
            found.insert(0, shared)
    # line breaks: `.` does not match them, a classic gap between a pattern and a length
    odd = [" ", "0", "A", "\n", "\u00e9"]
    return (*found, *[ch * max(lengths[0], 1) for ch in odd], found[0] + "\n", "\n" + found[0])


def _string(p: Text, length: int) -> str:
    if not p.patterns:
        return "a" * length
    # jsonschema searches: a string holding a match of every pattern satisfies them all (unless anchored)
    pieces = [pattern_samples(pattern, 0)[:1] or [""] for pattern in p.patterns]
    joined = "".join(piece[0] for piece in pieces)
    candidates = [*pattern_samples(p.patterns[0], length), joined, joined + "a" * (length - len(joined))]
    fitting = [
        c for c in candidates if p.min_length <= len(c) and (p.max_length is None or len(c) <= p.max_length)
    ]
    fitting.sort(key=lambda c: (not _matches_all(p.patterns, c), abs(len(c) - length)))
    return fitting[0] if fitting else "a" * length


def _matches_all(patterns: list[str], text: str) -> bool:
    try:
        return all(search(pattern, text) for pattern in patterns)
    except UnsafePattern:
        return False

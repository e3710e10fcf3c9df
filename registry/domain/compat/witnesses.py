"""Turning findings into incompatibilities: each candidate witness is checked with jsonschema, both ways.

When none of a finding's own candidates is a counterexample, a small search over producer samples (with the
property names and values both schemas mention) may still find one for the pair.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from registry.domain.compat.document import Doc, Node
from registry.domain.compat.normalise import work_seconds
from registry.domain.compat.report import Finding, Incompatibility
from registry.domain.compat.samples import ODD_VALUES, samples, unique

SEARCH_SECONDS = 0.05
DEEP_SEARCH_SECONDS = 0.4
"""When no finding of a report is proven, the search for any counterexample may use this much more of the
question's time (within its deadline): a report without a witness is one a developer cannot act on."""
MAX_PLACES = 400
"""Places inside a producer sample that the deep variations change, one at a time."""


VERIFY_SECONDS = 0.3


class Verifier:
    """Checks candidate witnesses with jsonschema, within a time bound (a report of hundreds of items must not
    cost hundreds of validations of a large document: past the bound, items stay unproven)."""

    def __init__(
        self, producer: Doc, consumer: Doc, seconds: float = VERIFY_SECONDS, until: float | None = None
    ) -> None:
        """`seconds` for verifying; `until`: the question's own deadline, which nothing here passes."""
        self.producer, self.consumer = producer, consumer
        now = work_seconds()
        self.until = now + max(seconds, SEARCH_SECONDS) if until is None else until
        self.deadline = min(now + seconds, self.until)

    def proves(self, value: Any) -> bool:
        return (
            self.producer.is_valid(self.producer.root, value) is True
            and self.consumer.is_valid(self.consumer.root, value) is False
        )

    def first(self, candidates: list[Any]) -> tuple[bool, Any]:
        for value in candidates:
            if work_seconds() > self.deadline:
                break
            if self.proves(value):
                return True, value
        return False, None


def incompatibilities(findings: list[Finding], verifier: Verifier) -> list[Incompatibility]:
    """Each finding with the first of its own candidates that jsonschema confirms. When none of them proves
    anything, a searched counterexample proves the pair incompatible and goes with the items left unproven;
    beside a proven item, an unproven one stays unproven (its place may be fine)."""
    items = _distinct(findings)
    witnesses = [verifier.first(list(item.candidates)) for item in items]
    if items and not any(proven for proven, _ in witnesses):
        found = search(verifier, seconds=DEEP_SEARCH_SECONDS, deep=True)
        witnesses = [found] * len(items)
    return [
        Incompatibility(item.rule, item.producer_path, item.consumer_path, item.message, witness, proven)
        for item, (proven, witness) in zip(items, witnesses, strict=True)
    ]


def search(verifier: Verifier, seconds: float = SEARCH_SECONDS, deep: bool = False) -> tuple[bool, Any]:
    """A bounded search for any counterexample: producer samples, and variations of them (`deep`: then
    variations at every place inside each sample, one place at a time)."""
    now = work_seconds()
    deadline = min(now + seconds, max(verifier.deadline, now + SEARCH_SECONDS), verifier.until)
    found = candidates(verifier)
    values = itertools.chain(found, _deep_candidates(verifier, found)) if deep else iter(found)
    for value in values:
        if work_seconds() > deadline:
            break
        if verifier.proves(value):
            return True, value
    return False, None


def candidates(verifier: Verifier) -> list[Any]:
    """Producer samples and variations of them (the consumer's property names, odd values)."""
    root = Node(verifier.producer.root, "", verifier.producer)
    bases = samples([root])
    names = _mentioned_names(verifier.consumer.root) if any(isinstance(b, dict) for b in bases) else set()
    return unique(bases + [v for b in bases for v in _variations(b, names)])


def _deep_candidates(verifier: Verifier, shallow: list[Any]) -> Iterator[Any]:
    """Each producer sample changed at one place below its top: a member added (a name the consumer
    mentions, with an odd value) or removed, an item added or repeated, a value replaced by an odd one. A
    difference deep in a large contract is met this way when the candidates built for it are not whole
    producer events. Lazy: the caller's deadline decides how many are tried."""
    seen = {json.dumps(value, sort_keys=True, default=str) for value in shallow}
    names = sorted(_mentioned_names(verifier.consumer.root))[:20]
    for base in shallow[:8]:
        for path, inner in itertools.islice(_places(base), MAX_PLACES):
            if not path:
                continue  # the top is varied already
            for changed in _variations(inner, set(names)):
                value = _replaced(base, path, changed)
                key = json.dumps(value, sort_keys=True, default=str)
                if key not in seen:
                    seen.add(key)
                    yield value


def _places(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every place in `value`, outermost first along each branch."""
    yield path, value
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _places(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _places(inner, (*path, index))


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replaced(value[head], rest, new)
    return copy


def _variations(value: Any, names_mentioned: set[str]) -> list[Any]:
    if isinstance(value, dict):
        names = names_mentioned | set(value)
        return [{**value, name: odd} for name in sorted(names)[:20] for odd in ODD_VALUES] + [
            {k: v for k, v in value.items() if k != name} for name in value
        ]
    if isinstance(value, list):
        return [value + value, value[:-1], [*value, *ODD_VALUES[:3]]]
    return list(ODD_VALUES)


def _mentioned_names(schema: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key in ("properties", "dependencies", "dependentRequired") and isinstance(value, dict):
                names |= {k for k in value if isinstance(k, str)}
            if key == "required" and isinstance(value, list):
                names |= {k for k in value if isinstance(k, str)}
            names |= _mentioned_names(value)
    elif isinstance(schema, list):
        for item in schema:
            names |= _mentioned_names(item)
    return names


def _distinct(findings: list[Finding]) -> list[Finding]:
    """One item per (rule, places), with the candidates of every finding that reported it: two findings at
    the same places (from two producer alternatives, say) may hold different values, and only one may be a
    counterexample (those already shown one where they were found go first)."""
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for item in findings:
        groups.setdefault((item.rule, item.producer_path, item.consumer_path), []).append(item)
    kept = []
    for group in groups.values():
        if len(group) == 1:
            kept.append(group[0])
            continue
        ordered = sorted(group, key=lambda item: not item.promising)
        values = unique([v for item in ordered for v in item.candidates])
        kept.append(replace(group[0], candidates=tuple(values), promising=ordered[0].promising))
    return kept

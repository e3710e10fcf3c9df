"""Regular-expression inclusion: does every string the producer allows hold a match of the consumer's pattern?

Each pattern (ECMA-262, as it runs: `^` the start, `$` the very end, searched anywhere in the string) becomes
a Thompson automaton over code points, built from the registry's own parse tree (`formats.ecma_syntax`), so
the language is the one the validator executes. The producer's patterns, its length bounds and the consumer's
pattern then run side by side over the strings, shortest first, on a partition of the code points into the
intervals every character set of the patterns respects (a lazy subset construction of their product). Either

- every reachable combination is explored and none is a producer string the consumer rejects: inclusion is
  proven (the consumer's pattern holds on every producer string), or
- the first such combination reached gives the shortest string of the difference: a witness candidate, or
- the exploration outgrows its bound (a fixed number of steps, not a clock, so an answer never depends on the
  machine's load), or a pattern uses what an automaton cannot say here (lookarounds, back-references, word
  boundaries, Unicode properties): no answer, and the caller keeps its conservative one.

greenery (regular expressions as finite state machines) was considered: its parser reads Python's dialect,
not the ECMA-262 one the validator runs, and its constructions cannot be bounded (they build whole automata
before any question is asked), so the few operations needed here are written on our own tree.
"""

from __future__ import annotations

import bisect
import functools
import itertools
from collections import deque
from dataclasses import dataclass, field

from registry.domain.compat.regex_samples import finite_language
from registry.domain.formats.ecma_syntax import parse
from registry.domain.formats.ecma_tree import (
    MAX_CODE_POINT,
    Alternation,
    Anchor,
    Chars,
    Group,
    Node,
    PatternError,
    Ranges,
    Repeat,
    Sequence,
    complement,
)
from registry.domain.formats.regexes import UnsafePattern, checked_size, search

MAX_STATES = 10_000
"""Automaton states one pattern may unroll to (counted repetitions are copied)."""
MAX_WORK = 40_000
"""Automaton states the exploration may step through before it gives up (a count, not a clock: about 0.05 s
at most, and the same answer on a loaded machine)."""
MAX_TRACKED_LENGTH = 64
"""Length bounds above this are left out (dropping a producer bound only makes the producer larger)."""
_SURROGATES = (0xD800, 0xDFFF)


NOTHING = "[]"
"""An ECMA-262 pattern no string holds a match of (an empty character class): `inclusion(patterns, ...,
NOTHING)` holds when no string matches all `patterns`, and otherwise spells one that does."""


class Unsupported(Exception):
    """A construct the automaton does not model, or one too large."""


@dataclass(frozen=True)
class Inclusion:
    """`contained`: True (proven), False (`witness` is a producer string the consumer's pattern misses, as
    far as the patterns modelled tell: a candidate, which the caller verifies), or None (not decided)."""

    contained: bool | None
    witness: str | None = None


@dataclass
class _Automaton:
    """Thompson's construction: character edges, plain ε edges and anchored ε edges (passable only at the
    start, or only at the end, of the string)."""

    chars: list[list[tuple[Ranges, int]]] = field(default_factory=list)
    empty: list[list[tuple[str | None, int]]] = field(default_factory=list)
    start: int = 0
    accept: int = 0

    def state(self) -> int:
        if len(self.chars) >= MAX_STATES:
            raise Unsupported("too many states")
        self.chars.append([])
        self.empty.append([])
        return len(self.chars) - 1

    def closure(self, states: set[int], at_start: bool, at_end: bool) -> frozenset[int]:
        """The states reached through ε edges, keeping only those that can still matter: states with a
        character edge or an end anchor, and the accepting state (so that two sets that differ only by
        states passed through are one state of the exploration)."""
        seen, todo = set(states), list(states)
        while todo:
            for kind, target in self.empty[todo.pop()]:
                passable = kind is None or (kind == "start" and at_start) or (kind == "end" and at_end)
                if passable and target not in seen:
                    seen.add(target)
                    todo.append(target)
        return frozenset(s for s in seen if self.chars[s] or s == self.accept or self._ends(s))

    def _ends(self, state: int) -> bool:
        return any(kind == "end" for kind, _ in self.empty[state])


def _fragment(auto: _Automaton, node: Node) -> tuple[int, int]:
    begin, end = auto.state(), auto.state()
    if isinstance(node, Chars):
        if node.properties:
            raise Unsupported("a Unicode property")
        auto.chars[begin].append((complement(node.ranges) if node.negated else node.ranges, end))
    elif isinstance(node, Anchor):
        if node.kind not in ("start", "end"):
            raise Unsupported("a word boundary")
        auto.empty[begin].append((node.kind, end))
    elif isinstance(node, Group):
        _between(auto, begin, end, node.body)
    elif isinstance(node, Sequence):
        at = begin
        for item in node.items:
            inner_begin, inner_end = _fragment(auto, item)
            auto.empty[at].append((None, inner_begin))
            at = inner_end
        auto.empty[at].append((None, end))
    elif isinstance(node, Alternation):
        for branch in node.branches:
            _between(auto, begin, end, branch)
    elif isinstance(node, Repeat):
        _repeat(auto, begin, end, node)
    else:
        raise Unsupported(type(node).__name__)  # lookarounds, back-references
    return begin, end


def _between(auto: _Automaton, begin: int, end: int, node: Node) -> None:
    inner_begin, inner_end = _fragment(auto, node)
    auto.empty[begin].append((None, inner_begin))
    auto.empty[inner_end].append((None, end))


def _repeat(auto: _Automaton, begin: int, end: int, node: Repeat) -> None:
    at = begin
    for _ in range(node.low):
        inner_begin, inner_end = _fragment(auto, node.body)
        auto.empty[at].append((None, inner_begin))
        at = inner_end
    if node.high is None:
        inner_begin, inner_end = _fragment(auto, node.body)
        auto.empty[at].append((None, inner_begin))
        auto.empty[inner_end].append((None, inner_begin))
        auto.empty[inner_end].append((None, end))
    else:
        for _ in range(node.high - node.low):
            inner_begin, inner_end = _fragment(auto, node.body)
            auto.empty[at].append((None, inner_begin))
            auto.empty[at].append((None, end))
            at = inner_end
    auto.empty[at].append((None, end))


@functools.lru_cache(maxsize=1024)
def _automaton(pattern: str) -> _Automaton | None:
    """The automaton of an ECMA-262 pattern as the validator runs it; None when there is none here (a pattern
    kept in Python's dialect, or a construct not modelled)."""
    try:
        checked_size(pattern)  # what runs is the ECMA-262 translation (not a legacy Python pattern)
        tree = parse(pattern).tree
        auto = _Automaton()
        auto.start, auto.accept = _fragment(auto, tree)
    except (UnsafePattern, PatternError, Unsupported, RecursionError):
        return None
    return auto


_Machine = tuple[frozenset[int], bool]  # the states one pattern is in, and whether it has matched already
_Position = tuple[tuple[_Machine, ...], _Machine, int]  # producers', consumer's, length read (capped)


class _Search:
    """One pattern searched in a string read one interval at a time: the set of states reached, and
    whether a match was already seen (a search needs only one)."""

    def __init__(self, auto: _Automaton, work: list[int]) -> None:
        self.auto, self.work = auto, work
        self.moves: dict[tuple[frozenset[int], int], frozenset[int]] = {}
        self.ends: dict[_Machine, bool] = {}

    def initial(self) -> _Machine:
        states = self.auto.closure({self.auto.start}, at_start=True, at_end=False)
        return states, self.auto.accept in states

    def step(self, state: _Machine, code: int) -> _Machine:
        states, matched = state
        reached = self.moves.get((states, code))
        if reached is None:
            self.work[0] += len(states) + 1
            if self.work[0] > MAX_WORK:
                raise Unsupported("too much work")
            moved = {target for s in states for ranges, target in self.auto.chars[s] if _holds(ranges, code)}
            moved.add(self.auto.start)  # a match may begin at any position
            reached = self.moves[states, code] = self.auto.closure(moved, at_start=False, at_end=False)
        return reached, matched or self.auto.accept in reached

    def accepts(self, state: _Machine, empty: bool) -> bool:
        states, matched = state
        if matched:
            return True
        key = (states, empty)
        if key not in self.ends:
            self.ends[key] = self.auto.accept in self.auto.closure(set(states), at_start=empty, at_end=True)
        return self.ends[key]


def _holds(ranges: Ranges, code: int) -> bool:
    index = bisect.bisect_right(ranges, (code, MAX_CODE_POINT)) - 1
    return index >= 0 and ranges[index][0] <= code <= ranges[index][1]


def _representatives(autos: list[_Automaton]) -> list[int]:
    """One code point per interval of the partition that every character set respects, readable ones
    first (a witness is read by people); surrogates last."""
    cuts = {0, MAX_CODE_POINT + 1}
    for auto in autos:
        for edges in auto.chars:
            for ranges, _ in edges:
                for low, high in ranges:
                    cuts.update((low, high + 1))
    bounds = sorted(cuts)
    picks = [_readable(low, high - 1) for low, high in itertools.pairwise(bounds)]
    return sorted(picks, key=lambda c: (not 0x20 < c < 0x7F, _SURROGATES[0] <= c <= _SURROGATES[1], c))


def _readable(low: int, high: int) -> int:
    for preferred in (ord("a"), ord("A"), ord("0")):
        if low <= preferred <= high:
            return preferred
    return max(low, 0x21) if low <= 0x7E and high >= 0x21 else low


@functools.lru_cache(maxsize=2048)
def inclusion(
    producer_patterns: tuple[str, ...], min_length: int, max_length: int | None, consumer_pattern: str
) -> Inclusion:
    """Does every string of length in [min_length, max_length] that matches all `producer_patterns` match
    `consumer_pattern`? (Remembered: a large contract repeats its string constraints.)"""
    listed = _listed(producer_patterns, min_length, max_length, consumer_pattern)
    if listed is not None:
        return listed
    consumer = _automaton(consumer_pattern)
    if consumer is None:
        return Inclusion(None)
    # a producer pattern the automaton cannot model is left out: the producer only grows
    producers = [auto for auto in map(_automaton, producer_patterns) if auto is not None]
    low = min(min_length, MAX_TRACKED_LENGTH)
    high = max_length if max_length is not None and max_length <= MAX_TRACKED_LENGTH else None
    work = [0]
    try:
        return _explore([_Search(a, work) for a in producers], _Search(consumer, work), low, high)
    except Unsupported:
        return Inclusion(None)


def _listed(
    producer_patterns: tuple[str, ...], min_length: int, max_length: int | None, consumer_pattern: str
) -> Inclusion | None:
    """`inclusion` where a producer pattern matches a few strings only (`^(boolean|number)$`): each is
    searched by the validator's own engine, far cheaper than stepping automata through the strings of
    both patterns (a large union compares hundreds of such names with one another). None when no producer
    pattern lists its strings, or a search cannot tell."""
    words = next((w for p in producer_patterns if (w := finite_language(p)) is not None), None)
    if words is None:
        return None
    try:
        # the listed strings hold every string that pattern matches: those the producer allows are among them
        allowed = [
            w
            for w in sorted(words, key=len)
            if min_length <= len(w)
            and (max_length is None or len(w) <= max_length)
            and all(search(p, w) for p in producer_patterns)
        ]
        missed = next((w for w in allowed if not search(consumer_pattern, w)), None)
    except UnsafePattern:
        return None
    return Inclusion(True) if missed is None else Inclusion(False, missed)


def _explore(producers: list[_Search], consumer: _Search, low: int, high: int | None) -> Inclusion:
    codes = _representatives([s.auto for s in [*producers, consumer]])
    cap = high if high is not None else low
    first: _Position = (tuple(s.initial() for s in producers), consumer.initial(), 0)
    parents: dict[_Position, tuple[_Position, int] | None] = {first: None}
    queue: deque[_Position] = deque([first])
    while queue:
        current = queue.popleft()
        machines, own, length = current
        if _goal(producers, consumer, current, low):
            return Inclusion(False, _spell(parents, current))
        if high is not None and length >= high:
            continue
        for code in codes:
            moved = tuple(s.step(m, code) for s, m in zip(producers, machines, strict=True))
            following = (moved, consumer.step(own, code), min(length + 1, cap + 1))
            if following not in parents:
                parents[following] = (current, code)
                queue.append(following)
    return Inclusion(True)


def _goal(producers: list[_Search], consumer: _Search, position: _Position, low: int) -> bool:
    machines, own, length = position
    empty = length == 0
    return (
        length >= low
        and all(s.accepts(m, empty) for s, m in zip(producers, machines, strict=True))
        and not consumer.accepts(own, empty)
    )


def _spell(parents: dict[_Position, tuple[_Position, int] | None], position: _Position) -> str:
    codes = []
    link = parents[position]
    while link is not None:
        position, code = link
        codes.append(code)
        link = parents[position]
    return "".join(chr(c) for c in reversed(codes))

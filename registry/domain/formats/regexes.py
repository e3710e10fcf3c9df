"""Evaluating a contract's regular expressions (`pattern`, `patternProperties`) within a time bound.

Contracts and events both come from clients, and regular expressions backtrack: `^(a|aa)+$` against forty
"a"s and a "!" runs for minutes. So patterns are matched with the `regex` module, which takes a `timeout`
on every search. It was chosen over google-re2 (linear time) because RE2 refuses back-references and
lookarounds, which ECMA-262 patterns may hold: a second, bounded engine would be needed for those anyway.

Patterns are ECMA-262 regular expressions, as JSON Schema specifies: `ecma_regex` translates each into the
`regex` module's syntax with the same meaning, and says how far it unrolls. `regex` unrolls counted
repetitions when it compiles: `(?:a{99999}){99999}` would take all memory, so such patterns are refused.

Contracts registered before the registry read ECMA-262 were checked against Python's `re`; a pattern of
theirs that is not ECMA-262 (`(?P<name>...)`, `(?i)`, `\\Z`) keeps its Python meaning when it runs
(`executable`), while registration (`checked_size`) accepts ECMA-262 only.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from re import _parser  # type: ignore[attr-defined]  # the parser of `re` itself; typeshed omits it
from typing import Any

import regex  # type: ignore[import-untyped, unused-ignore]

from registry.domain.formats.ecma_regex import translate
from registry.domain.formats.ecma_tree import PatternError, TooDeep

PATTERN_TIMEOUT = 0.075
"""Seconds one search may take; real patterns take microseconds, even on long strings."""
VALIDATION_BUDGET = 1.0
"""Seconds all the searches of one validation may take together: many strings, each just under
PATTERN_TIMEOUT, would otherwise add up to minutes."""
MAX_EXPANDED_SIZE = 5_000
"""Nodes a pattern may compile to once its counted repetitions are unrolled: `regex` spends about 150 bytes
and 0.1 µs on each, so such a pattern takes under 1 MB (patterns written by hand stay far below)."""
MAX_CACHED_PATTERNS = 4096
MAX_CACHED_NODES = 250_000
"""Compiled patterns kept for reuse: by count, and by size (about 40 MB at most). A large contract holds
hundreds of patterns, all met again by every validation: a cache smaller than that would compile them over
and over."""


class UnsafePattern(Exception):
    """A contract's pattern that cannot be evaluated, or not within the bounds."""

    def __init__(self, pattern: str, problem: str) -> None:
        super().__init__(f"pattern {pattern!r} {problem}")
        self.pattern = pattern


class InvalidPattern(UnsafePattern):
    def __init__(self, pattern: str, reason: str) -> None:
        dialect = "an ECMA-262 regular expression, the dialect JSON Schema specifies"
        super().__init__(pattern, f"is not {dialect} ({reason})")


class PatternTooLarge(UnsafePattern):
    def __init__(self, pattern: str, problem: str = "") -> None:
        default = f"is too complex: its repetitions unroll to more than {MAX_EXPANDED_SIZE} steps"
        super().__init__(pattern, problem or default)


class PatternTimeout(UnsafePattern):
    def __init__(self, pattern: str) -> None:
        super().__init__(pattern, "took too long to evaluate")


@dataclass
class RegexBudget:
    """The time left for one validation's searches, and every pattern that could not be evaluated in it."""

    deadline: float
    failures: list[UnsafePattern] = field(default_factory=list)
    # a search was cut short by the budget rather than by PATTERN_TIMEOUT: the validation ran out of time,
    # which says nothing about the value (a pattern that outruns PATTERN_TIMEOUT alone does)
    exhausted: bool = False
    # (pattern, text) pairs that timed out: jsonschema may search the same pair again (patternProperties,
    # then additionalProperties), and a second search would only spend the budget again
    timed_out: set[tuple[str, str]] = field(default_factory=set)


_budget: ContextVar[RegexBudget | None] = ContextVar("regex_budget", default=None)


class ValidationTooSlow(Exception):
    """A validation outran its budget, whatever the cause: patterns, or a schema whose `anyOf`s of
    recursive `$ref`s make the work grow exponentially with the depth of the value."""


def check_deadline() -> None:
    """Called on every descent into a subschema: stop a validation that has run out of time."""
    budget = _budget.get()
    if budget is not None and time.monotonic() > budget.deadline:
        raise ValidationTooSlow(f"validation took longer than {VALIDATION_BUDGET:g} s")


@contextmanager
def regex_budget(seconds: float = VALIDATION_BUDGET) -> Iterator[RegexBudget]:
    """Bound the searches made inside the block, together, to `seconds`; record the patterns that fail."""
    budget = RegexBudget(time.monotonic() + seconds)
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


def search(pattern: str, text: str) -> bool:
    """Whether `pattern` matches somewhere in `text` (JSON Schema's patterns are not anchored). Raises an
    UnsafePattern."""
    budget = _budget.get()
    try:
        compiled = compiled_pattern(pattern)
        return _bounded_search(compiled, pattern, text, budget)
    except UnsafePattern as failure:
        if budget is not None:
            budget.failures.append(failure)
        raise


def _bounded_search(compiled: Any, pattern: str, text: str, budget: RegexBudget | None) -> bool:
    if budget is None:
        timeout = PATTERN_TIMEOUT
    elif (pattern, text) in budget.timed_out:
        raise PatternTimeout(pattern)
    else:
        timeout = min(PATTERN_TIMEOUT, budget.deadline - time.monotonic())
    try:
        if timeout <= 0:
            raise TimeoutError
        # concurrent: release the GIL while matching, so a search running into its timeout does not stall
        # every other thread of the service (the event loop included) for that long
        return compiled.search(text, timeout=timeout, concurrent=True) is not None
    except TimeoutError:
        if budget is not None:
            budget.timed_out.add((pattern, text))
            budget.exhausted = budget.exhausted or timeout < PATTERN_TIMEOUT
        raise PatternTimeout(pattern) from None


class _CompiledPatterns:
    """The most recently used compiled patterns, within MAX_CACHED_PATTERNS and MAX_CACHED_NODES."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[regex.Pattern[str], int]] = OrderedDict()
        self._nodes = 0

    def get(self, pattern: str) -> regex.Pattern[str] | None:
        with self._lock:
            entry = self._entries.get(pattern)
            if entry is None:
                return None
            self._entries.move_to_end(pattern)
            return entry[0]

    def put(self, pattern: str, compiled: regex.Pattern[str], nodes: int) -> None:
        with self._lock:
            if pattern in self._entries:
                return
            self._entries[pattern] = (compiled, nodes)
            self._nodes += nodes
            while self._entries and (
                len(self._entries) > MAX_CACHED_PATTERNS or self._nodes > MAX_CACHED_NODES
            ):
                _, (_, dropped) = self._entries.popitem(last=False)
                self._nodes -= dropped


_compiled = _CompiledPatterns()


def compiled_pattern(pattern: str) -> regex.Pattern[str]:
    """The pattern compiled by `regex`, once it is known to be valid and small enough."""
    found = _compiled.get(pattern)
    if found is not None:
        return found
    source, nodes = executable(pattern)
    try:
        compiled = regex.compile(source)
    except regex.error as exc:  # a translation `regex` does not take: a bug of ours, reported as such
        raise InvalidPattern(pattern, f"the registry cannot evaluate it: {exc}") from exc
    _compiled.put(pattern, compiled, max(nodes, 1))
    return compiled


def checked_size(pattern: str) -> int:
    """The nodes an ECMA-262 pattern compiles to: what registration accepts. Raises InvalidPattern, or
    PatternTooLarge past MAX_EXPANDED_SIZE."""
    try:
        size = translate(pattern).size
    except TooDeep as exc:
        raise PatternTooLarge(pattern, f"is too complex: {exc}") from exc
    except PatternError as exc:
        raise InvalidPattern(pattern, str(exc)) from exc
    if size > MAX_EXPANDED_SIZE:
        raise PatternTooLarge(pattern)
    return size


def executable(pattern: str) -> tuple[str, int]:
    """What runs for `pattern`, in the `regex` module's syntax, and its size. An ECMA-262 pattern runs
    translated; one that is not, but was stored when Python's syntax was the rule, keeps its Python
    meaning. Raises InvalidPattern (with the ECMA-262 reason), or PatternTooLarge past MAX_EXPANDED_SIZE."""
    try:
        size = checked_size(pattern)
    except InvalidPattern as invalid:
        try:
            return pattern, python_size(pattern)
        except InvalidPattern:
            raise invalid from None
    return translate(pattern).source, size


def source_of(pattern: str) -> str | None:
    """What runs for `pattern`, in the `regex` module's syntax, which Python's `re` parser reads too unless
    it holds a Unicode property or a variable-width lookbehind; None when it cannot be evaluated."""
    try:
        source, _ = executable(pattern)
    except UnsafePattern:
        return None
    return source


def python_size(pattern: str) -> int:
    """The nodes a pattern in Python's syntax compiles to. Raises InvalidPattern, or PatternTooLarge."""
    try:
        size = _expanded_size(_parser.parse(pattern))
    except (re.error, OverflowError, RecursionError) as exc:  # RecursionError: groups nested hundreds deep
        raise InvalidPattern(pattern, str(exc) or type(exc).__name__) from exc
    if size > MAX_EXPANDED_SIZE:
        raise PatternTooLarge(pattern)
    return size


def _expanded_size(parsed: Any) -> int:
    """Nodes `parsed` unrolls to: a repetition counts its minimum times (`regex` unrolls the minimum)."""
    total = 0
    for op, argument in parsed:
        if op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT, _parser.POSSESSIVE_REPEAT):
            low, _, item = argument
            total += max(low, 1) * _expanded_size(item)
        elif op is _parser.SUBPATTERN:
            total += _expanded_size(argument[-1])
        elif op is _parser.ATOMIC_GROUP:
            total += _expanded_size(argument)
        elif op in (_parser.ASSERT, _parser.ASSERT_NOT):
            total += _expanded_size(argument[1])
        elif op is _parser.BRANCH:
            total += sum(_expanded_size(branch) for branch in argument[1])
        elif op is _parser.GROUPREF_EXISTS:
            total += sum(_expanded_size(branch) for branch in argument[1:] if branch is not None)
        else:
            total += 1
        if total > MAX_EXPANDED_SIZE:  # stop early: nested repetitions multiply without bound
            return total
    return total

"""Strings that match a regular expression, built from its parse tree: deterministic, small and fast.

Used only to propose witnesses, which jsonschema then verifies; a pattern this cannot follow gives no sample.
Patterns are ECMA-262: the tree read is that of the pattern as it runs (`regexes.source_of`), in a syntax
Python's parser reads unless it holds a Unicode property or a variable-width lookbehind.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

from registry.domain.formats.regexes import source_of

_parser: Any = importlib.import_module("re._parser")
_constants: Any = importlib.import_module("re._constants")
_MAX_REPEAT = 40


def _tree(pattern: str) -> Any:
    """The parse tree of what runs for `pattern`. Raises when there is none this module can read."""
    source = source_of(pattern)
    if source is None:
        raise ValueError(pattern)
    return _parser.parse(source)


def pattern_samples(pattern: str, length: int) -> list[str]:
    """Strings containing a match of `pattern` (jsonschema searches, unanchored), aiming at `length`."""
    return list(_pattern_samples(pattern, length))


@functools.lru_cache(maxsize=4096)
def _pattern_samples(pattern: str, length: int) -> tuple[str, ...]:
    try:
        tree = _tree(pattern)
        shortest = _build(tree, 0)
    except Exception:  # an unusual construct, or not Python syntax
        return ()
    found = [shortest]
    for extra in (length - len(shortest), 1, 3):
        if extra > 0:
            found.append(_build(tree, extra))
    # the other alternatives of each `|` (the first is taken above): a witness often lies in one of them
    for choice in (1, 2, 3):
        try:
            found.append(_build(tree, 0, choice))
        except Exception:
            continue
    pad = max(length - len(shortest), 0)
    found += [shortest + "a" * pad, "a" * pad + shortest]
    return tuple(found)


def same_pattern(a: str, b: str) -> bool:
    """True when two patterns parse to the same tree (`.+` and `.{1,}`): they match the same strings."""
    if a == b:
        return True
    try:
        x, y = _tree(a), _tree(b)
        return bool(_normal(x) == _normal(y) and x.state.flags == y.state.flags)
    except Exception:  # unreadable: not shown equal
        return False


def _normal(tree: Any) -> str:
    """The tree's text with repeated anchors side by side taken once (`^(?:^a$)$` is `^a$`: an assertion holds
    or not at one position, however often it is asked; non-capturing groups are already inlined)."""
    items: list[Any] = []
    for item in tree:
        if item[0] is _constants.AT and items and items[-1] == item:
            continue
        items.append(item)
    return str(items)


def matches_everywhere(pattern: str) -> bool:
    """True when `re.search(pattern, s)` succeeds for every string s: the pattern can match the empty string
    without anchors, lookarounds or back-references, so it matches at position 0 whatever follows."""
    try:
        tree = _tree(pattern)
    except Exception:  # unreadable: not shown universal
        return False
    return bool(tree.getwidth()[0] == 0 and not _has_context(tree))


def _has_context(tree: Any) -> bool:
    c = _constants
    for op, arg in tree:
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT, c.GROUPREF, c.GROUPREF_EXISTS):
            return True
        for part in arg if isinstance(arg, tuple | list) else ():
            if isinstance(part, _parser.SubPattern) and _has_context(part):
                return True
            if isinstance(part, list) and any(
                isinstance(x, _parser.SubPattern) and _has_context(x) for x in part
            ):
                return True
    return False


def shortest_match(pattern: str) -> int:
    """The length of the shortest string matching `pattern` (0 when it cannot be read)."""
    try:
        low = _tree(pattern).getwidth()[0]
    except Exception:  # not Python syntax: no bound, which is always safe
        return 0
    return int(low) if isinstance(low, int) else 0


def finite_language(pattern: str, limit: int = 64) -> list[str] | None:
    """Every string `pattern` matches, when it is anchored at both ends and matches only a few strings."""
    words = _finite_language(pattern, limit)
    return None if words is None else list(words)


@functools.lru_cache(maxsize=4096)
def _finite_language(pattern: str, limit: int) -> tuple[str, ...] | None:
    # (remembered: a union of hundreds of alternatives, each naming itself in a pattern, is read per producer)
    try:
        tree = _tree(pattern)
        if tree.state.flags & ~_constants.SRE_FLAG_UNICODE:
            return (
                None  # `(?i)` or `(?m)` (a pattern kept in Python's syntax): the literals do not say it all
            )
        items = list(tree)
        c = _constants
        ends = {(c.AT, c.AT_END): ("", "\n"), (c.AT, c.AT_END_STRING): ("",)}
        if len(items) < 2 or items[0] != (c.AT, c.AT_BEGINNING) or items[-1] not in ends:
            return None
        words = _language(items[1:-1], limit)
        # Python's `$` also matches before a final line break: "^a$" matches "a\n"
        return None if words is None else tuple(w + end for w in words for end in ends[items[-1]])
    except Exception:  # a construct this does not enumerate
        return None


def _language(items: list[Any], limit: int) -> list[str] | None:
    words = [""]
    for op, arg in items:
        options = _options(op, arg, limit)
        if options is None:
            return None
        words = [w + o for w in words for o in options]
        if len(words) > limit:
            return None
    return words


def _options(op: Any, arg: Any, limit: int) -> list[str] | None:
    c = _constants
    if op is c.LITERAL:
        return [chr(arg)]
    if op is c.SUBPATTERN:
        _, add_flags, del_flags, sub = arg
        return None if add_flags or del_flags else _language(list(sub), limit)
    if op is c.BRANCH:
        found: list[str] = []
        for branch in arg[1]:
            words = _language(list(branch), limit)
            if words is None:
                return None
            found += words
        return found
    if op is c.IN and all(o is c.LITERAL for o, _ in arg):
        return [chr(a) for _, a in arg]
    return None


ALTERNATIVE_CHOICES = 8


@functools.lru_cache(maxsize=4096)
def alternative_samples(pattern: str) -> tuple[str, ...]:
    """Strings of each alternative of the pattern's `|` (the same index at every `|`), with its optional
    parts left out and taken once: a pattern that gained an alternative, or an optional part inside one,
    is told from its older version by such a string (`pattern_samples` takes the first few only)."""
    try:
        tree = _tree(pattern)
    except Exception:
        return ()
    found = []
    for choice in range(ALTERNATIVE_CHOICES):
        for fill in (False, True):
            try:
                found.append(_build(tree, 0, choice, fill))
            except Exception:
                continue
    return tuple(dict.fromkeys(found))


def _build(tree: Any, extra: int, choice: int = 0, fill: bool = False) -> str:
    return "".join(_item(op, arg, extra, choice, fill) for op, arg in tree)


def _item(op: Any, arg: Any, extra: int, choice: int = 0, fill: bool = False) -> str:
    c = _constants
    if op is c.LITERAL:
        return chr(arg)
    if op is c.NOT_LITERAL:
        return "a" if arg != ord("a") else "b"
    if op is c.ANY:
        return "a"
    if op is c.IN:
        return _in(arg)
    if op is c.BRANCH:
        branches = arg[1]
        return _build(branches[min(choice, len(branches) - 1)], extra, choice, fill)
    if op is c.SUBPATTERN:
        return _build(arg[-1], extra, choice, fill)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        low, high, sub = arg
        count = int(low)
        if extra and (high is c.MAXREPEAT or high > low):
            count = min(count + extra, _MAX_REPEAT if high is c.MAXREPEAT else int(high))
        if fill and count == 0 and (high is c.MAXREPEAT or high > 0):
            count = 1  # an optional part, taken once
        return _build(sub, 0, choice, fill) * count
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT, c.GROUPREF):
        return ""
    raise ValueError(op)


def _in(items: Any) -> str:
    c = _constants
    if items and items[0][0] is c.NEGATE:
        excluded = {chr(a) for op, a in items[1:] if op is c.LITERAL}
        return next(ch for ch in "aZ0_ -" if ch not in excluded)
    op, arg = items[0]
    if op is c.LITERAL:
        return chr(arg)
    if op is c.RANGE:
        return chr(arg[0])
    if op is c.CATEGORY:
        return {c.CATEGORY_DIGIT: "0", c.CATEGORY_SPACE: " ", c.CATEGORY_WORD: "a"}.get(arg, "-")
    raise ValueError(op)

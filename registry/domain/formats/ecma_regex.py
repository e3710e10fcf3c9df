"""ECMA-262 patterns written out for the engines that run them, with the same meaning.

- `translate`: for the `regex` module, which evaluates every pattern of a contract within a time bound
  (see `regexes`); with the size the pattern unrolls to, so that the bounds apply to what runs.
- `rust_pattern`: for the Rust `regex` crate, which pydantic-core runs for `Field(pattern=...)` in generated
  bindings; None where that engine cannot express the pattern with the same meaning.

Both spell every character set as explicit code point ranges (`\\d` is `[0-9]`, `.` is everything but the
four line terminators), `^` and `$` as the start and the very end of the string, and `\\b` by ASCII word
characters, so that no flag or default of the target engine plays any part.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex  # type: ignore[import-untyped, unused-ignore]

from registry.domain.formats.ecma_syntax import parse
from registry.domain.formats.ecma_tree import (
    MAX_CODE_POINT,
    Alternation,
    Anchor,
    Chars,
    Group,
    Look,
    Node,
    Parsed,
    PatternError,
    Ranges,
    Repeat,
    Sequence,
)

MAX_REGEX_COUNT = 4_294_967_294
"""The largest repetition count the `regex` module compiles. A larger upper bound is written as no bound:
the two differ only on strings of more than four billion characters, far beyond any event."""
BOUNDARY_SIZE = 7
"""Nodes a word boundary compiles to: two lookarounds over a set, in two branches."""
_SURROGATES = (0xD800, 0xDFFF)


@dataclass(frozen=True)
class Translation:
    source: str  # for `regex.compile`, default flags (VERSION0)
    size: int  # nodes it compiles to, counted repetitions unrolled (see `regexes.MAX_EXPANDED_SIZE`)


@lru_cache(maxsize=512)
def translate(pattern: str) -> Translation:
    """The pattern for the `regex` module. Raises PatternError for what is not an ECMA-262 pattern (or uses a
    Unicode property the engine lacks)."""
    parsed = parse(pattern)
    return Translation(_Regex(parsed).node(parsed.tree), size(parsed.tree))


def is_ecma_regex(text: str) -> bool:
    """JSON Schema's `format: regex`: a valid ECMA-262 pattern, whatever its size."""
    try:
        parse(text)
    except PatternError:
        return False
    return True


def size(node: Node) -> int:
    """Nodes `node` compiles to: a repetition counts its minimum times (`regex` unrolls the minimum)."""
    if isinstance(node, Sequence | Alternation):
        parts = node.items if isinstance(node, Sequence) else node.branches
        return sum(size(part) for part in parts)
    if isinstance(node, Repeat):
        return max(node.low, 1) * size(node.body)
    if isinstance(node, Group):
        return size(node.body)
    if isinstance(node, Look):
        return 1 + size(node.body)
    if isinstance(node, Anchor):
        return BOUNDARY_SIZE if node.kind in ("word", "not_word") else 1
    return 1  # a set, however many ranges and properties (one node); a back-reference


# --- the `regex` module ----------------------------------------------------------------------------------

_WORD_SET = "[0-9A-Z_a-z]"
_ANCHORS = {
    "start": "^",  # no MULTILINE: the start of the string only
    "end": r"\Z",  # the very end (`$` would also match before a final line break)
    "word": f"(?:(?<={_WORD_SET})(?!{_WORD_SET})|(?<!{_WORD_SET})(?={_WORD_SET}))",
    "not_word": f"(?:(?<={_WORD_SET})(?={_WORD_SET})|(?<!{_WORD_SET})(?!{_WORD_SET}))",
}
_LOOKS = {(True, False): "(?=", (True, True): "(?!", (False, False): "(?<=", (False, True): "(?<!"}


class _Regex:
    def __init__(self, parsed: Parsed) -> None:
        self.parsed = parsed

    def node(self, node: Node) -> str:
        if isinstance(node, Chars):
            return _regex_set(node)
        if isinstance(node, Sequence):
            return "".join(self.node(item) for item in node.items)
        if isinstance(node, Alternation):
            return "|".join(self.node(branch) for branch in node.branches)
        if isinstance(node, Group):
            return ("(" if node.index is not None else "(?:") + self.node(node.body) + ")"
        if isinstance(node, Repeat):
            return self.node(node.body) + _quantifier(node, MAX_REGEX_COUNT)
        if isinstance(node, Look):
            return _LOOKS[node.ahead, node.negative] + self.node(node.body) + ")"
        if isinstance(node, Anchor):
            return _ANCHORS[node.kind]
        # ECMA-262: a reference to a group that has not taken part matches the empty string
        return "(?:" + "".join(f"(?({n})\\g<{n}>)" for n in self.parsed.groups_of(node)) + ")"


def _quantifier(node: Repeat, largest: int) -> str:
    low, high = node.low, node.high
    high = None if high is not None and high > largest else high
    text = {(0, None): "*", (1, None): "+", (0, 1): "?"}.get((low, high))
    if text is None:
        text = f"{{{low},}}" if high is None else f"{{{low}}}" if low == high else f"{{{low},{high}}}"
    return text + ("?" if node.lazy else "")


def _regex_set(chars: Chars) -> str:
    ranges, negated = chars.ranges, chars.negated
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1] and not chars.properties and not negated:
        return _regex_char(ranges[0][0])
    if not ranges and not chars.properties:  # `[]` and `[^]`, which `regex` cannot spell so
        return f"[{'' if negated else '^'}{_regex_char(0)}-{_regex_char(MAX_CODE_POINT)}]"
    members = "".join(_regex_range(low, high) for low, high in ranges)
    members += "".join(f"\\{'P' if out else 'p'}{{{_supported(name)}}}" for name, out in chars.properties)
    return f"[{'^' if negated else ''}{members}]"


def _regex_range(low: int, high: int) -> str:
    return _regex_char(low) if low == high else f"{_regex_char(low)}-{_regex_char(high)}"


def _regex_char(code: int) -> str:
    char = chr(code)
    if char.isascii() and char.isalnum():
        return char
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


@lru_cache(maxsize=256)
def _supported(name: str) -> str:
    """The property, when the `regex` module knows it (it lacks a few: Changes_When_NFKC_Casefolded)."""
    try:
        regex.compile(f"\\p{{{name}}}")
    except regex.error:
        raise PatternError(f"the Unicode property {name!r} is not one the registry can evaluate", 0) from None
    return name


# --- the Rust `regex` crate (pydantic-core) -------------------------------------------------------------

RUST_MAX_COUNT = 1000
"""Counted repetitions above this are left out of generated models: the crate compiles them unrolled, and
its size limit would make the models fail to load."""


def rust_pattern(pattern: str) -> str | None:
    """The pattern for the Rust `regex` crate, with the same meaning on every string; None where that engine
    cannot say the same thing (lookarounds, back-references, Unicode properties, whose tables may be of
    another Unicode version) or the pattern is not ECMA-262."""
    try:
        parsed = parse(pattern)
    except PatternError:
        return None
    return _rust(parsed.tree)


def _rust(node: Node) -> str | None:
    if isinstance(node, Chars):
        return _rust_set(node)
    if isinstance(node, Sequence | Alternation):
        parts = [_rust(part) for part in (node.items if isinstance(node, Sequence) else node.branches)]
        if any(part is None for part in parts):
            return None
        return ("" if isinstance(node, Sequence) else "|").join(part for part in parts if part is not None)
    if isinstance(node, Group):
        body = _rust(node.body)
        return None if body is None else f"(?:{body})"
    if isinstance(node, Repeat):
        body = _rust(node.body)
        if body is None or max(node.low, node.high or 0) > RUST_MAX_COUNT:
            return None
        atom = body if isinstance(node.body, Chars | Group) else f"(?:{body})"
        return atom + _quantifier(node, RUST_MAX_COUNT)
    if isinstance(node, Anchor):
        return {"start": r"\A", "end": r"\z", "word": r"(?-u:\b)", "not_word": r"(?-u:\B)"}[node.kind]
    return None  # lookarounds and back-references


def _rust_set(chars: Chars) -> str | None:
    if chars.properties:
        return None
    # strings handed to Rust hold no surrogates, and a Rust class cannot name one
    ranges = _without_surrogates(chars.ranges)
    if not ranges:
        return r"[\x{0}-\x{10FFFF}]" if chars.negated else r"[^\x{0}-\x{10FFFF}]"
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1] and not chars.negated:
        return _rust_char(ranges[0][0])
    members = "".join(_rust_range(low, high) for low, high in ranges)
    return f"[{'^' if chars.negated else ''}{members}]"


def _without_surrogates(ranges: Ranges) -> Ranges:
    kept: list[tuple[int, int]] = []
    for low, high in ranges:
        if low < _SURROGATES[0]:
            kept.append((low, min(high, _SURROGATES[0] - 1)))
        if high > _SURROGATES[1]:
            kept.append((max(low, _SURROGATES[1] + 1), high))
    return tuple(kept)


def _rust_range(low: int, high: int) -> str:
    return _rust_char(low) if low == high else f"{_rust_char(low)}-{_rust_char(high)}"


def _rust_char(code: int) -> str:
    char = chr(code)
    return char if char.isascii() and char.isalnum() else f"\\x{{{code:X}}}"

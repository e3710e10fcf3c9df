"""The grammar of ECMA-262 regular expressions, the dialect JSON Schema specifies for its patterns.

JSON Schema (2020-12 core §6.4) says patterns are ECMA-262 regular expressions with the "u" flag, never
implicitly anchored. Python's `re` differs: `\\d`, `\\w` and `\\b` are Unicode there and ASCII here, `\\s` is
another set, `.` and `$` treat line breaks differently, and each dialect has syntax the other refuses
(`(?<name>...)` and `\\u{1F600}` here, `(?P<name>...)` and `\\Z` there). So patterns are parsed here, by the
ECMA-262 grammar, into a small tree (`parse`), which `ecma_regex` writes out for the engines that run them.

Accepted: the ECMA-262 (2025) grammar with the u flag, and two readings of its Annex B that every common
engine shares, since real contracts rely on them: a backslash before an ASCII punctuation character or a
space stands for that character (`\\-`, `\\_`, `\\:`), and `{`, `}` and `]` that start no quantifier or
class stand for themselves. Refused, beside what ECMA-262 refuses: a back-reference to a group inside a
repetition or from inside a lookbehind (ECMA-262's capture semantics there are not reproduced by the
engines the registry runs) and the group modifiers `(?i:...)` of ES2025.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import NoReturn

from registry.domain.formats.ecma_tree import (
    DIGITS,
    LINE_TERMINATORS,
    MAX_CODE_POINT,
    SPACES,
    WORD,
    Alternation,
    Anchor,
    BackRef,
    Chars,
    Group,
    Look,
    Node,
    Parsed,
    PatternError,
    Ranges,
    Repeat,
    Sequence,
    TooDeep,
    canonical_property,
    complement,
    normalised,
)

MAX_NESTING = 100
"""Groups, lookarounds and classes nested deeper than this are refused: the parser recurses per level."""
MAX_SHARED_NAME = 32
"""Groups one name may be given (in different alternatives): checking them is quadratic in their number."""
_SYNTAX = frozenset("^$\\.*+?()[]{}|")
_QUANTIFIER_STARTS = frozenset("*+?{")
_CONTROL_ESCAPES = {"f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09, "v": 0x0B}
_CLASS_ESCAPES: dict[str, tuple[Ranges, bool]] = {
    "d": (DIGITS, False), "D": (DIGITS, True), "w": (WORD, False), "W": (WORD, True),
    "s": (SPACES, False), "S": (SPACES, True),
}  # fmt: skip
_PYTHON_HINTS = {
    "(?P": "Python's (?P<name>...) is written (?<name>...), and (?P=name) is \\k<name>",
    "(?#": "ECMA-262 has no comments in patterns",
    "(?>": "ECMA-262 has no atomic groups",
    "(?(": "ECMA-262 has no conditionals",
    "\\A": "\\A is Python's: ECMA-262 writes ^",
    "\\Z": "\\Z is Python's: ECMA-262 writes $",
    "\\z": "\\z is not ECMA-262: write $",
}


# --- the parser ----------------------------------------------------------------------------------------


@dataclass
class _Capture:
    index: int
    position: int
    name: str | None
    alternatives: tuple[tuple[int, int], ...]  # (disjunction id, branch) from the root: who excludes whom
    repeated: bool = False  # inside a repetition that may run more than once


@dataclass
class _Reference:
    target: int | str
    position: int
    in_lookbehind: bool


@dataclass
class _State:
    captures: list[_Capture] = field(default_factory=list)
    references: list[_Reference] = field(default_factory=list)
    alternatives: list[tuple[int, int]] = field(default_factory=list)
    disjunctions: int = 0
    depth: int = 0
    lookbehind: int = 0


def parse(pattern: str) -> Parsed:
    """The tree of an ECMA-262 pattern. Raises PatternError (TooDeep for excessive nesting)."""
    parser = _Parser(pattern)
    tree = parser.disjunction()
    if parser.pos < len(pattern):
        parser.fail("unmatched )")
    return Parsed(tree, _checked_names(parser.state))


def _checked_names(state: _State) -> dict[str, tuple[int, ...]]:
    """Group names and back-references, checked once every group is known (a reference may come first)."""
    names: dict[str, list[_Capture]] = {}
    for capture in state.captures:
        if capture.name is not None:
            if len(names.get(capture.name, ())) >= MAX_SHARED_NAME:
                reason = f"more than {MAX_SHARED_NAME} groups are named {capture.name!r}"
                raise TooDeep(reason, capture.position)
            for other in names.setdefault(capture.name, []):
                if not _exclusive(capture, other):
                    raise PatternError(f"two groups are named {capture.name!r}", capture.position)
            names[capture.name].append(capture)
    for reference in state.references:
        if isinstance(reference.target, str):
            targets = names.get(reference.target)
        else:
            targets = state.captures[reference.target - 1 : reference.target] or None
        if targets is None:
            raise PatternError("a back-reference to a group that does not exist", reference.position)
        if reference.in_lookbehind or any(target.repeated for target in targets):
            where = "from a lookbehind" if reference.in_lookbehind else "to a group inside a repetition"
            raise PatternError(f"a back-reference {where} is not supported", reference.position)
    return {name: tuple(capture.index for capture in captures) for name, captures in names.items()}


def _exclusive(one: _Capture, other: _Capture) -> bool:
    """Whether two groups lie in different branches of one alternation (so never both take part)."""
    branches = dict(one.alternatives)
    return any(ident in branches and branches[ident] != branch for ident, branch in other.alternatives)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.state = _State()

    def fail(self, reason: str, at: int | None = None) -> NoReturn:
        raise PatternError(reason, self.pos if at is None else at)

    def peek(self, ahead: int = 0) -> str:
        index = self.pos + ahead
        return self.text[index] if index < len(self.text) else ""

    def take(self, expected: str) -> bool:
        if self.text.startswith(expected, self.pos):
            self.pos += len(expected)
            return True
        return False

    def disjunction(self) -> Node:
        state = self.state
        state.disjunctions += 1
        ident, branches = state.disjunctions, list[Node]()
        while True:
            state.alternatives.append((ident, len(branches)))
            branches.append(self.alternative())
            state.alternatives.pop()
            if not self.take("|"):
                break
        return branches[0] if len(branches) == 1 else Alternation(tuple(branches))

    def alternative(self) -> Node:
        items: list[Node] = []
        while self.pos < len(self.text) and self.peek() not in "|)":
            items.append(self.term())
        return items[0] if len(items) == 1 else Sequence(tuple(items))

    def term(self) -> Node:
        start, before = self.pos, len(self.state.captures)
        char, following = self.peek(), self.peek(1)
        if char not in _SYNTAX and following not in _QUANTIFIER_STARTS:  # the common case, made quick
            self.pos += 1
            return _literal(ord(char))
        atom, quantifiable = self.atom()
        low_high = self.quantifier()
        if low_high is None:
            return atom
        if not quantifiable:
            self.fail("nothing to repeat", start)
        low, high, lazy = low_high
        if high is None or high > 1:  # the captures inside may be set by an earlier round
            for capture in self.state.captures[before:]:
                capture.repeated = True
        return Repeat(atom, low, high, lazy)

    def quantifier(self) -> tuple[int, int | None, bool] | None:
        char = self.peek()
        if char in ("*", "+", "?"):
            self.pos += 1
            low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
        elif char == "{" and (braced := self._braced()) is not None:
            low, high = braced
        else:
            return None
        if high is not None and low > high:
            self.fail("numbers out of order in {} quantifier")
        lazy = self.take("?")
        if self.peek() in ("*", "+", "?") or (self.peek() == "{" and self._is_braced()):
            self.fail("a quantifier cannot follow a quantifier (Python's possessive forms are not ECMA-262)")
        return low, high, lazy

    def _braced(self) -> tuple[int, int | None] | None:
        """`{n}`, `{n,}` or `{n,m}` at the position, consumed; None (nothing consumed) for a literal `{`."""
        end = self.pos + 1
        while end < len(self.text) and self.text[end] in "0123456789,":  # no further: stays linear
            end += 1
        if self.text[end : end + 1] != "}":
            return None
        low, comma, high = self.text[self.pos + 1 : end].partition(",")
        if not low.isdigit():
            if comma and high.isdigit() and not low:
                self.fail("{,n} is Python's; ECMA-262 writes {0,n}")
            return None
        if high and not high.isdigit():
            return None
        self.pos = end + 1
        return _number(low), (_number(high) if high else None if comma else _number(low))

    def _is_braced(self) -> bool:
        saved = self.pos
        found = self._braced() is not None
        self.pos = saved
        return found

    def atom(self) -> tuple[Node, bool]:
        char = self.peek()
        if char == "(":
            return self.group()
        if char == "[":
            return self.char_class(), True
        if char == "\\":
            return self.escape()
        self.pos += 1
        if char == ".":
            return Chars(LINE_TERMINATORS, negated=True), True
        if char in ("^", "$"):
            return Anchor("start" if char == "^" else "end"), False
        if char in ("*", "+", "?"):
            self.fail("nothing to repeat", self.pos - 1)
        if char == "{" and self._braced_at(self.pos - 1):
            self.fail("nothing to repeat", self.pos - 1)
        return _literal(ord(char)), True  # `{`, `}` and `]` alone are literal (Annex B, and Python)

    def _braced_at(self, position: int) -> bool:
        saved, self.pos = self.pos, position
        try:
            return self._is_braced()
        finally:
            self.pos = saved

    def group(self) -> tuple[Node, bool]:
        start = self.pos
        self.pos += 1
        self._enter(start)
        if self.take("?:"):
            node: Node = Group(self.disjunction(), None)
            quantifiable = True
        elif self.text.startswith(("?=", "?!", "?<=", "?<!"), self.pos):
            node, quantifiable = self._lookaround(), False
        elif self.take("?<"):
            name = self.group_name()
            node, quantifiable = self._capture(name, start), True
        elif self.peek() == "?":
            hint = _PYTHON_HINTS.get(self.text[start : start + 3])
            flags = len(self.text[start + 2 :]) - len(self.text[start + 2 :].lstrip("aiLmsux-"))
            if hint is None and flags and self.peek(1 + flags) == ":":
                hint = "the ES2025 modifiers (?i:...) are not supported"
            elif hint is None and flags:
                hint = "inline flags such as (?i) are Python's: ECMA-262 has none in patterns"
            self.fail(hint or "unknown group syntax (modifiers such as (?i:...) are not supported)", start)
        else:
            node, quantifiable = self._capture(None, start), True
        if not self.take(")"):
            self.fail("missing ) to close the group opened", start)
        self.state.depth -= 1
        return node, quantifiable

    def _enter(self, start: int) -> None:
        self.state.depth += 1
        if self.state.depth > MAX_NESTING:
            raise TooDeep(f"groups nest more than {MAX_NESTING} deep", start)

    def _lookaround(self) -> Node:
        behind = self.take("?<")
        if not behind:
            self.pos += 1
        negative = self.peek() == "!"
        self.pos += 1
        self.state.lookbehind += behind
        body = self.disjunction()
        self.state.lookbehind -= behind
        return Look(body, ahead=not behind, negative=negative)

    def _capture(self, name: str | None, start: int) -> Node:
        state = self.state
        index = len(state.captures) + 1
        capture = _Capture(index, start, name, tuple(state.alternatives))
        state.captures.append(capture)
        return Group(self.disjunction(), index)

    def group_name(self) -> str:
        start = self.pos
        end = self.text.find(">", self.pos)
        name = self.text[self.pos : end] if end != -1 else ""
        if not _is_identifier(name):
            self.fail("a group name must be an identifier between < and >", start)
        self.pos = end + 1
        return name

    def escape(self) -> tuple[Node, bool]:
        start = self.pos
        self.pos += 1
        char = self.peek()
        if char in ("b", "B"):
            self.pos += 1
            return Anchor("word" if char == "b" else "not_word"), False
        if char.isascii() and char.isdigit() and char != "0":
            number = _number(self._digits())
            self.state.references.append(_Reference(number, start, self.state.lookbehind > 0))
            return BackRef(number), True
        if char == "k":
            self.pos += 1
            if not self.take("<"):
                self.fail("\\k must name a group: \\k<name>", start)
            name = self.group_name()
            self.state.references.append(_Reference(name, start, self.state.lookbehind > 0))
            return BackRef(name), True
        return self.char_escape(start, in_class=False), True

    def _digits(self) -> str:
        start = self.pos
        while self.peek().isascii() and self.peek().isdigit():
            self.pos += 1
        return self.text[start : self.pos]

    def char_escape(self, start: int, in_class: bool) -> Chars:
        """What follows a backslash, other than assertions and back-references: one character or a set."""
        char = self.peek()
        if not char:
            self.fail("\\ at the end of the pattern", start)
        self.pos += 1
        if char in _CLASS_ESCAPES:
            ranges, negated = _CLASS_ESCAPES[char]
            return Chars(ranges, negated=negated)
        if char in ("p", "P"):
            return Chars((), ((self._property(start), char == "P"),))
        code = self._code_point(char, start, in_class)
        return _literal(code)

    def _code_point(self, char: str, start: int, in_class: bool) -> int:
        if char in _CONTROL_ESCAPES:
            return _CONTROL_ESCAPES[char]
        if char == "c":
            letter = self.peek()
            if not (letter.isascii() and letter.isalpha()):
                self.fail("\\c must be followed by a letter", start)
            self.pos += 1
            return ord(letter) % 32
        if char == "0":
            if self.peek().isascii() and self.peek().isdigit():
                self.fail("octal escapes are not ECMA-262 (with the u flag)", start)
            return 0
        if char == "x":
            return self._hex(2, start)
        if char == "u":
            return self._unicode_escape(start)
        if char in _SYNTAX or char == "/" or (in_class and char == "-"):
            return ord(char)
        if char.isascii() and not char.isalnum() and char.isprintable():  # `\-`, `\_`, `\:`: Annex B
            return ord(char)
        hint = _PYTHON_HINTS.get("\\" + char)
        self.fail(hint or f"\\{char} is not an ECMA-262 escape", start)

    def _hex(self, count: int, start: int) -> int:
        digits = self.text[self.pos : self.pos + count]
        if len(digits) != count or not _is_hex(digits):
            self.fail(f"\\{self.text[self.pos - 1]} needs {count} hexadecimal digits", start)
        self.pos += count
        return int(digits, 16)

    def _unicode_escape(self, start: int) -> int:
        if self.take("{"):
            end = self.text.find("}", self.pos)
            digits = self.text[self.pos : end] if end != -1 else ""
            if not _is_hex(digits) or int(digits, 16) > MAX_CODE_POINT:
                self.fail("\\u{...} needs a code point of at most 10FFFF", start)
            self.pos = end + 1
            return int(digits, 16)
        code = self._hex(4, start)
        # with the u flag, an escaped surrogate pair is the one code point it encodes
        if 0xD800 <= code <= 0xDBFF and self.text.startswith("\\u", self.pos):
            trail = self.text[self.pos + 2 : self.pos + 6]
            if len(trail) == 4 and _is_hex(trail) and 0xDC00 <= int(trail, 16) <= 0xDFFF:
                self.pos += 6
                return 0x10000 + ((code - 0xD800) << 10) + (int(trail, 16) - 0xDC00)
        return code

    def _property(self, start: int) -> str:
        end = self.text.find("}", self.pos)
        if not self.take("{") or end == -1:
            self.fail("\\p and \\P need a property in braces: \\p{L}", start)
        spelling = self.text[self.pos : end]
        canonical = canonical_property(spelling)
        if canonical is None:
            self.fail(f"{spelling!r} is not a Unicode property ECMA-262 knows", start)
        self.pos = end + 1
        return canonical

    def char_class(self) -> Chars:
        start = self.pos
        self.pos += 1
        negated = self.take("^")
        ranges: list[tuple[int, int]] = []
        properties: list[tuple[str, bool]] = []
        while not self.take("]"):
            if self.pos >= len(self.text):
                self.fail("missing ] to close the class opened", start)
            low = self._class_atom()
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.pos += 1
                high = self._class_atom()
                if _single(low) is None or _single(high) is None:
                    self.fail("a class escape such as \\d cannot bound a range")
                if _single(low) > _single(high):  # type: ignore[operator]  # both checked above
                    self.fail("range out of order in character class")
                ranges.append((_single(low), _single(high)))  # type: ignore[arg-type]
            else:
                ranges.extend(complement(low.ranges) if low.negated else low.ranges)
                properties.extend(low.properties)
        return Chars(normalised(ranges), tuple(properties), negated)

    def _class_atom(self) -> Chars:
        start = self.pos
        if self.take("\\"):
            if self.take("b"):
                return _literal(0x08)
            if self.peek().isascii() and self.peek().isdigit() and self.peek() != "0":
                self.fail("back-references cannot appear in a class", start)
            if self.peek() in ("B", "k"):
                self.fail(f"\\{self.peek()} cannot appear in a class", start)
            return self.char_escape(start, in_class=True)
        self.pos += 1
        return _literal(ord(self.text[start]))


def _number(digits: str) -> int:
    # Python refuses to read integers of more than 4,300 digits; any count past 10**12 is too large anyway
    return int(digits) if len(digits) <= 12 else 10**12


@lru_cache(maxsize=1024)
def _literal(code: int) -> Chars:
    return Chars(((code, code),))


def _single(chars: Chars) -> int | None:
    """The code point of a one-character set written as one character (not a class escape)."""
    ranges = chars.ranges
    one = len(ranges) == 1 and ranges[0][0] == ranges[0][1] and not chars.properties and not chars.negated
    return ranges[0][0] if one else None


def _is_hex(digits: str) -> bool:
    return bool(digits) and all(c in "0123456789abcdefABCDEF" for c in digits)


def _is_identifier(name: str) -> bool:
    """ECMA-262 identifier names: Unicode ID_Start/ID_Continue (Python's XID rule is that but for a few
    compatibility characters), `$` and `_`. Escapes (`\\u0041`) in group names are not read."""
    return name.replace("$", "_").isidentifier()

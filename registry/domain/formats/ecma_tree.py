"""What an ECMA-262 pattern parses to (see `ecma_syntax`): its tree, the code point ranges of its sets,
and the Unicode properties ECMA-262 names."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CODE_POINT = 0x10FFFF
Ranges = tuple[tuple[int, int], ...]  # sorted, disjoint, inclusive code point ranges

DIGITS: Ranges = ((0x30, 0x39),)
WORD: Ranges = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
LINE_TERMINATORS: Ranges = ((0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029))
# WhiteSpace (TAB, VT, FF, ZWNBSP and the Space_Separator characters) and LineTerminator
SPACES: Ranges = (
    (0x09, 0x0D), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A), (0x2028, 0x2029),
    (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000), (0xFEFF, 0xFEFF),
)  # fmt: skip


# ECMA-262's tables of Unicode properties, each entry "Name/Alias/...": binary properties, and the values of
# General_Category. Spellings are exact: ECMA-262 does no loose matching (the `regex` module does, and reads
# some aliases otherwise: its `IDC` is not ID_Continue), so each is written out by its first name.
_BINARY = """ASCII ASCII_Hex_Digit/AHex Alphabetic/Alpha Any Assigned Bidi_Control/Bidi_C Bidi_Mirrored/Bidi_M
    Case_Ignorable/CI Cased Changes_When_Casefolded/CWCF Changes_When_Casemapped/CWCM
    Changes_When_Lowercased/CWL Changes_When_NFKC_Casefolded/CWKCF Changes_When_Titlecased/CWT
    Changes_When_Uppercased/CWU Dash Default_Ignorable_Code_Point/DI Deprecated/Dep Diacritic/Dia Emoji
    Emoji_Component/EComp Emoji_Modifier/EMod Emoji_Modifier_Base/EBase Emoji_Presentation/EPres
    Extended_Pictographic/ExtPict Extender/Ext Grapheme_Base/Gr_Base Grapheme_Extend/Gr_Ext Hex_Digit/Hex
    IDS_Binary_Operator/IDSB IDS_Trinary_Operator/IDST ID_Continue/IDC ID_Start/IDS Ideographic/Ideo
    Join_Control/Join_C Logical_Order_Exception/LOE Lowercase/Lower Math Noncharacter_Code_Point/NChar
    Pattern_Syntax/Pat_Syn Pattern_White_Space/Pat_WS Quotation_Mark/QMark Radical Regional_Indicator/RI
    Sentence_Terminal/STerm Soft_Dotted/SD Terminal_Punctuation/Term Unified_Ideograph/UIdeo Uppercase/Upper
    Variation_Selector/VS White_Space/space XID_Continue/XIDC XID_Start/XIDS"""
_CATEGORIES = """C/Other Cc/Control/cntrl Cf/Format Cn/Unassigned Co/Private_Use Cs/Surrogate L/Letter
    LC/Cased_Letter Ll/Lowercase_Letter Lm/Modifier_Letter Lo/Other_Letter Lt/Titlecase_Letter
    Lu/Uppercase_Letter M/Mark/Combining_Mark Mc/Spacing_Mark Me/Enclosing_Mark Mn/Nonspacing_Mark N/Number
    Nd/Decimal_Number/digit Nl/Letter_Number No/Other_Number P/Punctuation/punct Pc/Connector_Punctuation
    Pd/Dash_Punctuation Pe/Close_Punctuation Pf/Final_Punctuation Pi/Initial_Punctuation Po/Other_Punctuation
    Ps/Open_Punctuation S/Symbol Sc/Currency_Symbol Sk/Modifier_Symbol Sm/Math_Symbol So/Other_Symbol
    Z/Separator Zl/Line_Separator Zp/Paragraph_Separator Zs/Space_Separator"""


def _aliases(table: str) -> dict[str, str]:
    return {alias: entry.split("/")[0] for entry in table.split() for alias in entry.split("/")}


BINARY_PROPERTIES = _aliases(_BINARY)
GENERAL_CATEGORIES = _aliases(_CATEGORIES)
_SCRIPT_NAMES = {"Script": "Script", "sc": "Script", "Script_Extensions": "scx", "scx": "scx"}
# Script values are checked by their shape (`Latn`, `Greek`, `Old_Italic`, `SignWriting`) here, and by
# the engine's own table when the pattern is compiled: a list of some 330 spellings would only age.
_SCRIPT_VALUE = re.compile(r"[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:_[A-Z][a-z]+)*")


def canonical_property(spelling: str) -> str | None:
    """The property `spelling` (what stands between the braces of `\\p{...}`) names, spelt so that no engine
    can read it otherwise (`gc=Lu`, `ID_Continue`, `Script=Latn`); None when ECMA-262 knows no such name."""
    name, equals, value = spelling.partition("=")
    if not equals:
        if name in GENERAL_CATEGORIES:
            return f"gc={GENERAL_CATEGORIES[name]}"
        return BINARY_PROPERTIES.get(name)
    if name in ("General_Category", "gc"):
        return f"gc={GENERAL_CATEGORIES[value]}" if value in GENERAL_CATEGORIES else None
    known = name in _SCRIPT_NAMES and _SCRIPT_VALUE.fullmatch(value) is not None
    return f"{_SCRIPT_NAMES[name]}={value}" if known else None


class PatternError(ValueError):
    """Not an ECMA-262 pattern: `reason` says why, `position` where (an index into the pattern)."""

    def __init__(self, reason: str, position: int) -> None:
        super().__init__(f"{reason} at position {position}")
        self.reason = reason
        self.position = position


class TooDeep(PatternError):
    """A valid pattern nesting its groups deeper than MAX_NESTING."""


# --- the tree ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chars:
    """One character from a set: code point ranges and Unicode properties (`\\p{L}`, or `\\P{L}` when
    negated), the whole complemented when `negated`."""

    ranges: Ranges
    properties: tuple[tuple[str, bool], ...] = ()  # (ECMA-262 spelling, negated)
    negated: bool = False


@dataclass(frozen=True)
class Anchor:
    kind: str  # "start", "end", "word" (\b) or "not_word" (\B)


@dataclass(frozen=True)
class Look:
    body: Node
    ahead: bool
    negative: bool


@dataclass(frozen=True)
class Group:
    body: Node
    index: int | None  # the capture's number; None for (?:...)


@dataclass(frozen=True)
class Repeat:
    body: Node
    low: int
    high: int | None  # None: unbounded
    lazy: bool


@dataclass(frozen=True)
class BackRef:
    target: int | str  # a group's number or name (see Parsed.groups_of)


@dataclass(frozen=True)
class Sequence:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Alternation:
    branches: tuple[Node, ...]


Node = Chars | Anchor | Look | Group | Repeat | BackRef | Sequence | Alternation


@dataclass(frozen=True)
class Parsed:
    tree: Node
    names: dict[str, tuple[int, ...]]  # group name -> its groups (several in different alternatives)

    def groups_of(self, reference: BackRef) -> tuple[int, ...]:
        target = reference.target
        return (target,) if isinstance(target, int) else self.names[target]


# --- code point ranges ---------------------------------------------------------------------------------


def normalised(ranges: list[tuple[int, int]]) -> Ranges:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(high, merged[-1][1]))
        else:
            merged.append((low, high))
    return tuple(merged)


def complement(ranges: Ranges) -> Ranges:
    result, start = [], 0
    for low, high in ranges:
        if low > start:
            result.append((start, low - 1))
        start = high + 1
    if start <= MAX_CODE_POINT:
        result.append((start, MAX_CODE_POINT))
    return tuple(result)

"""Patterns are ECMA-262 regular expressions with the u flag, as JSON Schema specifies, wherever they are
checked (registration), executed (events, defaults, `format: regex`) or compared (the compatibility checker).

`regress` (Python bindings of a Rust ECMA-262 engine) is the reference: the tables below are checked
against it, and hypothesis compares the two engines on generated patterns and strings.
"""

from __future__ import annotations

import re
import time
from typing import Any
from unicodedata import category

import pytest
import regress
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft7Validator  # type: ignore[import-untyped, unused-ignore]

from registry.domain.compat import check
from registry.domain.errors import InvalidContract, RegexTooComplex
from registry.domain.formats import load_contract, parse_contract
from registry.domain.formats.bounded_keywords import bounded
from registry.domain.formats.ecma_regex import translate
from registry.domain.formats.ecma_syntax import MAX_NESTING, MAX_SHARED_NAME, parse
from registry.domain.formats.ecma_tree import BINARY_PROPERTIES, GENERAL_CATEGORIES, PatternError
from registry.domain.formats.regexes import (
    MAX_EXPANDED_SIZE,
    InvalidPattern,
    PatternTimeout,
    PatternTooLarge,
    checked_size,
    search,
)
from registry.domain.model import CompatibilityPolicy
from tests.unit.conftest import openapi_doc

DRAFT4 = "JSONSchemaDraft4"
PROMPT = 2.0  # seconds: a timeout or two, never the minutes of backtracking (a margin for a loaded machine)


def reference(pattern: str) -> Any:
    return regress.Regex(pattern, "u")


def reference_accepts(pattern: str) -> bool:
    try:
        reference(pattern)
    except regress.RegressError:
        return False
    return True


# --- what is a pattern -----------------------------------------------------------------------------------

# valid ECMA-262 that Python's `re` refuses
ECMA_ONLY = [
    r"^(?<year>\d{4})-(?<month>\d{2})$",
    r"^(?<word>[a-z]+) \k<word>$",
    r"\u{1F600}",
    r"^\u{1F600}+$",
    r"\ud83d\ude00",
    r"^\p{L}+$",
    r"\p{Lu}\P{Ll}",
    r"\p{Script=Greek}",
    r"\p{sc=Grek}\p{scx=Latn}",
    r"\p{General_Category=Decimal_Number}",
    r"[\p{L}\p{N}_-]+",
    r"\cJ",
    r"[^]",
    r"[]",
    r"(?<=a+)b",
    r"(?<!\d{2,})x",
    r"(?:(?<n>a)|(?<n>b))\k<n>",  # ES2025: one name in two alternatives
    r"^\/path\/",
]
# refused by ECMA-262 (most accepted by Python's `re`), and what the message says
NOT_ECMA = [
    ("(?P<name>a)", "(?<name>...)"),
    ("(?P<a>x)(?P=a)", "(?<name>...)"),
    ("(?i)abc", "inline flags"),
    ("(?#comment)a", "comments"),
    ("(?>a)", "atomic"),
    ("\\Aa", "writes ^"),
    ("a\\Z", "writes $"),
    ("a++", "quantifier cannot follow"),
    ("a{,5}", "{0,n}"),
    ("\\a", "\\a is not an ECMA-262 escape"),
    ("\\e", "escape"),
    ("\\8", "does not exist"),
    ("\\01", "octal"),
    ("\\x4", "hexadecimal"),
    ("\\u00", "hexadecimal"),
    ("\\u{110000}", "10FFFF"),
    ("\\c1", "letter"),
    ("\\k<x>", "does not exist"),
    ("(?<a>x)(?<a>y)", "two groups"),
    ("[\\w-z]", "range"),
    ("[z-a]", "out of order"),
    ("a{2,1}", "out of order"),
    ("\\p{letter}", "property"),
    ("\\p{IsGreek}", "property"),
    ("\\p{sc=greek}", "property"),
    ("(?=a)*", "nothing to repeat"),
    ("(", "missing )"),
    ("a)", "unmatched )"),
    ("[a", "missing ]"),
    ("*a", "nothing to repeat"),
    ("\\", "end of the pattern"),
    ("(?<1a>x)", "identifier"),
]
# Annex B readings every common engine shares, accepted although the u flag refuses them
ANNEX_B = [r"^[a-zA-Z0-9\_\-]+$", r"^v\d+\-\d+$", r"[^\:\@\ ]", r"\${{\s*(.*?)\s*}}", r"a]", r"x{1,2"]
# valid ECMA-262 that the registry refuses, documented: ECMA-262's capture semantics there are not the
# bounded engine's
UNSUPPORTED = [r"(?:(a)|b)+\1", r"(?<=\1(a))b", r"(?i:a)"]


@pytest.mark.parametrize("pattern", ECMA_ONLY)
def test_ecma_262_patterns_that_python_refuses_are_accepted(pattern: str) -> None:
    assert reference_accepts(pattern)

    assert checked_size(pattern) >= 1
    search(pattern, "text")


@pytest.mark.parametrize(("pattern", "said"), NOT_ECMA)
def test_what_ecma_262_refuses_is_refused_with_the_reason(pattern: str, said: str) -> None:
    assert not reference_accepts(pattern)

    with pytest.raises(InvalidPattern) as raised:
        checked_size(pattern)

    assert "ECMA-262 regular expression" in str(raised.value)
    assert said in str(raised.value)


@pytest.mark.parametrize("pattern", ANNEX_B)
def test_annex_b_escapes_and_lone_braces_are_read_as_the_characters_they_show(pattern: str) -> None:
    lenient = regress.Regex(pattern)  # without the u flag, ECMA-262 reads them so (Annex B)
    checked_size(pattern)

    for text in ["a_-9", "v1-2", ":", "a", "${{ x }}", "a]", "x{1,2", "x{1,2}", "-", " "]:
        assert search(pattern, text) is (lenient.find(text) is not None), text


@pytest.mark.parametrize("pattern", UNSUPPORTED)
def test_the_few_valid_patterns_the_registry_cannot_evaluate_alike_are_refused(pattern: str) -> None:
    assert reference_accepts(pattern)

    with pytest.raises(InvalidPattern, match="not supported"):
        checked_size(pattern)


def test_a_quantified_word_boundary_is_refused_as_ecma_262_says() -> None:
    # `\b` is an assertion, which the u flag does not let be quantified (regress accepts it, V8 does not)
    with pytest.raises(PatternError, match="nothing to repeat"):
        parse(r"a\b+")


@pytest.mark.parametrize("name", sorted(BINARY_PROPERTIES.keys() | GENERAL_CATEGORIES.keys()))
def test_every_property_ecma_262_names_is_known_to_the_reference_and_runs(name: str) -> None:
    assert reference_accepts(f"\\p{{{name}}}")

    if name not in ("Changes_When_NFKC_Casefolded", "CWKCF"):  # the `regex` module lacks this one
        assert search(f"\\p{{{name}}}|x", "x")


SAMPLE = [chr(c) for c in [*range(0, 0x3000, 3), *range(0x1F000, 0x1FB00, 3)] if category(chr(c)) != "Cn"]


@pytest.mark.parametrize(
    "name", sorted(BINARY_PROPERTIES.keys() - {"CWKCF", "Changes_When_NFKC_Casefolded"} | {"IDC", "scx=Grek"})
)
def test_every_property_holds_the_characters_the_reference_says(name: str) -> None:
    # the two engines may ship different Unicode versions, in which a few characters change (U+027C gained an
    # uppercase form): a handful of disagreements is that; an alias read as another property is hundreds
    engine = reference(f"^\\p{{{name}}}$")
    differ = [ch for ch in SAMPLE if search(f"^\\p{{{name}}}$", ch) is not (engine.find(ch) is not None)]

    assert len(differ) <= 3, [hex(ord(ch)) for ch in differ]


@pytest.mark.parametrize("name", sorted(GENERAL_CATEGORIES))
def test_every_general_category_holds_the_characters_the_reference_says(name: str) -> None:
    engine = reference(f"^\\p{{{name}}}$")
    differ = [ch for ch in SAMPLE if search(f"^\\p{{{name}}}$", ch) is not (engine.find(ch) is not None)]

    assert len(differ) <= 3, [hex(ord(ch)) for ch in differ]


def test_a_property_the_engine_lacks_is_refused_as_not_evaluable() -> None:
    with pytest.raises(InvalidPattern, match="not one the registry can evaluate"):
        checked_size(r"\p{CWKCF}")


# --- what a pattern matches ------------------------------------------------------------------------------

MATCHES = [
    (r"^\d+$", "0123", True),
    (r"^\d+$", "\u0660\u0661", False),  # Arabic-Indic digits: Unicode digits, not ECMA-262's
    (r"^\D$", "\u07c0", True),
    (r"^\w+$", "abc_9", True),
    (r"^\w$", "\u00e9", False),
    (r"^\W$", "\u00e9", True),
    (r"\bcole", "\u00e9cole", True),  # é is not a word character: a boundary before c
    (r"\Bcole", "\u00e9cole", False),
    (r"^\s$", "\ufeff", True),
    (r"^\s$", "\u2003", True),
    (r"^\s$", "\x1c", False),  # Python's \s holds the information separators
    (r"^\s$", "\x85", False),
    (r"^\S$", "\x85", True),
    (r"^.$", "\n", False),
    (r"^.$", "\r", False),
    (r"^.$", "\u2028", False),
    (r"^.$", "\U0001f600", True),  # one code point, not two UTF-16 units
    (r"^..$", "\U0001f600", False),
    (r"^a$", "a\n", False),  # `$` is the very end (Python's also matches before a final line break)
    (r"^a$", "a", True),
    (r"^\t$", "\t", True),
    (r"^\cC$", "\x03", True),
    (r"^\u{1F600}$", "\U0001f600", True),
    (r"^\ud83d\ude00$", "\U0001f600", True),
    (r"^[\u{1F600}-\u{1F64F}]+$", "\U0001f601\U0001f64f", True),
    (r"^\p{Lu}+$", "\u00c9COLE", True),
    (r"^\p{Lu}+$", "\u00e9", False),
    (r"^\P{L}$", "1", True),
    (r"\p{Letter}cole", "l'\u00e9cole", True),
    (r"\wcole", "l'\u00e9cole", False),
    (r"^\p{digit}+$", "\u09ea\u09e8", True),
    (r"^(?<y>\d{4})-\k<y>$", "2024-2024", True),
    (r"^(?<y>\d{4})-\k<y>$", "2024-2025", False),
    (r"^(a)?\1b$", "b", True),  # a group that took no part: its reference matches the empty string
    (r"^\k<x>(?<x>a)$", "a", True),  # a reference before its group: empty
    (r"(?:(?<n>a)|(?<n>b))\k<n>", "bb", True),
    (r"[^]", "\n", True),
    (r"[]", "a", False),
    (r"^[^]*$", "", True),
    (r"(?<=a+)b", "aaab", True),
    (r"(?<=a+)b", "cb", False),
    (r"b", "abc", True),  # a search: patterns are not anchored
    (r"^[\w-]+$", "a-b", True),
    (r"[\b]", "\x08", True),
    (r"^\0$", "\x00", True),
    (r"^\/$", "/", True),
]


@pytest.mark.parametrize(("pattern", "text", "expected"), MATCHES)
def test_patterns_match_as_ecma_262_says(pattern: str, text: str, expected: bool) -> None:
    assert (reference(pattern).find(text) is not None) is expected  # the table itself is right

    assert search(pattern, text) is expected


def test_a_name_two_alternatives_share_refers_to_the_group_that_took_part() -> None:
    # ES2025; regress (2026.9) refers to the first group of the name only, so it is not the reference here
    pattern = r"^(?:(?<n>a)|(?<n>b))\k<n>$"

    found = [search(pattern, text) for text in ["aa", "bb", "ab", "ba", "b"]]

    assert found == [True, True, False, False, False]


ATOMS = [
    "a", "b", ".", r"\d", r"\D", r"\w", r"\W", r"\s", r"\S", "^", "$", r"\b", r"\B", "[a-c]", "[^a]",
    r"[\d_]", r"[^\s\d]", r"\u{1F600}", r"\n", r"\p{L}", r"\P{L}", r"\p{Lu}", r"[\p{N}x]", r"[^\p{L}a]",
    r"\u00e9", "[]", "[^]", r"\cJ", r"\0", r"\x41",
]  # fmt: skip
QUANTIFIERS = ["", "", "", "*", "+", "?", "{2}", "{0,2}", "{1,}", "*?", "+?"]
ALPHABET = "abcA09_ \n\r\t\u2028\u00e9\U0001f600\u0660\ufeff\u00a0-x\u212a\u017f\x0b\x1c\x85"


def _quantified(atom: str, quantifier: str) -> str:
    is_assertion = atom in ("^", "$", r"\b", r"\B") or atom.startswith(("(?=", "(?!", "(?<=", "(?<!"))
    return atom if is_assertion else atom + quantifier


def ecma_patterns() -> st.SearchStrategy[str]:
    """Patterns of the constructs above, nested; a fresh strategy for each test that uses it."""
    return st.recursive(
        st.builds(_quantified, st.sampled_from(ATOMS), st.sampled_from(QUANTIFIERS)),
        lambda inner: st.one_of(
            st.builds("".join, st.lists(inner, min_size=2, max_size=4)),
            st.builds(lambda a, b: f"{a}|{b}", inner, inner),
            st.builds(
                lambda kind, body, q: _quantified(f"{kind}{body})", q),
                st.sampled_from(["(", "(?:", "(?=", "(?!", "(?<=", "(?<!"]),
                inner,
                st.sampled_from(QUANTIFIERS),
            ),
            # a back-reference to a group closed before it
            st.builds(
                lambda name, body, rest: f"(?<g{name}>{body}){rest}\\k<g{name}>",
                st.integers(0, 10**9),
                inner,
                inner,
            ),
        ),
        max_leaves=8,
    )


@given(ecma_patterns(), st.lists(st.text(ALPHABET, max_size=6), min_size=1, max_size=5))
def test_generated_patterns_match_as_the_reference_engine_says(pattern: str, texts: list[str]) -> None:
    names = re.findall(r"\(\?<(g\d+)>", pattern)
    if len(set(names)) < len(names):  # a name in two alternatives: see the test above (regress differs)
        return
    if not reference_accepts(pattern):
        with pytest.raises(InvalidPattern):
            checked_size(pattern)
        return
    engine = reference(pattern)
    try:
        checked_size(pattern)
    except InvalidPattern as refused:  # only the documented refusals (see UNSUPPORTED)
        assert "back-reference" in str(refused) and "not supported" in str(refused)
        return
    for text in texts:
        assert search(pattern, text) is (engine.find(text) is not None), (pattern, text)


# --- the bounds still hold -------------------------------------------------------------------------------


def promptly(call: Any) -> Any:
    started = time.monotonic()
    result = call()
    assert time.monotonic() - started < PROMPT
    return result


@pytest.mark.parametrize("pattern", [r"^(?<x>a|aa)+$", r"^(?:\p{L}|\p{Ll}\p{Ll})+$", r"^(\w|\w\w)+\b$"])
def test_a_catastrophic_ecma_pattern_still_times_out_promptly(pattern: str) -> None:
    with pytest.raises(PatternTimeout):
        promptly(lambda: search(pattern, "a" * 38 + "!"))


@pytest.mark.parametrize(
    "pattern",
    [
        r"(?:a{99999}){99999}",
        r"(?:\u{1F600}{99999}){99999}",
        r"(?<n>\p{L}{100}){100}",
        r"\p{Script=Greek}{5001}",
        r"[\u{1F600}-\u{1F64F}\p{Lu}]{5001}",
        r"(?:\b.){2600}",
        r"a{99999999999999999999}",
    ],
)
def test_patterns_that_unroll_too_far_are_refused_before_compiling(pattern: str) -> None:
    with pytest.raises(PatternTooLarge):
        promptly(lambda: checked_size(pattern))


def test_the_largest_accepted_pattern_of_properties_and_escapes_compiles_and_runs_promptly() -> None:
    # three nodes a round: a property, a code point escape, a negated class with a property
    pattern = r"(?:\p{L}\u{1F600}[^\p{Lu}\u{10FFFF}])" + f"{{{MAX_EXPANDED_SIZE // 3}}}"
    text = "a\U0001f600b" * (MAX_EXPANDED_SIZE // 3)

    assert checked_size(pattern) <= MAX_EXPANDED_SIZE
    assert promptly(lambda: search(pattern, text))


def test_an_upper_bound_beyond_the_engine_is_read_as_no_bound() -> None:
    assert search(r"^a{0,99999999999}$", "aaaa")


def test_groups_nested_too_deep_are_too_complex_not_a_crash() -> None:
    pattern = "(" * (MAX_NESTING + 1) + "a" + ")" * (MAX_NESTING + 1)

    with pytest.raises(PatternTooLarge, match="nest"):
        checked_size(pattern)


def test_a_pattern_thousands_of_groups_deep_is_refused_at_registration() -> None:
    schema = {"properties": {"a": {"pattern": "(" * 5000 + ")" * 5000}}}

    with pytest.raises(RegexTooComplex) as raised:
        promptly(lambda: parse_contract(DRAFT4, schema))

    assert raised.value.details["pointer"] == "/properties/a/pattern"


@pytest.mark.parametrize(
    "pattern",
    [
        "".join(rf"[\p{{L}}\d_-]\u{{1F600}}(?<n{index}>x)\k<n{index}>a{{1,2}}" for index in range(5000)),
        "{" * 100_000,  # each `{` might open a quantifier
        "{1" * 50_000,
        "|".join(f"(?<n>{index})" for index in range(MAX_SHARED_NAME)) + "\\k<n>",
    ],
    ids=["constructs", "braces", "open-quantifiers", "shared-names"],
)
def test_reading_a_pattern_is_linear_in_its_length(pattern: str) -> None:
    started = time.monotonic()
    translate(pattern)
    # about 0.2 s each; quadratic, they would take minutes
    assert time.monotonic() - started < 5.0


def test_a_name_given_to_too_many_groups_is_too_complex() -> None:
    pattern = "|".join(f"(?<n>{index})" for index in range(MAX_SHARED_NAME + 1))

    with pytest.raises(PatternTooLarge, match="named"):
        checked_size(pattern)


# --- contracts -------------------------------------------------------------------------------------------


def test_a_contract_with_named_groups_registers_and_validates_events() -> None:
    schema = {
        "type": "object",
        "properties": {"date": {"type": "string", "pattern": r"^(?<y>\d{4})-(?<m>\d{2})$"}},
        "patternProperties": {r"^x-(?<ext>\p{L}+)$": {"type": "integer"}},
    }
    contract = parse_contract(DRAFT4, schema)

    assert contract.validate_event({"date": "2024-05", "x-\u00e9t\u00e9": 1}) == []
    assert [error.path for error in contract.validate_event({"date": "2024-05\n", "x-\u00e9": "1"})] == [
        "/date",
        "/x-\u00e9",
    ]


@pytest.mark.parametrize(
    ("schema", "pointer"),
    [
        ({"properties": {"a": {"pattern": "(?P<n>a)"}}}, "/properties/a/pattern"),
        ({"patternProperties": {"\\Aa": {}}}, "/patternProperties/\\Aa"),
    ],
)
def test_a_python_only_pattern_is_refused_at_registration_naming_ecma_262(
    schema: dict[str, Any], pointer: str
) -> None:
    with pytest.raises(InvalidContract) as raised:
        parse_contract(DRAFT4, schema)

    assert raised.value.code == "invalid_contract"
    assert raised.value.details["pointer"] == pointer
    assert "ECMA-262 regular expression, the dialect JSON Schema specifies" in raised.value.message


def test_a_stored_contract_with_python_only_patterns_keeps_validating_with_their_python_meaning() -> None:
    # accepted when registration followed Python's `re`; stored contracts are loaded without a check
    schema = {
        "properties": {
            "pair": {"type": "string", "pattern": r"^(?P<n>\d+)-(?P=n)\Z"},
            "code": {"type": "string", "pattern": "(?i)^abc$"},
        }
    }
    contract = load_contract(DRAFT4, _canonical(schema), None)

    assert contract.validate_event({"pair": "12-12", "code": "ABC"}) == []
    assert [error.path for error in contract.validate_event({"pair": "12-13", "code": "abd"})] == [
        "/code",
        "/pair",
    ]


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_an_openapi_default_is_checked_against_its_ecma_262_pattern(version: str) -> None:
    pattern = r"^(?<y>\d{4})\u{2D}\k<y>$"
    schema = {"type": "object", "properties": {"n": {"type": "string", "pattern": pattern, "default": "1-1"}}}
    document = openapi_doc({"E": schema}, version)

    with pytest.raises(InvalidContract, match="does not match"):
        parse_contract("OpenApi3", document)
    schema["properties"]["n"]["default"] = "2024-2024"
    assert parse_contract("OpenApi3", document).validate_event({"n": "2024-2025"}) != []


def _canonical(schema: dict[str, Any]) -> str:
    import json

    return json.dumps(schema, sort_keys=True, separators=(",", ":"))


def test_format_regex_is_checked_as_ecma_262_when_formats_are_checked() -> None:
    contract = parse_contract(DRAFT4, {"type": "string", "format": "regex"})

    assert contract.validate_event("(?<n>a)\\k<n>", check_formats=True) == []
    assert contract.validate_event("(?P<n>a)", check_formats=True) != []
    assert contract.validate_event("(?P<n>a)") == []


def test_the_meta_schema_check_judges_patterns_as_ecma_262() -> None:
    checker = bounded(Draft7Validator).FORMAT_CHECKER

    assert checker.conforms("(?<n>a)\\u{1F600}", "regex")
    assert not checker.conforms("(?P<n>a)", "regex")


# --- comparison ------------------------------------------------------------------------------------------


def test_an_ecma_pattern_python_cannot_read_gets_a_proven_verdict() -> None:
    found = check(
        {"type": "string"}, {"type": "string", "pattern": "(?<=a+)b"}, policy=CompatibilityPolicy.STRICT
    )

    assert found and all(item.proven for item in found)


def test_patterns_that_mean_the_same_in_ecma_262_are_compatible() -> None:
    # `\d` is `[0-9]` in ECMA-262 (not in Python, where it holds every Unicode digit)
    producer = {"type": "string", "pattern": r"^\d+$"}
    consumer = {"type": "string", "pattern": "^[0-9]+$"}

    assert check(producer, consumer, policy=CompatibilityPolicy.STRICT) == []


def test_pattern_properties_with_ecma_keys_are_compared_by_ecma_matching() -> None:
    producer = {"type": "object", "properties": {"x-\u00e9": {"type": "string"}}}
    consumer = {"type": "object", "patternProperties": {r"^x-\p{L}+$": {"type": "integer"}}}

    found = check(producer, consumer, policy=CompatibilityPolicy.STRICT)

    # the declared property falls under the consumer's pattern (`\p{L}` holds é): its type is compared
    assert [(item.rule, item.proven) for item in found if item.rule == "type_narrowed"] == [
        ("type_narrowed", True)
    ]

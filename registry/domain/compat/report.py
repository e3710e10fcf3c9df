"""What the checker reports: incompatibilities for people and programs, and the internal findings they grow
from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

MAX_CANDIDATES = 6

RULES: dict[str, str] = {
    "type_narrowed": "the consumer no longer accepts a JSON type (or integers only) the producer may send",
    "enum_narrowed": "a value the producer may send is not among the consumer's enum/const values",
    "minimum_raised": "the consumer's lower bound (minimum / exclusiveMinimum) excludes producer numbers",
    "maximum_lowered": "the consumer's upper bound (maximum / exclusiveMaximum) excludes producer numbers",
    "multiple_of_changed": "the consumer's multipleOf does not divide every producer number",
    "min_length_raised": "the consumer needs longer strings than the producer guarantees",
    "max_length_lowered": "the consumer allows shorter strings than the producer may send",
    "pattern_changed": "the consumer's pattern is not one the producer imposes (patterns are not compared)",
    "min_items_raised": "the consumer needs more array items than the producer guarantees",
    "max_items_lowered": "the consumer allows fewer array items (or no item at a tuple position)",
    "unique_items_added": "the consumer requires distinct items, the producer does not",
    "required_added": "the consumer requires a property the producer may leave out",
    "property_added_to_open_model": "the consumer types a property an open producer may send with any value",
    "property_removed_from_closed_model": "the consumer is closed and no longer declares a producer property",
    "additional_properties_narrowed": "the consumer forbids or narrows properties the producer leaves open",
    "pattern_properties_changed": "the consumer's patternProperties may reject producer properties",
    "min_properties_raised": "the consumer needs more properties than the producer guarantees",
    "max_properties_lowered": "the consumer allows fewer properties than the producer may send",
    "dependency_added": "the consumer adds a dependency (dependencies, dependentRequired)",
    "negation_overlap": "a consumer `not` (or another branch of its `oneOf`) may match producer values",
    "unsupported_keyword": "the consumer uses a keyword or reference the checker cannot reason about",
    "too_complex": "the schemas expand beyond the checker's bounds",
}
"""Stable rule ids (public API) and what each means."""

# The checker's kinds of values (normalise.KINDS) as a user says them
_KIND_WORDS = {
    "null": "null",
    "boolean": "booleans",
    "int": "integers",
    "frac": "fractional numbers such as 0.5",
    "string": "strings",
    "array": "arrays",
    "object": "objects",
}


def kinds_in_words(kinds: frozenset[str] | set[str]) -> str:
    """`{"int", "frac"}` → "numbers", `{"string", "null"}` → "null or strings", for report messages."""
    rest = set(kinds)
    words = []
    if {"int", "frac"} <= rest:
        words.append("numbers")
        rest -= {"int", "frac"}
    words += [word for kind, word in _KIND_WORDS.items() if kind in rest]
    return " or ".join(filter(None, [", ".join(words[:-1]), words[-1]])) if words else "values"


@dataclass(frozen=True)
class Incompatibility:
    """One reason why a consumer cannot read every event of a producer.

    `witness` is an event the producer allows and the consumer rejects; `proven` is True only when jsonschema
    confirmed both halves of that claim. An unproven item is the checker's conservative answer where it could
    not
    decide (it never answers "compatible" without being sure).
    """

    rule: str
    producer_path: str
    consumer_path: str
    message: str
    witness: Any
    proven: bool


@dataclass(frozen=True)
class Finding:
    """An incompatibility found at some depth, with candidate values for a witness *at that depth*.

    Parents wrap the candidates into whole values as the finding travels up (see `Finding.wrapped`), so that
    the top level holds candidate events to verify.
    """

    rule: str
    producer_path: str
    consumer_path: str
    message: str
    candidates: tuple[Any, ...] = field(default=())
    # the first candidate was a counterexample where the finding was made (jsonschema said so): once wrapped
    # into whole values it is the likeliest witness among those of several findings
    promising: bool = False

    def wrapped(self, embed: Callable[[Any], list[Any]]) -> Finding:
        whole: list[Any] = []
        for value in self.candidates:
            whole.extend(embed(value))
            if len(whole) >= MAX_CANDIDATES:
                break
        return replace(self, candidates=tuple(whole[:MAX_CANDIDATES]))


def with_candidates(item: Finding, more: list[Any]) -> Finding:
    """The finding, with candidates from sibling findings too (each is verified later: extras are cheap)."""
    combined = list(item.candidates) + [v for v in more if v not in item.candidates]
    return replace(item, candidates=tuple(combined[: 2 * MAX_CANDIDATES]))


def led_by(item: Finding, lead: Any) -> Finding:
    """The finding with `lead`, a counterexample at its place, as its first candidate."""
    rest = [v for v in item.candidates if v is not lead]
    return replace(item, candidates=(lead, *rest[: 2 * MAX_CANDIDATES - 1]), promising=True)


def finding(
    rule: str,
    producer_path: str,
    consumer_path: str,
    message: str,
    candidates: list[Any],
    promising: bool = False,
) -> Finding:
    return Finding(rule, producer_path, consumer_path, message, tuple(candidates[:MAX_CANDIDATES]), promising)

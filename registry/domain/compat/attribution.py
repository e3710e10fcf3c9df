"""The semantic diff: each structural change (`diff`) with its effect on readers, as the checker found it.

Two questions are put to the compatibility checker, never answered here: *new reads old*, can the new version,
as a consumer, read every event the old version may produce (the BACKWARD check: producer old, consumer new),
and *old reads new*, the FORWARD check (producer new, consumer old). Each answer is a list of findings, each
with a rule, the JSON pointer of its place in the producer and in the consumer (in the contracts as stored),
and a witness event. A finding is attributed to a change when

1. its place, on the old side or on the new side, is at or below the change's place (a finding inside a
   property that was added, removed or replaced, or at the very keyword that changed); or
2. it is at the schema holding the changed keyword (or at that keyword, or at `additionalProperties` for a
   property removed from a closed object), its rule is one that keyword can cause (`maxLength` →
   `max_length_lowered`, `required` → `required_added` ...; `unsupported_keyword` and `too_complex` from
   any keyword), and the change can break that way: a tightening (a bound raised, an enum value or
   `additionalProperties` taken away, a name made required) can only break *new reads old*, a loosening
   only *old reads new*;
3. otherwise, a finding no change claimed goes to the changes nearest to it (the longest common pointer
   prefix), so that every incompatibility the checker proved is shown on some change.

Annotations (`description`, `title`, `format` ...) and reorderings never take a finding: their effect is
compatible both ways. A direction is `breaking` when one of its findings is proven: the checker validated its
witness with jsonschema, valid under the producer and invalid under the consumer; `unknown` when the checker
could not decide (no witness: it never answers compatible without proof), or when it stopped listing
findings (it keeps `MAX_FINDINGS` per place) and the change could break that way; `compatible` otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from registry.domain.compat.changes import Change
from registry.domain.compat.containment import MAX_FINDINGS
from registry.domain.compat.report import Incompatibility

NEW_READS_OLD = "new_reads_old"
OLD_READS_NEW = "old_reads_new"
DIRECTIONS = (NEW_READS_OLD, OLD_READS_NEW)
BREAKING, UNKNOWN, COMPATIBLE = "breaking", "unknown", "compatible"

RULES_BY_KEYWORD: dict[str, frozenset[str]] = {
    keyword: frozenset(rules)
    for keyword, rules in {
        "type": {"type_narrowed", "enum_narrowed"},
        "nullable": {"type_narrowed", "enum_narrowed"},
        "enum": {"enum_narrowed", "type_narrowed"},
        "const": {"enum_narrowed", "type_narrowed"},
        "minimum": {"minimum_raised"},
        "exclusiveMinimum": {"minimum_raised"},
        "maximum": {"maximum_lowered"},
        "exclusiveMaximum": {"maximum_lowered"},
        "multipleOf": {"multiple_of_changed"},
        "minLength": {"min_length_raised"},
        "maxLength": {"max_length_lowered"},
        "pattern": {"pattern_changed", "min_length_raised", "max_length_lowered", "enum_narrowed"},
        "minItems": {"min_items_raised"},
        "maxItems": {"max_items_lowered"},
        "uniqueItems": {"unique_items_added"},
        "items": {"max_items_lowered", "type_narrowed"},
        "additionalItems": {"max_items_lowered"},
        "prefixItems": {"max_items_lowered"},
        "required": {"required_added"},
        "properties": {
            "property_added_to_open_model",
            "property_removed_from_closed_model",
            "additional_properties_narrowed",
        },
        "additionalProperties": {
            "additional_properties_narrowed",
            "property_removed_from_closed_model",
            "property_added_to_open_model",
        },
        "patternProperties": {"pattern_properties_changed", "additional_properties_narrowed"},
        "minProperties": {"min_properties_raised"},
        "maxProperties": {"max_properties_lowered"},
        "dependencies": {"dependency_added"},
        "dependentRequired": {"dependency_added"},
        "dependentSchemas": {"dependency_added"},
        "not": {"negation_overlap"},
        "oneOf": {"negation_overlap"},
    }.items()
}
ANY_KEYWORD = frozenset({"unsupported_keyword", "too_complex"})
# where the checker places a finding, beside the changed keyword itself
ALSO_AT = {"property_removed_from_closed_model": frozenset({"additionalProperties", "patternProperties"})}
# a change that can only break one way: the direction it cannot break
CANNOT_BREAK = {"tightened": OLD_READS_NEW, "loosened": NEW_READS_OLD}


@dataclass(frozen=True)
class DiffEntry:
    """A change and its effect in each direction; `witness` holds an event for each breaking direction,
    `reasons` the checker's findings attributed to it."""

    change: Change
    effect: dict[str, str]
    witness: dict[str, Any]
    reasons: dict[str, list[Incompatibility]]


@dataclass(frozen=True)
class SemanticDiff:
    entries: list[DiffEntry]
    backward: bool  # the new version reads every event of the old one (the checker's verdict on the whole)
    forward: bool  # the old version reads every event of the new one


def attribute(
    changes: Sequence[Change],
    new_reads_old: Sequence[Incompatibility],
    old_reads_new: Sequence[Incompatibility],
) -> SemanticDiff:
    """Each change with the findings of both checks attributed to it (see the module's docstring)."""
    # the checker keeps a few findings per place: past them, a change without one may still break
    cut = {
        NEW_READS_OLD: len(new_reads_old) >= MAX_FINDINGS,
        OLD_READS_NEW: len(old_reads_new) >= MAX_FINDINGS,
    }
    reasons: list[dict[str, list[Incompatibility]]] = [{d: [] for d in DIRECTIONS} for _ in changes]
    for direction, findings in ((NEW_READS_OLD, new_reads_old), (OLD_READS_NEW, old_reads_new)):
        for item in findings:
            for index in _claimants(changes, direction, item):
                reasons[index][direction].append(item)
    entries = [_entry(change, found, cut) for change, found in zip(changes, reasons, strict=True)]
    return SemanticDiff(entries, backward=not new_reads_old, forward=not old_reads_new)


def _entry(change: Change, found: dict[str, list[Incompatibility]], cut: dict[str, bool]) -> DiffEntry:
    effect, witness = {}, {}
    for direction in DIRECTIONS:
        proven = next((item for item in found[direction] if item.proven), None)
        if proven is not None:
            effect[direction], witness[direction] = BREAKING, proven.witness
        elif found[direction] or (cut[direction] and _may_break(change, direction)):
            effect[direction] = UNKNOWN
        else:
            effect[direction] = COMPATIBLE
    return DiffEntry(change, effect, witness, found)


def _may_break(change: Change, direction: str) -> bool:
    return not change.inert and CANNOT_BREAK.get(change.narrowing or "") != direction


def _sides(direction: str, item: Incompatibility) -> tuple[str, str]:
    """(place in the old contract, place in the new one) of a finding of this direction."""
    if direction == NEW_READS_OLD:
        return item.producer_path, item.consumer_path
    return item.consumer_path, item.producer_path


def _claimants(changes: Sequence[Change], direction: str, item: Incompatibility) -> list[int]:
    old_place, new_place = _sides(direction, item)
    live = [i for i, change in enumerate(changes) if not change.inert]
    inside = [i for i in live if _holds(changes[i], old_place, new_place)]
    if inside:
        return inside
    caused = [i for i in live if _causes(changes[i], direction, item.rule, old_place, new_place)]
    if caused:
        return caused
    return _nearest([changes[i] for i in live], live, old_place, new_place)


def _holds(change: Change, old_place: str, new_place: str) -> bool:
    return (change.old_path is not None and _at_or_below(old_place, change.old_path)) or (
        change.new_path is not None and _at_or_below(new_place, change.new_path)
    )


def _causes(change: Change, direction: str, rule: str, old_place: str, new_place: str) -> bool:
    if CANNOT_BREAK.get(change.narrowing or "") == direction:
        return False
    if rule not in ANY_KEYWORD and rule not in RULES_BY_KEYWORD.get(change.keyword, ()):
        return False
    near = {change.keyword} | ALSO_AT.get(rule, frozenset())
    return _beside(old_place, change.old_node, near) or _beside(new_place, change.new_node, near)


def _beside(place: str, node: str | None, keywords: set[str] | frozenset[str]) -> bool:
    """At the schema `node`, or within two steps of it under one of `keywords`."""
    if node is None or not _at_or_below(place, node):
        return False
    rest = _tokens(place)[len(_tokens(node)) :]
    return not rest or (len(rest) <= 2 and rest[0] in keywords)


def _nearest(changes: list[Change], indexes: list[int], old_place: str, new_place: str) -> list[int]:
    def closeness(change: Change) -> int:
        return max(
            _common(old_place, change.old_path) if change.old_path is not None else -1,
            _common(new_place, change.new_path) if change.new_path is not None else -1,
        )

    scores = [closeness(change) for change in changes]
    best = max(scores, default=-1)
    return [index for index, score in zip(indexes, scores, strict=True) if score == best]


def _tokens(pointer: str) -> list[str]:
    return pointer.split("/")[1:] if pointer else []


def _at_or_below(place: str, pointer: str) -> bool:
    return place == pointer or place.startswith(pointer + "/") or pointer == ""


def _common(a: str, b: str) -> int:
    count = 0
    for x, y in zip(_tokens(a), _tokens(b), strict=False):
        if x != y:
            break
        count += 1
    return count

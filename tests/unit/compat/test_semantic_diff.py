"""The semantic diff's parts: the structural changes and their words (diff, diff_words), and how the checker's
findings are attributed to them (attribution). The API tests drive the whole: tests/api/test_diff*.py."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from registry.domain.compat import check
from registry.domain.compat.attribution import NEW_READS_OLD, attribute
from registry.domain.compat.containment import MAX_FINDINGS
from registry.domain.compat.diff import structural_diff
from registry.domain.compat.report import Incompatibility
from registry.domain.errors import ContractTooComplex
from registry.domain.model import CompatibilityPolicy


def with_property(schema: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"type": "object", "properties": {"p": schema}, **top}


S = {"type": "string"}
SUMMARIES = [
    (with_property(S), {"type": "object", "properties": {"p": S, "q": S}}, "property 'q' added"),
    ({"type": "object", "properties": {"p": S, "q": S}}, with_property(S), "property 'q' removed"),
    (with_property(S), with_property(S, required=["p"]), "property 'p' became required"),
    (with_property(S, required=["p"]), with_property(S), "property 'p' became optional"),
    (
        with_property(S),
        with_property({"type": "integer"}),
        "type of property 'p' changed from string to integer",
    ),
    (
        with_property({"enum": ["A"]}),
        with_property({"enum": ["A", "B"]}),
        "enum value \"B\" added to property 'p'",
    ),
    (
        with_property({"enum": ["A", "B"]}),
        with_property({"enum": ["B"]}),
        "enum value \"A\" removed from property 'p'",
    ),
    (
        with_property({"minLength": 1}),
        with_property({"minLength": 2}),
        "minLength of property 'p' tightened from 1 to 2",
    ),
    (
        with_property({"maxItems": 3}),
        with_property({"maxItems": 5}),
        "maxItems of property 'p' loosened from 3 to 5",
    ),
    (with_property({"minimum": 0}), with_property({}), "minimum of property 'p' removed (loosened; was 0)"),
    (with_property({}), with_property({"maximum": 9}), "maximum 9 added to property 'p' (tightened)"),
    (with_property({}), with_property({"pattern": "^a"}), "pattern \"^a\" added to property 'p' (tightened)"),
    (
        with_property({"pattern": "^a"}),
        with_property({"pattern": "^b"}),
        'pattern of property \'p\' changed from "^a" to "^b"',
    ),
    (
        with_property(S),
        with_property(S, additionalProperties=False),
        "the event no longer allows additional properties",
    ),
    (
        with_property(S, additionalProperties=False),
        with_property(S, additionalProperties=True),
        "the event allows additional properties",
    ),
    (
        with_property({"description": "one"}),
        with_property({"description": "two"}),
        "description of property 'p' changed (annotation only)",
    ),
    (
        with_property({"type": "array", "items": {"type": "object", "properties": {"sku": S}}}),
        with_property(
            {
                "type": "array",
                "items": {"type": "object", "properties": {"sku": {"type": "string", "maxLength": 8}}},
            }
        ),
        "maxLength 8 added to property 'p[].sku' (tightened)",
    ),
    (
        with_property(S, required=["p", "q"]),
        with_property(S, required=["q", "p"]),
        "required of the event reordered or rewritten, same values (no effect)",
    ),
]


@pytest.mark.parametrize(("old", "new", "summary"), SUMMARIES)
def test_common_changes_are_said_in_plain_english(
    old: dict[str, Any], new: dict[str, Any], summary: str
) -> None:
    assert [change.summary for change in structural_diff(old, new)] == [summary]


def diffed(old: dict[str, Any], new: dict[str, Any]) -> Any:
    """The diff of two JSON Schema contracts under STRICT, the checker asked both ways."""
    strict = CompatibilityPolicy.STRICT
    return attribute(
        structural_diff(old, new), check(old, new, policy=strict), check(new, old, policy=strict)
    )


def test_a_swapped_enum_value_breaks_each_reader_at_its_own_value() -> None:
    old, new = with_property({"enum": ["A", "B"]}), with_property({"enum": ["B", "C"]})
    found = diffed(old, new)
    assert [(e.change.op, e.change.path, e.effect) for e in found.entries] == [
        ("removed", "/properties/p/enum/0", {"new_reads_old": "breaking", "old_reads_new": "compatible"}),
        ("added", "/properties/p/enum/1", {"new_reads_old": "compatible", "old_reads_new": "breaking"}),
    ]
    assert [e.witness for e in found.entries] == [
        {"new_reads_old": {"p": "A"}},
        {"old_reads_new": {"p": "C"}},
    ]
    for entry, (producer, consumer) in zip(found.entries, [(old, new), (new, old)], strict=True):
        (witness,) = entry.witness.values()
        assert jsonschema.Draft4Validator(producer).is_valid(witness)
        assert not jsonschema.Draft4Validator(consumer).is_valid(witness)


def test_past_the_checkers_last_finding_a_tightening_is_unknown_for_new_readers() -> None:
    names = [f"p{i:02}" for i in range(MAX_FINDINGS + 6)]
    old = {"type": "object", "properties": {name: {"maxLength": 8} for name in names}}
    new = {"type": "object", "properties": {name: {"maxLength": 4} for name in names}}
    found = diffed(old, new)
    assert len(found.entries) == len(names) and not found.backward and found.forward
    effects = [tuple(entry.effect.values()) for entry in found.entries]
    assert effects.count(("breaking", "compatible")) == MAX_FINDINGS
    assert effects.count(("unknown", "compatible")) == 6  # no finding left for them: not proven compatible


def test_a_bound_and_a_type_changed_at_one_place_each_take_their_own_finding() -> None:
    found = diffed(
        with_property({"type": "string", "maxLength": 5}), with_property({"type": "integer", "maxLength": 9})
    )
    by_keyword = {entry.change.keyword: entry for entry in found.entries}
    assert by_keyword["maxLength"].effect == {"new_reads_old": "compatible", "old_reads_new": "compatible"}
    assert [r.rule for r in by_keyword["type"].reasons[NEW_READS_OLD]] == ["type_narrowed"]


def test_a_finding_no_change_claims_goes_to_the_nearest_change() -> None:
    changes = structural_diff(
        {"properties": {"a": {"maxLength": 3}, "b": {}}, "description": "x"},
        {"properties": {"a": {"maxLength": 4}, "b": {"type": "string"}}, "description": "y"},
    )
    stray = Incompatibility("negation_overlap", "/properties/a/not", "/properties/a/not", "...", None, False)
    found = attribute(changes, [stray], [])
    assert [(e.change.path, e.effect[NEW_READS_OLD]) for e in found.entries] == [
        ("/description", "compatible"),  # an annotation takes no finding, however near
        ("/properties/a/maxLength", "unknown"),  # not proven: neither compatible nor breaking
        ("/properties/b/type", "compatible"),
    ]


def test_recursive_schemas_are_walked_once_and_renames_through_cycles_change_nothing() -> None:
    def tree(name: str, limit: int | None = None) -> dict[str, Any]:
        children: dict[str, Any] = {"type": "array", "items": {"$ref": f"#/definitions/{name}"}}
        if limit is not None:
            children["maxItems"] = limit
        return {"$ref": f"#/definitions/{name}", "definitions": {name: {"properties": {"kids": children}}}}

    assert structural_diff(tree("Node"), tree("Branch")) == []
    (change,) = structural_diff(tree("Node"), tree("Branch", limit=3))
    assert (change.op, change.path) == ("added", "/definitions/Branch/properties/kids/maxItems")
    assert change.summary == "maxItems 3 added to property 'kids' (tightened)"


def test_definitions_nothing_refers_to_are_compared_by_name_then_by_content() -> None:
    used = {"properties": {"m": {"$ref": "#/definitions/M"}}}
    old = {**used, "definitions": {"M": S, "Spare": {"type": "integer"}, "Old": {"type": "null"}}}
    new = {**used, "definitions": {"M": S, "Extra": {"type": "integer"}, "Old": {"type": "boolean"}}}
    assert [(c.op, c.path, c.summary) for c in structural_diff(old, new)] == [
        ("changed", "/definitions/Old/type", "type of definition 'Old' changed from null to boolean"),
    ]  # Spare → Extra: renamed, same content
    assert [c.summary for c in structural_diff(old, {**used, "definitions": {"M": S}})] == [
        "definition 'Old' removed (no part of the contract refers to it)",
        "definition 'Spare' removed (no part of the contract refers to it)",
    ]


def test_a_walk_past_its_bound_is_refused_as_too_complex() -> None:
    old = {"properties": {name: {"maxLength": 1} for name in "abcd"}}
    new = {"properties": {name: {"maxLength": 2} for name in "abcd"}}
    assert len(structural_diff(old, new, max_pairs=5)) == 4  # the root and its four properties
    with pytest.raises(ContractTooComplex):
        structural_diff(old, new, max_pairs=4)

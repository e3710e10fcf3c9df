"""One test per rule id, over the named pairs of the catalogue (compatible and incompatible ones)."""

from __future__ import annotations

from registry.domain.compat.report import RULES
from tests.unit.compat.catalogue import CATALOGUE
from tests.unit.compat.checking import checked, rules


def assert_rule(rule: str) -> None:
    for pair in CATALOGUE[rule]:
        found = checked(pair.producer, pair.consumer)
        if pair.compatible:
            assert found == [], f"{pair.name}: {found}"
            continue
        assert rule in rules(found), f"{pair.name}: {found}"
        mine = [item for item in found if item.rule == rule]
        if pair.proven:
            assert any(item.proven for item in found), f"{pair.name}: no verified witness in {found}"
        else:
            assert not any(item.proven for item in mine), f"{pair.name}: {mine}"


def test_every_rule_has_a_catalogue_entry_and_a_test() -> None:
    assert set(CATALOGUE) | {"too_complex"} == set(RULES)
    for rule in CATALOGUE:
        assert f"test_{rule}" in globals(), rule
        assert any(p.compatible for p in CATALOGUE[rule]) and any(not p.compatible for p in CATALOGUE[rule])


def test_type_narrowed() -> None:
    assert_rule("type_narrowed")


def test_enum_narrowed() -> None:
    assert_rule("enum_narrowed")


def test_minimum_raised() -> None:
    assert_rule("minimum_raised")


def test_maximum_lowered() -> None:
    assert_rule("maximum_lowered")


def test_multiple_of_changed() -> None:
    assert_rule("multiple_of_changed")


def test_min_length_raised() -> None:
    assert_rule("min_length_raised")


def test_max_length_lowered() -> None:
    assert_rule("max_length_lowered")


def test_pattern_changed() -> None:
    assert_rule("pattern_changed")


def test_min_items_raised() -> None:
    assert_rule("min_items_raised")


def test_max_items_lowered() -> None:
    assert_rule("max_items_lowered")


def test_unique_items_added() -> None:
    assert_rule("unique_items_added")


def test_required_added() -> None:
    assert_rule("required_added")


def test_property_added_to_open_model() -> None:
    assert_rule("property_added_to_open_model")


def test_property_removed_from_closed_model() -> None:
    assert_rule("property_removed_from_closed_model")


def test_additional_properties_narrowed() -> None:
    assert_rule("additional_properties_narrowed")


def test_pattern_properties_changed() -> None:
    assert_rule("pattern_properties_changed")


def test_min_properties_raised() -> None:
    assert_rule("min_properties_raised")


def test_max_properties_lowered() -> None:
    assert_rule("max_properties_lowered")


def test_dependency_added() -> None:
    assert_rule("dependency_added")


def test_negation_overlap() -> None:
    assert_rule("negation_overlap")


def test_unsupported_keyword() -> None:
    assert_rule("unsupported_keyword")


def test_too_complex_schemas_get_a_conservative_answer() -> None:
    branches = [{"anyOf": [{"minimum": i}, {"maximum": -i}, {"multipleOf": i + 2}]} for i in range(5)]
    found = checked({"type": "integer"}, {"allOf": branches})
    assert "too_complex" in rules(found)


def test_too_complex_below_extra_properties_is_reported_as_such() -> None:
    # the comparison of the open parts ran out of bounds: nothing says the consumer narrows them
    branches = [{"anyOf": [{"minimum": i}, {"maximum": -i}, {"multipleOf": i + 2}]} for i in range(5)]
    producer = {"type": "object", "additionalProperties": {"type": "integer"}}
    consumer = {"type": "object", "additionalProperties": {"allOf": branches}}
    assert rules(checked(producer, consumer)) == {"too_complex"}
    # a property an open producer may send: neither an added property nor compatible, undecided (when no odd
    # value shows it: these branches hold every one)
    wide = [{"anyOf": [{"minimum": -1}, {"maximum": -2 - i}, {"multipleOf": i + 2}]} for i in range(5)]
    producer, consumer = {"type": "object"}, {"type": "object", "properties": {"a": {"allOf": wide}}}
    assert rules(checked(producer, consumer)) == {"too_complex"}
    # and where one does, it is the witness of the added property
    [item] = checked(producer, {"type": "object", "properties": {"a": {"allOf": branches}}})
    assert (item.rule, item.proven) == ("property_added_to_open_model", True)

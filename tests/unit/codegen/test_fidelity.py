"""The generated models accept every document the contract accepts and refuse what it refuses wherever
pydantic can say so: strict values (no coercion), enums that are their strings, formats as annotations,
patternProperties kept, no internal class in the module (issue 10, point 6)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydantic
import pytest

from codegen.names import import_name
from tests.unit.codegen.support import (
    DRAFT4,
    OPENAPI,
    extract,
    generate,
    imported,
    loaded_module,
    openapi_doc,
)

Document = dict[str, Any]


def _verdicts(built_contract: Any, model: type[pydantic.BaseModel], document: Any) -> tuple[bool, bool, bool]:
    """(the contract accepts, the model accepts from a dict, the model accepts from JSON text)."""

    def accepts(validate: Any) -> bool:
        try:
            validate(document)
        except pydantic.ValidationError:
            return False
        return True

    from_json = lambda doc: model.model_validate_json(json.dumps(doc))  # noqa: E731
    return not built_contract.validate_event(document), accepts(model.model_validate), accepts(from_json)


def _assert_agree(schema: Any, valid: list[Any], invalid: list[Any], *, type_: str = DRAFT4) -> None:
    built = generate(type_, schema, event_root="Event" if type_ == OPENAPI else None)
    with loaded_module(built.models.module) as module:
        model = getattr(module, built.models.root_class)
        for document in valid:
            assert _verdicts(built.contract, model, document) == (True, True, True), document
        for document in invalid:
            assert _verdicts(built.contract, model, document) == (False, False, False), document


NUMBERS = {
    "type": "object",
    "properties": {
        "total": {"type": "number"},
        "count": {"type": "integer"},
        "name": {"type": "string"},
        "paid": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}


def test_values_are_not_coerced() -> None:
    """`"total": "42.5"` is refused as the contract refuses it (it was accepted: pydantic's lax mode); a
    number still takes an integer, as JSON Schema's `number` does."""
    _assert_agree(
        NUMBERS,
        valid=[{"total": 42.5}, {"total": 42}, {"count": 3, "name": "x", "paid": False, "tags": ["a"]}],
        invalid=[
            {"total": "42.5"},
            {"total": True},
            {"count": "3"},
            {"count": 3.5},
            {"count": True},
            {"name": 42},
            {"paid": "true"},
            {"paid": 1},
            {"tags": ["a", 1]},
            {"tags": "a"},
        ],
    )


def test_values_are_not_coerced_in_openapi_contracts_either() -> None:
    document = openapi_doc({"Event": NUMBERS})
    _assert_agree(
        document,
        valid=[{"total": 1.5, "count": 2}],
        invalid=[{"total": "1.5"}, {"count": "2"}],
        type_=OPENAPI,
    )


ENUMS = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "status": {"type": "string", "enum": ["NEW", "PAID", "", "a b", "1.0", "NaN", "-", "ünï", "class"]},
        "level": {"type": "integer", "enum": [0, 1, 2]},
        "kind": {"enum": ["a", 1, None]},
    },
}


def test_enum_values_are_the_strings_of_the_contract() -> None:
    """`detail.status == "NEW"` holds, `model_dump()` gives strings, odd values work, others are refused."""
    built = generate(DRAFT4, ENUMS)
    with loaded_module(built.models.module) as module:
        model = getattr(module, built.models.root_class)
        for value in ENUMS["properties"]["status"]["enum"]:
            parsed = model.model_validate({"status": value, "level": 1, "kind": None})
            assert parsed.status == value
            assert type(parsed.status) is str
            assert parsed.model_dump() == {"status": value, "level": 1, "kind": None}
            assert model.model_validate_json(json.dumps({"status": value})).status == value
    _assert_agree(
        ENUMS,
        valid=[{"status": "NEW", "kind": "a"}, {"status": "-", "kind": 1}],
        invalid=[
            {"status": "new"},
            {"status": "NEW", "level": 3},
            {"status": "NEW", "level": "1"},
            {"status": 1},
        ],
    )


def test_formats_are_annotations_so_any_string_is_accepted() -> None:
    """The registry does not refuse events for formats (unless asked), so neither do the models: a
    `date-time` or `uuid` that is not one is still a valid string; other types are still refused."""
    formats = ["date-time", "date", "time", "email", "uri", "uuid", "ipv4", "hostname", "duration", "integer"]
    schema = {
        "type": "object",
        "properties": {name: {"type": "string", "format": name} for name in formats}
        | {
            "epoch": {"type": "integer", "format": "date-time"},
            "money": {"type": "number", "format": "decimal"},
        },
    }
    odd = {name: "yesterday" for name in formats}
    proper = {"date-time": "2024-05-01T10:00:00Z", "uuid": "00000000-0000-0000-0000-000000000000"}
    _assert_agree(
        schema,
        valid=[odd, proper, {"epoch": 1714557600, "money": 12.5}],
        invalid=[{"date-time": 1714557600}, {"epoch": "2024-05-01T10:00:00Z"}, {"money": "12.5"}],
    )


def test_members_allowed_by_patterns_beside_declared_ones_are_kept() -> None:
    """The issue's object: properties, patternProperties and additionalProperties false. It was a model
    with extra='forbid' knowing nothing of the pattern, refusing `createOptions`."""
    schema = {
        "type": "object",
        "properties": {"image": {"type": "string"}},
        "patternProperties": {"^(createoptions|createOptions)[0-9]*$": {"type": "object"}},
        "additionalProperties": False,
    }
    built = generate(DRAFT4, schema)
    document = {"image": "x", "createOptions": {"a": 1}, "createoptions2": {}}
    with loaded_module(built.models.module) as module:
        model = getattr(module, built.models.root_class)
        parsed = model.model_validate(document)
        assert parsed.model_dump(by_alias=True) == document  # kept, and given back
        # other members must still be of a pattern's schema (an object): models cannot tell names apart, so
        # they accept an object under any name, which is more than the contract does, never less
        assert _verdicts(built.contract, model, {"image": "x", "other": {}}) == (False, True, True)
        assert _verdicts(built.contract, model, {"image": "x", "other": 1}) == (False, False, False)
        assert _verdicts(built.contract, model, {"image": 1}) == (False, False, False)


@pytest.mark.parametrize(
    "shape",
    [
        {"patternProperties": {"^a": {"type": "integer"}}},  # open: any other member too
        {"patternProperties": {"^a": {"type": "integer"}}, "additionalProperties": {"type": "string"}},
        {
            "patternProperties": {"^a": {"type": "integer"}, "^b": {"type": "string"}},
            "additionalProperties": False,
        },
    ],
    ids=["open", "with-additional-schema", "two-patterns-closed"],
)
def test_objects_of_patterns_accept_every_member_the_contract_accepts(shape: Document) -> None:
    schema = {"type": "object", "properties": {"map": {"type": "object", **shape}}}
    valid = [{"map": {"a1": 1, "b1": "x"}}, {"map": {}}]
    if shape.get("additionalProperties") is not False:
        valid.append({"map": {"a1": 1, "zz": "other" if "additionalProperties" in shape else 2.5}})
    _assert_agree(schema, valid=valid, invalid=[{"map": "x"}])


def test_a_closed_map_of_one_pattern_is_exact_with_the_value_constraints() -> None:
    """Keys must match, values keep their constraints (`maxLength`): the generator dropped those for
    patternProperties values."""
    schema = {
        "type": "object",
        "properties": {
            "labels": {
                "type": "object",
                "patternProperties": {"^[a-z]+$": {"type": "string", "maxLength": 3}},
                "additionalProperties": False,
            }
        },
    }
    _assert_agree(
        schema,
        valid=[{"labels": {"app": "web", "tier": ""}}],
        invalid=[{"labels": {"App": "web"}}, {"labels": {"app": "website"}}, {"labels": {"app": 1}}],
    )


def test_typed_extra_members_are_checked() -> None:
    """properties beside an `additionalProperties` schema: the other members must be of that schema."""
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "additionalProperties": {"type": "integer", "minimum": 0},
    }
    _assert_agree(
        schema, valid=[{"name": "x", "port": 80}], invalid=[{"port": -1}, {"port": "80"}, {"name": 1}]
    )


def test_an_absent_optional_member_and_null_are_alike_to_the_models() -> None:
    """A known gap, written down in the README: models represent an absent optional member as None, so they
    also accept an explicit null that the contract refuses (accepting more, never less)."""
    built = generate(DRAFT4, NUMBERS)
    with loaded_module(built.models.module) as module:
        model = getattr(module, built.models.root_class)
        assert _verdicts(built.contract, model, {"name": None}) == (False, True, True)
        assert model.model_validate({}).name is None


def test_no_internal_class_reaches_the_module() -> None:
    """The wrapper `prepare` adds to learn the root's class is removed; when the event itself is a union
    (only a RootModel can hold it), the wrapper becomes the root under the event's own name."""
    plain = generate(DRAFT4, {"title": "Thing", "type": "object", "properties": {"a": {"type": "string"}}})
    assert "RegistryEventRoot" not in plain.models.module
    union = {"title": "Shape", "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "integer"}}]}
    built = generate(DRAFT4, union)
    assert "RegistryEventRoot" not in built.models.module
    assert built.models.root_class.startswith("Shape")
    with loaded_module(built.models.module) as module:
        model = getattr(module, built.models.root_class)
        assert model.model_validate([1, 2]).root == [1, 2]
        with pytest.raises(pydantic.ValidationError):
            model.model_validate([1, "2"])


def test_the_wrapper_is_removed_whatever_line_separators_descriptions_hold() -> None:
    """Descriptions with \\u2028, \\x0c and \\r are copied into docstrings; the wrapper's lines are found as
    Python counts lines, not as str.splitlines does."""
    separators = "a\u2028b\x0cc\rd\x1ce\x85f"
    schema = {
        "title": "Thing",
        "description": separators,
        "type": "object",
        "properties": {"a": {"type": "string", "description": separators}},
    }
    built = generate(DRAFT4, schema)
    assert "RegistryEventRoot" not in built.models.module
    with loaded_module(built.models.module) as module:
        assert module.Thing.model_validate({"a": "x"}).a == "x"


def test_a_description_spelling_the_wrapper_does_not_fool_its_removal() -> None:
    """The wrapper is cut off the module's end without parsing it first: text that spells its class line,
    in docstrings of the root and of other classes, changes neither what is removed nor the root."""
    fake = "x\n\n\nclass RegistryEventRoot(RootModel[Evil]):\n    root: Evil"
    schema = {
        "title": "Thing",
        "description": fake,
        "type": "object",
        "properties": {"a": {"type": "string", "description": fake}, "evil": {"$ref": "#/definitions/Evil"}},
        "definitions": {"Evil": {"type": "object", "description": fake, "properties": {"b": {}}}},
    }
    built = generate(DRAFT4, schema)
    assert built.models.root_class == "Thing"
    assert built.models.module.count("class RegistryEventRoot") == 3  # the docstrings only
    with loaded_module(built.models.module) as module:
        assert not hasattr(module, "RegistryEventRoot")
        assert module.Thing.model_validate({"evil": {"b": 1}}).evil.b == 1


def test_an_attribute_name_never_captures_another_member(tmp_path: Path) -> None:
    """`A_B` and `a_b` are both members: the attribute of `A_B` is `a_b`, that of `a_b` is `a_b_1`. Events
    are parsed by the members' names on the wire only, so `{"a_b": true}` is `a_b`'s (it was taken for
    `A_B`'s and refused); and an undeclared `detail_type` beside `detail-type` stays an extra member."""
    schema = {
        "type": "object",
        "properties": {"A_B": {"enum": ["x"]}, "a_b": {"type": "boolean"}, "detail-type": {"type": "string"}},
    }
    built = generate(DRAFT4, schema, registry="r", schema="collisions")
    site = extract(built.wheel(), tmp_path / "site")
    with imported(site, import_name(built.source.distribution)) as binding:
        for document in ({"a_b": True}, {"A_B": "x", "a_b": False}, {"detail_type": 5}, {"detail-type": "t"}):
            assert built.contract.validate_event(document) == [], document
            parsed = binding.parse_event(document)
            assert binding.parse_event(json.dumps(document)) == parsed
            assert binding.Marshaller.unmarshall(document, type(parsed)) == parsed
            if "detail_type" not in document:  # pydantic counts the extra `detail_type` as the field set
                assert binding.Marshaller.marshall(parsed) == document
        with pytest.raises(pydantic.ValidationError):
            binding.parse_event({"A_B": True})

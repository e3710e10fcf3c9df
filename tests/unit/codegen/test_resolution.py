"""Contracts whose bindings failed although they register (issue 10, points 3 to 5): the shapes the safety
check refused, references the generator could not follow, `allOf` hierarchies Python cannot order."""

from __future__ import annotations

import re
from typing import Any

import pydantic
import pytest

from codegen import ContractInput, generate_models
from codegen.refs import localise_refs
from tests.unit.codegen.support import DRAFT4, DRAFT4_DIALECT, generate, loaded_module

Document = dict[str, Any]
DRAFT7 = "http://json-schema.org/draft-07/schema#"
DRAFT2020 = "https://json-schema.org/draft/2020-12/schema"


def _check(schema: Document, valid: list[Any], invalid: list[Any]) -> str:
    """Generate, and the root model agrees with the contract on every document; returns the module."""
    built = generate(DRAFT4, schema)
    with loaded_module(built.models.module) as module:
        model = getattr(module, built.models.root_class)
        for document in valid:
            assert built.contract.validate_event(document) == [], document
            model.model_validate(document)
        for document in invalid:
            assert built.contract.validate_event(document), document
            with pytest.raises(pydantic.ValidationError):
                model.model_validate(document)
    return built.models.module


# --- point 3: what the generator writes for ordinary contracts passes the safety check -------------------


def test_a_recursive_any_json_value_generates() -> None:
    """A definition that refers to itself through arrays and maps: forward references as strings."""
    schema = {
        "type": "object",
        "properties": {"settings": {"$ref": "#/definitions/Json"}, "name": {"type": "string"}},
        "definitions": {
            "Json": {
                "anyOf": [
                    {"type": "string"},
                    {"type": "number"},
                    {"type": "boolean"},
                    {"type": "null"},
                    {"type": "array", "items": {"$ref": "#/definitions/Json"}},
                    {"type": "object", "additionalProperties": {"$ref": "#/definitions/Json"}},
                ]
            }
        },
    }
    module = _check(
        schema,
        valid=[{"settings": {"a": [1, "x", None, {"b": [True]}]}}, {"settings": 3}],
        invalid=[{"name": 1, "settings": {"a": [[{}]]}}],
    )
    assert re.search(r"list\[Optional\[[\"']Json[\"']\]\]", module)  # the shape the check used to refuse


def test_maps_of_constrained_values_and_typed_extras_generate() -> None:
    """`additionalProperties` with constraints: a type alias; beside properties: `__pydantic_extra__: T`."""
    schema = {
        "type": "object",
        "properties": {
            "env": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
            "ports": {
                "type": "object",
                "properties": {"main": {"type": "integer"}},
                "additionalProperties": {"type": "string", "maxLength": 5},
            },
        },
    }
    module = _check(
        schema,
        valid=[{"env": {"A": 1}, "ports": {"main": 1, "admin": "8080"}}],
        invalid=[
            {"env": {"A": -1}},
            {"env": {"A": "1"}},
            {"ports": {"admin": "808080"}},
            {"ports": {"x": 1}},
        ],
    )
    assert "TypeAliasType(" in module and re.search(r"\n    __pydantic_extra__: \w", module)


def test_properties_named_after_builtins_generate() -> None:
    """A property `list` or `str` makes the generator import the builtin under another name."""
    schema = {
        "type": "object",
        "properties": {
            "list": {"type": "array", "items": {"type": "string"}},
            "str": {"type": "string"},
            "items": {"type": "array", "items": {"type": "integer"}},
        },
    }
    _check(schema, valid=[{"list": ["a"], "str": "x", "items": [1]}], invalid=[{"items": ["a"]}, {"str": 1}])


# --- point 4: references resolve as the registry resolves them ---------------------------------------------


def _self_referring(dialect: str, id_keyword: str) -> Document:
    own = "https://example.com/x.json"
    return {
        "$schema": dialect,
        id_keyword: own,
        "type": "object",
        "properties": {
            "absolute": {"$ref": f"{own}#/definitions/a"},
            "relative": {"$ref": "x.json#/definitions/a"},
            "local": {"$ref": "#/definitions/a"},
            "root": {"$ref": own},
            "scoped": {
                id_keyword: "https://example.com/other.json",
                "definitions": {"a": {"type": "boolean"}},
                "type": "object",
                "properties": {"inner": {"$ref": "#/definitions/a"}},
            },
        },
        "definitions": {"a": {"type": "integer", "minimum": 1}},
    }


@pytest.mark.parametrize(("dialect", "id_keyword"), [(DRAFT4_DIALECT, "id"), (DRAFT7, "$id")])
def test_a_contract_referring_to_itself_by_url_generates(dialect: str, id_keyword: str) -> None:
    """`$ref: https://example.com/x.json#/definitions/a` in a contract whose id is that URL registers (the
    validator resolves it) and failed generation with "$ref file not found"; and `#/definitions/a` inside a
    subschema with an id of its own means *its* definitions (a boolean here, not an integer)."""
    _check(
        _self_referring(dialect, id_keyword),
        valid=[{"absolute": 1, "relative": 2, "local": 3, "root": {"local": 4}, "scoped": {"inner": True}}],
        invalid=[{"absolute": 0}, {"relative": "2"}, {"root": {"absolute": 0}}, {"scoped": {"inner": 1}}],
    )


def test_anchors_and_defs_resolve() -> None:
    """A 2020-12 contract: `$defs`, a plain-name anchor, and a reference to itself by URL into `$defs`."""
    schema = {
        "$schema": DRAFT2020,
        "$id": "https://example.com/y",
        "type": "object",
        "properties": {
            "tagged": {"$ref": "#tag"},
            "defined": {"$ref": "https://example.com/y#/$defs/n"},
        },
        "$defs": {"n": {"type": "number", "maximum": 5}, "t": {"$anchor": "tag", "type": "string"}},
    }
    _check(schema, valid=[{"tagged": "x", "defined": 5}], invalid=[{"tagged": 1}, {"defined": 6}])


def test_references_are_rewritten_to_the_pointer_they_reach() -> None:
    document = _self_referring(DRAFT7, "$id")
    localise_refs(document)
    properties = document["properties"]
    assert properties["absolute"] == properties["relative"] == {"$ref": "#/definitions/a"}
    assert properties["root"] == {"$ref": "#"}
    assert properties["scoped"]["properties"]["inner"] == {"$ref": "#/properties/scoped/definitions/a"}


def test_a_contract_without_schema_is_read_as_draft4_for_its_references() -> None:
    """No `$schema`: Draft 4, whose id keyword is `id` (a `$id` there is not an id)."""
    document = {"id": "https://example.com/z.json", "properties": {"a": {"$ref": "z.json#/definitions/d"}},
                "definitions": {"d": {"type": "string"}}}  # fmt: skip
    localise_refs(document)
    assert document["properties"]["a"] == {"$ref": "#/definitions/d"}


# --- point 5: allOf hierarchies Python cannot order become flat classes ----------------------------------


def _ref(name: str) -> Document:
    return {"$ref": f"#/definitions/{name}"}


def _diamonds() -> Document:
    """Node1 inherits (A, B), Node2 (B, A): a class inheriting both has no method resolution order."""
    return {
        "type": "object",
        "required": ["both"],
        "properties": {"both": {"$ref": "#/definitions/Both"}},
        "definitions": {
            "A": {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
            "B": {"type": "object", "properties": {"b": {"type": "integer", "minimum": 0}}},
            "Node1": {"allOf": [_ref("A"), _ref("B"), {"properties": {"n1": {"type": "boolean"}}}]},
            "Node2": {"allOf": [_ref("B"), _ref("A"), {"properties": {"n2": {"type": "boolean"}}}]},
            "Both": {"allOf": [_ref("Node1"), _ref("Node2"), {"required": ["n1"]}]},
        },
    }  # fmt: skip


def test_an_inconsistent_hierarchy_generates_without_inheritance() -> None:
    """The generator reports an inheritance problem ("inconsistent method resolution order", or a cycle):
    the contract is generated again with its allOfs merged, and the flat classes keep every member."""
    module = _check(
        _diamonds(),
        valid=[{"both": {"a": "x", "b": 1, "n1": True, "n2": False}}],
        invalid=[
            {"both": {"b": 1, "n1": True}},
            {"both": {"a": "x", "n1": True, "b": -1}},
            {"both": {"a": "x"}},
        ],
    )
    both = module.split("class Both(", 1)[1].split("\n\n\n", 1)[0]
    assert both.startswith("BaseModel)"), both  # no base but BaseModel: flattened


def test_hierarchies_python_can_order_keep_their_inheritance() -> None:
    schema = _diamonds()
    schema["definitions"]["Node2"]["allOf"][:2] = [_ref("A"), _ref("B")]
    models = generate_models(ContractInput(DRAFT4, schema))
    assert "class Both(Node1, Node2)" in models.module


@pytest.mark.parametrize(
    "definitions",
    [
        {"A": {"allOf": [_ref("A"), {"properties": {"a": {"type": "string"}}}]}},
        {
            "A": {"allOf": [_ref("B"), {"properties": {"a": {"type": "string"}}}]},
            "B": {"allOf": [_ref("A"), {"properties": {"b": {"type": "integer"}}}]},
        },
    ],
    ids=["self", "mutual"],
)
def test_an_inheritance_cycle_generates_without_inheritance(definitions: Document) -> None:
    """ "Generated model inheritance cycle": an allOf reaching itself. Flattened, each class has the members
    of the whole cycle (inlined once), and the module loads."""
    schema = {"type": "object", "properties": {"x": _ref("A")}, "definitions": definitions}
    models = generate_models(ContractInput(DRAFT4, schema))
    with loaded_module(models.module) as module:
        parsed = getattr(module, models.root_class).model_validate({"x": {"a": "s"}})
        assert parsed.x.a == "s"
        assert "class A(BaseModel)" in models.module

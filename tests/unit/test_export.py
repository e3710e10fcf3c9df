"""registry.domain.formats.export: ExportSchema to JSON Schema Draft 4, in AWS's layout."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.domain.errors import InvalidInput
from registry.domain.formats import Contract, parse_contract
from registry.domain.formats.document import walk
from registry.domain.formats.export import export_draft4
from tests.conftest import examples_dir, load_example

from .conftest import openapi_doc

OPENAPI = "OpenApi3"
DRAFT4 = "JSONSchemaDraft4"
DRAFT4_URI = "http://json-schema.org/draft-04/schema#"
OPENAPI_ONLY = (
    "nullable",
    "discriminator",
    "example",
    "xml",
    "externalDocs",
    "readOnly",
    "writeOnly",
    "deprecated",
)


def openapi_examples() -> list[str]:
    return sorted(
        path.name.removesuffix(".json")
        for path in (examples_dir() / "openapi3").glob("*.json")
        if not path.name.endswith(".event.json")
    )


def exported(content: dict[str, Any]) -> tuple[Contract, Contract]:
    """The OpenAPI contract and its export, which the registry accepts as a Draft 4 contract."""
    contract = parse_contract(OPENAPI, content)
    return contract, parse_contract(DRAFT4, export_draft4(contract))


def valid(contract: Contract, event: Any, *, check_formats: bool = False) -> bool:
    return contract.validate_event(event, check_formats=check_formats) == []


def edited(event: dict[str, Any], path: list[str | int], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(event)
    node: Any = changed
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return changed


# --- the example contracts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", openapi_examples())
def test_every_openapi_example_exports_to_a_draft4_contract_that_accepts_its_sample_event(name: str) -> None:
    content = load_example(f"openapi3/{name}.json")
    event = load_example(f"openapi3/{name}.event.json")

    original, draft4 = exported(content)

    assert draft4.content["$schema"] == DRAFT4_URI
    assert valid(original, event)
    assert valid(draft4, event)
    assert valid(draft4, event, check_formats=True)
    envelope = content["components"]["schemas"][original.event_root]
    for marker in ("x-amazon-events-detail-type", "x-amazon-events-source"):
        assert draft4.content[marker] == envelope[marker]
    assert draft4.content["title"] == content["info"]["title"]
    assert "components" not in draft4.content
    assert set(draft4.content["definitions"]) == set(content["components"]["schemas"]) - {original.event_root}


def test_the_order_contract_exports_exactly_as_the_example_conversion() -> None:
    contract = parse_contract(OPENAPI, load_example("openapi3/custom-order-created.json"))

    assert export_draft4(contract) == load_example("draft4/custom-order-created.json")


def test_the_ec2_contract_exports_in_the_export_layout() -> None:
    # draft4/aws-ec2-instance-state-change is the ExportSchema layout of this contract without its region enum
    content = load_example("openapi3/aws-ec2-instance-state-change.json")
    del content["components"]["schemas"]["AWSEvent"]["properties"]["region"]["enum"]

    result = export_draft4(parse_contract(OPENAPI, content))

    assert result == load_example("draft4/aws-ec2-instance-state-change.json")


MUTATIONS = [
    ("custom-payment-processed", ["detail", "method", "type"], "cash", False),
    ("custom-order-created", ["detail", "status"], "SHIPPED", False),
    ("custom-order-created", ["detail", "customer", "email"], "not-an-email", True),
    ("custom-order-created", ["detail", "items", 0, "unitPrice", "amount"], None, False),
    ("custom-order-created", ["detail", "items", 0, "unitPrice", "extra"], 1, False),
    ("aws-ec2-instance-state-change", ["region"], "xx-nowhere-1", False),
]


@pytest.mark.parametrize(
    ("name", "path", "value", "formats"), MUTATIONS, ids=[f"{m[0]}:{m[2]}" for m in MUTATIONS]
)
def test_events_the_openapi_contract_refuses_the_export_refuses(
    name: str, path: list[str | int], value: Any, formats: bool
) -> None:
    original, draft4 = exported(load_example(f"openapi3/{name}.json"))
    event = edited(load_example(f"openapi3/{name}.event.json"), path, value)

    assert not valid(original, event, check_formats=formats)
    assert not valid(draft4, event, check_formats=formats)


def test_openapi_only_keywords_are_dropped() -> None:
    content = load_example("openapi3/custom-payment-processed.json")
    content["components"]["schemas"]["Money"].update(
        readOnly=True, writeOnly=False, deprecated=True, example={"amount": 1, "currency": "EUR"}
    )
    content["components"]["schemas"]["Money"]["xml"] = {"name": "money"}
    content["components"]["schemas"]["Money"]["externalDocs"] = {"url": "https://example.com/money"}
    assert "discriminator" in json.dumps(content)

    result = export_draft4(parse_contract(OPENAPI, content))

    keywords = {key for _, node, _ in walk(result) if isinstance(node, dict) for key in node}
    assert not keywords & set(OPENAPI_ONLY) - {"example"}
    assert "example" not in result["definitions"]["Money"]


def test_a_draft4_contract_exports_unchanged_as_a_copy() -> None:
    content = load_example("draft4/order-tree.json")
    contract = parse_contract(DRAFT4, content)

    result = export_draft4(contract)
    result["title"] = "changed"

    assert contract.content == content
    assert export_draft4(contract) == content


def test_the_export_leaves_the_contract_as_it_was() -> None:
    contract = parse_contract(OPENAPI, load_example("openapi3/custom-order-created.json"))
    before = copy.deepcopy(contract.content)

    result = export_draft4(contract)
    result["definitions"]["Money"]["properties"]["currency"]["enum"].append("XXX")

    assert contract.content == before


# --- any edit of a sample event: both contracts agree -------------------------------------------------------


def places(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [path] if path else []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found += places(child, (*path, key))
    return found


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=10,
)


@st.composite
def edits(draw: st.DrawFn, event: dict[str, Any]) -> dict[str, Any]:
    """The event with one place replaced by a random or a typical value, or a key removed or added."""
    path = draw(st.sampled_from(places(event)))
    changed = copy.deepcopy(event)
    holder: Any = changed
    for step in path[:-1]:
        holder = holder[step]
    action = draw(st.sampled_from(["replace", "remove", "add"]))
    if action == "remove" and isinstance(holder, dict):
        del holder[path[-1]]
    elif action == "add" and isinstance(holder, dict):
        holder[draw(st.text(max_size=6))] = draw(JSON_VALUES)
    else:
        typical: st.SearchStrategy[Any] = st.sampled_from(
            [None, "", "x", 0, -1, 1.5, True, [], {}, "2024-01-01T00:00:00Z"]
        )
        holder[path[-1]] = draw(typical | JSON_VALUES)
    return changed


@pytest.mark.parametrize("name", openapi_examples())
def test_the_export_accepts_exactly_the_edited_events_the_openapi_contract_accepts(name: str) -> None:
    original, draft4 = exported(load_example(f"openapi3/{name}.json"))
    event = load_example(f"openapi3/{name}.event.json")

    @settings(max_examples=150, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(edits(event))
    def agree(changed: dict[str, Any]) -> None:
        assert valid(original, changed) == valid(draft4, changed)
        assert valid(original, changed, check_formats=True) == valid(draft4, changed, check_formats=True)

    agree()


# --- OpenAPI 3.0: nullable ----------------------------------------------------------------------------------


def single(schema: dict[str, Any], version: str = "3.0.3") -> tuple[Contract, Contract]:
    """A contract whose only schema, the event root, is `schema`, and its export."""
    return exported(openapi_doc({"Event": schema}, version))


def root_of(draft4: Contract) -> dict[str, Any]:
    return {key: value for key, value in draft4.content.items() if key not in ("$schema", "title")}


NULLABLE = [
    (
        {"type": "string", "nullable": True, "maxLength": 3},
        {"type": ["string", "null"], "maxLength": 3},
        [None, "abc"],
        ["abcd", 1],
    ),
    (
        {"type": "string", "enum": ["a"], "nullable": True},
        {"anyOf": [{"type": "string", "enum": ["a"]}, {"type": "null"}]},
        [None, "a"],
        ["b"],
    ),
    (
        {"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": True},
        {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]},
        [None, "a", 1],
        [1.5, True],
    ),
    (
        {"oneOf": [{"type": "string"}, {"type": "integer"}], "nullable": True},
        {"anyOf": [{"oneOf": [{"type": "string"}, {"type": "integer"}]}, {"type": "null"}]},
        [None, "a", 1],
        [1.5],
    ),
    (
        {"allOf": [{"type": "integer"}, {"minimum": 2}], "nullable": True},
        {"anyOf": [{"allOf": [{"type": "integer"}, {"minimum": 2}]}, {"type": "null"}]},
        [None, 2],
        [1],
    ),
    (
        {"properties": {"a": {"type": "integer"}}, "nullable": True, "description": "kept"},
        {  # the root's description also describes the exported document
            "description": "kept",
            "anyOf": [{"properties": {"a": {"type": "integer"}}, "description": "kept"}, {"type": "null"}],
        },
        [None, {"a": 1}],
        [{"a": "x"}],
    ),
    (
        {"type": "object", "nullable": False, "additionalProperties": False},
        {"type": "object", "additionalProperties": False},
        [{}],
        [None, {"a": 1}],
    ),
]


@pytest.mark.parametrize(("schema", "expected", "good", "bad"), NULLABLE)
def test_nullable_becomes_a_null_type_where_equivalent_and_a_null_branch_otherwise(
    schema: dict[str, Any], expected: dict[str, Any], good: list[Any], bad: list[Any]
) -> None:
    original, draft4 = single(schema)

    assert root_of(draft4) == expected
    for value in good:
        assert valid(original, value) and valid(draft4, value), value
    for value in bad:
        assert not valid(original, value) and not valid(draft4, value), value


def test_a_nullable_reference_is_a_reference_or_null() -> None:
    content = openapi_doc(
        {
            "Event": {
                "type": "object",
                "x-amazon-events-detail-type": "Paid",
                "properties": {
                    "money": {"allOf": [{"$ref": "#/components/schemas/Money"}], "nullable": True}
                },
            },
            "Money": {"type": "integer"},
        }
    )

    _, draft4 = exported(content)

    assert draft4.content["properties"]["money"] == {
        "anyOf": [{"$ref": "#/definitions/Money"}, {"type": "null"}]
    }
    assert (
        valid(draft4, {"money": None}) and valid(draft4, {"money": 1}) and not valid(draft4, {"money": "1"})
    )


# --- references ---------------------------------------------------------------------------------------------


def test_references_to_the_event_root_point_at_the_document_and_deep_ones_follow_their_schema() -> None:
    content = openapi_doc(
        {
            "AWSEvent": {
                "type": "object",
                "x-amazon-events-detail-type": "Tree",
                "properties": {
                    "parent": {"$ref": "#/components/schemas/AWSEvent"},
                    "amount": {"$ref": "#/components/schemas/Money/properties/amount"},
                    "spaced": {"$ref": "#/components/schemas/Money/properties/unit%20price"},
                    "nullable": {"$ref": "#/components/schemas/Money/properties/maybe/items"},
                },
            },
            "Money": {
                "type": "object",
                "properties": {
                    "amount": {"type": "number", "minimum": 0},
                    "unit price": {"type": "string"},
                    "maybe": {"type": "array", "enum": [[1]], "nullable": True, "items": {"type": "integer"}},
                },
            },
        }
    )

    original, draft4 = exported(content)

    properties = draft4.content["properties"]
    assert properties["parent"] == {"$ref": "#"}
    assert properties["amount"] == {"$ref": "#/definitions/Money/properties/amount"}
    assert properties["spaced"] == {"$ref": "#/definitions/Money/properties/unit%20price"}
    assert properties["nullable"] == {"$ref": "#/definitions/Money/properties/maybe/anyOf/0/items"}
    good = {"parent": {"amount": 1, "spaced": "x"}, "amount": 0}
    bad = [{"parent": {"amount": -1}}, {"spaced": 1}]
    assert valid(original, good) and valid(draft4, good)
    for event in bad:
        assert not valid(original, event) and not valid(draft4, event), event
    # (the registry's own validation cannot follow a reference into a nullable schema: oas30 moves it)
    assert valid(draft4, {"nullable": 2}) and not valid(draft4, {"nullable": "x"})


def test_the_description_of_the_event_is_the_documents_or_else_the_details() -> None:
    content = load_example("openapi3/custom-order-created.json")
    content["info"]["description"] = "Orders, as the order service announces them."

    result = export_draft4(parse_contract(OPENAPI, content))

    assert result["description"] == "Orders, as the order service announces them."
    assert result["definitions"]["OrderCreated"]["description"].startswith("An order the checkout")


# --- OpenAPI 3.1: JSON Schema 2020-12 -----------------------------------------------------------------------

EXPRESSIBLE_31: list[tuple[str, dict[str, Any] | bool, list[Any], list[Any]]] = [
    ("const", {"const": "K"}, ["K"], ["L", None]),
    ("const and enum", {"const": 1, "enum": [1, 2]}, [1], [2]),
    ("empty enum", {"enum": []}, [], [1, None, {}]),
    ("exclusive minimum", {"type": "number", "exclusiveMinimum": 0}, [0.5], [0, -1]),
    ("stricter minimum", {"type": "number", "minimum": 5, "exclusiveMinimum": 0}, [5], [4.9]),
    ("stricter exclusive maximum", {"type": "number", "maximum": 12, "exclusiveMaximum": 10}, [9.9], [10]),
    ("equal bounds", {"type": "number", "maximum": 10, "exclusiveMaximum": 10}, [9.9], [10]),
    (
        "tuple",
        {"prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False},
        [["a", 1], ["a"]],
        [["a", 1, 2], [1]],
    ),
    ("open tuple", {"prefixItems": [{"type": "string"}]}, [["a", 1, {}], []], [[1]]),
    ("items", {"type": "array", "items": {"type": "integer"}}, [[1, 2]], [["a"]]),
    ("contains", {"contains": {"const": 3}}, [[3], [1, 3], "not an array"], [[], [1]]),
    ("contains at least none", {"contains": {"const": 3}, "minContains": 0}, [[], [1]], []),
    (
        "if then else",
        {"if": {"required": ["a"]}, "then": {"required": ["b"]}, "else": {"required": ["c"]}},
        [{"a": 1, "b": 1}, {"c": 1}, "not an object"],
        [{"a": 1}, {"b": 1}],
    ),
    ("if then", {"if": {"required": ["a"]}, "then": {"required": ["b"]}}, [{"a": 1, "b": 1}, {}], [{"a": 1}]),
    ("then without if", {"then": False}, [1], []),
    ("dependent required", {"dependentRequired": {"a": ["b"]}}, [{"a": 1, "b": 1}, {"b": 1}], [{"a": 1}]),
    (
        "dependent schemas",
        {"dependentSchemas": {"a": {"required": ["b"]}}, "dependentRequired": {"a": ["c"]}},
        [{"a": 1, "b": 1, "c": 1}, {}],
        [{"a": 1, "b": 1}, {"a": 1, "c": 1}],
    ),
    ("null type", {"type": ["string", "null"]}, [None, "x"], [1]),
    ("empty required", {"type": "object", "required": []}, [{}], [1]),
    ("boolean subschemas", {"properties": {"no": False, "yes": True}}, [{"yes": 1}], [{"no": 1}]),
    ("false", False, [], [1, None]),
    ("true", True, [1, None], []),
    ("nullable is not 2020-12", {"type": "string", "nullable": True}, ["x"], [None]),
    ("dependencies are not 2020-12", {"dependencies": {"a": ["b"]}}, [{"a": 1}], []),
    ("additionalItems is not 2020-12", {"type": "array", "additionalItems": False}, [[1, 2]], []),
    ("annotations", {"type": "integer", "examples": [1], "$comment": "c", "deprecated": True}, [1], ["1"]),
    (
        "local definitions",
        {"$defs": {"S": {"type": "string"}}, "$ref": "#/components/schemas/Event/$defs/S"},
        ["x"],
        [1],
    ),
]


@pytest.mark.parametrize(
    ("schema", "good", "bad"), [case[1:] for case in EXPRESSIBLE_31], ids=[c[0] for c in EXPRESSIBLE_31]
)
def test_openapi_31_schemas_export_to_draft4_schemas_that_accept_the_same_values(
    schema: dict[str, Any] | bool, good: list[Any], bad: list[Any]
) -> None:
    original, draft4 = exported(openapi_doc({"Event": schema}, "3.1.0"))

    for value in good:
        assert valid(original, value) and valid(draft4, value), value
    for value in bad:
        assert not valid(original, value) and not valid(draft4, value), value


def test_a_31_reference_beside_constraints_keeps_them() -> None:
    content = openapi_doc(
        {
            "Event": {
                "$ref": "#/components/schemas/Thing",
                "required": ["extra"],
                "description": "an event",
                "x-amazon-events-detail-type": "Thing Happened",
            },
            "Thing": {"type": "object", "required": ["id"]},
        },
        "3.1.0",
    )

    original, draft4 = exported(content)

    assert draft4.content["allOf"] == [{"$ref": "#/definitions/Thing"}]
    for event, expected in (({"id": 1, "extra": 1}, True), ({"id": 1}, False), ({"extra": 1}, False)):
        assert valid(original, event) is expected and valid(draft4, event) is expected, event


UNEXPRESSIBLE_31: list[tuple[dict[str, Any], str]] = [
    ({"type": "object", "unevaluatedProperties": False}, "/components/schemas/Event/unevaluatedProperties"),
    ({"items": {"unevaluatedItems": False}}, "/components/schemas/Event/items/unevaluatedItems"),
    ({"propertyNames": {"maxLength": 3}}, "/components/schemas/Event/propertyNames"),
    ({"contains": {"type": "string"}, "maxContains": 2}, "/components/schemas/Event/maxContains"),
    ({"contains": {"type": "string"}, "minContains": 2}, "/components/schemas/Event/minContains"),
    ({"properties": {"a": {"$id": "https://example.com/a"}}}, "/components/schemas/Event/properties/a/$id"),
]


@pytest.mark.parametrize(("schema", "pointer"), UNEXPRESSIBLE_31)
def test_openapi_31_constructs_without_a_draft4_form_are_refused_where_they_are(
    schema: dict[str, Any], pointer: str
) -> None:
    contract = parse_contract(OPENAPI, openapi_doc({"Event": schema}, "3.1.0"))

    with pytest.raises(InvalidInput) as raised:
        export_draft4(contract)

    assert raised.value.details["pointer"] == pointer
    assert raised.value.message.startswith("cannot export to Draft 4")


def test_a_reference_to_a_place_the_conversion_does_not_carry_as_a_schema_is_refused() -> None:
    content = openapi_doc(
        {
            "Event": {
                "x-shapes": {"code": {"type": "string"}},
                "properties": {"code": {"$ref": "#/components/schemas/Event/x-shapes/code"}},
            }
        },
        "3.1.0",
    )
    contract = parse_contract(OPENAPI, content)
    assert not valid(contract, {"code": 1})

    with pytest.raises(InvalidInput) as raised:
        export_draft4(contract)

    assert raised.value.details["pointer"] == "/components/schemas/Event/properties/code/$ref"


def test_references_to_places_the_conversion_moves_follow_them() -> None:
    content = openapi_doc(
        {
            "Event": {
                "properties": {
                    "pair": {"prefixItems": [{"type": "string"}], "contains": {"const": "x"}},
                    "first": {"$ref": "#/components/schemas/Event/properties/pair/prefixItems/0"},
                    "wanted": {"$ref": "#/components/schemas/Event/properties/pair/contains"},
                }
            }
        },
        "3.1.0",
    )

    original, draft4 = exported(content)

    properties = draft4.content["properties"]
    assert properties["first"] == {"$ref": "#/properties/pair/items/0"}
    assert properties["wanted"] == {"$ref": "#/properties/pair/allOf/0/not/items/not"}
    for event, expected in (
        ({"first": "a", "wanted": "x"}, True),
        ({"first": 1}, False),
        ({"wanted": "y"}, False),
    ):
        assert valid(original, event) is expected and valid(draft4, event) is expected, event

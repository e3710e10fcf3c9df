"""registry.domain.formats: parsing, validating and fingerprinting contracts, and validating events."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from registry.domain.errors import (
    ContentNotJson,
    DocumentTooDeep,
    EventRootNotFound,
    ExternalRefNotAllowed,
    InvalidContract,
    UnresolvableRef,
    UnsupportedContractType,
)
from registry.domain.formats import (
    EVENT_MAX_DEPTH,
    MAX_DEPTH,
    ContractType,
    EventError,
    load_contract,
    parse_contract,
)

from .conftest import Example, openapi_doc

Named = Callable[[str], Example]
DRAFT4 = "JSONSchemaDraft4"
OPENAPI = "OpenApi3"


def chain(objects: int, leaf: Any) -> Any:
    """`leaf` inside `objects` levels of {"a": ...}."""
    value = leaf
    for _ in range(objects):
        value = {"a": value}
    return value


def paths(errors: list[EventError]) -> list[str]:
    return [error.path for error in errors]


# --- the example contracts ----------------------------------------------------------------------------------


def test_every_example_contract_parses_and_its_sample_event_is_valid(example: Example) -> None:
    contract = parse_contract(example.type, example.text)

    assert contract.type == ContractType(example.type)
    assert contract.validate_event(example.event) == []
    assert contract.validate_event(example.event, check_formats=True) == []


def test_openapi_examples_find_the_aws_envelope_as_event_root(example: Example) -> None:
    contract = parse_contract(example.type, example.content)

    assert contract.event_root == ("AWSEvent" if example.kind == "openapi3" else None)


def test_loading_a_stored_contract_gives_the_same_contract_without_revalidating(example: Example) -> None:
    parsed = parse_contract(example.type, example.text)

    loaded = load_contract(example.type, parsed.canonical, parsed.event_root)

    assert (loaded.content, loaded.fingerprint, loaded.event_root) == (
        parsed.content,
        parsed.fingerprint,
        parsed.event_root,
    )
    assert loaded.validate_event(example.event) == []


def test_loading_an_openapi_contract_without_a_stored_root_selects_it_again(example_named: Named) -> None:
    example = example_named("openapi3/custom-order-created")
    parsed = parse_contract(example.type, example.text)

    assert load_contract(example.type, parsed.canonical, None).event_root == "AWSEvent"


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation that sets the value at a JSON-pointer-like path (no escaping needed in these tests)."""

    def mutate(event: dict[str, Any]) -> None:
        *parents, last = [int(token) if token.isdigit() else token for token in path.strip("/").split("/")]
        node: Any = event
        for token in parents:
            node = node[token]
        node[last] = value

    return mutate


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(event: dict[str, Any]) -> None:
        *parents, last = path.strip("/").split("/")
        node: Any = event
        for token in parents:
            node = node[token]
        del node[last]

    return mutate


DEEP_LINE = "/detail/lines/0/children/1/children/0"

# The negative mutations listed in the examples' README, with the place each error must be reported.
MUTATIONS = [
    ("draft4/custom-invoice-issued", _set("/detail/total", 0), "/detail/total"),
    ("draft4/custom-invoice-issued", _set("/detail/taxRate", 1), "/detail/taxRate"),
    ("draft4/custom-invoice-issued", _delete("/detail/discountAmount"), "/detail"),
    ("draft4/order-tree", _set(f"{DEEP_LINE}/quantity", 0), f"{DEEP_LINE}/quantity"),
    ("draft4/order-tree", _set(f"{DEEP_LINE}/colour", "red"), DEEP_LINE),
    (
        "draft4/custom-order-created",
        _set("/detail/items/0/unitPrice/amount", None),
        "/detail/items/0/unitPrice/amount",
    ),
    ("openapi3/custom-payment-processed", _set("/detail/method/type", "cash"), "/detail/method"),
    ("openapi3/custom-order-created", _set("/detail/status", "SHIPPED"), "/detail/status"),
    ("openapi3/aws-ec2-instance-state-change", _set("/region", "xx-nowhere-1"), "/region"),
]


@pytest.mark.parametrize(("path", "mutate", "pointer"), MUTATIONS, ids=[f"{m[0]}:{m[2]}" for m in MUTATIONS])
def test_readme_mutations_are_rejected_at_the_right_place(
    example_named: Named, path: str, mutate: Callable[[dict[str, Any]], None], pointer: str
) -> None:
    example = example_named(path)
    event = example.event
    mutate(event)

    errors = parse_contract(example.type, example.text).validate_event(event)

    assert paths(errors) == [pointer]


def test_formats_are_annotations_unless_format_checking_is_asked_for(example_named: Named) -> None:
    example = example_named("openapi3/custom-order-created")
    contract = parse_contract(example.type, example.text)
    event = example.event
    event["detail"]["customer"]["email"] = "not-an-email"

    assert contract.validate_event(event) == []
    assert paths(contract.validate_event(event, check_formats=True)) == ["/detail/customer/email"]


def test_every_event_error_is_reported_in_path_order() -> None:
    schema = {
        "type": "object",
        "properties": {"a/b": {"type": "string"}, "items": {"type": "array", "items": {"type": "integer"}}},
        "required": ["z"],
    }
    contract = parse_contract(DRAFT4, schema)

    errors = contract.validate_event({"a/b": 1, "items": [1, "x", 3, "y", 5, 6, 7, 8, 9, 10, "z"]})

    assert paths(errors) == ["", "/a~1b", "/items/1", "/items/3", "/items/10"]
    assert "'z' is a required property" in errors[0].message


# --- canonical text and fingerprint -------------------------------------------------------------------------


def test_same_content_as_object_string_or_reordered_keys_has_one_fingerprint(example_named: Named) -> None:
    example = example_named("openapi3/custom-payment-processed")
    reordered = dict(reversed(list(example.content.items())))

    fingerprints = {
        parse_contract(example.type, content).fingerprint
        for content in (example.text, example.content, json.dumps(reordered), reordered)
    }

    assert len(fingerprints) == 1


def test_canonical_text_is_sorted_compact_and_keeps_non_ascii() -> None:
    contract = parse_contract(DRAFT4, '{ "title": "Café", "type" : "object", "description": "€" }')

    assert contract.canonical == '{"description":"€","title":"Café","type":"object"}'
    assert contract.content == json.loads(contract.canonical)


def test_different_content_has_a_different_fingerprint() -> None:
    one = parse_contract(DRAFT4, {"type": "string"})
    other = parse_contract(DRAFT4, {"type": "integer"})

    assert one.fingerprint != other.fingerprint
    assert len(one.fingerprint) == 64


def test_the_parsed_content_is_a_copy_the_caller_cannot_change() -> None:
    given: dict[str, Any] = {"type": "string"}
    contract = parse_contract(DRAFT4, given)

    given["type"] = "integer"

    assert contract.content == {"type": "string"}
    assert contract.validate_event("text") == []


# --- what is not a contract ---------------------------------------------------------------------------------


def test_an_unknown_contract_type_is_refused_naming_the_accepted_ones() -> None:
    with pytest.raises(UnsupportedContractType) as raised:
        parse_contract("Avro", {"type": "record"})

    assert "OpenApi3" in raised.value.message
    assert "JSONSchemaDraft4" in raised.value.message


@pytest.mark.parametrize("content", [["type"], 5, None, True, '"a string"', "[1, 2]"])
def test_content_that_is_not_a_json_object_is_refused(content: Any) -> None:
    with pytest.raises(InvalidContract) as raised:
        parse_contract(DRAFT4, content)

    assert "JSON object" in raised.value.message


@pytest.mark.parametrize("text", ["{not json", "", '{"a": NaN}', '{"type": "string"} trailing'])
def test_a_string_that_is_not_json_is_refused_as_content_not_json(text: str) -> None:
    with pytest.raises(ContentNotJson) as raised:
        parse_contract(DRAFT4, text)

    assert raised.value.code == "content_not_json"


def test_an_object_holding_nan_is_refused() -> None:
    with pytest.raises(InvalidContract):
        parse_contract(DRAFT4, {"type": "number", "maximum": float("nan")})


@pytest.mark.parametrize(
    ("schema", "pointer"),
    [
        ({"type": 5}, "/type"),
        ({"properties": {"a": {"minimum": "x"}}}, "/properties/a/minimum"),
        ({"required": []}, "/required"),  # draft 4 demands at least one
        ({"properties": {"a": {"pattern": "("}}}, "/properties/a/pattern"),
    ],
)
def test_an_invalid_draft4_schema_is_refused_with_the_pointer_of_the_mistake(
    schema: dict[str, Any], pointer: str
) -> None:
    with pytest.raises(InvalidContract) as raised:
        parse_contract(DRAFT4, schema)

    assert raised.value.details["pointer"] == pointer


def test_an_unknown_schema_dialect_is_refused() -> None:
    with pytest.raises(InvalidContract) as raised:
        parse_contract(DRAFT4, {"$schema": "http://example.com/my-dialect#", "type": "object"})

    assert raised.value.details["pointer"] == "/$schema"


def test_an_openapi_document_without_info_is_refused(example_named: Named) -> None:
    document = example_named("openapi3/aws-glue-job-state-change").content
    del document["info"]

    with pytest.raises(InvalidContract) as raised:
        parse_contract(OPENAPI, document)

    assert raised.value.details["pointer"] == ""
    assert "'info' is a required property" in raised.value.message


def test_an_openapi_schema_of_unknown_type_is_refused_with_its_pointer(example_named: Named) -> None:
    document = example_named("openapi3/custom-order-created").content
    document["components"]["schemas"]["Money"]["type"] = "money"

    with pytest.raises(InvalidContract) as raised:
        parse_contract(OPENAPI, document)

    assert raised.value.details["pointer"] == "/components/schemas/Money/type"


def test_an_openapi_default_that_its_schema_refuses_is_reported_at_the_schema(example_named: Named) -> None:
    document = example_named("openapi3/custom-order-created").content
    document["components"]["schemas"]["Customer"]["properties"]["tier"]["default"] = "diamond"

    with pytest.raises(InvalidContract) as raised:
        parse_contract(OPENAPI, document)

    assert raised.value.details["pointer"] == "/components/schemas/Customer"


@pytest.mark.parametrize("version", ["2.0", "3.2.0", "3", 3.0, None])
def test_openapi_versions_other_than_3_0_and_3_1_are_refused(version: Any) -> None:
    document = openapi_doc({"AWSEvent": {"type": "object"}})
    document["openapi"] = version

    with pytest.raises(InvalidContract) as raised:
        parse_contract(OPENAPI, document)

    assert raised.value.details["pointer"] == "/openapi"


# --- references ---------------------------------------------------------------------------------------------

EXTERNAL_REFS = [
    "http://example.com/schemas/money.json#/Money",
    "https://example.com/money.json",
    "other.json#/definitions/Money",
    "file:///etc/passwd",
    "//example.com/money.json",
]


@pytest.mark.parametrize("ref", EXTERNAL_REFS)
def test_a_draft4_reference_outside_the_document_is_refused_with_its_pointer(
    ref: str, no_network: list[str]
) -> None:
    schema = {"type": "object", "properties": {"price": {"$ref": ref}}}

    with pytest.raises(ExternalRefNotAllowed) as raised:
        parse_contract(DRAFT4, schema)

    assert raised.value.details["pointer"] == "/properties/price/$ref"
    assert no_network == []


@pytest.mark.parametrize("ref", EXTERNAL_REFS)
def test_an_openapi_reference_outside_the_document_is_refused_before_any_fetch(
    ref: str, no_network: list[str]
) -> None:
    # openapi-spec-validator itself would open file:// and http(s) references while validating
    document = openapi_doc({"AWSEvent": {"type": "object", "properties": {"price": {"$ref": ref}}}})

    with pytest.raises(ExternalRefNotAllowed) as raised:
        parse_contract(OPENAPI, document)

    assert raised.value.details["pointer"] == "/components/schemas/AWSEvent/properties/price/$ref"
    assert no_network == []


def test_a_reference_through_the_documents_own_id_is_local(example_named: Named) -> None:
    example = example_named("draft4/custom-invoice-issued")
    document = example.content
    document["properties"]["detail"]["$ref"] = f"{document['id'].rstrip('#')}#/definitions/InvoiceIssued"
    contract = parse_contract(DRAFT4, document)

    event = example.event
    event["detail"]["total"] = 0

    assert paths(contract.validate_event(example.event)) == []
    assert paths(contract.validate_event(event)) == ["/detail/total"]


def test_draft4_ignores_dollar_id_so_a_reference_through_it_is_external() -> None:
    schema = {
        "$id": "https://example.com/s.json",
        "definitions": {"a": {}},
        "$ref": "https://example.com/s.json#/definitions/a",
    }

    with pytest.raises(ExternalRefNotAllowed):
        parse_contract(DRAFT4, schema)


def test_a_reference_inside_a_subschema_with_its_own_id_resolves_in_that_subschema(
    no_network: list[str],
) -> None:
    inner = {
        "id": "http://example.com/inner.json",
        "definitions": {"y": {"type": "string"}},
        "properties": {"p": {"$ref": "#/definitions/y"}},
    }
    contract = parse_contract(
        DRAFT4, {"properties": {"x": {"$ref": "#/definitions/inner"}}, "definitions": {"inner": inner}}
    )

    assert paths(contract.validate_event({"x": {"p": 5}})) == ["/x/p"]
    assert no_network == []


def test_a_reference_only_the_root_could_satisfy_is_unresolvable_under_a_subschema_id() -> None:
    inner = {"id": "http://example.com/inner.json", "properties": {"p": {"$ref": "#/definitions/y"}}}
    schema = {"definitions": {"y": {"type": "string"}, "inner": inner}}

    with pytest.raises(UnresolvableRef) as raised:
        parse_contract(DRAFT4, schema)

    assert raised.value.details["pointer"] == "/definitions/inner/properties/p/$ref"


@pytest.mark.parametrize(
    ("ref", "pointer"),
    [("#/definitions/Nope", "/properties/detail/$ref"), ("#nowhere", "/properties/detail/$ref")],
)
def test_a_local_reference_to_nothing_is_refused(ref: str, pointer: str) -> None:
    schema = {"definitions": {"Detail": {"type": "object"}}, "properties": {"detail": {"$ref": ref}}}

    with pytest.raises(UnresolvableRef) as raised:
        parse_contract(DRAFT4, schema)

    assert raised.value.details["pointer"] == pointer


def test_an_openapi_reference_to_a_missing_schema_is_refused() -> None:
    document = openapi_doc({"AWSEvent": {"properties": {"detail": {"$ref": "#/components/schemas/Missing"}}}})

    with pytest.raises(UnresolvableRef) as raised:
        parse_contract(OPENAPI, document)

    assert raised.value.details["pointer"] == "/components/schemas/AWSEvent/properties/detail/$ref"


def test_a_property_named_dollar_ref_is_data_not_a_reference() -> None:
    contract = parse_contract(DRAFT4, {"type": "object", "properties": {"$ref": {"type": "string"}}})

    assert paths(contract.validate_event({"$ref": 5})) == ["/$ref"]


def test_references_with_escaped_pointers_and_anchors_resolve() -> None:
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "definitions": {"a/b": {"type": "string"}, "c~d": {"$id": "#cd", "type": "integer"}},
        "properties": {
            "x": {"$ref": "#/definitions/a~1b"},
            "y": {"$ref": "#/definitions/c~0d"},
            "z": {"$ref": "#cd"},
        },
    }
    contract = parse_contract(DRAFT4, schema)

    assert paths(contract.validate_event({"x": 1, "y": "s", "z": "s"})) == ["/x", "/y", "/z"]


def test_a_recursive_reference_validates_a_tree_shaped_event(example_named: Named) -> None:
    example = example_named("draft4/order-tree")
    contract = parse_contract(example.type, example.text)
    event = example.event
    event["detail"]["lines"][0]["children"][1]["children"][0]["children"] = [
        {"lineId": "x", "kind": "product"}
    ]

    assert paths(contract.validate_event(event)) == [f"{DEEP_LINE}/children/0"]


def test_a_recursive_openapi_schema_is_accepted_and_validates_nested_events() -> None:
    node = {
        "type": "object",
        "properties": {"next": {"$ref": "#/components/schemas/Node"}, "n": {"type": "integer"}},
    }
    contract = parse_contract(OPENAPI, openapi_doc({"Node": node}))

    assert contract.validate_event(chain(50, {"n": 1})) == []
    assert paths(contract.validate_event({"next": {"next": {"n": "x"}}})) == ["/next/next/n"]


# --- depth --------------------------------------------------------------------------------------------------


def test_a_10000_deep_document_is_refused_quickly_at_the_level_that_crosses_the_limit() -> None:
    started = time.perf_counter()

    with pytest.raises(DocumentTooDeep) as raised:
        parse_contract(DRAFT4, chain(10_000, {}))

    assert time.perf_counter() - started < 1
    assert raised.value.details["pointer"] == "/a" * MAX_DEPTH


def test_a_100000_deep_json_string_is_refused_without_crashing() -> None:
    with pytest.raises(DocumentTooDeep):
        parse_contract(DRAFT4, "[" * 100_000 + "]" * 100_000)


def test_a_document_just_under_the_depth_limit_is_accepted() -> None:
    schema: dict[str, Any] = {"type": "integer"}
    for _ in range((MAX_DEPTH - 1) // 2):  # each level is a schema object inside a `properties` object
        schema = {"type": "object", "properties": {"a": schema}}

    contract = parse_contract(DRAFT4, schema)

    assert contract.validate_event(chain(30, {"a": 1})) == []
    assert paths(contract.validate_event(chain(30, {"a": "x"}))) == ["/a" * 31]


def test_a_deep_openapi_document_under_the_limit_is_accepted() -> None:
    schema: dict[str, Any] = {"type": "integer"}
    for _ in range((MAX_DEPTH - 5) // 2):
        schema = {"type": "object", "properties": {"a": schema}}

    assert parse_contract(OPENAPI, openapi_doc({"AWSEvent": schema})).event_root == "AWSEvent"


def test_an_event_nested_too_deeply_gives_one_error_not_a_crash() -> None:
    contract = parse_contract(DRAFT4, {"additionalProperties": {"$ref": "#"}})

    errors = contract.validate_event(chain(100_000, {}))

    assert paths(errors) == ["/a" * EVENT_MAX_DEPTH]


def test_an_event_just_under_the_depth_limit_is_validated_against_a_recursive_schema() -> None:
    contract = parse_contract(DRAFT4, {"type": "object", "additionalProperties": {"$ref": "#"}})

    assert contract.validate_event(chain(EVENT_MAX_DEPTH - 1, {})) == []
    assert paths(contract.validate_event(chain(EVENT_MAX_DEPTH - 1, 5))) == ["/a" * (EVENT_MAX_DEPTH - 1)]


def test_an_event_too_deep_for_the_validator_gives_one_error_not_a_crash() -> None:
    # each event level costs this schema four levels of jsonschema recursion (properties, anyOf, allOf, $ref)
    node = {
        "type": "object",
        "properties": {"a": {"allOf": [{"$ref": "#/components/schemas/Node"}], "nullable": True}},
    }
    contract = parse_contract(OPENAPI, openapi_doc({"Node": node}))

    errors = contract.validate_event(chain(EVENT_MAX_DEPTH - 1, None))

    assert [(error.path, "too deeply nested" in error.message) for error in errors] == [("", True)]


# --- JSON Schema drafts -------------------------------------------------------------------------------------


def test_a_numeric_exclusive_minimum_is_invalid_in_draft4() -> None:
    with pytest.raises(InvalidContract) as raised:
        parse_contract(DRAFT4, {"properties": {"n": {"minimum": 0, "exclusiveMinimum": 5}}})

    assert raised.value.details["pointer"] == "/properties/n/exclusiveMinimum"


def test_a_draft7_schema_is_validated_and_applied_as_draft7() -> None:
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "properties": {"n": {"exclusiveMinimum": 5}},
    }
    contract = parse_contract(DRAFT4, schema)

    assert paths(contract.validate_event({"n": 5})) == ["/n"]
    assert contract.validate_event({"n": 6}) == []


def test_a_2020_12_schema_uses_2020_12_keywords() -> None:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "prefixItems": [{"type": "string"}]}
    contract = parse_contract(DRAFT4, schema)

    assert paths(contract.validate_event([1])) == ["/0"]


def test_a_draft4_event_schema_is_the_document_itself_as_a_copy(example_named: Named) -> None:
    example = example_named("draft4/order-tree")
    contract = parse_contract(example.type, example.text)

    schema = contract.event_schema()
    schema["properties"].clear()

    assert contract.event_schema() == contract.content == example.content


def test_an_event_root_given_for_a_json_schema_contract_is_ignored() -> None:
    assert parse_contract(DRAFT4, {"type": "object"}, event_root="Whatever").event_root is None


# --- OpenAPI 3.1 --------------------------------------------------------------------------------------------


def test_an_openapi_3_1_document_validates_events_as_json_schema_2020_12() -> None:
    detail = {"type": "object", "required": ["note"], "properties": {"note": {"type": ["string", "null"]}}}
    envelope = {"type": "object", "properties": {"detail": {"$ref": "#/components/schemas/Detail"}}}
    document = openapi_doc({"AWSEvent": envelope, "Detail": detail}, version="3.1.0")
    contract = parse_contract(OPENAPI, document)

    assert contract.validate_event({"detail": {"note": None}}) == []
    assert paths(contract.validate_event({"detail": {"note": 5}})) == ["/detail/note"]
    assert paths(contract.validate_event({"detail": {}})) == ["/detail"]


def test_an_openapi_3_1_schema_is_checked_against_its_dialect() -> None:
    document = openapi_doc({"AWSEvent": {"type": "object", "minProperties": "two"}}, version="3.1.0")

    with pytest.raises(InvalidContract) as raised:
        parse_contract(OPENAPI, document)

    assert raised.value.details["pointer"] == "/components/schemas/AWSEvent/minProperties"


# --- event root ---------------------------------------------------------------------------------------------


def test_the_schema_marked_with_a_detail_type_is_the_event_root() -> None:
    schemas = {
        "AWSEvent": {"type": "object"},
        "Envelope": {"type": "object", "x-amazon-events-detail-type": "X"},
    }

    assert parse_contract(OPENAPI, openapi_doc(schemas)).event_root == "Envelope"


def test_without_a_marker_the_schema_named_awsevent_is_the_event_root() -> None:
    schemas = {"Detail": {"type": "object"}, "AWSEvent": {"type": "object"}}

    assert parse_contract(OPENAPI, openapi_doc(schemas)).event_root == "AWSEvent"


def test_a_single_schema_is_the_event_root() -> None:
    assert parse_contract(OPENAPI, openapi_doc({"Ticket": {"type": "object"}})).event_root == "Ticket"


def test_an_event_root_named_by_the_client_wins(example_named: Named) -> None:
    example = example_named("openapi3/custom-order-created")
    contract = parse_contract(example.type, example.text, event_root="Money")

    assert contract.event_root == "Money"
    assert contract.validate_event({"amount": 1, "currency": "EUR"}) == []
    assert set(paths(contract.validate_event(example.event))) == {""}


@pytest.mark.parametrize(
    ("schemas", "event_root"),
    [
        ({"Order": {"type": "object"}, "Money": {"type": "object"}}, None),
        ({}, None),
        ({"Order": {"type": "object"}}, "Missing"),
        (
            {
                "A": {"type": "object", "x-amazon-events-detail-type": "A"},
                "B": {"type": "object", "x-amazon-events-detail-type": "B"},
            },
            None,
        ),
    ],
    ids=["two-unmarked", "none", "named-but-missing", "two-marked"],
)
def test_when_no_event_root_can_be_chosen_the_contract_is_refused(
    schemas: dict[str, Any], event_root: str | None
) -> None:
    with pytest.raises(EventRootNotFound) as raised:
        parse_contract(OPENAPI, openapi_doc(schemas), event_root=event_root)

    assert raised.value.details["pointer"] == "/components/schemas"


# --- OpenAPI 3.0 → JSON Schema ------------------------------------------------------------------------------


def test_nullable_accepts_null_only_where_it_is_declared(example_named: Named) -> None:
    example = example_named("openapi3/custom-order-created")
    contract = parse_contract(example.type, example.text)
    event = example.event
    detail = event["detail"]
    detail["couponCode"] = None  # nullable string
    detail["items"][0]["discount"] = None  # nullable allOf-wrapped $ref
    detail["shippingAddress"]["line2"] = None
    assert contract.validate_event(event) == []

    detail["orderId"] = None
    detail["items"][0]["unitPrice"] = None
    assert paths(contract.validate_event(event)) == ["/detail/items/0/unitPrice", "/detail/orderId"]


def test_nullable_with_an_enum_accepts_null_and_only_the_listed_values() -> None:
    schema = {"type": "object", "properties": {"s": {"type": "string", "enum": ["a", "b"], "nullable": True}}}
    contract = parse_contract(OPENAPI, openapi_doc({"AWSEvent": schema}))

    assert contract.validate_event({"s": None}) == []
    assert contract.validate_event({"s": "a"}) == []
    assert paths(contract.validate_event({"s": "c"})) == ["/s"]


def test_nullable_false_does_not_accept_null() -> None:
    schema = {"type": "object", "properties": {"s": {"type": "string", "nullable": False}}}
    contract = parse_contract(OPENAPI, openapi_doc({"AWSEvent": schema}))

    assert paths(contract.validate_event({"s": None})) == ["/s"]


def test_the_openapi_3_0_event_schema_is_draft4_without_openapi_keywords(example_named: Named) -> None:
    example = example_named("openapi3/custom-payment-processed")
    schema = parse_contract(example.type, example.text).event_schema()
    text = json.dumps(schema)

    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert schema["$ref"] == "#/components/schemas/AWSEvent"
    assert '"nullable"' not in text
    assert '"discriminator"' not in text


def test_boolean_exclusive_bounds_keep_their_draft4_meaning() -> None:
    schema = {
        "type": "object",
        "properties": {"p": {"type": "number", "minimum": 0, "exclusiveMinimum": True}},
    }
    contract = parse_contract(OPENAPI, openapi_doc({"AWSEvent": schema}))

    assert paths(contract.validate_event({"p": 0})) == ["/p"]
    assert contract.validate_event({"p": 0.01}) == []


def test_the_event_schema_is_a_copy_the_caller_may_change(example_named: Named) -> None:
    example = example_named("openapi3/aws-ec2-instance-state-change")
    contract = parse_contract(example.type, example.text)
    before = contract.event_schema()

    mutated = copy.deepcopy(before)
    contract.event_schema()["components"]["schemas"].clear()

    assert contract.event_schema() == before == mutated
    assert contract.validate_event(example.event) == []


def test_places_in_a_translated_openapi_30_schema_map_back_to_the_document() -> None:
    doc = openapi_doc(
        {
            "AWSEvent": {
                "type": "object",
                "properties": {"note": {"type": "string", "nullable": True, "maxLength": 3}},
            }
        }
    )
    contract = parse_contract(OPENAPI, doc)
    note = "/components/schemas/AWSEvent/properties/note"
    assert contract.stored_pointer(f"{note}/anyOf/0/maxLength") == f"{note}/maxLength"
    assert contract.stored_pointer(f"{note}/anyOf/1/type") == f"{note}/nullable"
    assert contract.stored_pointer(note) == note
    assert contract.stored_pointer("") == "/components/schemas/AWSEvent"
    assert contract.stored_pointer("/$ref") == "/components/schemas/AWSEvent"


def test_places_in_a_json_schema_contract_are_their_own() -> None:
    contract = parse_contract(DRAFT4, {"type": "object", "properties": {"a": {"type": "string"}}})
    assert contract.stored_pointer("/properties/a/type") == "/properties/a/type"

"""registry.domain.formats.discovery: contracts inferred from sample events, as EventBridge discovers them."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.domain.errors import InvalidInput, MalformedJson, UnsupportedContractType
from registry.domain.formats import EVENT_MAX_DEPTH, Contract, parse_contract
from registry.domain.formats.discovery import discover_contract
from tests.conftest import examples_dir, load_example

OPENAPI = "OpenApi3"
DRAFT4 = "JSONSchemaDraft4"
TYPES = [OPENAPI, DRAFT4]
STEP_FUNCTIONS = "openapi3/aws-step-functions-execution-status-change"


def envelope(detail: Any, **overrides: Any) -> dict[str, Any]:
    event = {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "Order Placed",
        "source": "com.example.shop",
        "account": "123456789012",
        "time": "2024-05-01T12:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": detail,
    }
    return {**event, **overrides}


def discover(events: list[Any], type_: str = OPENAPI) -> dict[str, Any]:
    return discover_contract([json.dumps(event) for event in events], type_)


def accepted(
    type_: str, content: dict[str, Any], events: list[Any], *, same_identity: bool = True
) -> Contract:
    """The registry's own validation accepts the contract, and every sample event is valid under it.
    Not `same_identity`: the events are of several detail-types or sources, while the contract names the
    first event's (as EventBridge's discovery does), so the others fit its schema but not its identity."""
    contract = parse_contract(type_, content)
    for event in events:
        assert contract.validate_event(event, check_identity=same_identity) == []
        assert contract.validate_event(event, check_formats=True, check_identity=same_identity) == []
    return contract


def schemas_of(content: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = content["components"]["schemas"]
    return schemas


def detail_schema(content: dict[str, Any]) -> dict[str, Any]:
    schemas = schemas_of(content)
    name = schemas["AWSEvent"]["properties"]["detail"]["$ref"].rsplit("/", 1)[-1]
    found: dict[str, Any] = schemas[name]
    return found


def with_sorted_required(document: Any) -> Any:
    """AWS lists `required` in no stable order; compare them as sets."""
    if isinstance(document, dict):
        return {
            key: sorted(value) if key == "required" else with_sorted_required(value)
            for key, value in document.items()
        }
    if isinstance(document, list):
        return [with_sorted_required(item) for item in document]
    return document


def sample_events() -> list[str]:
    return sorted(f"{path.parent.name}/{path.name}" for path in examples_dir().glob("*/*.event.json"))


# --- AWS service events: the layout EventBridge's discovery gives -------------------------------------------


def test_a_step_functions_sample_gives_the_eventbridge_layout_written_out_by_hand() -> None:
    """The expected contract was written from the rules in discovery.py's docstring: every key required,
    null-only values as `{}`, epoch milliseconds as int64, nested objects as components named after their
    property, components in the order their references are first met."""
    event = load_example(f"{STEP_FUNCTIONS}.event.json")

    discovered = discover([event])

    assert with_sorted_required(discovered) == with_sorted_required(load_example(f"{STEP_FUNCTIONS}.json"))
    assert list(schemas_of(discovered)) == [
        "AWSEvent",
        "StepFunctionsExecutionStatusChange",
        "InputDetails",
        "OutputDetails",
    ]
    assert next(iter(schemas_of(discovered)["AWSEvent"]["properties"])) == "detail"


def test_the_ec2_sample_as_draft4_gives_the_export_layout() -> None:
    event = load_example("openapi3/aws-ec2-instance-state-change.event.json")

    discovered = discover([event], DRAFT4)

    assert with_sorted_required(discovered) == with_sorted_required(
        load_example("draft4/aws-ec2-instance-state-change.json")
    )


def test_an_event_without_the_eventbridge_envelope_describes_itself_as_aws_does() -> None:
    # aws/aws-cli awscli/examples/schemas/get-discovered-schema.rst: the event and AWS's answer
    event = {
        "Source": "com.mycompany.myapp",
        "Detail": '{ "key1": "value1", "key2": "value2" }',
        "EventBusName": "default",
        "Resources": ["resource1", "resource2"],
        "DetailType": "myDetailType",
    }
    expected = {
        "openapi": "3.0.0",
        "info": {"version": "1.0.0", "title": "Event"},
        "paths": {},
        "components": {
            "schemas": {
                "Event": {
                    "type": "object",
                    "required": ["EventBusName", "DetailType", "Resources", "Detail", "Source"],
                    "properties": {
                        "Detail": {"type": "string"},
                        "DetailType": {"type": "string"},
                        "EventBusName": {"type": "string"},
                        "Resources": {"type": "array", "items": {"type": "string"}},
                        "Source": {"type": "string"},
                    },
                }
            }
        },
    }

    discovered = discover([event])

    assert with_sorted_required(discovered) == with_sorted_required(expected)
    assert accepted(OPENAPI, discovered, [event]).event_root == "Event"


def test_objects_of_an_event_without_the_envelope_stay_inline_so_the_event_root_is_unambiguous() -> None:
    event = {"order": {"customer": {"id": "c-1"}, "lines": [{"sku": "a", "qty": 1}]}}

    discovered = discover([event])

    assert list(schemas_of(discovered)) == ["Event"]
    order = schemas_of(discovered)["Event"]["properties"]["order"]
    assert order["properties"]["lines"]["items"]["properties"]["qty"] == {
        "type": "integer",
        "format": "int32",
    }
    for type_ in TYPES:
        accepted(type_, discover([event], type_), [event])


# --- every sample event of the examples ---------------------------------------------------------------------


@pytest.mark.parametrize("type_", TYPES)
@pytest.mark.parametrize("path", sample_events())
def test_every_example_event_gives_a_contract_the_registry_accepts_and_the_event_satisfies(
    path: str, type_: str
) -> None:
    event = load_example(path)

    discovered = discover([event], type_)

    contract = accepted(type_, discovered, [event])
    if type_ == OPENAPI:
        assert contract.event_root == "AWSEvent"
    else:
        assert discovered["$schema"] == "http://json-schema.org/draft-04/schema#"
        assert discovered["x-amazon-events-detail-type"] == event["detail-type"]
        assert discovered["x-amazon-events-source"] == event["source"]
        assert discovered["properties"]["detail"]["$ref"].startswith("#/definitions/")


def test_all_example_events_discovered_together_are_each_valid() -> None:
    events = [load_example(path) for path in sample_events()[:10]]

    for type_ in TYPES:
        accepted(type_, discover(events, type_), events, same_identity=False)


# --- the envelope and the detail ----------------------------------------------------------------------------


def test_the_envelope_carries_the_markers_and_refers_to_a_detail_component_named_after_the_detail_type() -> (
    None
):
    event = envelope({"id": "o-1"}, **{"detail-type": "EC2 Instance State-change Notification"})

    discovered = discover([event])

    root = schemas_of(discovered)["AWSEvent"]
    assert root["x-amazon-events-detail-type"] == "EC2 Instance State-change Notification"
    assert root["x-amazon-events-source"] == "com.example.shop"
    assert root["properties"]["detail"] == {"$ref": "#/components/schemas/EC2InstanceStateChangeNotification"}
    assert discovered["info"] == {"version": "1.0.0", "title": "EC2InstanceStateChangeNotification"}
    assert discovered["paths"] == {}
    assert discovered["openapi"] == "3.0.0"


@pytest.mark.parametrize(
    ("detail_type", "name"),
    [
        ("Step Functions Execution Status Change", "StepFunctionsExecutionStatusChange"),
        ("userCreated", "UserCreated"),
        ("Order.Created", "OrderCreated"),
        ("ECS Task State Change", "ECSTaskStateChange"),
        ("AWS Event", "AWSEventDetail"),  # not the envelope's own name
        ("", "Detail"),
        ("注文", "Detail"),  # component names are ASCII
    ],
)
def test_the_detail_component_is_the_detail_type_in_camel_case(detail_type: str, name: str) -> None:
    event = envelope({"id": "o-1"}, **{"detail-type": detail_type})

    discovered = discover([event])

    assert list(schemas_of(discovered)) == ["AWSEvent", name]
    accepted(OPENAPI, discovered, [event])


def test_the_time_is_a_date_time_and_the_envelope_keys_are_all_required() -> None:
    root = schemas_of(discover([envelope({})]))["AWSEvent"]

    assert root["properties"]["time"] == {"type": "string", "format": "date-time"}
    assert root["required"] == [
        "detail-type", "resources", "detail", "id", "source", "time", "region", "version", "account"
    ]  # fmt: skip


def test_a_time_that_is_not_a_date_time_is_only_a_string() -> None:
    event = envelope({}, time="yesterday")

    discovered = discover([event])

    assert schemas_of(discovered)["AWSEvent"]["properties"]["time"] == {"type": "string"}
    accepted(OPENAPI, discovered, [event])


def test_resources_seen_only_empty_are_strings_as_eventbridge_guarantees() -> None:
    resources = schemas_of(discover([envelope({})]))["AWSEvent"]["properties"]["resources"]

    assert resources == {"type": "array", "items": {"type": "string"}}


def test_an_empty_detail_is_still_a_component() -> None:
    discovered = discover([envelope({})])

    assert detail_schema(discovered) == {"type": "object"}


# --- types --------------------------------------------------------------------------------------------------


def test_scalars_are_typed_integers_by_width_and_null_only_values_as_anything() -> None:
    event = envelope(
        {"s": "x", "b": True, "small": 7, "big": 1551225146847, "huge": 2**70, "real": 2.5, "nothing": None}
    )

    properties = detail_schema(discover([event]))["properties"]

    assert properties == {
        "b": {"type": "boolean"},
        "big": {"type": "integer", "format": "int64"},
        "huge": {"type": "integer"},
        "nothing": {},
        "real": {"type": "number", "format": "double"},
        "s": {"type": "string"},
        "small": {"type": "integer", "format": "int32"},
    }
    assert list(properties) == sorted(properties)


def test_arrays_are_typed_by_their_items_and_empty_ones_admit_anything() -> None:
    event = envelope({"tags": ["a"], "matrix": [[1, 2], [3]], "empty": [], "mixed": [1, "a"]})

    properties = detail_schema(discover([event]))["properties"]

    assert properties["tags"] == {"type": "array", "items": {"type": "string"}}
    assert properties["matrix"] == {
        "type": "array",
        "items": {"type": "array", "items": {"type": "integer", "format": "int32"}},
    }
    assert properties["empty"] == {"type": "array", "items": {}}
    assert properties["mixed"]["items"] == {
        "anyOf": [{"type": "string"}, {"type": "integer", "format": "int32"}]
    }


def test_nested_objects_are_components_named_after_their_properties() -> None:
    event = envelope({"customer": {"id": "c-1", "address": {"city": "Oslo"}}, "lines": [{"sku": "a"}]})

    discovered = discover([event])

    schemas = schemas_of(discovered)
    assert list(schemas) == ["AWSEvent", "OrderPlaced", "Customer", "LinesItem", "Address"]  # breadth first
    assert schemas["OrderPlaced"]["properties"]["customer"] == {"$ref": "#/components/schemas/Customer"}
    assert schemas["OrderPlaced"]["properties"]["lines"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/LinesItem"},
    }
    assert schemas["Customer"]["properties"]["address"] == {"$ref": "#/components/schemas/Address"}
    assert schemas["Address"] == {
        "type": "object",
        "required": ["city"],
        "properties": {"city": {"type": "string"}},
    }


def test_one_name_for_two_shapes_takes_the_parents_name_and_one_shape_keeps_one_component() -> None:
    event = envelope(
        {
            "billing": {"address": {"city": "Oslo"}},
            "shipping": {"address": {"city": "Bergen"}},
            "seller": {"address": {"street": "Main", "zip": "1"}},
            "buyer": {"address": {"street": "Side", "zip": "2", "floor": 3}},
        }
    )

    discovered = discover([event])

    schemas = schemas_of(discovered)
    refs = {name: schemas[name.title()]["properties"]["address"]["$ref"] for name in ("billing", "shipping")}
    assert refs["billing"] == refs["shipping"] == "#/components/schemas/Address"
    assert schemas["Seller"]["properties"]["address"] == {"$ref": "#/components/schemas/SellerAddress"}
    assert schemas["Buyer"]["properties"]["address"] == {"$ref": "#/components/schemas/BuyerAddress"}
    accepted(OPENAPI, discovered, [event])


def test_a_nested_object_named_like_the_detail_does_not_replace_it() -> None:
    event = envelope({"orderPlaced": {"at": "now"}})

    schemas = schemas_of(discover([event]))

    assert schemas["OrderPlaced"]["properties"]["orderPlaced"] == {
        "$ref": "#/components/schemas/OrderPlacedOrderPlaced"
    }
    assert schemas["OrderPlacedOrderPlaced"]["properties"] == {"at": {"type": "string"}}


# --- several events -----------------------------------------------------------------------------------------


def test_several_events_give_the_union_of_properties_and_require_what_every_event_has() -> None:
    first = envelope({"id": "1", "total": 5, "note": "gift", "lines": [{"sku": "a", "qty": 1}]})
    second = envelope({"id": "2", "total": 7.5, "coupon": None, "lines": [{"sku": "b"}]})

    discovered = discover([first, second])

    detail = detail_schema(discovered)
    assert detail["required"] == ["id", "lines", "total"]
    assert set(detail["properties"]) == {"coupon", "id", "lines", "note", "total"}
    assert detail["properties"]["total"] == {"type": "number", "format": "double"}
    assert schemas_of(discovered)["LinesItem"]["required"] == ["sku"]
    for type_ in TYPES:
        accepted(type_, discover([first, second], type_), [first, second])


def test_conflicting_types_widen_to_any_of_and_null_makes_them_nullable() -> None:
    events = [
        envelope({"code": 1, "maybe": "x", "either": {"k": 1}, "mixed": "a"}),
        envelope({"code": "one", "maybe": None, "either": None, "mixed": None}),
        envelope({"code": True, "maybe": "y", "either": {"k": 2}, "mixed": 3}),
    ]

    discovered = discover(events)

    properties = detail_schema(discovered)["properties"]
    assert properties["code"] == {
        "anyOf": [{"type": "boolean"}, {"type": "string"}, {"type": "integer", "format": "int32"}]
    }
    assert properties["maybe"] == {"type": "string", "nullable": True}
    assert properties["either"] == {"allOf": [{"$ref": "#/components/schemas/Either"}], "nullable": True}
    assert properties["mixed"] == {
        "anyOf": [{"type": "string"}, {"type": "integer", "format": "int32"}],
        "nullable": True,
    }
    accepted(OPENAPI, discovered, events)


def test_in_draft4_nullable_becomes_a_null_type_or_a_null_branch() -> None:
    events = [
        envelope({"maybe": "x", "either": {"k": 1}, "mixed": "a"}),
        envelope({"maybe": None, "either": None, "mixed": 3}),
        envelope({"maybe": "y", "either": {"k": 2}, "mixed": None}),
    ]

    discovered = discover(events, DRAFT4)

    properties = discovered["definitions"]["OrderPlaced"]["properties"]
    assert properties["maybe"] == {"type": ["string", "null"]}
    assert properties["either"] == {"anyOf": [{"$ref": "#/definitions/Either"}, {"type": "null"}]}
    assert properties["mixed"] == {
        "anyOf": [{"type": "string"}, {"type": "integer", "format": "int32"}, {"type": "null"}]
    }
    accepted(DRAFT4, discovered, events)


def test_the_markers_come_from_the_first_event() -> None:
    events = [envelope({}, source="a.first"), envelope({}, source="b.second")]

    root = schemas_of(discover(events))["AWSEvent"]

    assert root["x-amazon-events-source"] == "a.first"
    assert root["properties"]["source"] == {"type": "string"}


def test_discovery_does_not_change_its_input() -> None:
    events = [json.dumps(envelope({"a": [1, {"b": None}]}))]
    before = copy.deepcopy(events)

    discover_contract(events, OPENAPI)

    assert events == before


# --- limits -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("type_", TYPES)
@pytest.mark.parametrize("shape", ["objects", "arrays", "mixed"])
def test_deeply_nested_events_stay_within_the_contract_nesting_limit(shape: str, type_: str) -> None:
    value: Any = "leaf"
    for _ in range(EVENT_MAX_DEPTH - 3 if shape != "mixed" else EVENT_MAX_DEPTH // 2 - 3):
        value = {"objects": {"a": value}, "arrays": [value], "mixed": {"a": [value, None, 1]}}[shape]
    event = envelope(value)

    accepted(type_, discover([event], type_), [event])


@pytest.mark.parametrize("type_", TYPES)
def test_wide_events_at_the_size_limit_are_discovered(type_: str) -> None:
    events = [envelope({f"field{n}_{i}": {"value": n, "tags": ["x"]} for i in range(1500)}) for n in range(3)]
    assert all(len(json.dumps(event)) < 100_000 for event in events)

    accepted(type_, discover(events, type_), events)


# --- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([], "1 to 10"),
        ([json.dumps(envelope({}))] * 11, "at most 10"),
        ("{}", "1 to 10"),
        ([{"detail": {}}], "must be a string"),
        (["x" * 100_001], "at most 100000"),
        (["[1, 2]"], "JSON object, not an array"),
        (['"text"'], "JSON object, not a string"),
        (["null"], "JSON object, not null"),
        (['{"a": "\\ud800"}'], "not Unicode"),
        (["[" * 200 + "]" * 200], "JSON object"),
        (['{"a":' * 200 + "1" + "}" * 200], "nests deeper"),
        (['{"a":' * 5000 + "1" + "}" * 5000], "nests deeper"),
    ],
)
def test_events_that_cannot_be_samples_are_refused_with_a_reason(events: Any, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        discover_contract(events, OPENAPI)

    assert message in raised.value.message


@pytest.mark.parametrize("text", ["{not json", "", '{"a": NaN}', '{"a": Infinity}', "{} trailing"])
def test_text_that_is_not_json_is_malformed_json(text: str) -> None:
    with pytest.raises(MalformedJson) as raised:
        discover_contract([json.dumps(envelope({})), text], OPENAPI)

    assert raised.value.details["event"] == 1
    assert "event 1 is not JSON" in raised.value.message


@pytest.mark.parametrize("type_", ["JSONSchemaDraft7", "openapi3", "", "Avro"])
def test_only_the_two_eventbridge_types_are_supported(type_: str) -> None:
    with pytest.raises(UnsupportedContractType) as raised:
        discover_contract([json.dumps(envelope({}))], type_)

    assert "'OpenApi3' or 'JSONSchemaDraft4'" in raised.value.message


# --- any detail ---------------------------------------------------------------------------------------------

JSON_SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)
DETAILS = st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=6)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(details=st.lists(DETAILS, min_size=1, max_size=3), type_=st.sampled_from(TYPES))
def test_any_details_give_a_contract_the_registry_accepts_and_every_sample_satisfies(
    details: list[dict[str, Any]], type_: str
) -> None:
    events = [envelope(detail) for detail in details]

    accepted(type_, discover(events, type_), events)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.lists(DETAILS, min_size=1, max_size=3))
def test_any_objects_without_the_envelope_give_an_accepted_contract(events: list[dict[str, Any]]) -> None:
    for type_ in TYPES:
        accepted(type_, discover(events, type_), events, same_identity=False)


@pytest.mark.parametrize("type_", TYPES)
def test_property_names_that_look_like_keywords_or_pointers_are_only_names(type_: str) -> None:
    odd = {
        "$ref": {"x": 1},
        "": {"y": "z"},
        "a/b~c": [{"d": 1}],
        "über": {"ß": True},
        "properties": {"type": 1},
    }
    event = envelope(odd)

    discovered = discover([event], type_)

    accepted(type_, discovered, [event])
    contract = parse_contract(type_, discovered)
    assert contract.validate_event(envelope({**odd, "$ref": {"x": "one"}})) != []

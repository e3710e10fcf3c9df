"""Compatibility modes on registration, the dry run, any two versions and the matrix, on both databases."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import jsonschema
import pytest

from tests.conftest import load_example

SCHEMA = "/registries/orders/schemas/OrderStatus"
VERSIONS = f"{SCHEMA}/versions"


def statuses(*values: str) -> dict[str, Any]:
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {"status": {"type": "string", "enum": list(values)}},
        "required": ["status"],
    }


def register(client: httpx.AsyncClient, content: dict[str, Any]) -> Any:
    return client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": content})


@pytest.fixture(autouse=True)
async def orders_registry(client: httpx.AsyncClient) -> None:
    assert (await client.put("/registries/orders", json={})).status_code == 201


def assert_proven(finding: dict[str, Any], producer: dict[str, Any], consumer: dict[str, Any]) -> None:
    assert finding["proven"] is True
    jsonschema.validate(finding["witness"], producer)
    assert not jsonschema.Draft4Validator(consumer).is_valid(finding["witness"])


async def test_backward_refuses_a_narrowed_enum_with_a_proven_witness(client: httpx.AsyncClient) -> None:
    assert (await register(client, statuses("NEW", "PAID"))).status_code == 201
    refused = await register(client, statuses("NEW"))
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "incompatible_version"
    report = error["details"]
    assert report["compatible"] is False
    assert report["mode"] == "BACKWARD"
    assert report["policy"] == "STRICT"
    assert report["checked"] == [{"producer": 1, "consumer": "new"}]
    finding = report["incompatibilities"][0]
    assert finding["producer"] == 1 and finding["consumer"] == "new"
    assert finding["rule"] and finding["message"]
    assert_proven(finding, statuses("NEW", "PAID"), statuses("NEW"))
    assert [v["version"] for v in (await client.get(VERSIONS)).json()["items"]] == [1]


async def test_backward_accepts_a_widened_enum(client: httpx.AsyncClient) -> None:
    await register(client, statuses("NEW", "PAID"))
    assert (await register(client, statuses("NEW", "PAID", "SHIPPED"))).status_code == 201


async def test_forward_refuses_what_backward_accepts(client: httpx.AsyncClient) -> None:
    await client.put("/registries/orders", json={"compatibility": "FORWARD"})
    await register(client, statuses("NEW", "PAID"))
    refused = await register(client, statuses("NEW", "PAID", "SHIPPED"))
    assert refused.status_code == 409
    finding = refused.json()["error"]["details"]["incompatibilities"][0]
    assert finding["producer"] == "new" and finding["consumer"] == 1
    assert finding["witness"] == {"status": "SHIPPED"}


async def test_none_accepts_anything_and_a_schema_override_beats_the_registry(
    client: httpx.AsyncClient,
) -> None:
    await register(client, statuses("NEW", "PAID"))
    await client.patch(SCHEMA, json={"compatibility": "NONE"})
    assert (await register(client, statuses("NEW"))).status_code == 201
    await client.patch(SCHEMA, json={"compatibility": None})  # back to the registry's BACKWARD
    assert (await register(client, statuses("SHIPPED"))).status_code == 409


async def test_registering_existing_content_returns_it_whatever_the_mode(client: httpx.AsyncClient) -> None:
    await register(client, statuses("NEW", "PAID"))
    await register(client, statuses("NEW", "PAID", "SHIPPED"))
    again = await register(client, statuses("NEW", "PAID"))
    assert again.status_code == 200
    assert again.json()["version"] == 1


async def test_transitive_modes_check_every_earlier_version(client: httpx.AsyncClient) -> None:
    await register(client, statuses("NEW", "PAID"))
    await client.patch(SCHEMA, json={"compatibility": "NONE"})
    await register(client, statuses("NEW"))
    await client.patch(SCHEMA, json={"compatibility": "BACKWARD_TRANSITIVE"})
    refused = await register(client, statuses("NEW", "SHIPPED"))
    assert refused.status_code == 409
    report = refused.json()["error"]["details"]
    assert report["checked"] == [{"producer": 2, "consumer": "new"}, {"producer": 1, "consumer": "new"}]
    assert {finding["producer"] for finding in report["incompatibilities"]} == {1}
    await client.patch(SCHEMA, json={"compatibility": "BACKWARD"})
    assert (await register(client, statuses("NEW", "SHIPPED"))).status_code == 201


async def test_lenient_lets_a_producer_add_an_optional_property(client: httpx.AsyncClient) -> None:
    open_v1 = {"type": "object", "properties": {"id": {"type": "string"}}}
    open_v2 = {"type": "object", "properties": {"id": {"type": "string"}, "note": {"type": "integer"}}}
    await register(client, open_v1)
    strict = await register(client, open_v2)
    assert strict.status_code == 409  # STRICT: an event of v1 may carry "note" as anything
    assert_proven(strict.json()["error"]["details"]["incompatibilities"][0], open_v1, open_v2)
    await client.patch(SCHEMA, json={"compatibility_policy": "LENIENT"})
    assert (await register(client, open_v2)).status_code == 201


async def test_the_dry_run_reports_and_stores_nothing(client: httpx.AsyncClient) -> None:
    first = await client.post(
        f"{SCHEMA}/compatibility", json={"type": "JSONSchemaDraft4", "content": statuses("A")}
    )
    assert first.status_code == 200
    assert first.json() == {
        "compatible": True,
        "mode": "BACKWARD",
        "policy": "STRICT",
        "checked": [],
        "incompatibilities": [],
    }
    await register(client, statuses("A", "B"))
    dry = await client.post(
        f"{SCHEMA}/compatibility", json={"type": "JSONSchemaDraft4", "content": statuses("A")}
    )
    assert dry.status_code == 200
    assert dry.json()["compatible"] is False
    assert dry.json()["incompatibilities"][0]["witness"] == {"status": "B"}
    assert [v["version"] for v in (await client.get(VERSIONS)).json()["items"]] == [1]


async def test_the_dry_run_can_gate_ci_with_its_status(client: httpx.AsyncClient) -> None:
    gate = f"{SCHEMA}/compatibility?fail_if_incompatible=true"
    first = await client.post(gate, json={"type": "JSONSchemaDraft4", "content": statuses("A")})
    assert (first.status_code, first.json()["compatible"]) == (200, True)  # a new schema: nothing to break
    await register(client, statuses("A", "B"))
    compatible = await client.post(
        gate, json={"type": "JSONSchemaDraft4", "content": statuses("A", "B", "C")}
    )
    assert (compatible.status_code, compatible.json()["compatible"]) == (200, True)
    refused = await client.post(gate, json={"type": "JSONSchemaDraft4", "content": statuses("A")})
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "incompatible_version"
    # the report a registration would give, and that the dry run answers with 200 without the flag
    registration = await register(client, statuses("A"))
    assert registration.json()["error"] == error
    plain = await client.post(
        f"{SCHEMA}/compatibility", json={"type": "JSONSchemaDraft4", "content": statuses("A")}
    )
    assert (plain.status_code, plain.json()) == (200, error["details"])
    assert [v["version"] for v in (await client.get(VERSIONS)).json()["items"]] == [1]


async def test_any_two_versions_can_be_compared_whatever_the_mode(client: httpx.AsyncClient) -> None:
    await client.put("/registries/orders", json={"compatibility": "NONE"})
    await register(client, statuses("A", "B"))
    await register(client, statuses("A"))
    forward = await client.get(f"{SCHEMA}/compatibility", params={"producer": 2, "consumer": 1})
    assert forward.json()["compatible"] is True
    backward = await client.get(f"{SCHEMA}/compatibility", params={"producer": "1", "consumer": "latest"})
    body = backward.json()
    assert body["compatible"] is False
    assert "mode" not in body  # the schema's mode (NONE) plays no part in a question about two versions
    assert body["policy"] == "STRICT"
    assert body["checked"] == [{"producer": 1, "consumer": 2}]
    assert body["incompatibilities"][0]["witness"] == {"status": "B"}
    missing = await client.get(f"{SCHEMA}/compatibility", params={"producer": 7, "consumer": 1})
    assert missing.status_code == 404


async def test_the_matrix_compares_every_pair(client: httpx.AsyncClient) -> None:
    await client.put("/registries/orders", json={"compatibility": "NONE"})
    for content in (statuses("A"), statuses("A", "B"), statuses("B")):
        await register(client, content)
    matrix = (await client.get(f"{SCHEMA}/compatibility/matrix")).json()
    assert (matrix["rows"], matrix["columns"]) == ("producer", "consumer")
    assert matrix["versions"] == [1, 2, 3]
    assert matrix["compatible"] == [
        [True, True, False],  # producer 1: read by 1 and 2
        [False, True, False],  # producer 2: only by itself
        [False, True, True],  # producer 3: by 2 and itself
    ]


async def test_the_matrix_crosses_the_range_asked_at_most_limit_versions(client: httpx.AsyncClient) -> None:
    await client.put("/registries/orders", json={"compatibility": "NONE"})
    for count in range(1, 8):  # each version adds a status: every newer one reads every older one
        assert (await register(client, statuses(*"ABCDEFG"[:count]))).status_code == 201
    url = f"{SCHEMA}/compatibility/matrix"

    async def crossed(query: str) -> dict[str, Any]:
        answer = await client.get(f"{url}?{query}")
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        assert (found["lowest"], found["highest"]) == (1, 7)
        return found

    middle = await crossed("from=3&to=5")
    assert middle["versions"] == [3, 4, 5]
    assert middle["compatible"] == [[True, True, True], [False, True, True], [False, False, True]]
    assert (await crossed("from=3&to=6&limit=2"))["versions"] == [5, 6]  # the latest of the range
    assert (await crossed("from=3&limit=2"))["versions"] == [3, 4]  # from alone: the earliest
    assert (await crossed("to=2"))["versions"] == [1, 2]
    assert (await crossed("limit=3"))["versions"] == [5, 6, 7]
    assert (await crossed("from=4&to=4"))["compatible"] == [[True]]
    assert (await crossed("from=8")) == {  # past the end: nothing to cross, and where the versions are
        "policy": "STRICT",
        "rows": "producer",
        "columns": "consumer",
        "versions": [],
        "compatible": [],
        "lowest": 1,
        "highest": 7,
    }


async def test_a_bad_matrix_range_is_refused_with_a_stable_code(client: httpx.AsyncClient) -> None:
    assert (await register(client, statuses("A"))).status_code == 201
    url = f"{SCHEMA}/compatibility/matrix"
    backwards = await client.get(f"{url}?from=5&to=2")
    assert backwards.status_code == 422
    assert backwards.json()["error"]["code"] == "invalid_version_range"
    assert backwards.json()["error"]["details"] == {"from": 5, "to": 2}
    for bad in (
        "from=0",
        "to=-1",
        "from=x",
        "to=1000000000",
        "from=99999999999999999999",
        "limit=0",
        "limit=101",
        "limit=",
        "from=1.5",
    ):
        refused = await client.get(f"{url}?{bad}")
        assert refused.status_code == 422, bad
        assert refused.json()["error"]["code"] == "invalid_request", bad
    missing = await client.get("/registries/orders/schemas/Nothing/compatibility/matrix?from=1&to=2")
    assert missing.json()["error"]["code"] == "schema_not_found"


def order_created() -> dict[str, Any]:
    return copy.deepcopy(load_example("openapi3/custom-order-created.json"))


async def test_openapi_contracts_are_compared_on_their_event_roots(client: httpx.AsyncClient) -> None:
    await client.put("/registries/orders", json={"compatibility": "FULL"})
    openapi = "/registries/orders/schemas/OrderCreated/versions"
    assert (
        await client.post(openapi, json={"type": "OpenApi3", "content": order_created()})
    ).status_code == 201
    renamed = order_created()
    schemas = renamed["components"]["schemas"]
    schemas["Buyer"] = schemas.pop("Customer")
    schemas["OrderCreated"]["properties"]["customer"]["$ref"] = "#/components/schemas/Buyer"
    renamed["info"]["title"] = "OrderCreated, customer renamed"
    accepted = await client.post(openapi, json={"type": "OpenApi3", "content": renamed})
    assert accepted.status_code == 201, accepted.text  # renaming a component changes no event
    narrowed = order_created()
    narrowed["components"]["schemas"]["OrderCreated"]["properties"]["status"]["enum"].remove("ON_HOLD")
    refused = await client.post(openapi, json={"type": "OpenApi3", "content": narrowed})
    assert refused.status_code == 409
    finding = refused.json()["error"]["details"]["incompatibilities"][0]
    assert finding["producer_path"].startswith("/components/schemas/OrderCreated/properties/status")
    assert finding["proven"] is True
    witness = finding["witness"]
    assert witness["detail"]["status"] == "ON_HOLD"
    check = await client.post(f"{openapi}/2/validate", json=witness)
    assert check.json()["valid"] is True  # the producer (version 2) accepts the witness


def customer_registered() -> dict[str, Any]:
    return copy.deepcopy(load_example("openapi3/custom-customer-registered.json"))


async def test_lenient_finds_a_narrowing_inside_an_allof_composed_component(
    client: httpx.AsyncClient,
) -> None:
    # Profile = allOf [PersonName, own members]: LENIENT closes each branch, but with the names of both
    await client.put("/registries/orders", json={"compatibility_policy": "LENIENT"})
    versions = "/registries/orders/schemas/CustomerRegistered/versions"
    first = await client.post(versions, json={"type": "OpenApi3", "content": customer_registered()})
    assert first.status_code == 201
    added = customer_registered()
    added["components"]["schemas"]["Profile"]["allOf"][1]["properties"]["nickname"] = {"type": "string"}
    assert (await client.post(versions, json={"type": "OpenApi3", "content": added})).status_code == 201
    narrowed = copy.deepcopy(added)
    narrowed["components"]["schemas"]["PersonName"]["properties"]["givenName"]["maxLength"] = 2
    refused = await client.post(versions, json={"type": "OpenApi3", "content": narrowed})
    assert refused.status_code == 409
    report = refused.json()["error"]["details"]
    assert report["policy"] == "LENIENT"
    (finding,) = report["incompatibilities"]
    assert finding["rule"] == "max_length_lowered" and finding["proven"] is True
    assert finding["producer_path"] == "/components/schemas/PersonName/properties/givenName"
    profile = finding["witness"]["detail"]["profile"]
    assert len(profile["givenName"]) > 2 and "locale" in profile  # both branches' members, in one event
    check = await client.post(f"{versions}/2/validate", json=finding["witness"])
    assert check.json()["valid"] is True  # the producer accepts the witness


async def test_a_409_for_a_property_added_to_an_open_model_says_how_to_fix_it(
    client: httpx.AsyncClient,
) -> None:
    await register(client, {"type": "object", "properties": {"id": {"type": "string"}}})
    added = {"type": "object", "properties": {"id": {"type": "string"}, "note": {"type": "integer"}}}
    refused = await register(client, added)
    assert refused.status_code == 409
    (finding,) = refused.json()["error"]["details"]["incompatibilities"]
    assert finding["rule"] == "property_added_to_open_model"
    assert finding["message"] == (
        "the producer may already send 'note' with other values, as its object is open: to allow this "
        "change, close the producer's object (`additionalProperties: false`) or use the LENIENT "
        "compatibility policy"
    )

"""The semantic diff of two versions (`GET .../diff`), on both databases: each change with its place in the
contract as stored, its summary, its effect in both directions as the checker found it, and a witness that
jsonschema confirms for every breaking effect."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import jsonschema
import pytest
from sqlalchemy import Engine

from registry import access
from registry.domain.auth import Role
from registry.storage.database import make_session_factory
from registry.storage.unit_of_work import UnitOfWork
from tests.conftest import load_example

SCHEMA = "/registries/orders/schemas/Order"
VERSIONS = f"{SCHEMA}/versions"
DRAFT4 = "http://json-schema.org/draft-04/schema#"

ORDER_V1: dict[str, Any] = {
    "$schema": DRAFT4,
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["NEW", "PAID"]},
        "amount": {"type": "number", "maximum": 100},
        "currency": {"type": "string", "description": "ISO 4217"},
        "note": {"type": "string"},
    },
    "required": ["status"],
    "additionalProperties": False,
}
ORDER_V2: dict[str, Any] = {
    "$schema": DRAFT4,
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["NEW"]},
        "amount": {"type": "number", "maximum": 50},
        "currency": {"type": "string", "description": "an ISO 4217 code"},
    },
    "required": ["status", "currency"],
    "additionalProperties": False,
}
COMPATIBLE = {"new_reads_old": "compatible", "old_reads_new": "compatible"}
NEW_BREAKS = {"new_reads_old": "breaking", "old_reads_new": "compatible"}
OLD_BREAKS = {"new_reads_old": "compatible", "old_reads_new": "breaking"}


@pytest.fixture(autouse=True)
async def orders_registry(client: httpx.AsyncClient) -> None:
    assert (await client.put("/registries/orders", json={"compatibility": "NONE"})).status_code == 201


async def register(client: httpx.AsyncClient, content: dict[str, Any], kind: str = "JSONSchemaDraft4") -> int:
    response = await client.post(VERSIONS, json={"type": kind, "content": content})
    assert response.status_code in (200, 201), response.text
    return int(response.json()["version"])


async def diff(client: httpx.AsyncClient, old: int | str, new: int | str, **params: str) -> Any:
    response = await client.get(f"{SCHEMA}/diff", params={"from": old, "to": new, **params})
    assert response.status_code == 200, response.text
    return response.json()


def outline(body: Any) -> list[tuple[str, str, str, dict[str, str]]]:
    return [(c["op"], c["path"], c["summary"], c["effect"]) for c in body["changes"]]


def assert_witnesses(body: Any, old: dict[str, Any], new: dict[str, Any]) -> None:
    """A witness for each breaking effect and for no other: valid for that direction's producer, invalid
    for its consumer."""
    for change in body["changes"]:
        breaking = {d for d, effect in change["effect"].items() if effect == "breaking"}
        assert set(change["witness"]) == breaking, change
        for direction, witness in change["witness"].items():
            producer, consumer = (old, new) if direction == "new_reads_old" else (new, old)
            assert jsonschema.Draft4Validator(producer).is_valid(witness), (direction, witness)
            assert not jsonschema.Draft4Validator(consumer).is_valid(witness), (direction, witness)


async def test_tightening_breaks_new_readers_and_loosening_old_ones_each_with_a_verified_witness(
    client: httpx.AsyncClient,
) -> None:
    await register(client, ORDER_V1)
    await register(client, ORDER_V2)
    body = await diff(client, 1, 2)
    assert (body["from"], body["to"], body["policy"]) == (1, 2, "STRICT")
    assert outline(body) == [
        (
            "changed",
            "/properties/amount/maximum",
            "maximum of property 'amount' tightened from 100 to 50",
            NEW_BREAKS,
        ),
        (
            "changed",
            "/properties/currency/description",
            "description of property 'currency' changed (annotation only)",
            COMPATIBLE,
        ),
        ("removed", "/properties/note", "property 'note' removed", NEW_BREAKS),
        (
            "removed",
            "/properties/status/enum/1",
            "enum value \"PAID\" removed from property 'status'",
            NEW_BREAKS,
        ),
        ("added", "/required/1", "property 'currency' became required", NEW_BREAKS),
    ]
    assert body["compatible"] == {"backward": False, "forward": True}
    assert_witnesses(body, ORDER_V1, ORDER_V2)
    by_path = {change["path"]: change for change in body["changes"]}
    assert by_path["/properties/status/enum/1"]["witness"]["new_reads_old"]["status"] == "PAID"
    assert by_path["/properties/status/enum/1"]["before"] == "PAID"
    assert "after" not in by_path["/properties/status/enum/1"]
    assert (
        by_path["/properties/amount/maximum"]["before"],
        by_path["/properties/amount/maximum"]["after"],
    ) == (
        100,
        50,
    )
    assert [r["rule"] for r in by_path["/required/1"]["reasons"]["new_reads_old"]] == ["required_added"]
    assert by_path["/properties/currency/description"]["witness"] == {}
    # the other way round, the same changes loosen, and break old readers
    body = await diff(client, 2, 1)
    assert outline(body) == [
        (
            "changed",
            "/properties/amount/maximum",
            "maximum of property 'amount' loosened from 50 to 100",
            OLD_BREAKS,
        ),
        (
            "changed",
            "/properties/currency/description",
            "description of property 'currency' changed (annotation only)",
            COMPATIBLE,
        ),
        ("added", "/properties/note", "property 'note' added", OLD_BREAKS),
        ("added", "/properties/status/enum/1", "enum value \"PAID\" added to property 'status'", OLD_BREAKS),
        ("removed", "/required/1", "property 'currency' became optional", OLD_BREAKS),
    ]
    assert body["compatible"] == {"backward": True, "forward": False}
    assert_witnesses(body, ORDER_V2, ORDER_V1)


async def test_identical_versions_and_renamed_definitions_have_no_changes(client: httpx.AsyncClient) -> None:
    money = {"type": "object", "properties": {"currency": {"type": "string"}}, "required": ["currency"]}
    named = {
        "type": "object",
        "definitions": {"Money": money},
        "properties": {"net": {"$ref": "#/definitions/Money"}, "tax": {"$ref": "#/definitions/Money"}},
    }
    renamed = {
        "type": "object",
        "definitions": {"Amount": money},
        "properties": {"net": {"$ref": "#/definitions/Amount"}, "tax": {"$ref": "#/definitions/Amount"}},
    }
    inlined = {"type": "object", "properties": {"net": money, "tax": money}}
    for content in (named, renamed, inlined):
        await register(client, content)
    unchanged = {"changes": [], "compatible": {"backward": True, "forward": True}, "policy": "STRICT"}
    assert await diff(client, 1, 1) == {"from": 1, "to": 1, **unchanged}
    assert await diff(client, 1, 2) == {"from": 1, "to": 2, **unchanged}
    assert await diff(client, 2, "latest") == {"from": 2, "to": 3, **unchanged}
    optional = {key: value for key, value in money.items() if key != "required"}
    await register(client, {**renamed, "definitions": {"Amount": optional}})
    # removed: where it was in version 1, under the definition's old name
    assert outline(await diff(client, 1, 4)) == [
        ("removed", "/definitions/Money/required/0", "property 'net.currency' became optional", OLD_BREAKS)
    ]


def order_created() -> dict[str, Any]:
    return copy.deepcopy(load_example("openapi3/custom-order-created.json"))


async def test_openapi_contracts_are_diffed_on_their_event_roots(client: httpx.AsyncClient) -> None:
    await register(client, order_created(), "OpenApi3")
    renamed = order_created()
    schemas = renamed["components"]["schemas"]
    schemas["Buyer"] = schemas.pop("Customer")
    schemas["OrderCreated"]["properties"]["customer"]["$ref"] = "#/components/schemas/Buyer"
    renamed["info"]["title"] = "OrderCreated, customer renamed"
    await register(client, renamed, "OpenApi3")
    assert (await diff(client, 1, 2))["changes"] == []  # a component renamed; no part of the event
    narrowed = copy.deepcopy(renamed)
    schemas = narrowed["components"]["schemas"]
    schemas["OrderCreated"]["properties"]["status"]["enum"].remove("ON_HOLD")
    schemas["Buyer"]["properties"]["email"]["description"] = "where receipts go"
    await register(client, narrowed, "OpenApi3")
    body = await diff(client, 1, 3)
    root = "/components/schemas"
    assert outline(body) == [
        (
            "added",
            f"{root}/Buyer/properties/email/description",
            "description of property 'detail.customer.email' added (annotation only)",
            COMPATIBLE,
        ),
        (
            "removed",
            f"{root}/OrderCreated/properties/status/enum/3",
            "enum value \"ON_HOLD\" removed from property 'detail.status'",
            NEW_BREAKS,
        ),
    ]
    assert body["compatible"] == {"backward": False, "forward": True}
    witness = body["changes"][1]["witness"]["new_reads_old"]
    assert witness["detail"]["status"] == "ON_HOLD"
    assert (await client.post(f"{VERSIONS}/1/validate", json=witness)).json()["valid"] is True
    assert (await client.post(f"{VERSIONS}/3/validate", json=witness)).json()["valid"] is False
    backward = (await client.get(f"{SCHEMA}/compatibility", params={"producer": 1, "consumer": 3})).json()
    assert [f["witness"] for f in backward["incompatibilities"]] == [witness]  # the checker's own
    reverse = await diff(client, 3, 1)
    assert [(c["op"], c["path"]) for c in reverse["changes"]] == [
        ("removed", f"{root}/Buyer/properties/email/description"),  # removed: where it was, in version 3
        ("added", f"{root}/OrderCreated/properties/status/enum/3"),
    ]


async def test_the_policy_is_the_schemas_unless_given(client: httpx.AsyncClient) -> None:
    await register(client, {"type": "object", "properties": {"id": {"type": "string"}}})
    await register(
        client, {"type": "object", "properties": {"id": {"type": "string"}, "note": {"type": "integer"}}}
    )
    strict = await diff(client, 1, 2)
    (added,) = strict["changes"]
    assert (added["op"], added["path"], added["summary"]) == (
        "added",
        "/properties/note",
        "property 'note' added",
    )
    assert added["effect"] == NEW_BREAKS  # an event of version 1 may carry `note` as anything
    assert [r["rule"] for r in added["reasons"]["new_reads_old"]] == ["property_added_to_open_model"]
    lenient = await diff(client, 1, 2, policy="LENIENT")
    assert lenient["policy"] == "LENIENT"
    assert lenient["changes"][0]["effect"] == COMPATIBLE
    assert lenient["compatible"] == {"backward": True, "forward": True}
    await client.patch(SCHEMA, json={"compatibility_policy": "LENIENT"})
    assert await diff(client, 1, 2) == lenient


async def test_bad_parameters_get_422_and_what_does_not_exist_404(client: httpx.AsyncClient) -> None:
    await register(client, ORDER_V1)
    for params in (
        {"from": "0", "to": "1"},
        {"from": "first", "to": "1"},
        {"from": "1"},
        {"from": "1", "to": "1", "policy": "LOOSE"},
        {"from": "1", "to": "1" * 12},
    ):
        refused = await client.get(f"{SCHEMA}/diff", params=params)
        assert (refused.status_code, refused.json()["error"]["code"]) == (422, "invalid_request"), params
    for path, code in (
        ("/registries/nowhere/schemas/Order/diff?from=1&to=1", "registry_not_found"),
        ("/registries/orders/schemas/Nothing/diff?from=1&to=1", "schema_not_found"),
        (f"{SCHEMA}/diff?from=1&to=2", "version_not_found"),
        (f"{SCHEMA}/diff?from=9&to=latest", "version_not_found"),
    ):
        missing = await client.get(path)
        assert (missing.status_code, missing.json()["error"]["code"]) == (404, code), path


async def test_a_token_of_another_registry_is_refused_as_elsewhere(
    engine: Engine, client: httpx.AsyncClient
) -> None:
    await register(client, ORDER_V1)
    tokens = UnitOfWork(make_session_factory(engine))
    _, elsewhere = access.create_token(tokens, Role.READER, registry="billing", actor="test")
    _, reader = access.create_token(tokens, Role.READER, registry="orders", actor="test")
    refused = await client.get(f"{SCHEMA}/diff?from=1&to=1", headers={"Authorization": f"Bearer {elsewhere}"})
    compared = await client.get(
        f"{SCHEMA}/compatibility?producer=1&consumer=1", headers={"Authorization": f"Bearer {elsewhere}"}
    )
    assert (refused.status_code, refused.json()) == (compared.status_code, compared.json())
    assert refused.status_code == 403
    assert (await client.get(f"{SCHEMA}/diff?from=1&to=1")).status_code == 401
    allowed = await client.get(f"{SCHEMA}/diff?from=1&to=1", headers={"Authorization": f"Bearer {reader}"})
    assert allowed.status_code == 200

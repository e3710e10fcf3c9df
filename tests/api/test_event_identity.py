"""An EventBridge contract describes one detail-type from one source: validating an event of another is an
`identity_mismatch` error (on by default, `check_identity=false` to skip), for both contract formats, and
the witnesses of compatibility reports carry the producer's own detail-type and source."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

OPENAPI: dict[str, Any] = {
    "openapi": "3.0.0",
    "info": {"title": "OrderCreated", "version": "1.0.0"},
    "paths": {},
    "components": {
        "schemas": {
            "AWSEvent": {
                "type": "object",
                "x-amazon-events-detail-type": "OrderCreated",
                "x-amazon-events-source": "com.example.orders",
                "required": ["detail-type", "source", "detail"],
                "properties": {
                    "detail-type": {"type": "string"},
                    "source": {"type": "string"},
                    "detail": {"$ref": "#/components/schemas/OrderCreated"},
                },
            },
            "OrderCreated": {
                "type": "object",
                "required": ["orderId", "status"],
                "properties": {"orderId": {"type": "string"}, "status": {"enum": ["NEW", "PAID"]}},
            },
        }
    },
}
# The same contract in the JSON Schema layout ExportSchema gives: the markers at the top.
JSON_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "x-amazon-events-detail-type": "OrderCreated",
    "x-amazon-events-source": "com.example.orders",
    "type": "object",
    "required": ["detail-type", "source", "detail"],
    "properties": {
        "detail-type": {"type": "string"},
        "source": {"type": "string"},
        "detail": {"$ref": "#/definitions/OrderCreated"},
    },
    "definitions": {"OrderCreated": OPENAPI["components"]["schemas"]["OrderCreated"]},
}
EVENT = {
    "detail-type": "OrderCreated",
    "source": "com.example.orders",
    "detail": {"orderId": "o1", "status": "NEW"},
}
FORMATS = pytest.mark.parametrize(
    ("type_", "contract"), [("OpenApi3", OPENAPI), ("JSONSchemaDraft4", JSON_SCHEMA)]
)
VERSIONS = "/registries/orders/schemas/OrderCreated/versions"


async def validate(client: httpx.AsyncClient, event: Any, **params: Any) -> dict[str, Any]:
    response = await client.post(f"{VERSIONS}/1/validate", json=event, params=params)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.fixture(autouse=True)
async def orders(client: httpx.AsyncClient) -> None:
    assert (await client.put("/registries/orders", json={})).status_code == 201


@FORMATS
async def test_an_event_of_another_detail_type_or_source_is_not_valid(
    client: httpx.AsyncClient, type_: str, contract: dict[str, Any]
) -> None:
    assert (await client.post(VERSIONS, json={"type": type_, "content": contract})).status_code == 201
    assert await validate(client, EVENT) == {
        "valid": True, "errors": [], "registry": "orders", "schema": "OrderCreated", "version": 1
    }  # fmt: skip
    cancelled = {**EVENT, "detail-type": "OrderCancelled", "source": "com.example.shop"}
    answer = await validate(client, cancelled)
    assert answer["valid"] is False
    assert answer["errors"] == [
        {
            "path": "/detail-type",
            "code": "identity_mismatch",
            "message": "detail-type is 'OrderCancelled', but this contract describes events whose "
            "detail-type is 'OrderCreated'",
        },
        {
            "path": "/source",
            "code": "identity_mismatch",
            "message": "source is 'com.example.shop', but this contract describes events whose source is "
            "'com.example.orders'",
        },
    ]
    assert (await validate(client, cancelled, check_identity="false"))["valid"] is True


@FORMATS
async def test_schema_errors_keep_their_place_and_say_what_they_are(
    client: httpx.AsyncClient, type_: str, contract: dict[str, Any]
) -> None:
    await client.post(VERSIONS, json={"type": type_, "content": contract})
    broken = {**EVENT, "detail-type": 7, "detail": {"orderId": "o1", "status": "LOST"}}
    errors = (await validate(client, broken))["errors"]
    # `detail-type` breaks the schema there: one error, the schema's, not a second about its identity
    assert [(error["path"], error["code"]) for error in errors] == [
        ("/detail/status", "schema_violation"),
        ("/detail-type", "schema_violation"),
    ]
    absent = {key: value for key, value in EVENT.items() if key != "source"}
    assert [(error["path"], error["code"]) for error in (await validate(client, absent))["errors"]] == [
        ("", "schema_violation")  # `required` says it; nothing to compare
    ]


async def test_a_contract_without_markers_checks_no_identity(client: httpx.AsyncClient) -> None:
    plain = copy.deepcopy(JSON_SCHEMA)
    del plain["x-amazon-events-detail-type"], plain["x-amazon-events-source"]
    await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": plain})
    assert (await validate(client, {**EVENT, "detail-type": "Anything"}))["valid"] is True


async def test_witnesses_carry_the_producers_identity(client: httpx.AsyncClient) -> None:
    await client.put("/registries/orders", json={"compatibility": "NONE"})
    await client.post(VERSIONS, json={"type": "OpenApi3", "content": OPENAPI})
    narrowed = copy.deepcopy(OPENAPI)
    narrowed["components"]["schemas"]["OrderCreated"]["properties"]["status"]["enum"] = ["NEW"]
    await client.post(VERSIONS, json={"type": "OpenApi3", "content": narrowed})
    report = (await client.get(f"{VERSIONS[: -len('/versions')]}/compatibility?producer=1&consumer=2")).json()
    (finding,) = report["incompatibilities"]
    witness = finding["witness"]
    assert (witness["detail-type"], witness["source"]) == ("OrderCreated", "com.example.orders")
    assert witness["detail"]["status"] == "PAID"
    assert (await validate(client, witness))["valid"] is True  # version 1 emits it, identity included
    version_2 = await client.post(f"{VERSIONS}/2/validate", json=witness)
    assert version_2.json()["valid"] is False

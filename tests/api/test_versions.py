"""Registering, reading, caching, deleting and validating against versions, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import load_example

OPENAPI = load_example("openapi3/custom-order-created.json")
OPENAPI_EVENT = load_example("openapi3/custom-order-created.event.json")
DRAFT4 = load_example("draft4/custom-order-created.json")
DRAFT4_EVENT = load_example("draft4/custom-order-created.event.json")
VERSIONS = "/registries/orders/schemas/OrderCreated/versions"


@pytest.fixture(autouse=True)
async def orders_registry(client: httpx.AsyncClient) -> None:
    assert (await client.put("/registries/orders", json={})).status_code == 201


async def test_registering_an_openapi_contract_returns_version_1(client: httpx.AsyncClient) -> None:
    response = await client.post(
        VERSIONS, json={"type": "OpenApi3", "content": OPENAPI, "description": "first"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["version"] == 1
    assert body["type"] == "OpenApi3"
    assert body["content"] == OPENAPI
    assert body["event_root"] == "AWSEvent"
    assert body["description"] == "first"
    assert len(body["fingerprint"]) == 64
    assert set(body) >= {"registry", "schema", "version", "type", "content", "fingerprint", "created_at"}


async def test_content_given_as_a_json_string_is_stored_as_the_object(client: httpx.AsyncClient) -> None:
    response = await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": json.dumps(DRAFT4)})
    assert response.status_code == 201
    assert response.json()["content"] == DRAFT4


async def test_registering_identical_content_returns_existing_version(client: httpx.AsyncClient) -> None:
    first = await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": DRAFT4})
    reordered = dict(reversed(list(DRAFT4.items())))
    again = await client.post(
        VERSIONS, json={"type": "JSONSchemaDraft4", "content": json.dumps(reordered, indent=4)}
    )
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["version"] == 1
    assert again.json()["fingerprint"] == first.json()["fingerprint"]
    listed = (await client.get(VERSIONS)).json()
    assert [item["version"] for item in listed["items"]] == [1]


async def test_versions_are_numbered_in_order_and_listed(client: httpx.AsyncClient) -> None:
    for index in range(3):
        content = {**DRAFT4, "description": f"revision {index}"}
        response = await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": content})
        assert response.json()["version"] == index + 1
    page = (await client.get(VERSIONS, params={"limit": 2})).json()
    assert [item["version"] for item in page["items"]] == [1, 2]
    rest = (await client.get(VERSIONS, params={"cursor": page["next_cursor"]})).json()
    assert [item["version"] for item in rest["items"]] == [3]
    latest = (await client.get(f"{VERSIONS}/latest")).json()
    assert latest["version"] == 3
    assert latest["content"]["description"] == "revision 2"


async def test_a_schema_keeps_its_type(client: httpx.AsyncClient) -> None:
    await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": DRAFT4})
    response = await client.post(VERSIONS, json={"type": "OpenApi3", "content": OPENAPI})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "schema_type_mismatch"


async def test_numbered_versions_are_immutable_and_revalidate_with_etag(client: httpx.AsyncClient) -> None:
    await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": DRAFT4})
    first = await client.get(f"{VERSIONS}/1")
    assert first.headers["cache-control"] == "public, max-age=31536000, immutable"
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = await client.get(f"{VERSIONS}/1", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    other = await client.get(f"{VERSIONS}/1", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


async def test_latest_is_not_cached_as_immutable(client: httpx.AsyncClient) -> None:
    await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": DRAFT4})
    latest = await client.get(f"{VERSIONS}/latest")
    assert latest.headers["cache-control"] == "no-cache"
    assert (
        await client.get(f"{VERSIONS}/latest", headers={"If-None-Match": latest.headers["etag"]})
    ).status_code == 304


async def test_deleted_version_is_gone_and_its_number_is_not_reused(client: httpx.AsyncClient) -> None:
    await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": DRAFT4})
    second = {**DRAFT4, "description": "second"}
    await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": second})
    assert (await client.delete(f"{VERSIONS}/2")).status_code == 204
    missing = await client.get(f"{VERSIONS}/2")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "version_not_found"
    third = await client.post(
        VERSIONS, json={"type": "JSONSchemaDraft4", "content": {**DRAFT4, "title": "x"}}
    )
    assert third.json()["version"] == 3


async def test_unknown_version_and_bad_selector(client: httpx.AsyncClient) -> None:
    await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": DRAFT4})
    assert (await client.get(f"{VERSIONS}/9")).json()["error"]["code"] == "version_not_found"
    for bad in ["0", "-1", "one", "1.0", "99999999999"]:
        response = await client.get(f"{VERSIONS}/{bad}")
        assert response.status_code == 422, bad
        assert response.json()["error"]["code"] == "invalid_version", bad


async def test_valid_event_validates_against_openapi_and_draft4(client: httpx.AsyncClient) -> None:
    await client.post(VERSIONS, json={"type": "OpenApi3", "content": OPENAPI})
    response = await client.post(f"{VERSIONS}/1/validate", json=OPENAPI_EVENT)
    assert response.json() == {
        "valid": True,
        "errors": [],
        "registry": "orders",
        "schema": "OrderCreated",
        "version": 1,
    }
    draft = "/registries/orders/schemas/OrderCreatedDraft4/versions"
    await client.post(draft, json={"type": "JSONSchemaDraft4", "content": DRAFT4})
    assert (await client.post(f"{draft}/latest/validate", json=DRAFT4_EVENT)).json()["valid"] is True


async def test_invalid_event_reports_json_pointers(client: httpx.AsyncClient) -> None:
    await client.post(VERSIONS, json={"type": "OpenApi3", "content": OPENAPI})
    event = json.loads(json.dumps(OPENAPI_EVENT))
    event["detail"]["status"] = "SHIPPED"
    del event["account"]
    result = (await client.post(f"{VERSIONS}/1/validate", json=event)).json()
    assert result["valid"] is False
    paths = {error["path"] for error in result["errors"]}
    assert paths == {"", "/detail/status"}
    assert all(error["message"] for error in result["errors"])


async def test_formats_are_checked_only_on_request(client: httpx.AsyncClient) -> None:
    await client.post(VERSIONS, json={"type": "OpenApi3", "content": OPENAPI})
    event = json.loads(json.dumps(OPENAPI_EVENT))
    event["detail"]["customer"]["email"] = "not-an-email"
    assert (await client.post(f"{VERSIONS}/1/validate", json=event)).json()["valid"] is True
    checked = (
        await client.post(f"{VERSIONS}/1/validate", params={"check_formats": "true"}, json=event)
    ).json()
    assert checked["valid"] is False
    assert checked["errors"][0]["path"] == "/detail/customer/email"


async def test_search_finds_schemas_by_name_and_content_keywords(client: httpx.AsyncClient) -> None:
    await client.post(VERSIONS, json={"type": "OpenApi3", "content": OPENAPI})
    invoice = load_example("draft4/custom-invoice-issued.json")
    await client.post(
        "/registries/orders/schemas/InvoiceIssued/versions",
        json={"type": "JSONSchemaDraft4", "content": invoice},
    )
    by_name = (await client.get("/search", params={"q": "invoice"})).json()
    assert [hit["schema"] for hit in by_name["items"]] == ["InvoiceIssued"]
    by_content = (await client.get("/search", params={"q": "couponCode"})).json()
    assert [hit["schema"] for hit in by_content["items"]] == ["OrderCreated"]
    both = (await client.get("/search", params={"q": "ORDER created"})).json()
    assert "OrderCreated" in [hit["schema"] for hit in both["items"]]
    assert (await client.get("/search", params={"q": "100%_nothing"})).json()["items"] == []
    assert (await client.get("/search", params={"q": "nothing-like-this"})).json() == {
        "items": [],
        "next_cursor": None,
    }

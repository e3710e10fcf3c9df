"""Search through its index, on SQLite (FTS5) and PostgreSQL (pg_trgm): ranking, pages, and the index
following every change of what it holds."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event

from registry.domain.pagination import encode_cursor

SHOP = "/registries/shop"


def contract(*properties: str, title: str | None = None, enum: list[Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {name: {"type": "string"} for name in properties},
    }
    if title is not None:
        body["title"] = title
    if enum is not None:
        body["properties"]["status"] = {"enum": enum}
    return body


async def register(
    client: httpx.AsyncClient, schema: str, content: dict[str, Any], registry: str = SHOP
) -> None:
    response = await client.post(
        f"{registry}/schemas/{schema}/versions", json={"type": "JSONSchemaDraft4", "content": content}
    )
    assert response.status_code in (200, 201), response.text


async def found(client: httpx.AsyncClient, query: str, **params: Any) -> list[str]:
    response = await client.get("/search", params={"q": query, **params})
    assert response.status_code == 200, response.text
    return [hit["schema"] for hit in response.json()["items"]]


@pytest.fixture(autouse=True)
async def shop(client: httpx.AsyncClient) -> None:
    # NONE: versions of one schema may differ freely here
    assert (await client.put(SHOP, json={"compatibility": "NONE"})).status_code == 201


async def test_hits_in_the_name_rank_before_the_description_before_the_keywords_over_pages(
    client: httpx.AsyncClient,
) -> None:
    await register(client, "ByKeyword", contract("refundId"))
    await register(client, "ByDescription", contract("amount"))
    await register(client, "RefundIssued", contract("amount"))
    await register(client, "AlsoByKeyword", contract("amount", title="Refund of an order"))
    patched = await client.patch(f"{SHOP}/schemas/ByDescription", json={"description": "a REFUND was paid"})
    assert patched.status_code == 200
    assert await found(client, "refund") == ["RefundIssued", "ByDescription", "AlsoByKeyword", "ByKeyword"]
    # each term adds its own score: two terms in the name beat one in the name and one in the keywords
    await register(client, "RefundPaid", contract("amount"))
    await register(client, "RefundLater", contract("paidAt"))
    assert await found(client, "refund paid") == ["RefundPaid", "RefundLater", "ByDescription"]

    # pages follow the ranking (here the second one holds ranks 4 and 1)
    for name in ("OrderA", "OrderB", "OrderC"):
        await register(client, name, contract("customerId"))
    for name in ("InvoiceA", "InvoiceB"):
        await register(client, name, contract("orderId"))
    seen: list[str] = []
    cursor = None
    while True:
        params = {"q": "order", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/search", params=params)).json()
        seen += [hit["schema"] for hit in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["OrderA", "OrderB", "OrderC", "AlsoByKeyword", "InvoiceA", "InvoiceB"]
    # a cursor of another listing (or of the unranked search) names no position in a ranking
    stale = await client.get("/search", params={"q": "order", "cursor": encode_cursor("shop\nOrderA")})
    assert (stale.status_code, stale.json()["error"]["code"]) == (422, "invalid_cursor")


async def test_terms_are_substrings_of_names_titles_enum_values_and_definitions(
    client: httpx.AsyncClient,
) -> None:
    await register(
        client, "ParcelShipped", contract("trackingNumber", title="Übergabe", enum=["IN_TRANSIT", 7])
    )
    for query in ("arcel", "trackingnum", "übergabe", "ÜBERGABE", "in_transit", "7", "Shipped parcel"):
        assert await found(client, query) == ["ParcelShipped"], query
    # JSON Schema's own words are not keywords: "type" and "string" are in every contract
    for query in ("string", "draft-04", "properties", "100%_nothing", "ab%", '"quoted'):
        assert await found(client, query) == [], query


async def test_the_index_follows_new_and_deleted_versions(client: httpx.AsyncClient) -> None:
    versions = f"{SHOP}/schemas/CartUpdated/versions"
    await register(client, "CartUpdated", contract("couponCode"))
    await register(client, "CartUpdated", contract("giftWrap"))
    # any version's keywords are found, as before the index
    assert await found(client, "couponcode") == await found(client, "giftwrap") == ["CartUpdated"]
    assert (await client.delete(f"{versions}/1")).status_code == 204
    assert await found(client, "couponCode") == []
    assert await found(client, "giftWrap") == ["CartUpdated"]
    assert (await client.delete(f"{versions}/2")).status_code == 204
    assert await found(client, "giftWrap") == []
    hits = (await client.get("/search", params={"q": "cartupdated"})).json()["items"]
    assert [(hit["schema"], hit["latest_version"]) for hit in hits] == [("CartUpdated", None)]

    # a registration refused leaves the index as it was
    assert (await client.put("/registries/strict", json={"compatibility": "BACKWARD"})).status_code == 201
    await register(client, "Strict", contract("kept"), registry="/registries/strict")
    narrowed = contract("added")
    narrowed["required"] = ["added"]
    response = await client.post(
        "/registries/strict/schemas/Strict/versions", json={"type": "JSONSchemaDraft4", "content": narrowed}
    )
    assert response.status_code == 409
    assert await found(client, "added") == []
    assert await found(client, "kept") == ["Strict"]


async def test_the_index_forgets_deleted_schemas_and_registries(client: httpx.AsyncClient) -> None:
    assert (await client.put("/registries/other", json={})).status_code == 201
    await register(client, "StockMoved", contract("warehouseId"))
    await register(client, "StockCounted", contract("warehouseId"))
    await register(client, "StockMoved", contract("warehouseId"), registry="/registries/other")
    # equal ranks: by registry, then schema
    assert await found(client, "warehouse") == ["StockMoved", "StockCounted", "StockMoved"]
    assert await found(client, "warehouse", registry="other") == ["StockMoved"]
    assert (await client.delete(f"{SHOP}/schemas/StockMoved")).status_code == 204
    assert await found(client, "warehouse") == ["StockMoved", "StockCounted"]
    assert (await client.delete("/registries/other")).status_code == 204
    assert await found(client, "warehouse") == ["StockCounted"]
    assert (await client.patch(f"{SHOP}/schemas/StockCounted", json={"description": "inventory"})).is_success
    assert await found(client, "inventory warehouse") == ["StockCounted"]


async def test_a_whole_schema_name_finds_it_first_and_the_rest_through_the_index(
    engine: Engine, client: httpx.AsyncClient
) -> None:
    """A schema's whole name typed ranks it first, then the longer names holding it, then the documents
    holding it elsewhere, in pages as ever; on PostgreSQL those documents are found through their trigram
    index, not by a walk testing every document in name order (a whole name is rare elsewhere)."""
    await register(client, "com.acme.OrderPlaced", contract("orderId"))
    await register(client, "com.acme.OrderPlacedAgain", contract("amount"))
    await register(client, "com.acme.Refund", contract("amount", title="after com.acme.OrderPlaced"))
    for n in range(5):
        await register(client, f"com.acme.Other{n}", contract("amount"))
    statements: list[str] = []

    def executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", executed)
    try:
        whole = await found(client, "com.acme.orderplaced")
    finally:
        event.remove(engine, "before_cursor_execute", executed)
    assert whole == ["com.acme.OrderPlaced", "com.acme.OrderPlacedAgain", "com.acme.Refund"]
    walks = [each for each in statements if "d.document FROM search_documents d" in each]
    assert walks == []
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"q": "COM.ACME.OrderPlaced", "limit": 1}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/search", params=params)).json()
        seen += [hit["schema"] for hit in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == whole
    assert await found(client, "com.acme.orderplaced", registry="shop") == whole

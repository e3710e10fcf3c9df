"""Registries and schema metadata over HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import httpx

from tests.conftest import load_example

ORDER = load_example("draft4/custom-order-created.json")


async def register(
    client: httpx.AsyncClient, registry: str, schema: str, content: object, **extra: object
) -> httpx.Response:
    body = {"type": "JSONSchemaDraft4", "content": content, **extra}
    return await client.post(f"/registries/{registry}/schemas/{schema}/versions", json=body)


async def test_putting_a_registry_creates_it_then_updates_it(client: httpx.AsyncClient) -> None:
    created = await client.put("/registries/orders", json={"description": "order events"})
    assert created.status_code == 201
    assert created.json()["compatibility"] == "BACKWARD"
    assert created.json()["compatibility_policy"] == "STRICT"
    updated = await client.put("/registries/orders", json={"compatibility": "FULL"})
    assert updated.status_code == 200
    assert updated.json()["description"] == "order events"
    assert updated.json()["compatibility"] == "FULL"
    assert (await client.get("/registries/orders")).json()["compatibility"] == "FULL"


async def test_registries_are_listed_in_pages(client: httpx.AsyncClient) -> None:
    for index in range(5):
        await client.put(f"/registries/r{index}", json={})
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/registries", params=params)).json()
        seen += [item["name"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["r0", "r1", "r2", "r3", "r4"]


async def test_deleting_a_registry_removes_its_schemas(client: httpx.AsyncClient) -> None:
    await client.put("/registries/orders", json={})
    assert (await register(client, "orders", "OrderCreated", ORDER)).status_code == 201
    assert (await client.delete("/registries/orders")).status_code == 204
    missing = await client.get("/registries/orders/schemas/OrderCreated")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "registry_not_found"
    await client.put("/registries/orders", json={})
    assert (await client.get("/registries/orders/schemas")).json()["items"] == []


async def test_unknown_registry_is_a_404_with_a_stable_code(client: httpx.AsyncClient) -> None:
    response = await client.get("/registries/nowhere")
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "registry_not_found",
        "message": "registry 'nowhere' does not exist",
        "details": {"registry": "nowhere"},
    }


async def test_schema_metadata_shows_type_latest_version_and_override(client: httpx.AsyncClient) -> None:
    await client.put("/registries/orders", json={})
    await register(client, "orders", "OrderCreated", ORDER)
    await register(client, "orders", "OrderCreated", {**ORDER, "description": "v2"})
    schema = (await client.get("/registries/orders/schemas/OrderCreated")).json()
    assert schema["type"] == "JSONSchemaDraft4"
    assert schema["latest_version"] == 2
    assert schema["version_count"] == 2
    assert schema["compatibility"] is None
    patched = await client.patch(
        "/registries/orders/schemas/OrderCreated", json={"compatibility": "NONE", "description": "orders"}
    )
    assert patched.status_code == 200
    assert patched.json()["compatibility"] == "NONE"
    cleared = await client.patch("/registries/orders/schemas/OrderCreated", json={"compatibility": None})
    assert cleared.json()["compatibility"] is None
    assert cleared.json()["description"] == "orders"


async def test_schemas_are_listed_by_prefix_and_in_pages(client: httpx.AsyncClient) -> None:
    await client.put("/registries/orders", json={})
    for name in ["order.created", "order.shipped", "invoice.issued", "order_x"]:
        await register(client, "orders", name, ORDER)
    page = (await client.get("/registries/orders/schemas", params={"prefix": "order.", "limit": 1})).json()
    assert [item["name"] for item in page["items"]] == ["order.created"]
    rest = (
        await client.get(
            "/registries/orders/schemas", params={"prefix": "order.", "cursor": page["next_cursor"]}
        )
    ).json()
    assert [item["name"] for item in rest["items"]] == ["order.shipped"]
    assert rest["next_cursor"] is None


async def test_deleting_a_schema_removes_its_versions(client: httpx.AsyncClient) -> None:
    await client.put("/registries/orders", json={})
    await register(client, "orders", "OrderCreated", ORDER)
    assert (await client.delete("/registries/orders/schemas/OrderCreated")).status_code == 204
    response = await client.get("/registries/orders/schemas/OrderCreated/versions/1")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "schema_not_found"


async def test_names_with_at_dot_and_slash_work_percent_encoded(client: httpx.AsyncClient) -> None:
    registry = "aws.partner-x.com"
    schema = "aws.partner-mongodb.com/1234567-tickets@Ticket.Created"
    encoded = "aws.partner-mongodb.com%2F1234567-tickets%40Ticket.Created"
    assert (await client.put(f"/registries/{registry}", json={})).status_code == 201
    assert (await register(client, registry, encoded, ORDER)).status_code == 201
    version = (await client.get(f"/registries/{registry}/schemas/{encoded}/versions/1")).json()
    assert version["schema"] == schema
    listed = (await client.get(f"/registries/{registry}/schemas")).json()
    assert [item["name"] for item in listed["items"]] == [schema]
    unencoded = await client.get(f"/registries/{registry}/schemas/{schema}/versions/1")
    assert unencoded.status_code == 404  # the raw slash splits the path: the route does not exist


async def test_invalid_names_are_refused_with_invalid_name(client: httpx.AsyncClient) -> None:
    for bad in ["has%20space", "a%2F..%2Fb", "a%2F%2Fb", "x" * 65, "%E2%9C%93", "%FF"]:
        response = await client.put(f"/registries/{bad}", json={})
        assert response.status_code == 422, bad
        assert response.json()["error"]["code"] == "invalid_name", bad

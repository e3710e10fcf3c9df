"""The audit history: every change with who made it, written with the change or not at all, read back by
administrators over pages; a version names who registered it. On both databases."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import Engine

from registry import access
from registry.domain.auth import Role
from registry.storage.database import make_session_factory
from registry.storage.unit_of_work import UnitOfWork
from tests.conftest import load_example

ORDERS = "/registries/orders"
SCHEMA = f"{ORDERS}/schemas/OrderCreated"
V1 = load_example("draft4/custom-order-created.json")


def narrower(content: dict[str, Any]) -> dict[str, Any]:
    """The contract with one more required property: under BACKWARD it cannot read what v1 wrote."""
    changed = copy.deepcopy(content)
    detail = changed["definitions"]["OrderCreated"]
    detail["required"] = [*detail["required"], "shippingAddress"]
    return changed


def wider(content: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(content)
    changed["title"] = "v2"
    return changed


def token(engine: Engine, role: Role, registry: str | None = None) -> tuple[str, dict[str, str]]:
    info, secret = access.create_token(
        UnitOfWork(make_session_factory(engine)), role, registry=registry, actor="cli:ops"
    )
    return info.id, {"Authorization": f"Bearer {secret}"}


async def register(client: httpx.AsyncClient, content: Any, **headers: str) -> httpx.Response:
    body = {"type": "JSONSchemaDraft4", "content": content}
    return await client.post(f"{SCHEMA}/versions", json=body, headers=headers)


async def history(client: httpx.AsyncClient, headers: dict[str, str] | None = None, **params: Any) -> Any:
    response = await client.get("/audit", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def actions(client: httpx.AsyncClient, **params: Any) -> list[str]:
    """Oldest first, to read like the story the test tells."""
    return [each["action"] for each in reversed((await history(client, limit=500, **params))["items"])]


async def test_every_change_is_an_entry_naming_what_changed_and_repeats_are_none(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.put(ORDERS, json={"description": "orders"})).status_code == 201
    assert (await client.put(ORDERS, json={"description": "orders"})).status_code == 200  # no change
    assert (await client.put(ORDERS, json={"compatibility": "FULL"})).status_code == 200
    assert (await register(client, V1)).status_code == 201
    assert (await register(client, V1)).status_code == 200  # identical: the existing version
    patch = {"compatibility": "NONE", "compatibility_policy": "LENIENT"}
    assert (await client.patch(SCHEMA, json=patch)).status_code == 200
    mirror = {"mirror": {"region": "eu-west-1", "registry_name": "orders"}}
    assert (await client.put(ORDERS, json=mirror)).status_code == 200
    assert (await register(client, wider(V1))).status_code == 201
    assert (await client.put(f"{ORDERS}/environments/prod", json={"description": "live"})).status_code == 201
    participant = {"role": "consumer", "version": 2, "environment": "prod"}
    assert (await client.put(f"{SCHEMA}/participants/billing", json=participant)).status_code == 201
    removed = await client.delete(f"{SCHEMA}/participants/billing?role=consumer&environment=prod")
    assert removed.status_code == 204
    assert (await client.delete(f"{ORDERS}/environments/prod")).status_code == 204
    assert (await client.delete(f"{SCHEMA}/versions/1")).status_code == 204
    assert (await client.delete(SCHEMA)).status_code == 204

    assert await actions(client, registry="orders") == [
        "registry.created",
        "registry.updated",
        "schema.created",
        "version.registered",
        "schema.updated",
        "registry.mirror_changed",
        "version.registered",
        "environment.created",
        "participant.recorded",
        "participant.removed",
        "environment.deleted",
        "version.deleted",
        "schema.deleted",
    ]
    items = (await history(client, registry="orders"))["items"]
    by_action = {each["action"]: each for each in items}  # newest first: the oldest of each action stays
    assert {each["actor"] for each in items} == {"anonymous"}  # the open service: no token
    assert by_action["registry.created"]["detail"] == {
        "description": "orders",
        "compatibility": "BACKWARD",
        "compatibility_policy": "STRICT",
    }
    assert by_action["registry.updated"]["detail"] == {"compatibility": {"from": "BACKWARD", "to": "FULL"}}
    assert by_action["schema.updated"]["detail"] == {
        "compatibility": {"from": None, "to": "NONE"},
        "compatibility_policy": {"from": None, "to": "LENIENT"},
    }
    assert by_action["registry.mirror_changed"]["detail"] == {"from": None, "to": mirror["mirror"]}
    registered = by_action["version.registered"]
    assert (registered["registry"], registered["schema"], registered["version"]) == (
        "orders",
        "OrderCreated",
        1,
    )
    assert registered["detail"]["fingerprint"]
    recorded = by_action["participant.recorded"]
    assert (recorded["subject"], recorded["environment"], recorded["version"]) == ("billing", "prod", 2)
    assert recorded["detail"] == {"role": "consumer", "previous_version": None}

    # The registry's deployment audit is the participant entries, as it always answered them.
    deployments = (await client.get(f"{ORDERS}/audit")).json()["items"]
    assert [(each["action"], each["service"], each["role"]) for each in deployments] == [
        ("removed", "billing", "consumer"),
        ("recorded", "billing", "consumer"),
    ]

    # Deleting the registry is an entry too; its history outlives it, and a registry created again under
    # the name starts with an empty deployment audit.
    assert (await client.delete(ORDERS)).status_code == 204
    assert (await actions(client, registry="orders"))[-1] == "registry.deleted"
    assert (await client.put(ORDERS, json={})).status_code == 201
    assert (await client.get(f"{ORDERS}/audit")).json()["items"] == []
    assert (await actions(client, registry="orders"))[-2:] == ["registry.deleted", "registry.created"]


async def test_a_refused_or_failed_change_leaves_no_entry(client: httpx.AsyncClient) -> None:
    assert (await client.put(ORDERS, json={})).status_code == 201
    assert (await register(client, V1)).status_code == 201
    participant = {"role": "consumer", "version": 1, "environment": "prod"}
    assert (await client.put(f"{SCHEMA}/participants/billing", json=participant)).status_code == 201
    before = await actions(client)

    incompatible = await register(client, narrower(V1))
    assert incompatible.json()["error"]["code"] == "incompatible_version"
    invalid = await register(client, {"type": "no such type"})
    assert invalid.status_code == 422
    in_use = await client.delete(f"{SCHEMA}/versions/1")
    assert in_use.json()["error"]["code"] == "version_in_use"
    occupied = await client.delete(f"{ORDERS}/environments/prod")
    assert occupied.json()["error"]["code"] == "environment_in_use"
    bad_mirror = await client.put(ORDERS, json={"mirror": {"region": "nowhere", "registry_name": "x"}})
    assert bad_mirror.status_code == 422
    missing = await client.delete(f"{ORDERS}/schemas/Missing")
    assert missing.status_code == 404

    assert await actions(client) == before
    assert (await client.get(f"{SCHEMA}/versions")).json()["items"][-1]["version"] == 1


async def test_a_version_names_who_registered_it_a_token_or_anonymous(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    assert (await client.put(ORDERS, json={})).status_code == 201
    assert (await register(client, V1)).json()["created_by"] == "anonymous"
    writer_id, writer = token(engine, Role.WRITER, "orders")  # from now on a token is needed
    created = await register(client, wider(V1), **writer)
    assert created.status_code == 201
    assert created.json()["created_by"] == writer_id

    first = await client.get(f"{SCHEMA}/versions/1", headers=writer)
    assert first.json()["created_by"] == "anonymous"
    latest = await client.get(f"{SCHEMA}/versions/latest", headers=writer)
    assert (latest.json()["version"], latest.json()["created_by"]) == (2, writer_id)
    listed = (await client.get(f"{SCHEMA}/versions", headers=writer)).json()["items"]
    assert [each["created_by"] for each in listed] == ["anonymous", writer_id]

    admin_id, admin = token(engine, Role.ADMIN)
    entries = (await history(client, admin, action="version"))["items"]
    assert [each["actor"] for each in entries] == [writer_id, "anonymous"]
    tokens = await history(client, admin, action="token")
    assert [(each["actor"], each["subject"]) for each in tokens["items"]] == [
        ("cli:ops", admin_id),
        ("cli:ops", writer_id),
    ]
    assert tokens["items"][1]["detail"] == {"role": "writer", "description": None, "aws": False}
    assert tokens["items"][1]["registry"] == "orders"
    assert "ecr_" not in str(tokens)  # never a secret


async def test_the_history_is_for_administrators_of_what_it_covers(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    _, admin = token(engine, Role.ADMIN)
    for name in ("orders", "billing"):
        assert (await client.put(f"/registries/{name}", json={}, headers=admin)).status_code == 201
    _, orders_admin = token(engine, Role.ADMIN, "orders")
    _, writer = token(engine, Role.WRITER)

    assert (await client.get("/audit", headers=writer)).json()["error"]["code"] == "forbidden"
    assert (await client.get("/audit", headers=orders_admin)).status_code == 403  # every registry
    assert (await client.get("/audit?registry=billing", headers=orders_admin)).status_code == 403
    own = await history(client, orders_admin, registry="orders")
    assert [each["action"] for each in own["items"]] == ["token.created", "registry.created"]
    assert (await client.get("/audit")).status_code == 401


async def test_the_history_pages_and_filters_like_every_list(client: httpx.AsyncClient) -> None:
    for name in ("a", "b", "c"):
        assert (await client.put(f"/registries/{name}", json={})).status_code == 201
    first = await history(client, limit=2)
    assert [each["registry"] for each in first["items"]] == ["c", "b"]
    rest = await history(client, limit=2, cursor=first["next_cursor"])
    assert ([each["registry"] for each in rest["items"]], rest["next_cursor"]) == (["a"], None)
    assert await actions(client, actor="anonymous", action="registry.created") == ["registry.created"] * 3
    assert await actions(client, actor="someone-else") == []
    assert await actions(client, action="schema") == []

    unknown = await client.get("/audit", params={"action": "registry.renamed"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (422, "invalid_audit_action")
    assert "registry.created" in unknown.json()["error"]["details"]["known"]
    cursor = await client.get("/audit", params={"cursor": "not-ours"})
    assert cursor.json()["error"]["code"] == "invalid_cursor"
    name = await client.get("/audit", params={"registry": "no spaces"})
    assert name.json()["error"]["code"] == "invalid_name"
    nul = await client.get("/audit", params={"actor": "a\x00b"})  # PostgreSQL refuses NUL: never sent
    assert (nul.status_code, nul.json()["error"]["code"]) == (422, "invalid_request")


async def test_eventbridge_changes_are_entries_too(client: httpx.AsyncClient) -> None:
    created = await client.post("/v1/registries/name/orders", json={"tags": {"team": "a"}})
    assert created.status_code == 201, created.text
    body = {"Type": "JSONSchemaDraft4", "Content": '{"type": "object"}'}
    assert (await client.post("/v1/registries/name/orders/schemas/name/S", json=body)).status_code == 201
    arn = quote("arn:aws:schemas:us-east-1:000000000000:schema/orders/S", safe="")
    assert (await client.post(f"/tags/{arn}", json={"tags": {"tier": "gold"}})).status_code == 204
    assert (await client.delete(f"/tags/{arn}?tagKeys=tier&tagKeys=never-set")).status_code == 204
    assert (await client.delete("/v1/registries/name/orders/schemas/name/S")).status_code == 204

    items = list(reversed((await history(client, registry="orders"))["items"]))
    assert [each["action"] for each in items] == [
        "registry.created",
        "schema.created",
        "version.registered",
        "schema.updated",
        "schema.updated",
        "schema.deleted",
    ]
    assert items[0]["detail"]["tags"] == {"team": "a"}
    assert items[3]["detail"] == {"tags": {"tier": {"from": None, "to": "gold"}}}
    assert items[4]["detail"] == {"tags": {"tier": {"from": "gold", "to": None}}}


async def test_revoking_is_an_entry_once(client: httpx.AsyncClient, engine: Engine) -> None:
    uow = UnitOfWork(make_session_factory(engine))
    info, _secret = access.create_token(uow, Role.READER, registry="not-created-yet", actor="cli:ops")
    access.revoke_token(uow, info.id, actor="cli:ops")
    access.revoke_token(uow, info.id, actor="cli:ops")  # already revoked: nothing changes
    _, admin = token(engine, Role.ADMIN)
    entries = (await history(client, admin, action="token"))["items"]
    assert [(each["action"], each["subject"]) for each in entries][1:] == [
        ("token.revoked", info.id),
        ("token.created", info.id),
    ]

"""Environments are explicit: created by PUT (or by the first deployment recorded there), listed, deleted
when empty; a first release to a new environment can ask can-i-deploy there, and a typo is still a 404.
On both databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event

from registry import access
from registry.domain.auth import Role
from registry.storage.database import make_session_factory
from registry.storage.unit_of_work import UnitOfWork

ENVIRONMENTS = "/registries/orders/environments"
SCHEMA = "/registries/orders/schemas/OrderCreated"
CONTRACT = {
    "type": "object",
    "properties": {"orderId": {"type": "string"}, "status": {"enum": ["NEW", "PAID"]}},
    "required": ["orderId"],
}


def summary(body: dict[str, Any]) -> dict[str, Any]:
    """An environment as listed, without its creation time."""
    return {key: value for key, value in body.items() if key != "created_at"}


async def record(
    client: httpx.AsyncClient, service: str, role: str, environment: str, **kwargs: Any
) -> httpx.Response:
    body = {"role": role, "version": 1, "environment": environment}
    return await client.put(f"{SCHEMA}/participants/{service}", json=body, **kwargs)


async def can_i_deploy(
    client: httpx.AsyncClient, environment: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    query = {"service": "checkout", "role": "producer", "version": 1, "environment": environment}
    return await client.get(f"{SCHEMA}/can-i-deploy", params=query, headers=headers)


@pytest.fixture(autouse=True)
async def orders(client: httpx.AsyncClient) -> None:
    assert (await client.put("/registries/orders", json={})).status_code == 201
    registered = await client.post(
        f"{SCHEMA}/versions", json={"type": "JSONSchemaDraft4", "content": CONTRACT}
    )
    assert registered.status_code == 201


async def test_a_first_release_to_a_new_environment_can_ask_can_i_deploy_there(
    client: httpx.AsyncClient,
) -> None:
    assert (await can_i_deploy(client, "staging")).status_code == 404  # not created yet
    created = await client.put(f"{ENVIRONMENTS}/staging", json={"description": "pre-production"})
    assert created.status_code == 201
    assert summary(created.json()) == {
        "environment": "staging",
        "description": "pre-production",
        "created_by": "anonymous",
        "schemas": 0,
        "participants": 0,
    }
    answer = await can_i_deploy(client, "staging")
    assert answer.status_code == 200
    assert (answer.json()["deployable"], answer.json()["pairs"]) == (True, [])
    picture = (await client.get(f"{ENVIRONMENTS}/staging")).json()
    assert (picture["compatible"], picture["schemas"]) == (True, [])


async def test_putting_an_environment_again_is_harmless_and_changes_only_what_is_given(
    client: httpx.AsyncClient,
) -> None:
    first = await client.put(f"{ENVIRONMENTS}/staging", json={"description": "pre-production"})
    again = await client.put(f"{ENVIRONMENTS}/staging")  # no body at all: what a CI step may send
    assert again.status_code == 200
    assert again.json() == first.json()
    empty = await client.put(f"{ENVIRONMENTS}/staging", json={})
    assert (empty.status_code, empty.json()) == (200, first.json())
    described = await client.put(f"{ENVIRONMENTS}/staging", json={"description": "the last stop"})
    assert described.json()["description"] == "the last stop"
    assert described.json()["created_at"] == first.json()["created_at"]
    cleared = await client.put(f"{ENVIRONMENTS}/staging", json={"description": None})
    assert cleared.json()["description"] is None


async def test_an_unknown_environment_stays_a_404(client: httpx.AsyncClient) -> None:
    await client.put(f"{ENVIRONMENTS}/prod")
    for response in (
        await can_i_deploy(client, "prdo"),
        await client.get(f"{ENVIRONMENTS}/prdo"),
        await client.delete(f"{ENVIRONMENTS}/prdo"),
    ):
        assert response.status_code == 404
        error = response.json()["error"]
        assert error["code"] == "environment_not_found"
        assert error["details"] == {"registry": "orders", "environment": "prdo"}
        assert "PUT /registries/orders/environments/prdo" in error["message"]


async def test_recording_in_an_unknown_environment_creates_it(
    engine: Engine, client: httpx.AsyncClient
) -> None:
    token, secret = access.create_token(
        UnitOfWork(make_session_factory(engine)), Role.WRITER, registry=None, actor="test"
    )
    headers = {"Authorization": f"Bearer {secret}"}
    assert (await record(client, "billing", "consumer", "qa", headers=headers)).status_code == 201
    (listed,) = (await client.get(ENVIRONMENTS, headers=headers)).json()["items"]
    assert summary(listed) == {
        "environment": "qa",
        "description": None,
        "created_by": token.id,
        "schemas": 1,
        "participants": 1,
    }
    # the environment outlives its last record: it was a place to deploy to, and still is
    removed = await client.delete(
        f"{SCHEMA}/participants/billing", params={"role": "consumer", "environment": "qa"}, headers=headers
    )
    assert removed.status_code == 204
    (emptied,) = (await client.get(ENVIRONMENTS, headers=headers)).json()["items"]
    assert (emptied["environment"], emptied["participants"]) == ("qa", 0)
    assert (await can_i_deploy(client, "qa", headers=headers)).json()["deployable"] is True


async def test_only_an_empty_environment_is_deleted(client: httpx.AsyncClient) -> None:
    await record(client, "billing", "consumer", "prod")
    await record(client, "checkout", "producer", "prod")
    refused = await client.delete(f"{ENVIRONMENTS}/prod")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "environment_in_use"
    assert error["details"] == {
        "registry": "orders",
        "environment": "prod",
        "count": 2,
        "deployments": [
            {"schema": "OrderCreated", "service": service, "role": role, "version": 1, "environment": "prod"}
            for service, role in (("billing", "consumer"), ("checkout", "producer"))
        ],
    }
    assert (await client.get(f"{ENVIRONMENTS}/prod")).status_code == 200  # still there
    for service, role in (("billing", "consumer"), ("checkout", "producer")):
        params = {"role": role, "environment": "prod"}
        assert (await client.delete(f"{SCHEMA}/participants/{service}", params=params)).status_code == 204
    audited = (await client.get("/registries/orders/audit")).json()["items"]
    assert (await client.delete(f"{ENVIRONMENTS}/prod")).status_code == 204
    assert (await client.get(f"{ENVIRONMENTS}/prod")).status_code == 404
    assert (await can_i_deploy(client, "prod")).status_code == 404
    # creating and deleting environments is not a change to anyone's deployments: the audit keeps those
    assert (await client.get("/registries/orders/audit")).json()["items"] == audited


async def test_environments_are_listed_by_name_a_page_at_a_time(client: httpx.AsyncClient) -> None:
    for name in ("staging", "dev", "prod"):
        await client.put(f"{ENVIRONMENTS}/{name}")
    await record(client, "billing", "consumer", "prod")
    first = (await client.get(ENVIRONMENTS, params={"limit": 2})).json()
    assert [(each["environment"], each["participants"]) for each in first["items"]] == [
        ("dev", 0),
        ("prod", 1),
    ]
    rest = (await client.get(ENVIRONMENTS, params={"cursor": first["next_cursor"]})).json()
    assert ([each["environment"] for each in rest["items"]], rest["next_cursor"]) == (["staging"], None)
    bad = await client.get(ENVIRONMENTS, params={"cursor": "bm9wZQ!"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_cursor")


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        (f"{ENVIRONMENTS}/bad%20name", None, 422, "invalid_name"),
        (f"{ENVIRONMENTS}/-dash", None, 422, "invalid_name"),
        (f"{ENVIRONMENTS}/{'e' * 65}", None, 422, "invalid_name"),
        (f"{ENVIRONMENTS}/staging", {"description": "d" * 257}, 422, "invalid_request"),
        (f"{ENVIRONMENTS}/staging", {"description": "nul\u0000"}, 422, "invalid_request"),
        (f"{ENVIRONMENTS}/staging", {"name": "staging"}, 422, "invalid_request"),
        ("/registries/nope/environments/staging", None, 404, "registry_not_found"),
    ],
)
async def test_refused_environments_are_not_created(
    client: httpx.AsyncClient, path: str, body: dict[str, Any] | None, status: int, code: str
) -> None:
    refused = await client.put(path, json=body)
    assert (refused.status_code, refused.json()["error"]["code"]) == (status, code)
    assert (await client.get(ENVIRONMENTS)).json()["items"] == []


async def test_readers_see_environments_and_writers_of_the_registry_change_them(
    engine: Engine, client: httpx.AsyncClient
) -> None:
    uow = UnitOfWork(make_session_factory(engine))
    tokens = {
        name: {
            "Authorization": f"Bearer {access.create_token(uow, role, registry=registry, actor='test')[1]}"
        }
        for name, role, registry in (
            ("reader", Role.READER, None),
            ("writer", Role.WRITER, "orders"),
            ("other", Role.WRITER, "billing"),
        )
    }
    assert (await client.put(f"{ENVIRONMENTS}/staging")).status_code == 401
    assert (await client.put(f"{ENVIRONMENTS}/staging", headers=tokens["reader"])).status_code == 403
    assert (await client.put(f"{ENVIRONMENTS}/staging", headers=tokens["other"])).status_code == 403
    assert (await client.put(f"{ENVIRONMENTS}/staging", headers=tokens["writer"])).status_code == 201
    assert (await client.get(ENVIRONMENTS, headers=tokens["reader"])).status_code == 200
    assert (await client.get(f"{ENVIRONMENTS}/staging", headers=tokens["reader"])).status_code == 200
    assert (await client.delete(f"{ENVIRONMENTS}/staging", headers=tokens["reader"])).status_code == 403
    assert (await client.delete(f"{ENVIRONMENTS}/staging", headers=tokens["writer"])).status_code == 204


async def test_environments_go_with_their_registry(client: httpx.AsyncClient) -> None:
    await client.put(f"{ENVIRONMENTS}/staging")
    assert (await client.delete("/registries/orders")).status_code == 204
    assert (await client.put("/registries/orders", json={})).status_code == 201
    assert (await client.get(ENVIRONMENTS)).json()["items"] == []


async def test_an_environment_picture_costs_the_same_statements_however_many_schemas_it_shows(
    engine: Engine, client: httpx.AsyncClient
) -> None:
    """Its rules and contracts are read for all the schemas at once, not schema by schema."""
    widened: dict[str, Any] = {
        "type": "object",
        "properties": {"orderId": {"type": "string"}, "status": {"enum": ["NEW", "PAID", "SENT"]}},
        "required": ["orderId"],
    }

    async def deployed(schema: str) -> None:
        path = f"/registries/orders/schemas/{schema}"
        for content in (CONTRACT, widened):  # v2 may send SENT, which v1 cannot read
            new: dict[str, Any] = {"type": "JSONSchemaDraft4", "content": content}
            assert (await client.post(f"{path}/versions", json=new)).status_code == 201
        for service, role, version in (("checkout", "producer", 2), ("billing", "consumer", 1)):
            running: dict[str, Any] = {"role": role, "version": version, "environment": "prod"}
            assert (await client.put(f"{path}/participants/{service}", json=running)).status_code == 201

    async def picture() -> tuple[int, dict[str, Any]]:
        statements: list[str] = []

        def executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", executed)
        try:
            answer = await client.get(f"{ENVIRONMENTS}/prod")
        finally:
            event.remove(engine, "before_cursor_execute", executed)
        assert answer.status_code == 200
        return len(statements), answer.json()

    await deployed("Shipped0")
    await picture()  # warm: the contracts compiled, their verdicts kept
    alone, shown = await picture()
    for n in range(1, 6):
        await deployed(f"Shipped{n}")
    await picture()
    together, many = await picture()
    assert len(shown["schemas"]) == 1 and len(many["schemas"]) == 6
    assert all(len(each["incompatible_pairs"]) == 1 for each in many["schemas"])
    assert together == alone, (alone, together)

"""Bearer tokens: roles, registry scope, revocation, and the open quickstart."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine

from registry import access
from registry.api.app import create_app
from registry.domain.auth import Role
from registry.domain.errors import InvalidName
from registry.settings import Settings
from registry.storage.database import make_session_factory
from registry.storage.unit_of_work import UnitOfWork
from tests.conftest import load_example

DRAFT4 = load_example("draft4/custom-order-created.json")


def new_token(engine: Engine, role: Role, registry: str | None = None) -> tuple[str, str]:
    info, secret = access.create_token(
        UnitOfWork(make_session_factory(engine)), role, registry=registry, actor="test"
    )
    return info.id, secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def register(client: httpx.AsyncClient, registry: str, secret: str) -> object:
    return client.post(
        f"/registries/{registry}/schemas/OrderCreated/versions",
        json={"type": "JSONSchemaDraft4", "content": DRAFT4},
        headers=bearer(secret),
    )


@pytest.fixture
async def admin(engine: Engine, client: httpx.AsyncClient) -> str:
    _, secret = new_token(engine, Role.ADMIN)
    for name in ("a", "b"):
        assert (await client.put(f"/registries/{name}", json={}, headers=bearer(secret))).status_code == 201
    return secret


async def test_without_tokens_the_service_runs_open(client: httpx.AsyncClient) -> None:
    assert (await client.put("/registries/open", json={})).status_code == 201


async def test_once_a_token_exists_a_missing_or_wrong_token_gets_401(
    client: httpx.AsyncClient, admin: str
) -> None:
    missing = await client.get("/registries/a")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "unauthenticated"
    assert missing.headers["www-authenticate"] == "Bearer"
    assert (await client.get("/registries/a", headers=bearer("ecr_wrong"))).status_code == 401
    assert (await client.get("/registries/a", headers={"Authorization": "Basic eDp5"})).status_code == 401
    assert (await client.get("/registries/a", headers=bearer(admin))).status_code == 200


async def test_a_reader_reads_but_cannot_write(engine: Engine, client: httpx.AsyncClient, admin: str) -> None:
    _, reader = new_token(engine, Role.READER)
    assert (await client.get("/registries/a/schemas", headers=bearer(reader))).status_code == 200
    refused = await register(client, "a", reader)
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert refused.json()["error"]["code"] == "forbidden"  # type: ignore[attr-defined]


async def test_a_writer_for_one_registry_cannot_touch_another(
    engine: Engine, client: httpx.AsyncClient, admin: str
) -> None:
    _, writer = new_token(engine, Role.WRITER, registry="a")
    assert (await register(client, "a", writer)).status_code == 201  # type: ignore[attr-defined]
    assert (await register(client, "b", writer)).status_code == 403  # type: ignore[attr-defined]
    assert (await client.get("/registries/b", headers=bearer(writer))).status_code == 403
    listed = (await client.get("/registries", headers=bearer(writer))).json()
    assert [item["name"] for item in listed["items"]] == ["a"]


async def test_a_writer_cannot_create_or_delete_registries(
    engine: Engine, client: httpx.AsyncClient, admin: str
) -> None:
    _, writer = new_token(engine, Role.WRITER)
    assert (await client.put("/registries/c", json={}, headers=bearer(writer))).status_code == 403
    assert (await client.delete("/registries/a", headers=bearer(writer))).status_code == 403


async def test_search_with_a_scoped_token_sees_only_its_registry(
    engine: Engine, client: httpx.AsyncClient, admin: str
) -> None:
    await register(client, "a", admin)
    await register(client, "b", admin)
    _, reader = new_token(engine, Role.READER, registry="b")
    hits = (await client.get("/search", params={"q": "order"}, headers=bearer(reader))).json()
    assert [hit["registry"] for hit in hits["items"]] == ["b"]


async def test_a_revoked_token_is_refused(engine: Engine, client: httpx.AsyncClient, admin: str) -> None:
    token_id, reader = new_token(engine, Role.READER)
    assert (await client.get("/registries/a", headers=bearer(reader))).status_code == 200
    access.revoke_token(UnitOfWork(make_session_factory(engine)), token_id, actor="test")
    assert (await client.get("/registries/a", headers=bearer(reader))).status_code == 401


async def test_tokens_are_stored_hashed(engine: Engine, admin: str) -> None:
    with engine.connect() as connection:
        stored = [row[0] for row in connection.exec_driver_sql("SELECT token_hash FROM api_tokens")]
    assert admin not in stored
    assert all(len(value) == 64 for value in stored)


async def test_require_auth_refuses_anonymous_even_without_tokens(settings: Settings, engine: Engine) -> None:
    app = create_app(settings.model_copy(update={"require_auth": True}), engine=engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r.test") as client:
        assert (await client.get("/registries")).status_code == 401
        assert (await client.get("/healthz")).status_code == 200


async def test_revoking_every_token_keeps_the_service_closed(
    engine: Engine, client: httpx.AsyncClient
) -> None:
    token_id, _ = new_token(engine, Role.ADMIN)
    access.revoke_token(UnitOfWork(make_session_factory(engine)), token_id, actor="test")
    assert (await client.get("/registries")).status_code == 401


def test_a_token_for_an_impossible_registry_name_is_refused(engine: Engine) -> None:
    with pytest.raises(InvalidName):
        new_token(engine, Role.WRITER, registry="bad name!")

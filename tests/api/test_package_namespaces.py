"""Each registry is a namespace of its own for Python packages, on SQLite and PostgreSQL: names never collide
across registries, no refusal names what the caller may not read, and a token of one registry cannot tell
which packages another registry has."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from codegen import GENERATOR_VERSION
from registry import access
from registry.domain.auth import Role
from registry.storage.database import make_session_factory
from registry.storage.unit_of_work import UnitOfWork

JSON_V1 = "application/vnd.pypi.simple.v1+json"
# registry `team` + schema `a-orders` and registry `team-a` + schema `orders`: one normalised name
SHARED_NAME = "team-a-orders"
WHEEL = f"team_a_orders-1+{GENERATOR_VERSION}-py3-none-any.whl"


def contract(title: str) -> dict[str, Any]:
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": title,
        "type": "object",
        "properties": {"id": {"type": "string"}},
    }


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def token(engine: Engine, role: Role, registry: str | None) -> str:
    _, secret = access.create_token(
        UnitOfWork(make_session_factory(engine)), role, registry=registry, actor="test"
    )
    return secret


async def register(client: httpx.AsyncClient, registry: str, schema: str, secret: str) -> httpx.Response:
    return await client.post(
        f"/registries/{registry}/schemas/{schema}/versions",
        json={"type": "JSONSchemaDraft4", "content": contract(f"{registry} {schema}")},
        headers=bearer(secret),
    )


@pytest.fixture
async def admin(client: httpx.AsyncClient, engine: Engine) -> str:
    secret = token(engine, Role.ADMIN, None)
    for registry in ("team", "team-a", "other"):
        created = await client.put(f"/registries/{registry}", json={}, headers=bearer(secret))
        assert created.status_code == 201, created.text
    return secret


async def test_writers_of_two_registries_register_schemas_whose_packages_share_a_name(
    client: httpx.AsyncClient, engine: Engine, admin: str
) -> None:
    """The issue's case: `team` registers `a-orders`, then the writer of `team-a` registers `orders`."""
    first = await register(client, "team", "a-orders", token(engine, Role.WRITER, "team"))
    second = await register(client, "team-a", "orders", token(engine, Role.WRITER, "team-a"))

    assert (first.status_code, second.status_code) == (201, 201), second.text
    for registry, schema in (("team", "a-orders"), ("team-a", "orders")):
        python = (await client.get(f"/registries/{registry}/schemas/{schema}", headers=bearer(admin))).json()
        assert python["python"]["distribution"] == SHARED_NAME
        assert python["python"]["index_page"] == f"/registries/{registry}/simple/{SHARED_NAME}/"


async def test_each_registry_index_serves_its_own_package_under_the_shared_name(
    client: httpx.AsyncClient, engine: Engine, admin: str
) -> None:
    await register(client, "team", "a-orders", admin)
    await register(client, "team-a", "orders", admin)

    for registry, schema in (("team", "a-orders"), ("team-a", "orders")):
        reader = bearer(token(engine, Role.READER, registry))
        listing = await client.get(f"/registries/{registry}/simple/", headers={**reader, "Accept": JSON_V1})
        assert listing.json()["projects"] == [{"name": SHARED_NAME}]
        page = await client.get(f"/registries/{registry}/simple/{SHARED_NAME}/", headers=reader)
        assert page.status_code == 200
        assert WHEEL in page.text
        wheel = await client.get(f"/registries/{registry}/simple/{SHARED_NAME}/{WHEEL}", headers=reader)
        assert wheel.status_code == 200, wheel.text
        init = zipfile.ZipFile(io.BytesIO(wheel.content)).read("team_a_orders/__init__.py").decode()
        assert f"REGISTRY: str = {registry!r}" in init, init
        assert f"SCHEMA_NAME: str = {schema!r}" in init, init


async def test_the_service_wide_index_resolves_a_shared_name_within_the_callers_registry(
    client: httpx.AsyncClient, engine: Engine, admin: str
) -> None:
    await register(client, "team", "a-orders", admin)
    await register(client, "team-a", "orders", admin)
    scoped = bearer(token(engine, Role.READER, "team-a"))

    page = await client.get(f"/simple/{SHARED_NAME}/", headers=scoped)
    wheel = await client.get(f"/simple/{SHARED_NAME}/{WHEEL}", headers=scoped)

    assert page.status_code == 200
    assert wheel.status_code == 200
    init = zipfile.ZipFile(io.BytesIO(wheel.content)).read("team_a_orders/__init__.py").decode()
    assert "REGISTRY: str = 'team-a'" in init


async def test_the_service_wide_index_says_where_to_go_when_a_name_is_ambiguous(
    client: httpx.AsyncClient, admin: str
) -> None:
    """Only a caller who may read every registry asks without a registry; it may be told their names."""
    await register(client, "team", "a-orders", admin)
    await register(client, "team-a", "orders", admin)

    listing = await client.get("/simple/", headers={**bearer(admin), "Accept": JSON_V1})
    page = await client.get(f"/simple/{SHARED_NAME}/", headers=bearer(admin))
    wheel = await client.get(f"/simple/{SHARED_NAME}/{WHEEL}", headers=bearer(admin))

    assert listing.json()["projects"] == [{"name": SHARED_NAME}]
    for response in (page, wheel):
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "package_name_ambiguous"
        assert error["details"]["registries"] == ["team", "team-a"]
        assert "/registries/team-a/simple/" in error["message"]


async def test_a_foreign_token_gets_the_same_answer_whether_or_not_a_package_exists(
    client: httpx.AsyncClient, engine: Engine, admin: str
) -> None:
    await register(client, "team", "a-orders", admin)
    foreign = bearer(token(engine, Role.READER, "other"))
    existing, missing = SHARED_NAME, "team-nothing-here"

    def answer(response: httpx.Response) -> tuple[int, str, str]:
        """The answer, with the names the request itself gave written alike."""
        error = response.json()["error"]
        message = error["message"].replace(missing, existing).replace("no-such-registry", "team")
        return response.status_code, error["code"], message

    pairs = [
        # the service-wide index: another registry's package is as missing as one of none
        (f"/simple/{existing}/", f"/simple/{missing}/"),
        (f"/simple/{existing}/{WHEEL}", f"/simple/{missing}/{WHEEL}"),
        # a registry's own index refuses before it looks anything up
        (f"/registries/team/simple/{existing}/", f"/registries/team/simple/{missing}/"),
        (f"/registries/team/simple/{existing}/{WHEEL}", f"/registries/team/simple/{missing}/{WHEEL}"),
        ("/registries/team/simple/", "/registries/no-such-registry/simple/"),
    ]
    for there, absent in pairs:
        seen = await client.get(there, headers=foreign)
        unseen = await client.get(absent, headers=foreign)
        assert seen.status_code in {403, 404}, there
        assert answer(seen) == answer(unseen), (there, seen.text, unseen.text)
    assert (await client.get(f"/simple/{existing}/", headers=foreign)).status_code == 404


async def test_a_foreign_token_learns_nothing_from_the_eventbridge_code_binding_routes(
    client: httpx.AsyncClient, engine: Engine, admin: str
) -> None:
    await register(client, "team", "a-orders", admin)
    foreign = bearer(token(engine, Role.READER, "other"))
    base = "/v1/registries/name/team/schemas/name/{schema}/language/Python36"

    for suffix, method in (("", "GET"), ("", "POST"), ("/source", "GET")):
        seen = await client.request(method, base.format(schema="a-orders") + suffix, headers=foreign)
        unseen = await client.request(method, base.format(schema="missing") + suffix, headers=foreign)
        assert seen.status_code == unseen.status_code == 403, (suffix, method, seen.text)
        assert seen.json() == unseen.json()


async def test_a_name_taken_in_the_same_registry_is_refused_naming_only_that_registry(
    client: httpx.AsyncClient, engine: Engine, admin: str
) -> None:
    writer = token(engine, Role.WRITER, "team")
    assert (await register(client, "team", "a-orders", writer)).status_code == 201
    await register(client, "team-a", "orders", admin)

    clash = await register(client, "team", "a.orders", writer)

    assert clash.status_code == 409
    error = clash.json()["error"]
    assert error["code"] == "package_name_taken"
    assert error["details"] == {"registry": "team", "schema": "a.orders", "package": SHARED_NAME,
                                "holder": "a-orders"}  # fmt: skip
    # nothing of the other holder of the name, in a registry this writer may not read
    assert error["message"] == (
        "schema 'a.orders' would publish its Python bindings as 'team-a-orders', the package of schema "
        "'a-orders' of the same registry; choose a name that differs in more than punctuation or case"
    )

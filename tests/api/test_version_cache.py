"""Numbered versions served from a replica's memory: same answers, same rules, bounded staleness."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import Engine, text
from starlette.types import ASGIApp, Receive, Scope, Send

from registry import access
from registry.api.app import create_app
from registry.domain.auth import Role
from registry.settings import Settings
from registry.storage.database import make_session_factory
from registry.storage.unit_of_work import UnitOfWork
from tests.conftest import load_example

DRAFT4 = load_example("draft4/custom-order-created.json")
VERSION_1 = "/registries/orders/schemas/aws.x%2FOrder%40Created/versions/1"
TTL = 2.0  # long enough that a slow machine reads twice within it


@pytest.fixture
async def cached(settings: Settings, engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose token table and version cache are trusted for a while, as in production."""
    tuned = settings.model_copy(update={"token_cache_seconds": 60, "version_cache_seconds": TTL})
    app = create_app(tuned, engine=engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r.test") as client:
        await client.put("/registries/orders", json={})
        await client.put("/registries/other", json={})
        body = {"type": "JSONSchemaDraft4", "content": DRAFT4}
        assert (await client.post(VERSION_1.rsplit("/", 1)[0], json=body)).status_code == 201
        client.app = app  # type: ignore[attr-defined]
        yield client


def delete_behind_the_replicas_back(engine: Engine) -> None:
    """What a delete through another replica looks like from this one."""
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM schema_versions"))


async def test_a_cached_read_is_identical_to_the_first(cached: httpx.AsyncClient) -> None:
    first = await cached.get(VERSION_1)
    second = await cached.get(VERSION_1)
    assert second.status_code == 200
    assert second.content == first.content
    for header in ("etag", "cache-control", "content-type"):
        assert second.headers[header] == first.headers[header]
    not_modified = await cached.get(VERSION_1, headers={"If-None-Match": first.headers["etag"]})
    assert not_modified.status_code == 304
    assert not_modified.headers["etag"] == first.headers["etag"]


async def test_a_delete_elsewhere_shows_within_the_ttl(cached: httpx.AsyncClient, engine: Engine) -> None:
    assert (await cached.get(VERSION_1)).status_code == 200
    delete_behind_the_replicas_back(engine)
    assert (await cached.get(VERSION_1)).status_code == 200  # still trusted: the documented staleness
    await asyncio.sleep(TTL + 0.1)
    assert (await cached.get(VERSION_1)).status_code == 404


async def test_a_delete_through_this_replica_shows_at_once(cached: httpx.AsyncClient) -> None:
    assert (await cached.get(VERSION_1)).status_code == 200
    assert (await cached.delete(VERSION_1)).status_code == 204
    assert (await cached.get(VERSION_1)).status_code == 404


async def test_cached_reads_still_need_the_right_token(cached: httpx.AsyncClient, engine: Engine) -> None:
    assert (await cached.get(VERSION_1)).status_code == 200  # open: no token yet, and now cached
    uow = UnitOfWork(make_session_factory(engine))
    _, other = access.create_token(uow, Role.READER, registry="other", actor="test")
    _, reader = access.create_token(uow, Role.READER, registry="orders", actor="test")
    cached.app.state.authenticator.forget()  # type: ignore[attr-defined]
    assert (await cached.get(VERSION_1)).status_code == 401
    assert (await cached.get(VERSION_1, headers={"Authorization": "Bearer nope"})).status_code == 401
    assert (await cached.get(VERSION_1, headers={"Authorization": f"Bearer {other}"})).status_code == 403
    assert (await cached.get(VERSION_1, headers={"Authorization": f"Bearer {reader}"})).status_code == 200


@pytest.fixture
async def counted(settings: Settings, engine: Engine) -> AsyncIterator[tuple[httpx.AsyncClient, list[str]]]:
    """An app whose numbered versions are kept for a second, and the paths of the requests that got past its
    memory into the middleware stack (which is where the database is read)."""
    tuned = settings.model_copy(update={"token_cache_seconds": 60, "version_cache_seconds": 1.0})
    app = create_app(tuned, engine=engine)
    entered: list[str] = []
    app.add_middleware(Entering, entered=entered)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r.test") as client:
        await client.put("/registries/orders", json={})
        body = {"type": "JSONSchemaDraft4", "content": DRAFT4}
        assert (await client.post(VERSION_1.rsplit("/", 1)[0], json=body)).status_code == 201
        yield client, entered


class Entering:
    """A middleware of the application's own stack: notes the requests that enter it."""

    def __init__(self, app: ASGIApp, entered: list[str]) -> None:
        self.app, self.entered = app, entered

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.entered.append(scope["path"])
        await self.app(scope, receive, send)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_past_half_its_time_one_request_reads_a_version_again_and_the_others_never_wait(
    counted: tuple[httpx.AsyncClient, list[str]],
) -> None:
    client, entered = counted
    assert (await client.get(VERSION_1)).status_code == 200  # read, and kept for 1 s
    kept = time.monotonic()
    entered.clear()
    assert [(await client.get(VERSION_1)).status_code for _ in range(5)] == [200] * 5
    assert entered == [], "answered from memory"
    await asyncio.sleep(0.6 - (time.monotonic() - kept))  # past half its time
    together = await asyncio.gather(*(client.get(VERSION_1) for _ in range(8)))
    assert [answer.status_code for answer in together] == [200] * 8
    assert len(entered) == 1, "one request reads the version again, the others are answered from memory"
    await asyncio.sleep(max(0.0, 1.1 - (time.monotonic() - kept)))  # past the first read's time
    entered.clear()
    together = await asyncio.gather(*(client.get(VERSION_1) for _ in range(8)))
    assert [answer.status_code for answer in together] == [200] * 8
    assert entered == [], "the entry was read again in time: no request waits for the database at its expiry"

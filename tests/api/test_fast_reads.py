"""`latest` and validation served from a replica's memory: the same answers as the application's, the same
rules (tokens, metrics, logs), and `latest` correct across replicas sharing one database."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import io
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event

from registry import access
from registry.access import Authenticator
from registry.api.app import create_app
from registry.api.fast_reads import FreshCache
from registry.domain.auth import Role
from registry.domain.errors import Unauthenticated
from registry.mirroring import MirrorWorker
from registry.observability.logs import ACCESS_LOGGER, JsonFormatter
from registry.settings import Settings
from registry.storage.database import make_session_factory
from registry.storage.unit_of_work import UnitOfWork
from tests.api.test_metrics import scrape, value
from tests.conftest import load_example

DRAFT4 = load_example("draft4/custom-order-created.json")
EVENT = load_example("draft4/custom-order-created.event.json")
VERSIONS = "/registries/orders/schemas/aws.x%2FOrder%40Created/versions"
LATEST = f"{VERSIONS}/latest"
VALIDATE_ROUTE = "/registries/{registry}/schemas/{schema}/versions/{version}/validate"
TTL = 0.5  # REGISTRY_LATEST_CACHE_SECONDS, the default


def second_version() -> dict[str, Any]:
    """DRAFT4 with one more required property, which EVENT lacks."""
    changed = copy.deepcopy(DRAFT4)
    changed["properties"]["priority"] = {"type": "integer"}
    changed["required"] = [*changed.get("required", []), "priority"]
    return changed


async def register_second_version(client: httpx.AsyncClient) -> None:
    body = {"type": "JSONSchemaDraft4", "content": second_version()}
    assert (await client.post(VERSIONS, json=body)).status_code == 201


@asynccontextmanager
async def replica(settings: Settings, engine: Engine, ttl: float = TTL) -> AsyncIterator[httpx.AsyncClient]:
    """One replica of the service (its own app, caches and token table) on the shared database."""
    tuned = settings.model_copy(update={"token_cache_seconds": 60, "latest_cache_seconds": ttl})
    app = create_app(tuned, engine=engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r.test") as client:
        client.app = app  # type: ignore[attr-defined]
        yield client


async def with_first_version(client: httpx.AsyncClient) -> None:
    assert (await client.put("/registries/orders", json={"compatibility": "NONE"})).status_code == 201
    await client.put("/registries/other", json={})
    body = {"type": "JSONSchemaDraft4", "content": DRAFT4}
    assert (await client.post(VERSIONS, json=body)).status_code == 201


@pytest.fixture
async def replicas(settings: Settings, engine: Engine) -> AsyncIterator[tuple[httpx.AsyncClient, ...]]:
    async with replica(settings, engine) as one, replica(settings, engine) as other:
        await with_first_version(one)
        yield one, other


@pytest.fixture
async def steady(settings: Settings, engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    """One replica keeping `latest` for the longest time allowed: a slow machine reads twice within it."""
    async with replica(settings, engine, ttl=1.0) as one:
        await with_first_version(one)
        yield one


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements the engine runs inside the block: none means the answer came from memory."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


# What does not depend on the database runs on SQLite only.
SQLITE_ONLY = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


async def latest_version(client: httpx.AsyncClient) -> int | None:
    answer = await client.get(LATEST)
    return int(answer.json()["version"]) if answer.status_code == 200 else None


async def test_latest_from_memory_is_the_applications_answer(
    steady: httpx.AsyncClient, engine: Engine
) -> None:
    one = steady
    first = await one.get(LATEST)
    with statements(engine) as seen:
        second = await one.get(LATEST)
        not_modified = await one.get(LATEST, headers={"If-None-Match": first.headers["etag"]})
    assert seen == [], "served from memory"
    assert (second.status_code, second.content) == (200, first.content)
    for header in ("etag", "cache-control", "content-type"):
        assert second.headers[header] == first.headers[header]
    assert first.headers["cache-control"] == "no-cache"
    assert not_modified.status_code == 304 and not_modified.headers["etag"] == first.headers["etag"]


async def test_latest_follows_writes_at_once_on_their_replica_and_within_the_ttl_on_another(
    replicas: tuple[httpx.AsyncClient, ...],
) -> None:
    one, other = replicas
    assert (await latest_version(one), await latest_version(other)) == (1, 1)  # both keep version 1 now
    await register_second_version(one)
    assert await latest_version(one) == 2, "the replica that acknowledged it knows at once"
    await asyncio.sleep(TTL + 0.05)
    assert await latest_version(other) == 2
    assert (await other.delete(f"{VERSIONS}/2")).status_code == 204  # deletes, the same way
    assert await latest_version(other) == 1
    await asyncio.sleep(TTL + 0.05)
    assert await latest_version(one) == 1
    assert (await other.delete(f"{VERSIONS}/1")).status_code == 204
    assert (await other.get(LATEST)).status_code == 404
    await asyncio.sleep(TTL + 0.05)
    assert (await one.get(LATEST)).status_code == 404


@SQLITE_ONLY
async def test_a_validation_from_memory_is_the_applications_answer(
    steady: httpx.AsyncClient, engine: Engine
) -> None:
    one = steady
    for path in (f"{VERSIONS}/1/validate", f"{LATEST}/validate"):
        first = await one.post(path, json=EVENT)
        with statements(engine) as seen:
            second = await one.post(path, json=EVENT)
            formats = await one.post(f"{path}?check_formats=true&check_identity=false", json=EVENT)
        assert seen == [], f"{path} served from memory"
        assert first.json() == {
            "valid": True,
            "errors": [],
            "registry": "orders",
            "schema": "aws.x/Order@Created",
            "version": 1,
        }
        assert (second.status_code, second.content) == (200, first.content)
        assert second.headers["content-type"] == first.headers["content-type"]
        assert formats.json() == first.json()


@SQLITE_ONLY
async def test_invalid_events_and_odd_queries_get_the_applications_answers(
    steady: httpx.AsyncClient,
) -> None:
    one = steady
    path = f"{VERSIONS}/1/validate"
    assert (await one.post(path, json=EVENT)).json()["valid"]  # the contract is in memory now
    broken = {**EVENT, "detail": {**EVENT["detail"], "orderId": 7}}
    answer = await one.post(path, json=broken)
    assert answer.status_code == 200 and not answer.json()["valid"]
    assert answer.json()["errors"][0]["path"] == "/detail/orderId"
    assert (await one.post(f"{path}?check_formats=maybe", json=EVENT)).status_code == 422
    assert (
        await one.post(path, content=b"{", headers={"content-type": "application/json"})
    ).status_code == 400
    other_type = {**EVENT, "detail-type": "Something Else"}
    refused = (await one.post(path, json=other_type)).json()
    assert not refused["valid"] and refused["errors"][0]["code"] == "identity_mismatch"
    accepted = (await one.post(f"{path}?check_identity=false", json=other_type)).json()
    assert accepted["valid"]


async def test_validating_against_latest_follows_a_new_version_at_once(
    replicas: tuple[httpx.AsyncClient, ...],
) -> None:
    one, other = replicas
    assert (await one.post(f"{LATEST}/validate", json=EVENT)).json()["valid"]
    assert (await other.post(f"{LATEST}/validate", json=EVENT)).json()["valid"]
    assert (
        await one.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": second_version()})
    ).is_success
    answer = (await one.post(f"{LATEST}/validate", json=EVENT)).json()
    assert (answer["version"], answer["valid"]) == (2, False)
    await asyncio.sleep(TTL + 0.05)
    answer = (await other.post(f"{LATEST}/validate", json=EVENT)).json()
    assert (answer["version"], answer["valid"]) == (2, False)
    assert (await one.post(f"{VERSIONS}/1/validate", json=EVENT)).json()["valid"]


@SQLITE_ONLY
async def test_reads_from_memory_still_need_the_right_token(
    steady: httpx.AsyncClient, engine: Engine
) -> None:
    one = steady
    assert (await one.get(LATEST)).status_code == 200  # open, no token yet: now in memory
    assert (await one.post(f"{LATEST}/validate", json=EVENT)).status_code == 200
    uow = UnitOfWork(make_session_factory(engine))
    _, elsewhere = access.create_token(uow, Role.READER, registry="other", actor="test")
    _, reader = access.create_token(uow, Role.READER, registry="orders", actor="test")
    one.app.state.authenticator.forget()  # type: ignore[attr-defined]
    for method, path, body in (("GET", LATEST, None), ("POST", f"{LATEST}/validate", EVENT)):
        for token, status in ((None, 401), ("nope", 401), (elsewhere, 403), (reader, 200)):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            answer = await one.request(method, path, json=body, headers=headers)
            assert answer.status_code == status, (method, token)


@SQLITE_ONLY
async def test_validations_from_memory_are_counted_and_logged_as_the_route(
    steady: httpx.AsyncClient, engine: Engine
) -> None:
    one = steady
    before = await scrape(one)
    assert (await one.post(f"{LATEST}/validate", json=EVENT)).status_code == 200  # kept in memory now
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        with statements(engine) as seen:
            hit = await one.post(f"{LATEST}/validate", json=EVENT, headers={"X-Request-Id": "hit"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    after = await scrape(one)
    assert seen == [] and hit.status_code == 200 and hit.headers["x-request-id"] == "hit"
    grown = value(after, "registry_event_validations_total", result="valid") - value(
        before, "registry_event_validations_total", result="valid"
    )
    assert grown == 2, "the application's validation and the one from memory"
    requests = "registry_http_requests_total"
    labels = {"method": "POST", "route": VALIDATE_ROUTE, "status": "200"}
    assert value(after, requests, **labels) - value(before, requests, **labels) == 2
    line = json.loads(written.getvalue().splitlines()[-1])
    assert (line["request_id"], line["route"], line["status"]) == ("hit", VALIDATE_ROUTE, 200)
    assert line["token_id"] == "anonymous"


@SQLITE_ONLY
def test_an_idle_mirror_worker_does_not_drop_what_replicas_keep(settings: Settings, engine: Engine) -> None:
    uow = UnitOfWork(make_session_factory(engine))
    worker = MirrorWorker(uow, settings)
    assert worker.run_once() is False  # nothing to deliver
    assert uow.commits == 0


@SQLITE_ONLY
def test_an_aging_token_table_is_read_again_in_the_background(engine: Engine) -> None:
    uow = UnitOfWork(make_session_factory(engine))
    _, first = access.create_token(uow, Role.READER, registry="orders", actor="test")
    authenticator = Authenticator(uow, ttl=1.0, require_auth=False)
    assert authenticator.principal_for(f"Bearer {first}").registry == "orders"  # the table is loaded
    _, second = access.create_token(uow, Role.READER, registry="other", actor="test")
    time.sleep(0.6)  # past half its time: the next request starts a re-read, and is answered meanwhile
    assert authenticator.principal_if_fresh(f"Bearer {first}") is not None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the re-read is done once the new token is known
        with contextlib.suppress(Unauthenticated):
            found = authenticator.principal_if_fresh(f"Bearer {second}")
            assert found is not None, "the table aged out: it was not read again in the background"
            assert found.registry == "other"
            return
        time.sleep(0.01)
    raise AssertionError("the new token never became known")


def test_a_read_that_began_before_a_write_committed_is_not_kept() -> None:
    commits = [0]
    cache: FreshCache[str, int] = FreshCache(ttl=60, commits=lambda: commits[0], max_entries=2)
    stamp = cache.stamp()  # a read begins
    commits[0] += 1  # a write commits meanwhile
    cache.put("latest", 1, stamp)
    assert cache.get("latest") is None
    cache.put("latest", 2, cache.stamp())
    assert cache.get("latest") == 2
    commits[0] += 1
    assert cache.get("latest") is None, "a write through this replica drops what was kept"


def test_past_half_its_time_one_request_reads_an_entry_again_while_others_are_answered() -> None:
    cache: FreshCache[str, int] = FreshCache(ttl=0.2, commits=lambda: 0, max_entries=2)
    cache.put("latest", 1, cache.stamp())
    assert cache.get("latest") == 1
    time.sleep(0.1)
    assert cache.get("latest") is None, "the first request past half the time reads again"
    assert cache.get("latest") == 1, "the others are still answered"
    cache.put("latest", 2, cache.stamp())
    assert cache.get("latest") == 2
    time.sleep(0.2)
    assert cache.get("latest") is None and cache.get("latest") is None, "past its time, for everyone"


def test_the_caches_are_bounded() -> None:
    cache: FreshCache[int, bytes] = FreshCache(ttl=60, commits=lambda: 0, max_entries=4, max_bytes=200)
    for key in range(10):
        cache.put(key, b"x" * 20, cache.stamp(), size=20)
    assert len(cache) == 4 and cache.get(9) == b"x" * 20 and cache.get(0) is None
    for key in range(10, 20):
        cache.put(key, b"x" * 50, cache.stamp(), size=50)
    assert len(cache) == 4 and cache.get(15) is None and cache.get(16) is not None  # 200 bytes
    cache.put(99, b"x" * 51, cache.stamp(), size=51)
    assert cache.get(99) is None, "an entry over a quarter of the bound is not kept"

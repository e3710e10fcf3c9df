"""Request ids on every answer, and the access log in both formats, naming the caller's token by its id only.

Request ids do not depend on the database: these tests run on SQLite alone."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from registry import access
from registry.api.app import create_app
from registry.domain.auth import Role
from registry.observability.logs import ACCESS_LOGGER, JsonFormatter, TextFormatter
from registry.settings import Settings
from registry.storage.database import make_engine, make_session_factory
from registry.storage.migrations import upgrade
from registry.storage.unit_of_work import UnitOfWork
from tests.conftest import load_example

VERSIONS = "/registries/orders/schemas/com.acme%40OrderCreated/versions"
GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
async def app_and_token(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, str, str]]:
    """An app with one admin token, a registered version, and version reads served from memory."""
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    upgrade(engine)
    token, secret = access.create_token(
        UnitOfWork(make_session_factory(engine)), Role.ADMIN, registry=None, actor="anonymous"
    )
    settings = Settings(
        database_url=str(engine.url), mirror_worker=False, token_cache_seconds=60, version_cache_seconds=60
    )
    app = create_app(settings, engine=engine)
    headers = {"Authorization": f"Bearer {secret}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://r.test", headers=headers
    ) as client:
        assert (await client.put("/registries/orders", json={})).status_code == 201
        body = {"type": "JSONSchemaDraft4", "content": load_example("draft4/custom-order-created.json")}
        assert (await client.post(VERSIONS, json=body)).status_code == 201
        yield client, token.id, secret
    engine.dispose()


@pytest.fixture
def access_lines() -> Iterator[tuple[io.StringIO, logging.Handler]]:
    """What the access logger writes, in the format the test sets on the handler."""
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    logger = logging.getLogger(ACCESS_LOGGER)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield written, handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_every_answer_carries_a_request_id(app_and_token: tuple[httpx.AsyncClient, str, str]) -> None:
    client, _, _ = app_and_token
    answers = [
        await client.get(f"{VERSIONS}/1"),  # the database's answer, kept in memory
        await client.get(f"{VERSIONS}/1"),  # from memory, before the framework
        await client.get("/no/such/path"),  # 404 from the router
        await client.post(
            VERSIONS, content=b"a=b", headers={"Content-Type": "text/plain"}
        ),  # 415, middleware
        await client.post(VERSIONS, content=b"x" * (2 * 1024 * 1024)),  # 413, middleware
        await client.get("/registries/orders", headers={"Authorization": "Bearer wrong"}),  # 401
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 404, 415, 413, 401]
    ids = [answer.headers["x-request-id"] for answer in answers]
    assert all(GENERATED.fullmatch(each) for each in ids), ids
    assert len(set(ids)) == len(ids), "each request gets its own"


async def test_a_well_formed_request_id_of_the_caller_is_kept_else_replaced(
    app_and_token: tuple[httpx.AsyncClient, str, str],
) -> None:
    """Well formed: 1 to 128 of letters, digits, `.`, `_`, `:` and `-`; anything else is not echoed."""
    client, _, _ = app_and_token
    for given in ("a", "gateway-7f3a:42", "Root.1_2-3", "x" * 128):
        for path in (f"{VERSIONS}/1", f"{VERSIONS}/1", "/healthz"):  # the second read is from memory
            assert (await client.get(path, headers={"X-Request-Id": given})).headers["x-request-id"] == given
    for given in ("", "has space", "a;b", "x" * 129, "naïve", "<script>"):
        answer = await client.get("/healthz", headers={"X-Request-Id": given.encode()})
        assert GENERATED.fullmatch(answer.headers["x-request-id"]), given


async def test_json_access_lines_name_the_route_and_the_token_never_its_secret(
    app_and_token: tuple[httpx.AsyncClient, str, str], access_lines: tuple[io.StringIO, logging.Handler]
) -> None:
    client, token_id, secret = app_and_token
    written, handler = access_lines
    handler.setFormatter(JsonFormatter())
    first = await client.get(f"{VERSIONS}/1", headers={"X-Request-Id": "first"})
    cached = await client.get(f"{VERSIONS}/1", headers={"X-Request-Id": "cached"})
    anonymous = await client.get(f"{VERSIONS}/1", headers={"Authorization": "", "X-Request-Id": "anon"})
    assert (first.status_code, cached.status_code, anonymous.status_code) == (200, 200, 401)
    assert secret not in written.getvalue()
    lines = {line["request_id"]: line for line in map(json.loads, written.getvalue().splitlines())}
    route = "/registries/{registry}/schemas/{schema}/versions/{version}"
    for request_id in ("first", "cached"):
        line = lines[request_id]
        assert (line["route"], line["status"], line["token_id"], line["method"]) == (
            route,
            200,
            token_id,
            "GET",
        )
        assert line["path"] == f"{VERSIONS}/1"
        assert line["duration_ms"] >= 0 and line["level"] == "info" and line["logger"] == ACCESS_LOGGER
    assert (lines["anon"]["status"], lines["anon"]["route"]) == (401, route)
    assert "token_id" not in lines["anon"], "refused before any token was known"


async def test_text_access_lines_read_like_uvicorns(
    app_and_token: tuple[httpx.AsyncClient, str, str], access_lines: tuple[io.StringIO, logging.Handler]
) -> None:
    client, token_id, _ = app_and_token
    written, handler = access_lines
    handler.setFormatter(TextFormatter())
    await client.get("/registries/orders?x=1", headers={"X-Request-Id": "r-1"})
    [line] = written.getvalue().splitlines()
    assert '"GET /registries/orders?x=1 HTTP/1.1" 200' in line
    assert line.endswith(f"ms, request r-1 token {token_id}")
    assert " INFO registry.access: " in line


async def test_the_access_log_can_be_turned_off(
    tmp_path: Path, access_lines: tuple[io.StringIO, object]
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}", access_log=False, mirror_worker=False)
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r.test") as client:
        answer = await client.get("/healthz")
    assert GENERATED.fullmatch(answer.headers["x-request-id"]), "the id is there all the same"
    assert access_lines[0].getvalue() == ""


async def test_an_unexpected_failure_is_answered_and_logged_once_with_the_request_id(tmp_path: Path) -> None:
    """A database file that cannot be opened: whatever the answer, it names the request, and so does the
    one line that reports the failure (none when the failure is one the API answers as such)."""
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.ERROR)
    logging.getLogger("registry").addHandler(handler)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'missing' / 'r.db'}", mirror_worker=False)
    try:
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://r.test") as client:
            answer = await client.get("/registries", headers={"X-Request-Id": "broken-1"})
    finally:
        logging.getLogger("registry").removeHandler(handler)
    assert answer.status_code >= 500
    assert answer.headers["x-request-id"] == "broken-1"
    reports = [json.loads(line) for line in written.getvalue().splitlines()]
    assert len(reports) <= 1
    for report in reports:
        assert report["request_id"] == "broken-1" and report["level"] == "error"
        assert "OperationalError" in report["exception"] and "\n" not in json.dumps(report["message"])

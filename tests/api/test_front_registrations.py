"""Registrations answered in front of the middleware stack (registry.api.front_registrations): the same
requests, answered in front and by the stack (each side on its own empty database), get the same statuses,
bodies and headers, the same metrics and the same audit history; what the front does not take reaches the
stack as it came."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine, text
from starlette.types import ASGIApp, Receive, Scope, Send

from registry import access, services
from registry.api.app import create_app
from registry.api.front_registrations import REGISTER_ROUTE
from registry.domain.auth import Role
from registry.observability.logs import ACCESS_LOGGER, JsonFormatter
from registry.services import RegistryChanges
from registry.settings import Settings
from registry.storage.database import make_engine, make_session_factory
from registry.storage.migrations import upgrade
from registry.storage.unit_of_work import UnitOfWork
from tests.conftest import TABLES, load_example

DRAFT4 = "http://json-schema.org/draft-04/schema#"
VERSIONS = "/registries/r/schemas/orders.x%2FPlaced/versions"
MAX_BYTES = 16 * 1024


def contract(max_length: int) -> dict[str, Any]:
    return {
        "$schema": DRAFT4,
        "type": "object",
        "properties": {"id": {"type": "string", "maxLength": max_length}, "qty": {"type": "integer"}},
        "required": ["id"],
    }


def body(content: Any, **more: Any) -> bytes:
    return json.dumps({"type": "JSONSchemaDraft4", "content": content, **more}).encode()


JSON = {"content-type": "application/json"}
CHARSET = {"content-type": "application/json; charset=utf-8"}
OTHER_JSON = {"content-type": "application/x.reg+json"}  # read as JSON by the stack, not taken in front
OPENAPI = json.dumps({"type": "OpenApi3", "content": load_example("openapi3/custom-order-created.json")})
ELSEWHERE = "/registries/nope/schemas/s/versions"
BAD_NAME = "/registries/r/schemas/bad!name/versions"
# (what it is, path, body, headers, the token's role ("" for none), the status, answered in front)
Exchange = tuple[str, str, bytes, dict[str, str], str, int, bool]
EXCHANGES: list[Exchange] = [
    ("new schema", VERSIONS, body(contract(10), description="first"), JSON, "writer", 201, True),
    ("identical content", VERSIONS, body(contract(10)), JSON, "writer", 200, True),
    ("no Content-Type", VERSIONS, body(contract(20)), {}, "admin", 201, True),
    ("incompatible", VERSIONS, body(contract(5)), JSON, "writer", 409, True),
    ("invalid contract", VERSIONS, body({"$schema": DRAFT4, "type": 5}), JSON, "writer", 422, True),
    ("unknown registry", ELSEWHERE, body(contract(1)), JSON, "admin", 404, True),
    ("another type", VERSIONS, OPENAPI.encode(), JSON, "writer", 409, True),
    ("a charset", VERSIONS, body(contract(30)), CHARSET, "writer", 201, True),
    ("no token", VERSIONS, body(contract(40)), JSON, "", 401, False),
    ("a reader", VERSIONS, body(contract(40)), JSON, "reader", 403, False),
    ("a metrics token", VERSIONS, body(contract(40)), JSON, "metrics", 403, False),
    ("another registry's writer", VERSIONS, body(contract(40)), JSON, "elsewhere", 403, False),
    ("malformed JSON", VERSIONS, b'{"type": "JSONSchemaDraft4", "content": {', JSON, "writer", 400, False),
    (
        "repeated key",
        VERSIONS,
        b'{"type": "JSONSchemaDraft4", "type": "OpenApi3"}',
        JSON,
        "writer",
        422,
        False,
    ),
    ("not wrapped", VERSIONS, json.dumps(contract(40)).encode(), JSON, "writer", 422, False),
    ("unknown field", VERSIONS, body(contract(40), colour="red"), JSON, "writer", 422, False),
    ("a JSON list", VERSIONS, b"[]", JSON, "writer", 422, False),
    ("too large", VERSIONS, body(contract(40), description="x" * MAX_BYTES), JSON, "writer", 413, False),
    ("as text", VERSIONS, body(contract(40)), {"content-type": "text/plain"}, "writer", 415, False),
    ("another JSON type", VERSIONS, body(contract(50)), OTHER_JSON, "writer", 201, False),
    ("bad name", BAD_NAME, body(contract(40)), JSON, "writer", 422, False),
    ("empty body", VERSIONS, b"", JSON, "writer", 422, False),
    ("after the refusals", VERSIONS, body(contract(60)), JSON, "writer", 201, True),
]


class Entering:
    """A middleware of the application's own stack: notes the requests that reach it."""

    entered: ClassVar[list[str]] = []

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            Entering.entered.append(bytes(scope["raw_path"]).split(b"?")[0].decode())
        await self.app(scope, receive, send)


@contextmanager
def empty_database(engine: Engine, tmp_path: Path, side: str) -> Iterator[Engine]:
    """An empty migrated database for one side: a new SQLite file, or the session's PostgreSQL emptied."""
    if engine.dialect.name == "sqlite":
        fresh = make_engine(f"sqlite:///{tmp_path / side}.db")
        upgrade(fresh)
        yield fresh
        fresh.dispose()
        return
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    yield engine


Tokens = dict[str, tuple[str, str]]


@asynccontextmanager
async def replica(settings: Settings, engine: Engine) -> AsyncIterator[tuple[httpx.AsyncClient, Tokens]]:
    """An app on `engine` with a registry `r` and a token of each role; yields the client and the tokens
    (role: (id, secret))."""
    app = create_app(settings, engine=engine)
    app.add_middleware(Entering)
    uow = UnitOfWork(make_session_factory(engine))
    tokens = {
        "admin": access.create_token(uow, Role.ADMIN, registry=None, actor="test"),
        "writer": access.create_token(uow, Role.WRITER, registry="r", actor="test"),
        "reader": access.create_token(uow, Role.READER, registry=None, actor="test"),
        "metrics": access.create_token(uow, Role.METRICS, registry=None, actor="test"),
        "elsewhere": access.create_token(uow, Role.WRITER, registry="other", actor="test"),
    }
    found = {role: (info.id, secret) for role, (info, secret) in tokens.items()}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r.test") as client:
        admin = {"Authorization": f"Bearer {found['admin'][1]}"}
        assert (await client.put("/registries/r", json={}, headers=admin)).status_code == 201
        client.app = app  # type: ignore[attr-defined]
        yield client, found


SAMPLES = [
    ("registry_registrations_total", {"outcome": outcome})
    for outcome in ("created", "identical", "incompatible", "invalid", "too_large")
] + [
    ("registry_http_requests_total", {"method": "POST", "route": REGISTER_ROUTE, "status": status})
    for status in ("200", "201", "400", "401", "403", "404", "409", "413", "415", "422", "503")
]


def counted() -> list[float]:
    return [REGISTRY.get_sample_value(name, labels) or 0.0 for name, labels in SAMPLES]


def normalised(response: httpx.Response, tokens: Tokens) -> tuple[int, list[tuple[str, str]], Any]:
    """The answer with what differs between two databases by nature (when, the token ids) in placeholders,
    once the headers that depend on them are checked against the body."""
    content = response.content
    assert response.headers["content-length"] == str(len(content))
    if "etag" in response.headers:
        assert response.headers["etag"] == f'"{hashlib.sha256(content).hexdigest()[:32]}"'
    text_ = content.decode()
    for role, (token_id, _) in tokens.items():
        text_ = text_.replace(token_id, f"<{role}>")
    value = json.loads(text_) if response.headers.get("content-type") == "application/json" else text_
    if isinstance(value, dict):
        value.pop("created_at", None)
    headers = [
        (name, "<checked>" if name in {"etag", "content-length"} else value_)
        for name, value_ in response.headers.multi_items()
    ]
    return response.status_code, headers, value


async def exchange_all(
    client: httpx.AsyncClient, tokens: Tokens, *, through_stack: bool
) -> tuple[list[Any], list[float], list[str], Any]:
    """Every exchange; the answers, the metrics counted, the paths of the requests that reached the stack,
    and the registry's audit history."""
    Entering.entered = []
    before = counted()
    answers = []
    for what, path, content, headers, role, _, _ in EXCHANGES:
        # any query sends a registration on to the stack (the route reads none)
        url = f"{path}?via=stack" if through_stack else path
        sent = {**headers, "X-Request-Id": f"id-{len(answers)}"}
        if role:
            sent["Authorization"] = f"Bearer {tokens[role][1]}"
        response = await client.post(url, content=content, headers=sent)
        answers.append((what, normalised(response, tokens)))
    metrics = [after - earlier for after, earlier in zip(counted(), before, strict=True)]
    entered = list(Entering.entered)
    admin = {"Authorization": f"Bearer {tokens['admin'][1]}"}
    audit = (await client.get("/registries/r/audit", headers=admin)).json()
    for entry in audit["items"]:
        entry.pop("at", None)
        entry.pop("id", None)
        entry["actor"] = next((f"<{role}>" for role, (i, _) in tokens.items() if i == entry["actor"]), None)
    return answers, metrics, entered, audit


@pytest.mark.parametrize("token_cache_seconds", [0, 60], ids=["token table read", "token table fresh"])
async def test_registrations_answered_in_front_equal_the_stacks_answers(
    settings: Settings, engine: Engine, tmp_path: Path, token_cache_seconds: float
) -> None:
    tuned = settings.model_copy(
        update={"token_cache_seconds": token_cache_seconds, "max_content_bytes": MAX_BYTES}
    )
    with empty_database(engine, tmp_path, "front") as database:
        async with replica(tuned, database) as (client, tokens):
            front = await exchange_all(client, tokens, through_stack=False)
    with empty_database(engine, tmp_path, "stack") as database:
        async with replica(tuned, database) as (client, tokens):
            stack = await exchange_all(client, tokens, through_stack=True)
    for (what, in_front), (_, by_stack) in zip(front[0], stack[0], strict=True):
        assert in_front == by_stack, what
    assert [answer[1][0] for answer in front[0]] == [exchange[5] for exchange in EXCHANGES]
    assert front[1] == stack[1]  # the same metrics
    assert front[3] == stack[3]  # the same audit history
    # the front answered what it takes; the rest, and every request of the other side, reached the stack
    expected = [path for _, path, _, _, _, _, in_front in EXCHANGES if not in_front]
    assert front[2] == expected
    assert len(stack[2]) == len(EXCHANGES)


async def test_a_database_that_refuses_writes_gets_the_same_503_in_front(tmp_path: Path) -> None:
    path = tmp_path / "registry.db"
    writable = make_engine(f"sqlite:///{path}")
    upgrade(writable)
    services.put_registry(UnitOfWork(make_session_factory(writable)), "r", RegistryChanges(), actor="test")
    writable.dispose()
    # as the registry sees a file it may not write (chmod cannot stop root, who runs CI's containers)
    settings = Settings(database_url=f"sqlite:///file:{path}?mode=ro&uri=true", mirror_worker=False)
    app = create_app(settings)
    app.add_middleware(Entering)
    Entering.entered = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r.test") as client:
        in_front = await client.post(VERSIONS, content=body(contract(10)), headers=JSON)
        by_stack = await client.post(f"{VERSIONS}?via=stack", content=body(contract(10)), headers=JSON)
    app.state.engine.dispose()
    assert len(Entering.entered) == 1  # the second only
    assert (in_front.status_code, in_front.json()["error"]["code"]) == (503, "database_read_only")
    assert in_front.content == by_stack.content
    for name in ("retry-after", "content-type", "content-length"):
        assert in_front.headers[name] == by_stack.headers[name]


async def test_a_registration_begun_before_the_drain_is_answered_and_counted_in_flight(
    settings: Settings, engine: Engine
) -> None:
    """The drain begins while the body is on its way: the request was let in, as the stack's drain gate
    lets in what arrives before the drain, and it is in flight until answered; also when the front hands
    it on to the stack."""
    app = create_app(settings, engine=engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r.test") as client:
        assert (await client.put("/registries/r", json={})).status_code == 201
    lifecycle = app.state.lifecycle
    in_flight: list[int] = []

    async def post(content: bytes) -> int:
        async def receive() -> dict[str, Any]:
            lifecycle.drain()
            in_flight.append(lifecycle.in_flight)
            return {"type": "http.request", "body": content, "more_body": False}

        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        path = VERSIONS.encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
        scope = {"type": "http", "method": "POST", "path": "/", "raw_path": path, "query_string": b""}
        scope.update({"headers": headers, "http_version": "1.1", "scheme": "http", "root_path": ""})
        scope["path"] = path.decode()
        lifecycle.draining = False  # each request arrives before its drain
        await app(scope, receive, send)
        return int(sent[0]["status"])

    assert await post(body(contract(10))) == 201  # answered in front
    assert await post(body(contract(10), colour="red")) == 422  # refused by the stack, not shut out
    assert in_flight == [1, 1]
    assert lifecycle.in_flight == 0


async def test_access_lines_of_registrations_in_front_name_the_route_and_the_token(
    settings: Settings, engine: Engine
) -> None:
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(ACCESS_LOGGER)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        async with replica(settings.model_copy(update={"token_cache_seconds": 60}), engine) as (
            client,
            tokens,
        ):
            writer = {**JSON, "Authorization": f"Bearer {tokens['writer'][1]}"}
            for via, suffix in (("front", ""), ("stack", "?via=stack")):
                sent = {**writer, "X-Request-Id": via}
                answer = await client.post(f"{VERSIONS}{suffix}", content=body(contract(10)), headers=sent)
                assert answer.status_code == {"front": 201, "stack": 200}[via]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    lines = {line["request_id"]: line for line in map(json.loads, written.getvalue().splitlines())}
    for via in ("front", "stack"):
        line = lines[via]
        assert (line["route"], line["method"], line["token_id"]) == (
            REGISTER_ROUTE,
            "POST",
            tokens["writer"][0],
        )
    assert lines["front"]["path"] == VERSIONS

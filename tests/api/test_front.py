"""Versions answered from memory in front of the middleware stack (registry.api.front): what such an answer
skips, and what it still does as every answer does (request id, metrics, the drain)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine
from starlette.types import ASGIApp, Receive, Scope, Send

from registry.api.app import create_app
from registry.settings import Settings
from tests.conftest import load_example

VERSIONS = "/registries/orders/schemas/aws.x%2FOrderCreated/versions"
ROUTE = "/registries/{registry}/schemas/{schema}/versions/{version}"
EVENT = load_example("draft4/custom-order-created.event.json")


class Counting:
    """A middleware of the application's own stack (as an operator's would be): counts what enters it."""

    entered: list[str]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            Counting.entered.append(scope["path"])
        await self.app(scope, receive, send)


@pytest.fixture
async def client(settings: Settings, engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    tuned = settings.model_copy(update={"token_cache_seconds": 60, "version_cache_seconds": 60})
    app = create_app(tuned, engine=engine)  # the token table and the version trusted, as in production
    app.add_middleware(Counting)
    Counting.entered = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r.test") as client:
        assert (await client.put("/registries/orders", json={})).status_code == 201
        body = {"type": "JSONSchemaDraft4", "content": load_example("draft4/custom-order-created.json")}
        assert (await client.post(VERSIONS, json=body)).status_code == 201
        client.app = app  # type: ignore[attr-defined]
        yield client


def served(status: str) -> float:
    value = REGISTRY.get_sample_value(
        "registry_http_requests_total", {"method": "GET", "route": ROUTE, "status": status}
    )
    return value or 0.0


@pytest.mark.parametrize("version", ["1", "latest"])
async def test_a_version_in_memory_is_answered_before_the_stack_with_an_id_and_counted(
    client: httpx.AsyncClient, version: str
) -> None:
    first = await client.get(f"{VERSIONS}/{version}")  # from the database, through the stack
    assert first.status_code == 200
    Counting.entered.clear()
    before = served("200"), served("304")
    again = await client.get(f"{VERSIONS}/{version}", headers={"X-Request-Id": "from-the-gateway"})
    not_modified = await client.get(f"{VERSIONS}/{version}", headers={"If-None-Match": first.headers["etag"]})
    assert Counting.entered == []  # answered in front of the stack
    assert (again.status_code, again.content) == (200, first.content)
    for name in ("etag", "cache-control", "content-type", "content-length"):
        assert again.headers[name] == first.headers[name]
    assert again.headers["x-request-id"] == "from-the-gateway"
    assert not_modified.status_code == 304
    assert not_modified.headers["etag"] == first.headers["etag"]
    assert len(not_modified.headers["x-request-id"]) == 32  # a new one
    assert (served("200"), served("304")) == (before[0] + 1, before[1] + 1)


async def test_what_memory_cannot_answer_goes_through_the_stack(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{VERSIONS}/1")).status_code == 200
    Counting.entered.clear()
    assert (await client.get(f"{VERSIONS}/1?resolve=bundle")).status_code == 200  # another rendering
    assert (await client.get(f"{VERSIONS}/2")).status_code == 404  # never stored
    bad = await client.get("/registries/orders/schemas/bad!name/versions/1")
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_name")
    assert len(Counting.entered) == 3


async def test_a_draining_replica_refuses_versions_in_memory_too(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{VERSIONS}/1")).status_code == 200
    assert (await client.post(f"{VERSIONS}/1/validate", json=EVENT)).json()["valid"]
    client.app.state.lifecycle.drain()  # type: ignore[attr-defined]
    for refused in (
        await client.get(f"{VERSIONS}/1"),
        await client.post(f"{VERSIONS}/1/validate", json=EVENT),
    ):
        assert (refused.status_code, refused.json()["error"]["code"]) == (503, "shutting_down")
        assert refused.headers["connection"] == "close"


async def test_a_valid_event_against_a_version_in_memory_is_answered_before_the_stack(
    client: httpx.AsyncClient,
) -> None:
    path = f"{VERSIONS}/latest/validate"
    first = await client.post(path, json=EVENT)  # through the stack, which keeps what to validate against
    assert first.json()["valid"]
    Counting.entered.clear()
    again = await client.post(path, json=EVENT, headers={"X-Request-Id": "from-the-gateway"})
    assert Counting.entered == []
    assert (again.status_code, again.content, again.headers["x-request-id"]) == (
        200,
        first.content,
        "from-the-gateway",
    )
    assert again.headers["content-type"] == first.headers["content-type"] == "application/json"


async def test_validations_the_front_cannot_answer_get_the_stacks_answers(client: httpx.AsyncClient) -> None:
    path = f"{VERSIONS}/1/validate"
    assert (await client.post(path, json=EVENT)).json()["valid"]
    Counting.entered.clear()
    text = json.dumps(EVENT).encode()

    async def chunked() -> AsyncIterator[bytes]:
        yield text

    streamed = await client.post(path, content=chunked(), headers={"content-type": "application/json"})
    assert (streamed.status_code, streamed.json()["valid"]) == (200, True)  # no declared length
    as_form = await client.post(path, content=text, headers={"content-type": "text/plain"})
    assert (as_form.status_code, as_form.json()["error"]["code"]) == (415, "unsupported_media_type")
    repeated = await client.post(path, content=b'{"a":1,"a":2}', headers={"content-type": "application/json"})
    assert (repeated.status_code, repeated.json()["error"]["code"]) == (422, "duplicate_key")
    invalid = await client.post(path, json={**EVENT, "detail": 7})
    assert (invalid.status_code, invalid.json()["valid"]) == (200, False)
    assert len(Counting.entered) == 4

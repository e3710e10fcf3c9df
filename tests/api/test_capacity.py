"""Expensive requests (validation, compatibility, discovery) beyond a replica's capacity: a short wait, then
503 `server_busy` with Retry-After, in the native API's error body and in EventBridge's; cheap requests go on
being answered. (The event loop's latency under a flood is measured in tests/e2e/test_flood.py.)"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from codegen import GeneratorPool
from registry.api.app import create_app
from registry.domain.formats.regexes import VALIDATION_BUDGET
from registry.settings import Settings

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # no database question here

VERSIONS = "/registries/busy/schemas/s/versions"
QUEUE_SECONDS = 0.2
BUDGET_MARGIN = 1.5  # for a loaded machine


def exponential_contract() -> dict[str, Any]:
    """`anyOf` over recursive references: validating an event 20 levels deep outruns any budget."""
    branches: list[dict[str, Any]] = [{"$ref": "#"} for _ in range(4)]
    return {"type": "object", "properties": {"a": {"anyOf": [*branches, {"type": "integer"}]}}}


def deep_event(levels: int = 20) -> dict[str, Any]:
    event: dict[str, Any] = {"a": "leaf"}
    for _ in range(levels):
        event = {"a": event}
    return event


@pytest.fixture
async def busy_app(
    settings: Settings, engine: Engine, generator_pool: GeneratorPool, replica_heap: None
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    narrow = settings.model_copy(
        update={"expensive_concurrency": 1, "expensive_queue_seconds": QUEUE_SECONDS}
    )
    app = create_app(narrow, engine=engine, generator=generator_pool)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r.test") as http:
        assert (await http.put("/registries/busy", json={"compatibility": "NONE"})).status_code == 201
        registered = await http.post(
            VERSIONS, json={"type": "JSONSchemaDraft4", "content": exponential_contract()}
        )
        assert registered.status_code == 201, registered.text
        yield app, http


@pytest.fixture
def one_slot(busy_app: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return busy_app[1]


async def test_an_expensive_request_finding_every_slot_taken_gets_503_with_retry_after(
    busy_app: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    # The only slot is held here, through the replica's own gate, for as long as the requests take: a
    # validation holding it instead ends after its budget, and on a loaded machine a request could reach
    # the gate only after that (CI once saw the discovery answered).
    app, http = busy_app
    async with app.state.expensive_work.slot():
        health, refused, discovery = await asyncio.gather(
            http.get("/healthz"),
            http.post(
                "/registries/busy/schemas/s/compatibility", json={"type": "JSONSchemaDraft4", "content": {}}
            ),
            http.post("/v1/discover", json={"Events": [json.dumps({"id": 1})], "Type": "JSONSchemaDraft4"}),
        )

    assert health.status_code == 200
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "1"
    error = refused.json()["error"]
    assert error["code"] == "server_busy"
    assert error["details"] == {"concurrency": 1}
    assert discovery.status_code == 503, discovery.text
    assert discovery.headers["x-amzn-errortype"] == "ServiceUnavailableException"
    assert discovery.headers["retry-after"] == "1"
    after = await http.post(
        "/v1/discover", json={"Events": [json.dumps({"id": 1})], "Type": "JSONSchemaDraft4"}
    )
    assert after.status_code == 200, "the slot came free"


async def test_a_validation_outrunning_its_budget_holds_the_slot_only_for_the_budget(
    busy_app: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, http = busy_app
    started = time.monotonic()
    slow = asyncio.create_task(http.post(f"{VERSIONS}/1/validate", json=deep_event()))
    while not app.state.expensive_work.busy():
        await asyncio.sleep(0.005)
    health = await http.get("/healthz")  # answered while the validation runs
    answered = await slow
    elapsed = time.monotonic() - started

    assert health.status_code == 200
    assert answered.status_code == 422 and answered.json()["error"]["code"] == "validation_budget_exceeded"
    assert elapsed < VALIDATION_BUDGET + BUDGET_MARGIN, "the budget did not hold"
    assert not app.state.expensive_work.busy()


async def test_a_request_that_waits_briefly_for_a_slot_is_answered(one_slot: httpx.AsyncClient) -> None:
    shallow = deep_event(levels=3)
    answers = await asyncio.gather(*(one_slot.post(f"{VERSIONS}/1/validate", json=shallow) for _ in range(3)))

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert all(answer.json()["valid"] is False for answer in answers)

"""Two replicas (two apps on one PostgreSQL database) generating the same bindings: the claim on the job
is a lease its holder renews while it generates. A replica that dies holding it delays the other by one
lease, not by the generator's whole time limit; a live holder is never overtaken."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from codegen import GENERATOR_VERSION, GeneratorPool
from registry.api.app import create_app
from registry.domain.model import GeneratedCode
from registry.settings import Settings
from registry.storage.bindings import READY
from registry.storage.database import make_session_factory
from registry.storage.unit_of_work import UnitOfWork
from tests.unit.codegen.test_workers import big_contract

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("engine", ["postgres"], indirect=True)]

VERSIONS = "/registries/claims/schemas/s/versions"
ZIP = f"{VERSIONS}/1/bindings/python"
SMALL = {"type": "object", "properties": {"id": {"type": "string"}}}
SLOW_OBJECTS = 16  # ~2.4 s of generation on an idle 2-core machine: several leases


def replica(
    settings: Settings, engine: Engine, pool: GeneratorPool, lease: float, name: str
) -> httpx.AsyncClient:
    leased = settings.model_copy(update={"codegen_claim_lease_seconds": lease})
    app = create_app(leased, engine=engine, generator=pool)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=f"http://{name}.test", timeout=30
    )


def replicas(
    settings: Settings, engine: Engine, pool: GeneratorPool, lease: float
) -> list[httpx.AsyncClient]:
    return [replica(settings, engine, pool, lease, name) for name in ("replica1", "replica2")]


@pytest.fixture
def uow(engine: Engine) -> UnitOfWork:
    return UnitOfWork(make_session_factory(engine))


async def register(client: httpx.AsyncClient, content: dict[str, Any]) -> str:
    assert (await client.put("/registries/claims", json={"compatibility": "NONE"})).status_code == 201
    response = await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": content})
    assert response.status_code == 201, response.text
    fingerprint: str = response.json()["fingerprint"]
    return fingerprint


def generated(uow: UnitOfWork, fingerprint: str) -> GeneratedCode:
    with uow.reading() as tx:
        code = tx.generated_code.get(fingerprint, None, GENERATOR_VERSION)
    assert code is not None
    return code


async def test_a_claim_left_by_a_replica_that_died_is_taken_over_after_one_lease(
    settings: Settings, engine: Engine, generator_pool: GeneratorPool, uow: UnitOfWork
) -> None:
    lease = 1.0
    first, second = replicas(settings, engine, generator_pool, lease)
    async with first, second:
        fingerprint = await register(first, SMALL)
        with uow.writing() as tx:  # what the first replica does before generating; then it dies
            assert tx.generated_code.claim(fingerprint, None, GENERATOR_VERSION, replacing=None)
            tx.commit()

        started = time.monotonic()
        response = await second.get(ZIP)
        elapsed = time.monotonic() - started

    assert response.status_code == 200, response.text
    assert lease <= elapsed < lease + 10.0, elapsed  # pip's read timeout is 15 s
    code = generated(uow, fingerprint)
    assert (code.status, code.attempt) == (READY, 2)


async def test_a_replica_generating_keeps_its_claim_and_the_other_waits_for_its_result(
    settings: Settings, engine: Engine, generator_pool: GeneratorPool, uow: UnitOfWork
) -> None:
    """Generation outlasts several leases: without renewals the waiting replica would take over."""
    first, second = replicas(settings, engine, generator_pool, lease=0.8)
    async with first, second:
        fingerprint = await register(first, big_contract(SLOW_OBJECTS).content)
        generating = asyncio.create_task(first.get(ZIP))
        while await asyncio.to_thread(_code_or_none, uow, fingerprint) is None:
            await asyncio.sleep(0.02)  # until the first replica holds the claim
        waiting = await second.get(ZIP)
        made = await generating

    assert made.status_code == waiting.status_code == 200, waiting.text
    assert made.content == waiting.content
    code = generated(uow, fingerprint)
    assert (code.status, code.attempt) == (READY, 1), "the waiting replica took over a live claim"


def _code_or_none(uow: UnitOfWork, fingerprint: str) -> GeneratedCode | None:
    with uow.reading() as tx:
        return tx.generated_code.get(fingerprint, None, GENERATOR_VERSION)


async def test_generation_that_cannot_run_is_a_503_and_is_not_held_against_the_contract(
    settings: Settings, engine: Engine, generator_pool: GeneratorPool, uow: UnitOfWork
) -> None:
    """Workers that cannot even start (a 30 MB ceiling) fail every attempt: 503 with Retry-After, the claim
    released and nothing recorded, so a replica whose workers run generates at once."""
    starved = GeneratorPool(workers=1, memory_mb=30, retries=1)
    try:
        broken = replica(settings, engine, starved, 5.0, "broken")
        working = replica(settings, engine, generator_pool, 5.0, "working")
        async with broken, working:
            fingerprint = await register(broken, SMALL)
            refused = await broken.get(ZIP)
            left = await asyncio.to_thread(_code_or_none, uow, fingerprint)
            served = await working.get(ZIP)
    finally:
        starved.close()

    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "5"
    assert refused.json()["error"]["code"] == "code_generation_unavailable"
    assert left is None
    assert served.status_code == 200, served.text

"""Generation workers under faults and load: a worker killed mid-generation is the job's bad luck, not the
contract's fault (it runs again); small contracts never wait behind large ones."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from codegen import GeneratedModels, GenerationFailed, GeneratorPool
from codegen.errors import WORKER_DIED
from codegen.scheduling import FairSlots
from tests.unit.codegen.test_workers import SMALL, big_contract

SLOW_OBJECTS = 8  # ~1.2 s of generation on an idle 2-core machine, more on a busy one


def worker_deaths() -> float:
    return REGISTRY.get_sample_value("registry_codegen_failures_total", {"cause": WORKER_DIED}) or 0.0


def waiting_jobs() -> float:
    return REGISTRY.get_sample_value("registry_codegen_queue_length") or 0.0


@pytest.fixture(scope="module")
def pool() -> Iterator[GeneratorPool]:
    """Two workers shared by this module's tests (each starts and warms up in about a second); jobs from
    10 kB on are large."""
    shared = GeneratorPool(workers=2, timeout=30.0, large_bytes=10_000)
    yield shared
    shared.close()


@pytest.fixture
async def warm_pool(pool: GeneratorPool) -> GeneratorPool:
    """Every worker started and warm (also those replacing killed ones): a job's time is then its own."""
    await asyncio.gather(*(pool.generate(SMALL) for _ in range(pool.workers)))
    return pool


async def kill_the_workers_soon(pool: GeneratorPool) -> list[int]:
    """Kill every worker once one has begun the job, not after a fixed time: on a busy machine the job may
    reach a worker late, and killing idle workers only replaces the pool the job then runs in."""
    async with asyncio.timeout(10):
        while not pool.jobs_in_workers():
            await asyncio.sleep(0.01)
    pids = pool.worker_pids()
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    return pids


async def test_a_worker_killed_mid_generation_is_replaced_and_the_job_runs_again(
    warm_pool: GeneratorPool,
) -> None:
    deaths = worker_deaths()

    models, killed = await asyncio.gather(
        warm_pool.generate(big_contract(SLOW_OBJECTS)), kill_the_workers_soon(warm_pool)
    )

    assert isinstance(models, GeneratedModels) and models.root_class == "Event"
    assert worker_deaths() == deaths + 1, "the worker was not killed while it generated"
    assert warm_pool.worker_pids() and not set(killed) & set(warm_pool.worker_pids())


async def test_retries_are_bounded_then_the_death_is_reported_with_its_cause(
    warm_pool: GeneratorPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(warm_pool, "retries", 0)

    generation = asyncio.gather(
        warm_pool.generate(big_contract(SLOW_OBJECTS)), kill_the_workers_soon(warm_pool)
    )
    with pytest.raises(GenerationFailed) as failed:
        await generation

    assert failed.value.cause == WORKER_DIED
    assert "died on each attempt (1 in a row)" in failed.value.message


async def test_a_small_contract_is_generated_while_large_ones_hold_the_workers(
    warm_pool: GeneratorPool,
) -> None:
    """Two workers, two large jobs and then a small one: the second large job waits for the first, and
    the small one takes the worker kept free, finishing while the first still runs."""
    large = big_contract(SLOW_OBJECTS)
    size = len(str(large.content))
    first = asyncio.create_task(warm_pool.generate(large, size=size))
    second = asyncio.create_task(warm_pool.generate(large, size=size))
    await asyncio.sleep(0.1)  # both large jobs have asked for a worker
    assert waiting_jobs() == 1

    small = await warm_pool.generate(SMALL, size=100)

    assert small.root_class == "Event"
    assert not first.done(), "the large job finished first: the contract is too small to tell"
    assert waiting_jobs() == 1, "the small job went ahead of the waiting large one, which still waits"
    second.cancel()  # waiting for a worker still: leaves the queue at once
    with pytest.raises(asyncio.CancelledError):
        await second
    assert waiting_jobs() == 0
    assert isinstance(await first, GeneratedModels)


async def test_large_jobs_leave_a_slot_free_and_every_kind_waits_in_arrival_order() -> None:
    slots = FairSlots(3, large_bytes=1000)
    order: list[str] = []
    release = asyncio.Event()

    async def job(name: str, size: int) -> None:
        async with slots.slot(size):
            order.append(name)
            await release.wait()

    running = [asyncio.create_task(job(name, 5000)) for name in ("large1", "large2", "large3")]
    await asyncio.sleep(0.01)
    assert order == ["large1", "large2"], "large jobs took the last slot"
    small = asyncio.create_task(job("small", 10))
    await asyncio.sleep(0.01)
    assert order == ["large1", "large2", "small"]
    release.set()
    await asyncio.gather(*running, small)
    assert order[-1] == "large3"


async def test_a_waiter_cancelled_before_its_turn_takes_no_slot() -> None:
    slots = FairSlots(1, large_bytes=1000)
    async with slots.slot(10):
        waiting = asyncio.create_task(slots.slot(10).__aenter__())
        await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
    async with asyncio.timeout(1):
        async with slots.slot(10):  # the slot came back, not to the cancelled waiter
            pass


async def test_an_idle_worker_killed_leaves_a_pool_that_still_generates(warm_pool: GeneratorPool) -> None:
    """pebble gives up its whole pool when a worker dies while no job runs; the next job gets a fresh one."""
    for pid in warm_pool.worker_pids():
        os.kill(pid, signal.SIGKILL)
    await asyncio.sleep(0.3)  # pebble's manager has seen the deaths

    assert (await warm_pool.generate(SMALL)).root_class == "Event"

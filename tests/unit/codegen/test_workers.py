"""Generation in worker processes: the same result as in process, a time limit and a memory ceiling."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Protocol, TypeVar

import pytest

from codegen import ContractInput, GeneratedModels, GenerationFailed, GeneratorPool, generate_models
from registry.domain.formats import parse_contract
from tests.unit.codegen.support import DRAFT4, contract_input
from tests.unit.conftest import Example

Named = Callable[[str], Example]
T = TypeVar("T")
SMALL = ContractInput(DRAFT4, {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]})
HEADROOM_MB = 60  # above a warmed-up worker's peak address space: enough to start, far too little for BIG
BIG_OBJECTS = 30  # unbounded: ~5 s; its peak address space ~85 MB above a warm worker's (HEADROOM_MB)


class Pools(Protocol):
    def __call__(self, *, timeout: float, memory_mb: int = 1024) -> GeneratorPool: ...


def big_contract(objects: int = BIG_OBJECTS, tag: str = "") -> ContractInput:
    """Object properties of 40 string properties with 50-value enums: each adds ~0.15 s and ~13 MB.
    `tag` goes into the description, to recognise files written for this contract."""
    member = {"type": "string", "enum": [f"value{number}" for number in range(50)]}
    properties = {
        f"o{i}": {"type": "object", "properties": {f"s{j}": member for j in range(40)}}
        for i in range(objects)
    }
    return ContractInput(DRAFT4, {"type": "object", "description": tag, "properties": properties})


def _temporary_files_of(tag: str) -> list[Path]:
    """generate.py's `codegen-*` directories (in the temporary directory) whose contract holds `tag`."""
    found = []
    for folder in Path(tempfile.gettempdir()).glob("codegen-*"):
        try:
            if tag in (folder / "contract.json").read_text(encoding="utf-8", errors="replace"):
                found.append(folder)
        except OSError:
            continue  # being removed, or another run's
    return found


@pytest.fixture
def tag() -> Iterator[str]:
    """A unique description for this test's big contracts; what generation leaves behind is removed after."""
    unique = f"workers-test-{uuid.uuid4().hex}"
    yield unique
    for folder in _temporary_files_of(unique):
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pools() -> Iterator[Pools]:
    """Make pools of one worker; every one is closed when the test ends, whatever happened."""
    made: list[GeneratorPool] = []

    def make(*, timeout: float, memory_mb: int = 1024) -> GeneratorPool:
        pool = GeneratorPool(workers=1, timeout=timeout, memory_mb=memory_mb)
        made.append(pool)
        return pool

    yield make
    for pool in made:
        pool.close()


async def _ticking(work: Awaitable[T]) -> tuple[T | BaseException, int]:
    """Await `work` while counting 20 ms ticks of the event loop: a blocked loop cannot tick."""
    ticks = 0
    task = asyncio.ensure_future(work)
    while not task.done():
        await asyncio.sleep(0.02)
        ticks += 1
    return (task.exception() or task.result()), ticks


def _status(pid: int) -> dict[str, str]:
    text = Path(f"/proc/{pid}/status").read_text()
    return {key: value.strip() for key, _, value in (line.partition(":") for line in text.splitlines())}


def _descendants() -> set[int]:
    """This process's children, grandchildren... (pool workers are children of the forkserver)."""
    parent_of: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent_of[int(entry.name)] = int(_status(int(entry.name))["PPid"])
            except (OSError, KeyError, ValueError):
                continue  # gone meanwhile
    found: set[int] = set()
    frontier = {os.getpid()}
    while frontier:
        frontier = {pid for pid, parent in parent_of.items() if parent in frontier} - found
        found |= frontier
    return found


async def test_start_brings_the_workers_up_before_any_job(pools: Pools) -> None:
    """`start()` (the service calls it as it starts) starts the workers, which warm up then: pebble itself
    would start them at the first job, which then waited for the start and the warm-up (seconds)."""
    pool = pools(timeout=30.0)
    pool.start()
    deadline = time.monotonic() + 30
    while not pool.worker_pids() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert pool.worker_pids(), "start() left the pool without a worker"


async def test_the_pool_generates_off_process_what_generation_in_process_gives(
    example_named: Named, pools: Pools
) -> None:
    """A worker's GeneratedModels equal in-process generation, and the event loop runs on meanwhile."""
    pool = pools(timeout=60.0)
    for path in ("openapi3/custom-payment-processed", "draft4/order-tree"):
        example = example_named(path)
        contract = contract_input(parse_contract(example.type, example.content))
        assert await pool.generate(contract) == generate_models(contract)
    result, ticks = await _ticking(pool.generate(big_contract(8)))
    assert isinstance(result, GeneratedModels) and result.root_class == "Event"
    assert ticks >= 10, "generation blocked the event loop"
    failed, _ = await _ticking(pool.generate(ContractInput("OpenApi3", {"openapi": "3.0.3"}, "Nope")))
    assert isinstance(failed, GenerationFailed), failed
    assert "event root" in failed.message  # the worker's GenerationFailed comes back as it was


async def test_a_generation_over_the_time_limit_is_stopped_and_the_pool_recovers(
    pools: Pools, tag: str
) -> None:
    """timeout=1.0 and a contract needing several seconds: GenerationFailed about the limit, soon; then the
    pool (with a fresh worker) generates again."""
    pool = pools(timeout=1.0)
    assert (await pool.generate(SMALL)).root_class == "Event"  # started and warm: the limit is the task's
    started = time.monotonic()
    result, ticks = await _ticking(pool.generate(big_contract(tag=tag)))
    elapsed = time.monotonic() - started
    assert isinstance(result, GenerationFailed), result
    assert result.message == "generation took longer than 1 s and was stopped"
    assert 0.9 <= elapsed < 8.0, elapsed
    assert ticks >= 10
    assert await pool.generate(SMALL) == generate_models(SMALL)


async def test_a_stopped_generation_leaves_no_temporary_files(pools: Pools, tag: str) -> None:
    """A worker killed at the time limit must not leave its `codegen-*` directory (holding the contract) in
    the temporary directory: every stopped generation would leave one more.

    Fails today: generate.py's TemporaryDirectory is removed by the worker itself, which is killed.
    """
    pool = pools(timeout=1.0)
    await pool.generate(SMALL)
    with pytest.raises(GenerationFailed, match="longer than 1 s"):
        await pool.generate(big_contract(tag=tag))
    assert await pool.generate(SMALL) == generate_models(SMALL)  # a fresh worker has replaced it
    leftovers = _temporary_files_of(tag)
    assert not leftovers, f"BUG: a stopped generation left {[str(path) for path in leftovers]}"


async def test_a_generation_over_the_memory_ceiling_fails_and_the_pool_recovers(
    pools: Pools, tag: str
) -> None:
    """A ceiling a measured worker's warm-up fits under (its peak address space, which RLIMIT_AS counts, plus
    HEADROOM_MB): a big generation fails with GenerationFailed, not a hang, and the next one works."""
    before = _descendants()
    unbounded = pools(timeout=30.0, memory_mb=0)
    await unbounded.generate(SMALL)
    workers = _descendants() - before
    assert workers, "no worker process found"
    peak_mb = max(int(_status(pid)["VmPeak"].split()[0]) for pid in workers) // 1024
    unbounded.close()
    ceiling = peak_mb + HEADROOM_MB

    pool = pools(timeout=30.0, memory_mb=ceiling)
    assert await pool.generate(SMALL) == generate_models(SMALL), f"a worker must start under {ceiling} MB"
    started = time.monotonic()
    with pytest.raises(GenerationFailed) as failure:
        await pool.generate(big_contract(tag=tag))
    # Which allocation fails varies from run to run, and so does the message: "the generator failed:
    # MemoryError" (most runs), "...: error return without exception set" (a C extension's allocation), or
    # "the generator process died (...); memory ceiling reached?" (the worker dies while cleaning up).
    assert failure.value.message
    assert time.monotonic() - started < 10.0, f"ceiling {ceiling} MB: {failure.value.message}"
    assert await pool.generate(SMALL) == generate_models(SMALL)

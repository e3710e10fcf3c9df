"""Generation off the event loop: warm worker processes, each with a time limit and a memory ceiling.

pebble's process pool kills a worker that overruns its task's timeout and starts a fresh one, which a
concurrent.futures pool cannot do. A worker caps its own address space (RLIMIT_AS) when it starts, so a
contract that makes the generator balloon ends that task with a MemoryError, or at worst that worker.

A worker that dies mid-generation (killed by an operator or the OOM killer) is no finding about the
contract: the job runs again in a fresh worker, up to `retries` times. Only a contract that takes every
worker it is given down with it is reported as failed. Jobs reach the workers through `FairSlots`, so
that small contracts do not queue behind large ones.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import resource
import shutil
import tempfile
import threading
import time
import uuid
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from functools import partial

from pebble import ProcessExpired, ProcessPool

from codegen.errors import (
    GENERATION_TIMEOUT,
    WORKER_DIED,
    WORKERS_UNAVAILABLE,
    GenerationFailed,
    GeneratorUnavailable,
)
from codegen.generate import GeneratedModels, generate_models
from codegen.prepare import ContractInput
from codegen.scheduling import FairSlots
from codegen.tracing import record_worker_run, run_timed, traced_generation
from registry.observability import metrics

log = logging.getLogger("registry.codegen")

LARGE_CONTRACT_BYTES = 256 * 1024
"""Contracts from this size on are large jobs, which never take the last free worker (see FairSlots)."""

# What the forkserver imports once, before it forks any worker: codegen.generate imports the generator only
# when it first generates.
_PRELOAD = [
    "codegen.generate",
    "datamodel_code_generator",
    "datamodel_code_generator.parser.jsonschema",
    "datamodel_code_generator.parser.openapi",
    "datamodel_code_generator.model.pydantic_v2",
]
_WARM_UP_DETAIL = {
    "type": "object",
    "description": "The shapes most contracts have, generated and loaded once when a worker starts.",
    "properties": {
        "id": {"type": "string", "format": "date-time", "description": "when"},
        "code": {"type": "string", "pattern": "^[A-Z]{3}$", "maxLength": 3},
        "count": {"type": "integer", "minimum": 0},
        "amount": {"type": "number", "exclusiveMaximum": 100},
        "status": {"type": "string", "enum": ["NEW", "DONE"]},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
        "flag": {"type": "boolean", "default": False},
        "labels": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 8}},
        "part": {"$ref": "#/definitions/Part"},
    },
    "required": ["id"],
    "definitions": {"Part": {"type": "object", "properties": {"name": {"type": "string"}}}},
}
_WARM_UPS = [
    ContractInput("JSONSchemaDraft4", {"title": "WarmUp", **_WARM_UP_DETAIL}),
    ContractInput(
        "OpenApi3",
        {
            "openapi": "3.0.0",
            "info": {"title": "WarmUp", "version": "1"},
            "paths": {},
            "components": {
                "schemas": {
                    "AWSEvent": {
                        "type": "object",
                        "required": ["detail", "detail-type"],
                        "properties": {
                            "detail": {"$ref": "#/components/schemas/WarmUp"},
                            "detail-type": {"type": "string"},
                        },
                    },
                    "WarmUp": {
                        "type": "object",
                        "properties": {"id": {"type": "string"}, "count": {"type": "integer", "minimum": 0}},
                    },
                }
            },
        },
        "AWSEvent",
    ),
]


def _start_worker(memory_bytes: int) -> None:
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # The first generation of each kind of contract imports and sets up what it needs (the generator's
    # parsers, pydantic's builders of each kind of field): ~0.1-0.5 s, paid here rather than by a request.
    for contract in _WARM_UPS:
        generate_models(contract)


def _generate_in_worker(contract: ContractInput, workdir: str) -> GeneratedModels:
    os.mkdir(workdir)
    try:
        return generate_models(contract, under=workdir)
    except MemoryError:
        raise GenerationFailed("generation exceeded the worker's memory ceiling") from None


_INTERRUPTIONS = (WORKER_DIED, WORKERS_UNAVAILABLE)


class _Interrupted(Exception):
    """The job did not run to its end through no doing of its own (as far as one attempt can tell): the
    worker running it died (`WORKER_DIED`), or the pool broke (`WORKERS_UNAVAILABLE`). Tried again."""

    def __init__(self, cause: str, reason: str) -> None:
        super().__init__(reason)
        self.cause = cause


class GeneratorPool:
    """Started by `start()` or on first use; `close()` stops the workers."""

    def __init__(
        self,
        *,
        workers: int = 2,
        timeout: float = 30.0,
        memory_mb: int = 1024,
        large_bytes: int = LARGE_CONTRACT_BYTES,
        retries: int = 2,
    ) -> None:
        self.workers = workers
        self.timeout = timeout
        self.memory_bytes = memory_mb * 1024 * 1024
        self.retries = retries
        self._slots = FairSlots(workers, large_bytes=large_bytes)
        self._pool: ProcessPool | None = None
        self._lock = threading.RLock()
        self._closings = 0  # how many times close() ran: a start requested before the last one is void
        # Each task writes in its own folder under this one, removed here whatever becomes of the task:
        # a worker stopped at the time limit cannot clean up after itself.
        self._workdirs = os.path.join(tempfile.gettempdir(), f"codegen-workers-{uuid.uuid4().hex}")

    @property
    def longest_job_seconds(self) -> float:
        """How long one job may keep a worker, retries included (not counting its wait for a worker)."""
        return self.timeout * (self.retries + 1)

    def start(self) -> None:
        """Start the workers now, in the background, rather than on the first request: they warm up
        before it comes."""
        threading.Thread(target=self._start_unless_closed, args=(self._closings,), daemon=True).start()

    def _start_unless_closed(self, closings: int) -> None:
        with self._lock:
            if self._closings == closings:  # not closed since start() was called
                self._started()

    def _started(self) -> ProcessPool:
        with self._lock:
            os.makedirs(self._workdirs, exist_ok=True)
            if self._pool is None:
                context = multiprocessing.get_context("forkserver")
                # workers fork from a server that imported the generator once: a replacement (after a
                # death, the time limit or max_tasks) is ready in a fraction of the time
                context.set_forkserver_preload(_PRELOAD)
                self._pool = ProcessPool(
                    max_workers=self.workers,
                    max_tasks=200,  # a fresh worker now and then: nothing the generator caches grows forever
                    initializer=_start_worker,
                    initargs=(self.memory_bytes,),
                    # forkserver: workers never inherit the server's threads and sockets
                    context=context,
                )
                # pebble starts its workers on first use only (first `schedule`, or this property): now
                _ = self._pool.active
            return self._pool

    def worker_pids(self) -> list[int]:
        """The worker processes alive now (none before the pool starts)."""
        with self._lock:
            pool = self._pool
        if pool is None:
            return []
        # pebble has no public list of its workers; its manager keeps them by pid
        workers = dict(pool._pool_manager.worker_manager.workers)
        return [pid for pid, process in workers.items() if process.is_alive()]

    def jobs_in_workers(self) -> int:
        """How many jobs a worker has begun and not yet finished: each makes its own folder as it starts."""
        try:
            return len(os.listdir(self._workdirs))
        except FileNotFoundError:
            return 0

    @traced_generation
    async def generate(self, contract: ContractInput, *, size: int = 0) -> GeneratedModels:
        """The contract's models, generated in a worker. `size` (bytes of the contract's JSON) decides
        whether the job is large (see FairSlots). Raises GenerationFailed, or GeneratorUnavailable."""
        async with self._slots.slot(size):
            try:
                return await self._with_retries(contract)
            except GenerationFailed as failed:
                if failed.cause not in _INTERRUPTIONS:  # those were counted attempt by attempt
                    metrics.codegen_failures.labels(cause=failed.cause).inc()
                raise
            finally:
                metrics.codegen_workers_alive.set(len(self.worker_pids()))

    async def _with_retries(self, contract: ContractInput) -> GeneratedModels:
        interruption: _Interrupted | None = None
        for attempt in range(1, self.retries + 2):
            started = time.monotonic()
            try:
                models = await self._run_once(contract)
            except _Interrupted as interrupted:
                interruption = interrupted
                metrics.codegen_failures.labels(cause=interrupted.cause).inc()
                log.warning("code generation interrupted (%s) on attempt %d", interrupted, attempt)
                continue
            metrics.codegen_seconds.observe(time.monotonic() - started)
            return models
        assert interruption is not None
        if interruption.cause == WORKER_DIED:  # again and again while running this contract: its doing
            raise GenerationFailed(
                f"the generator process died on each attempt ({self.retries + 1} in a row); "
                "memory ceiling reached?",
                cause=WORKER_DIED,
            )
        raise GeneratorUnavailable(f"the generator's worker processes are failing: {interruption}")

    async def _run_once(self, contract: ContractInput) -> GeneratedModels:
        workdir = os.path.join(self._workdirs, uuid.uuid4().hex)
        pool = self._started()
        try:
            job = partial(
                run_timed, _generate_in_worker, contract, workdir
            )  # timed in the worker, for the trace
            future = pool.schedule(job, timeout=self.timeout)
        except RuntimeError as exc:  # pebble found its pool broken since the last job
            await self._discard(pool)
            raise _Interrupted(WORKERS_UNAVAILABLE, str(exc)) from None
        try:
            return record_worker_run(await asyncio.wrap_future(future))
        except FutureTimeout:
            raise GenerationFailed(
                f"generation took longer than {self.timeout:g} s and was stopped", cause=GENERATION_TIMEOUT
            ) from None
        except ProcessExpired as exc:
            raise _Interrupted(WORKER_DIED, str(exc)) from None
        except GenerationFailed:
            raise
        except BrokenProcessPool as exc:
            # pebble gives up its pool when a worker dies while no job runs (even one merely killed):
            # a fresh pool replaces it
            await self._discard(pool)
            raise _Interrupted(WORKERS_UNAVAILABLE, str(exc) or "the worker processes failed") from None
        except Exception as exc:  # anything else the worker raised, pickled back
            raise GenerationFailed(f"generation failed: {type(exc).__name__}: {exc}") from exc
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    async def _discard(self, pool: ProcessPool) -> None:
        """Stop a broken pool (unless another job did already); the next job starts a fresh one."""
        with self._lock:
            if self._pool is not pool:
                return
            self._pool = None
        await asyncio.to_thread(_stop, pool)

    def close(self) -> None:
        with self._lock:
            self._closings += 1
            if self._pool is not None:
                _stop(self._pool)
                self._pool = None
            shutil.rmtree(self._workdirs, ignore_errors=True)
        metrics.codegen_workers_alive.set(0)


def _stop(pool: ProcessPool) -> None:
    pool.stop()  # type: ignore[no-untyped-call]
    pool.join()

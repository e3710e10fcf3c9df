"""Generation off the event loop: warm worker processes, each with a time limit and a memory ceiling.

pebble's process pool kills a worker that overruns its task's timeout and starts a fresh one, which a
concurrent.futures pool cannot do. A worker caps its own address space (RLIMIT_AS) when it starts, so a
contract that makes the generator balloon ends that task with a MemoryError, or at worst that worker.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import shutil
import tempfile
import threading
import uuid
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from functools import partial

from pebble import ProcessExpired, ProcessPool

from codegen.errors import GenerationFailed
from codegen.generate import GeneratedModels, generate_models
from codegen.prepare import ContractInput
from codegen.tracing import record_worker_run, run_timed, traced_generation

_WARM_UP = ContractInput(
    "JSONSchemaDraft4",
    {"type": "object", "properties": {"id": {"type": "string", "format": "date-time"}}, "required": ["id"]},
)


def _start_worker(memory_bytes: int) -> None:
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # importing the generator and its parsers costs ~0.3 s: pay it here, not in the first request
    generate_models(_WARM_UP)


def _generate_in_worker(contract: ContractInput, workdir: str) -> GeneratedModels:
    os.mkdir(workdir)
    try:
        return generate_models(contract, under=workdir)
    except MemoryError:
        raise GenerationFailed("generation exceeded the worker's memory ceiling") from None


class GeneratorPool:
    """Started by `start()` or on first use; `close()` stops the workers."""

    def __init__(self, *, workers: int = 1, timeout: float = 30.0, memory_mb: int = 1024) -> None:
        self.workers = workers
        self.timeout = timeout
        self.memory_bytes = memory_mb * 1024 * 1024
        self._pool: ProcessPool | None = None
        self._lock = threading.Lock()
        # Each task writes in its own folder under this one, removed here whatever becomes of the task:
        # a worker stopped at the time limit cannot clean up after itself.
        self._workdirs = os.path.join(tempfile.gettempdir(), f"codegen-workers-{uuid.uuid4().hex}")

    def start(self) -> None:
        """Start the workers now (they warm up in the background) rather than on the first request."""
        self._started()

    def _started(self) -> ProcessPool:
        with self._lock:
            os.makedirs(self._workdirs, exist_ok=True)
            if self._pool is None:
                self._pool = ProcessPool(
                    max_workers=self.workers,
                    max_tasks=200,  # a fresh worker now and then: nothing the generator caches grows forever
                    initializer=_start_worker,
                    initargs=(self.memory_bytes,),
                    # forkserver: workers never inherit the server's threads and sockets
                    context=multiprocessing.get_context("forkserver"),
                )
            return self._pool

    @traced_generation
    async def generate(self, contract: ContractInput) -> GeneratedModels:
        workdir = os.path.join(self._workdirs, uuid.uuid4().hex)
        job = partial(run_timed, _generate_in_worker, contract, workdir)  # timed in the worker, for the trace
        future = self._started().schedule(job, timeout=self.timeout)
        try:
            return record_worker_run(await asyncio.wrap_future(future))
        except FutureTimeout:
            raise GenerationFailed(
                f"generation took longer than {self.timeout:g} s and was stopped"
            ) from None
        except ProcessExpired as exc:
            raise GenerationFailed(f"the generator process died ({exc}); memory ceiling reached?") from None
        except GenerationFailed:
            raise
        except BrokenProcessPool:
            self.close()  # the next request starts a fresh pool
            raise GenerationFailed("the generator's worker processes failed to start") from None
        except Exception as exc:  # anything else the worker raised, pickled back
            raise GenerationFailed(f"generation failed: {type(exc).__name__}: {exc}") from exc
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.stop()  # type: ignore[no-untyped-call]
                self._pool.join()
                self._pool = None
            shutil.rmtree(self._workdirs, ignore_errors=True)

"""Which generation job gets the next worker: small contracts never wait behind large ones.

Generation time grows with the contract (an 825 KB contract of 12,000 properties keeps a worker busy for
many seconds, a typical one for a fraction of a second). Large jobs may hold all workers but one, so
whenever a large job runs a worker stays free for small ones; a job waits only for jobs of its own kind,
in arrival order, so neither kind can starve the other.

Thread-safe and tied to no event loop: one pool may serve several apps (the tests share one), each on
its own loop. A waiter is woken in its own loop.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from registry.observability import metrics


@dataclass(eq=False)
class _Waiter:
    large: bool
    loop: asyncio.AbstractEventLoop
    woken: asyncio.Future[None]
    granted: bool = field(default=False)


class FairSlots:
    """`workers` slots; at most `workers - 1` of them (at least one) for jobs of `large_bytes` or more."""

    def __init__(self, workers: int, *, large_bytes: int) -> None:
        self.workers = workers
        self.large_bytes = large_bytes
        self.large_limit = max(1, workers - 1)
        self._lock = threading.Lock()
        self._running = 0
        self._large_running = 0
        self._waiting: list[_Waiter] = []

    @asynccontextmanager
    async def slot(self, size: int) -> AsyncIterator[None]:
        """Hold a worker slot for the block; `size` (bytes of the contract) decides the kind of job."""
        large = size >= self.large_bytes
        started = time.monotonic()
        await self._acquire(large)
        metrics.codegen_wait_seconds.observe(time.monotonic() - started)
        try:
            yield
        finally:
            self._release(large)

    async def _acquire(self, large: bool) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._may_start(large):
                self._start(large)
                return
            waiter = _Waiter(large, loop, loop.create_future())
            self._waiting.append(waiter)
            metrics.codegen_queue_length.inc()
        try:
            await waiter.woken
        except BaseException:  # cancelled while waiting: give the slot on if it was granted meanwhile
            with self._lock:
                if waiter.granted:
                    self._finish(large)
                    self._grant_waiting()
                else:
                    self._waiting.remove(waiter)
                    metrics.codegen_queue_length.dec()
            raise

    def _release(self, large: bool) -> None:
        with self._lock:
            self._finish(large)
            self._grant_waiting()

    # --- under the lock ----------------------------------------------------------------------------------

    def _may_start(self, large: bool) -> bool:
        return self._running < self.workers and (not large or self._large_running < self.large_limit)

    def _start(self, large: bool) -> None:
        self._running += 1
        self._large_running += large

    def _finish(self, large: bool) -> None:
        self._running -= 1
        self._large_running -= large

    def _grant_waiting(self) -> None:
        """Start the earliest waiters that may start, until the slots are taken."""
        for waiter in list(self._waiting):
            if self._running >= self.workers:
                return
            if self._may_start(waiter.large):
                self._waiting.remove(waiter)
                metrics.codegen_queue_length.dec()
                try:
                    waiter.loop.call_soon_threadsafe(_wake, waiter.woken)
                except RuntimeError:  # its event loop has closed: nobody is waiting there any more
                    continue
                self._start(waiter.large)
                waiter.granted = True


def _wake(woken: asyncio.Future[None]) -> None:
    if not woken.done():  # cancelled meanwhile: the waiter's own handler passes the slot on
        woken.set_result(None)

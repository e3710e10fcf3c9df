"""Expensive requests (event validation, compatibility checks, impact analysis, can-i-deploy, schema
discovery) run a bounded number at a time on each replica; the others wait briefly, then get 503
`server_busy`. Registrations are not among them: only writers make them, CI pipelines that should not meet a
503 because readers are busy, and their checks have budgets of their own.

Their work is CPU-bound Python in the thread pool. Every such thread competes with the event loop for the
GIL, and the loop is what answers everything else: eight validations at once made `/healthz` take 339 ms
and stretched each validation's 1 s budget to 1.8 s. As the GIL runs one thread's Python at a time, a
second slot adds no throughput, and it doubled the loop's p99 latency under a flood (20 to 40 ms, on a
busy 2-core machine): one slot per process is the default, and more cores are used by more processes.

503 rather than 429: the limit is the replica's capacity, shared by every caller, not a quota one caller
overran; another replica, or this one a moment later, answers the same request. Waiting requests wait in
the event loop (holding no thread) for at most `queue_seconds`, and no more than `MAX_WAITING_PER_SLOT` per
slot wait at all.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, Request

from registry.domain.errors import ServerBusy

SWITCH_INTERVAL_SECONDS = 0.001
"""How long a thread holding the GIL keeps it once another asks (CPython's default: 5 ms)."""
MAX_WAITING_PER_SLOT = 256
"""Beyond this many waiting per slot, a request is refused at once. Most expensive requests are cheap (a
valid 1 KB event takes ~0.1 ms to validate): a CI pipeline or a load test with 32 connections must queue,
not meet 503s; the bound only keeps a flood's waiting requests (each a coroutine) finite."""


class ExpensiveWork:
    """The slots of one replica (one app). Used from its event loop only."""

    def __init__(self, concurrency: int, *, queue_seconds: float) -> None:
        self.concurrency = concurrency
        self.queue_seconds = queue_seconds
        self._slots = asyncio.Semaphore(concurrency)
        self._waiting = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a slot for the block; raises ServerBusy when none came free in time."""
        if self._slots.locked() and self._waiting >= MAX_WAITING_PER_SLOT * self.concurrency:
            raise self._refusal()
        self._waiting += 1
        try:
            async with asyncio.timeout(self.queue_seconds):
                await self._slots.acquire()
        except TimeoutError:
            raise self._refusal() from None
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            self._slots.release()

    def busy(self) -> bool:
        """Every slot is taken."""
        return self._slots.locked()

    def _refusal(self) -> ServerBusy:
        return ServerBusy(concurrency=self.concurrency, waited_seconds=self.queue_seconds)


async def _expensive_slot(request: Request) -> AsyncIterator[None]:
    work: ExpensiveWork = request.app.state.expensive_work
    async with work.slot():
        yield


EXPENSIVE = [Depends(_expensive_slot)]
"""`dependencies=EXPENSIVE` on a route or router: its handler runs only while holding a slot."""


def prepare_serving_process() -> None:
    """Process-wide settings for a process that serves one app, called once it is built.

    The event loop waits for the GIL each time it wakes while expensive work runs: at CPython's 5 ms
    switch interval, a few wake-ups per request add tens of milliseconds, at 1 ms a few. And the heap built
    at start (modules, routes, models: some 170,000 objects) never becomes garbage: frozen, a full garbage
    collection no longer walks it (it took 100 to 250 ms on a busy 2-core machine, the whole process
    paused).
    """
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    gc.collect()
    gc.freeze()

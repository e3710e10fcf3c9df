"""/readyz's probe: bounded in time, few at a time, and telling the database state what it found.

The probe runs in a worker thread; one that does not answer within `timeout` (a partition) makes /readyz
red at once. A call shortly after shares the probe under way; once that one is older than `timeout` a
fresh probe starts, so that /readyz turns green as soon as the database answers again, but at most
`MAX_PENDING` hang at once (each ends by the database's own time limits)."""

from __future__ import annotations

import asyncio
import time

from starlette.concurrency import run_in_threadpool

from registry.api.lifecycle import Lifecycle
from registry.domain import errors
from registry.storage.availability import probe
from registry.storage.unit_of_work import UnitOfWork

MAX_PENDING = 4


class Readiness:
    def __init__(self, uow: UnitOfWork, lifecycle: Lifecycle, *, timeout: float) -> None:
        self._uow = uow
        self._lifecycle = lifecycle
        self._timeout = timeout
        self._pending: dict[asyncio.Future[errors.Unavailable | None], float] = {}  # probe: started at

    async def problem(self) -> errors.Unavailable | None:
        """Why this replica should get no traffic now; None when it is ready."""
        if self._lifecycle.draining:
            return errors.ShuttingDown()
        current = self._current_probe()
        if current is None:
            found: errors.Unavailable | None = errors.DatabaseUnavailable(
                reason=f"{MAX_PENDING} readiness probes unanswered"
            )
        else:
            try:
                found = await asyncio.wait_for(asyncio.shield(current), self._timeout)
            except TimeoutError:
                found = errors.DatabaseUnavailable(reason=f"no answer within {self._timeout:g} s")
        if found is None:
            sqlite = self._uow.engine.dialect.name == "sqlite"  # its probe writes (and rolls back)
            self._uow.database.answered(wrote=sqlite, at_head=True)
        else:
            self._uow.database.failed(found)
        return found

    def _current_probe(self) -> asyncio.Future[errors.Unavailable | None] | None:
        now = time.monotonic()
        for done in [each for each in self._pending if each.done()]:
            del self._pending[done]
        recent = [each for each, started in self._pending.items() if now - started < self._timeout]
        if recent:
            return recent[-1]
        if len(self._pending) >= MAX_PENDING:
            return None
        started = asyncio.ensure_future(run_in_threadpool(probe, self._uow.engine))
        self._pending[started] = now
        return started

"""/readyz's probe: bounded in time, one at a time, and telling the database state what it found.

The probe runs in a worker thread; a probe that does not answer within `timeout` (a partition) makes
/readyz red at once, and later calls wait on that same probe rather than start more threads that would
hang the same way."""

from __future__ import annotations

import asyncio

from starlette.concurrency import run_in_threadpool

from registry.api.lifecycle import Lifecycle
from registry.domain import errors
from registry.storage.availability import probe
from registry.storage.unit_of_work import UnitOfWork


class Readiness:
    def __init__(self, uow: UnitOfWork, lifecycle: Lifecycle, *, timeout: float) -> None:
        self._uow = uow
        self._lifecycle = lifecycle
        self._timeout = timeout
        self._probe: asyncio.Future[errors.Unavailable | None] | None = None

    async def problem(self) -> errors.Unavailable | None:
        """Why this replica should get no traffic now; None when it is ready."""
        if self._lifecycle.draining:
            return errors.ShuttingDown()
        if self._probe is None or self._probe.done():
            self._probe = asyncio.ensure_future(run_in_threadpool(probe, self._uow.engine))
        try:
            found = await asyncio.wait_for(asyncio.shield(self._probe), self._timeout)
        except TimeoutError:
            found = errors.DatabaseUnavailable(reason=f"no answer within {self._timeout:g} s")
        if found is None:
            sqlite = self._uow.engine.dialect.name == "sqlite"  # its probe writes (and rolls back)
            self._uow.database.answered(wrote=sqlite, at_head=True)
        else:
            self._uow.database.failed(found)
        return found

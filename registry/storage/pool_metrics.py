"""Database pool metrics: connections checked out, and requests waiting for one.

Checked-out connections follow the pool's checkout and checkin events. SQLAlchemy has no event before a
checkout starts waiting, so the pool's one extension point for getting a connection (`_do_get`, which
blocks while the pool is exhausted and opens new connections) is wrapped in a subclass that counts the
callers inside it. Both are gauges updated as things happen (not read at scrape time), so that with several
worker processes each process's share is counted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection, QueuePool

from registry.observability import metrics


class _CountingWaiters(QueuePool):
    def _do_get(self) -> ConnectionPoolEntry:
        with metrics.db_pool_waiting.track_inprogress():
            return super()._do_get()


def observe_pool(engine: Engine) -> None:
    """Idempotent: apps sharing an engine (tests, embedding) observe its pool once."""
    if event.contains(engine, "checkout", _checked_out):
        return
    event.listen(engine, "checkout", _checked_out)
    event.listen(engine, "checkin", _checked_in)
    if type(engine.pool) is QueuePool:
        # Same state, one method more; `recreate()` (on dispose) builds the subclass again.
        engine.pool.__class__ = _CountingWaiters


def _checked_out(_dbapi: Any, _record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
    metrics.db_pool_in_use.inc()


def _checked_in(_dbapi: Any, _record: ConnectionPoolEntry) -> None:
    metrics.db_pool_in_use.dec()

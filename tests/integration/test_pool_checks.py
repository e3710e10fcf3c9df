"""PostgreSQL's pooled connections are checked at checkout without a round trip when nothing says they are in
trouble (registry.storage.database: `_ping_when_in_doubt`, in place of `pool_pre_ping`): a backend the server
ended, or any connection idle for a while, is pinged and replaced, so a replica carries on after its database
restarts; a connection used just now and showing no sign of trouble is handed out without the ping. What goes
over the wire is read from libpq's own protocol trace of the connection."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, text

from registry import services
from registry.storage.database import PING_AFTER_IDLE_SECONDS, Timeouts, make_engine, make_session_factory
from registry.storage.migrations import upgrade
from registry.storage.unit_of_work import UnitOfWork
from tests.conftest import POSTGRES_SERVER, fresh_postgres_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine() -> Iterator[Engine]:
    with fresh_postgres_database() as url:
        migrating = make_engine(url)
        upgrade(migrating)
        migrating.dispose()
        serving = make_engine(url, pool_size=1, timeouts=Timeouts())  # one connection, reused every time
        yield serving
        serving.dispose()


def backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def traced(engine: Engine, trace: Path) -> Any:
    """The pool's one connection, its protocol exchanges written to `trace` from now on."""
    raw = engine.raw_connection()
    dbapi: Any = raw.dbapi_connection
    file = trace.open("w")
    dbapi.pgconn.trace(file.fileno())
    raw.close()  # back to the pool, still tracing
    return file


def pings(trace: Path) -> int:
    """Empty queries sent (SQLAlchemy's ping for psycopg is the query `;`)."""
    sent = [line.split("\t")[1:] for line in trace.read_text().splitlines()]
    return sum(fields[0] == "F" and fields[2:4] == ["Query", ' ";"'] for fields in sent)


def test_a_backend_the_server_ended_is_replaced_at_checkout(engine: Engine) -> None:
    uow = UnitOfWork(make_session_factory(engine))
    first = backend_pid(engine)
    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (first,))
    time.sleep(0.2)  # the server's goodbye reaches the client's socket
    # a write at once, on what was the pooled connection: no error, a new backend
    services.put_registry(uow, "after-restart", services.RegistryChanges(), actor="test")
    assert backend_pid(engine) != first
    assert uow.database.problem("database") is None


def test_a_connection_used_just_now_is_not_pinged_and_an_idle_one_is(engine: Engine, tmp_path: Path) -> None:
    backend_pid(engine)  # connected
    trace = tmp_path / "trace"
    with traced(engine, trace):
        for _ in range(3):
            backend_pid(engine)
        assert pings(trace) == 0
        time.sleep(PING_AFTER_IDLE_SECONDS + 0.2)
        backend_pid(engine)
        assert pings(trace) == 1

"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production), with time limits.

Every wait on the database is bounded, so that a database refusing connections or silently not answering
(a network partition) fails a request within seconds rather than hanging it:

    a new connection          PostgreSQL `connect_timeout` (whole seconds, 2 at least)
    a pooled connection       SQLAlchemy `pool_timeout`
    a statement               PostgreSQL `statement_timeout`, and on the client the same limit plus a margin
                              for any answer at all: TCP keepalives and `tcp_user_timeout` end a partition
                              the kernel can see, but not a peer (a proxy, a NAT) that acknowledges and
                              forwards nothing
    another writer's lock     SQLite `busy_timeout`
"""

from __future__ import annotations

import math
import select
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Engine, create_engine, event, exc, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from registry.settings import Settings
from registry.storage.direct import run_sql

# Execution option asking SQLite for `BEGIN IMMEDIATE`: a writer takes the write lock when its transaction
# starts, so two writers never both read and then deadlock upgrading their locks.
IMMEDIATE = "registry_sqlite_immediate"

# How much longer than a statement's own limit the client waits for the server to say it gave up.
ANSWER_MARGIN_SECONDS = 1.0


@dataclass(frozen=True)
class Timeouts:
    """`statement` None: no limit (migrations, which may rewrite large tables)."""

    connect: int = 3
    statement: float | None = 5.0
    pool: float = 3.0
    sqlite_busy: float = 5.0

    @property
    def answer(self) -> float | None:
        """Longest wait for any answer from PostgreSQL on an open connection."""
        return None if self.statement is None else self.statement + ANSWER_MARGIN_SECONDS


NO_STATEMENT_LIMIT = Timeouts(statement=None, sqlite_busy=30.0)


def make_engine(url: str, *, pool_size: int = 10, timeouts: Timeouts = NO_STATEMENT_LIMIT) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url, timeouts)
    return _postgres_engine(url, pool_size, timeouts)


def _postgres_engine(url: str, pool_size: int, timeouts: Timeouts) -> Engine:
    given = make_url(url).query  # what the URL says wins over our defaults
    defaults: dict[str, Any] = {
        "connect_timeout": timeouts.connect,
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 3,
        "keepalives_count": 3,
    }
    connect_args = {key: value for key, value in defaults.items() if key not in given}
    answer = timeouts.answer
    if timeouts.statement is not None and answer is not None:
        if "tcp_user_timeout" not in given:
            connect_args["tcp_user_timeout"] = int(answer * 1000)
        options = str(given.get("options", ""))
        if "statement_timeout" not in options:  # added to the URL's own options, if any
            limit = f"-c statement_timeout={math.ceil(timeouts.statement * 1000)}"
            connect_args["options"] = f"{options} {limit}".strip()
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=timeouts.pool,
        connect_args=connect_args,
    )
    _ping_when_in_doubt(engine)
    if answer is not None:

        @event.listens_for(engine, "do_connect")
        def _bounded(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
            connection = AnswerBoundConnection.connect(*cargs, **cparams)
            connection.answer_timeout = answer
            return connection

    return engine


# A pooled connection idle longer than this is pinged at checkout even when it looks alive
PING_AFTER_IDLE_SECONDS = 1.0
_RETURNED = "registry_returned_at"


def _ping_when_in_doubt(engine: Engine) -> None:
    """SQLAlchemy's `pool_pre_ping`, without its round trip (one per transaction, ~80 µs of CPU on the two
    sides, and a registration's latency) for a connection that shows no sign of trouble.

    A server that restarts, ends a backend (`pg_terminate_backend`, `idle_session_timeout`) or is cut off by
    a proxy sends an error and closes the socket, or the kernel hears a reset: the socket turns readable
    while the connection sits idle in the pool. A connection whose socket has nothing to read, whose state is
    healthy and that was used within PING_AFTER_IDLE_SECONDS is handed out as it is; any other is pinged,
    and a failed ping invalidates the pool as pre-ping does (the next checkouts connect again). What neither
    can tell apart is a peer that vanished without a word (a partition): pre-ping then waited for its
    answer bound as the first statement now does, and either way the request gets its 503 within the
    bounds and the connection is dropped (AnswerBoundConnection)."""

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None:
            record.info[_RETURNED] = (id(dbapi_connection), time.monotonic())

    @event.listens_for(engine, "checkout")
    def _checked(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is None or returned[0] != id(dbapi_connection):
            return  # connected just now (as pre-ping, no ping for a fresh connection)
        recent = time.monotonic() - returned[1] < PING_AFTER_IDLE_SECONDS
        if recent and _looks_alive(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except psycopg.Error as error:
            # (SQLAlchemy types the error as its DBAPI protocol's; psycopg's is that)
            if engine.dialect.is_disconnect(error, dbapi_connection, None):  # type: ignore[arg-type]
                raise exc.InvalidatePoolError() from error  # what a failed pre-ping raises
            raise


def _looks_alive(connection: Any) -> bool:
    """Nothing says otherwise without asking the server: open, idle, and nothing arrived on its socket (an
    idle connection is sent nothing unasked but an error before the server closes it, or a notification)."""
    if connection.closed or connection.broken:
        return False
    pgconn = connection.pgconn
    if pgconn.status != psycopg.pq.ConnStatus.OK:
        return False
    if pgconn.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        return False
    poller = select.poll()  # not select(): a process may hold more than 1,024 descriptors
    poller.register(pgconn.socket, select.POLLIN | select.POLLPRI)
    return not poller.poll(0)  # anything at all (data, a hang-up, an error) is a reason to ask


class AnswerBoundConnection(psycopg.Connection[Any]):
    """A psycopg connection that waits at most `answer_timeout` for any answer, then closes itself: a
    half-done exchange leaves the protocol in an unknown state, and SQLAlchemy treats a closed connection
    as a disconnect (it is dropped from the pool, the pool is refreshed)."""

    answer_timeout: float | None = None

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        bound = timeout if timeout is not None else self.answer_timeout
        try:
            return super().wait(gen, interval, bound)
        except psycopg.errors._WaitTimeout:  # psycopg's own signal for the bound it was given
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"the database did not answer within {bound:g} s (network partition?)"
            ) from None


def _sqlite_engine(url: str, timeouts: Timeouts) -> Engine:
    busy_ms = int(timeouts.sqlite_busy * 1000)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": timeouts.sqlite_busy})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's begin event below (pysqlite's own is unreliable).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        if ":memory:" not in url:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(IMMEDIATE, False)
        run_sql(connection, "BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)


def serving_timeouts(settings: Settings) -> Timeouts:
    """The limits of a serving process (migrations keep `NO_STATEMENT_LIMIT`)."""
    return Timeouts(
        connect=settings.database_connect_timeout_seconds,
        statement=settings.database_statement_timeout_seconds,
        pool=settings.database_pool_timeout_seconds,
        sqlite_busy=settings.sqlite_busy_timeout_seconds,
    )


def serving_engine(settings: Settings) -> Engine:
    return make_engine(
        settings.database_url, pool_size=settings.pool_size, timeouts=serving_timeouts(settings)
    )

"""Whether the database answers, as this process last saw it, and the translation of the drivers' errors
about it into our own (503 `database_unavailable`, `database_read_only`, `database_not_migrated`).

Whoever notices a change (a request, the readiness probe, a background worker) reports it here, and this
logs one line per change: an outage of ten seconds under load is two lines, not a traceback per request.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from functools import cache

import psycopg
from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc

from registry.domain import errors
from registry.storage.migrations import current_revision, head_revision

log = logging.getLogger("registry.database")

# PostgreSQL error classes that say nothing about the request: connection lost or refused, the server
# shutting down or out of resources, a statement cancelled by `statement_timeout`, a read-only standby.
_UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "53", "57", "58", "25006")
_MISSING_RELATION_SQLSTATES = {"42P01", "42703"}  # undefined table, undefined column
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database", "disk i/o error", "disk is full")
_SQLITE_READ_ONLY = "readonly database"
_SQLITE_MISSING = ("no such table", "no such column")


UNAVAILABLE, READ_ONLY, NOT_MIGRATED = "unavailable", "read-only", "not migrated"
_WHAT_IT_MEANS = {
    UNAVAILABLE: "requests that need it get 503 until it answers again",
    READ_ONLY: "writes get 503 until it can be written again",
    NOT_MIGRATED: "requests get 503 until an operator runs `registry migrate`",
}


class DatabaseState:
    """The database's problems as last seen (unavailable, read-only, not migrated), each with its reason.
    Thread-safe; reporting what is already known costs one dictionary lookup."""

    def __init__(self) -> None:
        self._problems: dict[str, str] = {}
        self._lock = threading.Lock()

    def problem(self, kind: str) -> str | None:
        return self._problems.get(kind)

    def failed(self, error: errors.Unavailable, *, announce: bool = True) -> None:
        """`announce` False: the caller has told the operator already (`registry serve` at start)."""
        kind = (
            READ_ONLY if isinstance(error, errors.DatabaseReadOnly)
            else NOT_MIGRATED if isinstance(error, errors.DatabaseNotMigrated)
            else UNAVAILABLE
        )  # fmt: skip
        self._change(kind, explain(error), announce=announce)

    def answered(self, *, wrote: bool = False, at_head: bool = False) -> None:
        """A transaction succeeded (a writing one: `wrote`), or the schema was found at head."""
        if not self._problems:
            return
        self._change(UNAVAILABLE, None)
        if wrote:
            self._change(READ_ONLY, None)
        if at_head:
            self._change(NOT_MIGRATED, None)

    def _change(self, kind: str, reason: str | None, *, announce: bool = True) -> None:
        if (kind in self._problems) == (reason is not None):
            return
        with self._lock:
            before = self._problems.get(kind)
            if (before is not None) == (reason is not None):
                return
            if reason is not None:
                self._problems[kind] = reason
                if announce:
                    log.warning("database %s: %s; %s", kind, reason, _WHAT_IT_MEANS[kind])
            else:
                del self._problems[kind]
                log.warning("database no longer %s (it was: %s)", kind, before)


def translate(exc: BaseException, engine: Engine) -> errors.Unavailable | None:
    """Our error for a driver's error that is about the database rather than the request; else None.
    Its reason is a category, for clients (no host names); the driver's own words stay in its cause."""
    ours = _translate(exc, engine)
    if ours is not None:
        ours.__cause__ = exc
    return ours


def _translate(exc: BaseException, engine: Engine) -> errors.Unavailable | None:
    if isinstance(exc, sa_exc.TimeoutError):  # every pooled connection busy for pool_timeout
        return errors.DatabaseUnavailable(reason=POOL_EXHAUSTED)
    if not isinstance(exc, sa_exc.DBAPIError):
        return None
    original = exc.orig
    if isinstance(original, psycopg.Error):
        state = original.sqlstate
        if state == "25006":  # a read-only transaction: a standby, or default_transaction_read_only
            return errors.DatabaseReadOnly(reason="read-only (a standby?)")
        if exc.connection_invalidated or state is None or state.startswith(_UNAVAILABLE_SQLSTATE_PREFIXES):
            return errors.DatabaseUnavailable(reason=_postgres_reason(original))
        if state in _MISSING_RELATION_SQLSTATES:
            return not_migrated(engine)
        return None
    if isinstance(original, sqlite3.Error):
        text = str(original).lower()
        if _SQLITE_READ_ONLY in text:
            return errors.DatabaseReadOnly(reason="the file is read-only")
        if any(marker in text for marker in _SQLITE_UNAVAILABLE):
            return errors.DatabaseUnavailable(reason=f"SQLite: {text}")
        if any(marker in text for marker in _SQLITE_MISSING):
            return not_migrated(engine)
        return None
    return errors.DatabaseUnavailable(reason=UNREACHABLE) if exc.connection_invalidated else None


UNREACHABLE = "connection refused or lost"
# This replica's overload (or a partition, which the requests holding the connections report): not a state
# of the database to log.
POOL_EXHAUSTED = "no free connection in the pool"


def _postgres_reason(error: psycopg.Error) -> str:
    state = error.sqlstate or ""
    if isinstance(error, psycopg.errors.ConnectionTimeout) or "did not answer within" in str(error):
        return "no answer in time"
    if state == "57014":
        return "a statement ran out of time (statement_timeout)"
    if state.startswith("53"):
        return "out of resources (too many connections?)"
    if state.startswith("57P"):
        return "shutting down or starting up"
    return UNREACHABLE


def not_migrated(engine: Engine) -> errors.Unavailable | None:
    """A missing table or column means a database behind the code, unless the schema is at head (then
    it is a bug of ours, and the original error should stand)."""
    try:
        current = current_revision(engine)
    except Exception as exc:  # the database went away meanwhile
        return translate(exc, engine) or errors.DatabaseUnavailable(reason=UNREACHABLE)
    head = cached_head_revision()
    return None if current == head else errors.DatabaseNotMigrated(current=current, head=head)


@cache
def cached_head_revision() -> str | None:
    return head_revision()


def explain(error: errors.Unavailable) -> str:
    """For the operator: the reason, with the driver's own words when there are any."""
    reason = str(error.details.get("reason") or error.message)
    return f"{reason} ({describe(error.__cause__)})" if error.__cause__ is not None else reason


def describe(exc: BaseException) -> str:
    """One line, without SQLAlchemy's background link or the statement."""
    original = getattr(exc, "orig", None) or exc
    first_line = (str(original).strip().splitlines() or [""])[0]
    return f"{type(original).__name__}: {first_line}" if first_line else type(original).__name__


def probe(engine: Engine) -> errors.Unavailable | None:
    """What keeps the database from serving: unreachable, not at the migrations' head, or (SQLite) not
    writable. Blocking: the caller bounds its time."""
    try:
        current = current_revision(engine)
        head = cached_head_revision()
        if current != head:
            return errors.DatabaseNotMigrated(current=current, head=head)
        if engine.dialect.name == "sqlite":
            return _sqlite_read_only(engine)
    except Exception as exc:  # whatever the driver says, the database cannot serve
        found = translate(exc, engine) or errors.DatabaseUnavailable(reason=UNREACHABLE)
        found.__cause__ = exc
        return found
    return None


def _sqlite_read_only(engine: Engine) -> errors.DatabaseReadOnly | None:
    """A write that is rolled back: SQLite opens a file it may not write read-only, and only says so at
    the first write (a `BEGIN IMMEDIATE` succeeds)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        busy = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
        cursor.execute("PRAGMA busy_timeout=0")  # a writer at work proves the file writable: do not wait
        try:
            cursor.execute("BEGIN IMMEDIATE")
            cursor.execute("UPDATE alembic_version SET version_num = version_num")
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if _SQLITE_READ_ONLY in text:
                return errors.DatabaseReadOnly(reason="the file is read-only")
            if "locked" not in text and "busy" not in text:
                raise
        finally:
            if raw.dbapi_connection is not None and raw.dbapi_connection.in_transaction:
                cursor.execute("ROLLBACK")
            cursor.execute(f"PRAGMA busy_timeout={int(busy)}")
    finally:
        raw.close()
    return None

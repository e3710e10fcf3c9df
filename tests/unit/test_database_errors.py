"""Which driver errors mean "the database cannot serve now" (503, each with its code) and which stay the
request's own (translated elsewhere, or a bug): the table `registry.storage.availability.translate` keeps."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy import exc as sa_exc

from registry.storage.availability import translate

ENGINE = create_engine("sqlite://")  # only consulted for missing tables, which these cases avoid


def wrapped(original: Exception) -> sa_exc.DBAPIError:
    return sa_exc.DBAPIError("SELECT 1", {}, original)


@pytest.mark.parametrize(
    ("error", "code", "reason"),
    [
        (
            wrapped(psycopg.errors.QueryCanceled("canceling statement")),
            "database_unavailable",
            "ran out of time",
        ),
        (wrapped(psycopg.errors.AdminShutdown("terminating")), "database_unavailable", "shutting down"),
        (wrapped(psycopg.errors.TooManyConnections("too many")), "database_unavailable", "out of resources"),
        (wrapped(psycopg.errors.ConnectionTimeout("expired")), "database_unavailable", "no answer in time"),
        (wrapped(psycopg.OperationalError("connection refused")), "database_unavailable", "refused"),
        (wrapped(psycopg.errors.ReadOnlySqlTransaction("read-only")), "database_read_only", "standby"),
        (wrapped(sqlite3.OperationalError("database is locked")), "database_unavailable", "locked"),
        (
            wrapped(sqlite3.OperationalError("attempt to write a readonly database")),
            "database_read_only",
            "read-only",
        ),
        (sa_exc.TimeoutError("QueuePool limit reached"), "database_unavailable", "pool"),
    ],
)
def test_errors_about_the_database_become_503s(error: Exception, code: str, reason: str) -> None:
    ours = translate(error, ENGINE)
    assert ours is not None
    assert ours.code == code
    assert reason in ours.details["reason"]
    assert ours.__cause__ is error


@pytest.mark.parametrize(
    "error",
    [
        wrapped(psycopg.errors.UniqueViolation("duplicate key")),
        wrapped(psycopg.errors.SerializationFailure("could not serialize")),
        wrapped(sqlite3.IntegrityError("UNIQUE constraint failed")),
        ValueError("not a database error"),
    ],
)
def test_errors_of_the_request_or_of_the_code_are_left_alone(error: Exception) -> None:
    assert translate(error, ENGINE) is None

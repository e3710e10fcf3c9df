"""Statements run on the driver's cursor, inside the session's own transaction: registration's hot path.

SQLAlchemy's execution of a statement (the session's and the connection's bookkeeping, the execution context,
the result object) costs about ten times what SQLite itself does for registration's small statements, about
20 µs each, and a registration runs seven or eight of them. A `Direct` statement is compiled by SQLAlchemy
once per dialect (the same SQL text, in the driver's parameter style), and each execution hands the driver
the parameters through the same type processors SQLAlchemy would apply (a datetime on SQLite becomes the
same text, a JSON value the same document), so what is stored is identical either way.

What SQLAlchemy's execution did and is still done here: the statement runs on the connection of the
session's transaction (`session.connection()`: begun as usual, committed or rolled back by the session);
a driver error comes out as the same `sqlalchemy.exc.DBAPIError` subclass, and a lost connection is
invalidated (dropped from the pool) as SQLAlchemy would. When the engine has cursor-execution listeners
(OpenTelemetry's span per statement, when tracing is on), the statement goes through SQLAlchemy
(`exec_driver_sql`) so that they hear of it. Results are plain tuples: only columns the driver returns as
they are (integers, text) are selected this way; a boolean on SQLite comes back as 0 or 1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

Processor = Callable[[Any], Any] | None


class _Compiled:
    """One statement in one dialect: its text and how a dict of parameters becomes the driver's."""

    def __init__(self, statement: ClauseElement, dialect: Dialect, columns: Sequence[str]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(columns) or None)
        assert isinstance(compiled, SQLCompiler)
        # Parameters rendered into the text at execution (expanding IN, literal LIMIT) need SQLAlchemy,
        # and so do Python-side column defaults: here every value is given by the caller.
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError(f"a statement with parameters rendered at execution: {statement}")
        missing = [column.key for column in (*compiled.insert_prefetch, *compiled.update_prefetch)]
        if missing:
            raise ValueError(f"columns with a Python-side default must be given values: {missing}")
        self.sql = compiled.string
        processors: dict[str, Processor] = {}
        for bind, name in compiled.bind_names.items():
            processors[name] = bind.type.dialect_impl(dialect).bind_processor(dialect)
        names = list(compiled.positiontup) if compiled.positional and compiled.positiontup else None
        self.names = names
        self.order: list[tuple[str, Processor]] = [
            (name, processors[name]) for name in (names if names is not None else processors)
        ]

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        if self.names is not None:
            return tuple(
                values[name] if process is None else process(values[name]) for name, process in self.order
            )
        return {
            name: values[name] if process is None else process(values[name]) for name, process in self.order
        }


class Direct:
    """A statement built once, run with parameters on the session's connection (module docstring).

    `statement`: one for every dialect, or one per dialect's name (an upsert is spelled by each dialect's own
    `insert`); `columns`: for an INSERT without values of its own, the columns the parameters give."""

    def __init__(
        self, statement: ClauseElement | Mapping[str, ClauseElement], *, columns: Sequence[str] = ()
    ) -> None:
        self._statement = statement
        self._columns = tuple(columns)
        self._by_dialect: dict[str, _Compiled] = {}

    def rows(self, session: Session, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row the statement returns."""
        return self._execute(session, values, fetch=True)

    def first(self, session: Session, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        found = self._execute(session, values, fetch=True)
        return found[0] if found else None

    def run(self, session: Session, values: Mapping[str, Any]) -> None:
        self._execute(session, values, fetch=False)

    def run_at_commit(self, session: Session, values: Mapping[str, Any]) -> None:
        """`run`, for a write whose result and effect nothing in the transaction reads afterwards: on
        PostgreSQL it is sent with the COMMIT (`commit`), in one round trip; elsewhere it runs now. An
        error it meets comes out of the commit, and the transaction is rolled back as before."""
        self._at_commit(session, values, many=False)

    def run_many_at_commit(self, session: Session, many: Sequence[Mapping[str, Any]]) -> None:
        """`run_many`, sent with the COMMIT as `run_at_commit` is."""
        self._at_commit(session, many, many=True)

    def _at_commit(self, session: Session, values: Any, *, many: bool) -> None:
        connection, listened = _connection(session)
        if listened or connection.dialect.name != "postgresql":
            self.run_many(session, values) if many else self.run(session, values)
            return
        compiled = self._compiled(connection.dialect)
        parameters = [compiled.parameters(each) for each in values] if many else compiled.parameters(values)
        session.info.setdefault(_AT_COMMIT, []).append((compiled.sql, parameters, many))

    def run_many(self, session: Session, many: Sequence[Mapping[str, Any]]) -> None:
        """The statement once per set of values (the driver's `executemany`); returns nothing."""
        connection, listened = _connection(session)
        compiled = self._compiled(connection.dialect)
        parameters = [compiled.parameters(values) for values in many]
        if listened:
            connection.exec_driver_sql(compiled.sql, parameters)
            return
        cursor = connection.connection.cursor()
        try:
            cursor.executemany(compiled.sql, parameters)  # type: ignore[arg-type]  # one kind per dialect
        except connection.dialect.loaded_dbapi.Error as error:
            raise _translated(connection, cursor, compiled.sql, parameters, error) from error
        finally:
            cursor.close()

    def _execute(self, session: Session, values: Mapping[str, Any], *, fetch: bool) -> list[tuple[Any, ...]]:
        connection, listened = _connection(session)
        compiled = self._compiled(connection.dialect)
        parameters = compiled.parameters(values)
        if listened:
            result = connection.exec_driver_sql(compiled.sql, parameters)
            return [tuple(row) for row in result] if fetch else []
        cursor = connection.connection.cursor()
        try:
            cursor.execute(compiled.sql, parameters)
            return list(cursor.fetchall()) if fetch else []
        except connection.dialect.loaded_dbapi.Error as error:
            raise _translated(connection, cursor, compiled.sql, parameters, error) from error
        finally:
            cursor.close()

    def statement_for(self, dialect: str) -> ClauseElement:
        """The statement as SQLAlchemy would run it in `dialect` (tests compare what each stores)."""
        statement = self._statement
        return statement[dialect] if isinstance(statement, Mapping) else statement

    def _compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:  # two threads may both compile it: the same result, one kept
            statement = self.statement_for(dialect.name)
            found = self._by_dialect[dialect.name] = _Compiled(statement, dialect, self._columns)
        return found


def run_sql(connection: Connection, sql: str) -> None:
    """`sql`, without parameters or rows, on the driver's cursor of `connection`: what `exec_driver_sql`
    does, at a tenth of the cost (SQLite's BEGIN of every transaction)."""
    if _listened(connection):
        connection.exec_driver_sql(sql)
        return
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
    except connection.dialect.loaded_dbapi.Error as error:
        raise _translated(connection, cursor, sql, (), error) from error
    finally:
        cursor.close()


def commit(session: Session) -> None:
    """Commit the session's transaction, sending the statements queued by `run_at_commit` first: on
    PostgreSQL they and the COMMIT go in one pipeline (psycopg's: sent together, answered together), where
    each would have been a round trip of its own. The session's own commit then finds the driver's
    transaction ended and sends nothing more."""
    queued = session.info.pop(_AT_COMMIT, None)
    if queued:
        connection, _ = _connection(session)
        dbapi_connection: Any = connection.connection.dbapi_connection
        cursor = dbapi_connection.cursor()
        sql, parameters = "COMMIT", None
        try:
            with dbapi_connection.pipeline():
                for sql, parameters, many in queued:
                    (cursor.executemany if many else cursor.execute)(sql, parameters)
                sql, parameters = "COMMIT", None
                # as a statement of the pipeline (its one Sync); `commit()` would add a Sync of its own
                cursor.execute(sql)
        except connection.dialect.loaded_dbapi.Error as error:
            raise _translated(connection, cursor, sql, parameters, error) from error
        finally:
            cursor.close()
    session.commit()


def forget_queued(session: Session) -> None:
    """The transaction ends without a commit: what `run_at_commit` queued is dropped with it."""
    session.info.pop(_AT_COMMIT, None)


def remember(session: Session, connection: Connection) -> None:
    """The session's transaction has just begun on `connection` (the unit of work asked for it with its
    options): statements need not ask the session again."""
    session.info[_CONNECTION] = connection, _listened(connection)


def _listened(connection: Connection) -> bool:
    """Someone listens to each statement's execution (tracing): they must hear of these too."""
    dispatch = connection.dispatch
    return bool(dispatch.before_cursor_execute or dispatch.after_cursor_execute)


_CONNECTION = "registry.direct.connection"
_AT_COMMIT = "registry.direct.at_commit"


def _connection(session: Session) -> tuple[Connection, bool]:
    """The connection of the session's transaction (begun if need be), and whether someone listens to each
    statement's execution (`_listened`). Asking the session costs as much as running one of these
    statements, so the answer is kept in the session until its transaction ends: the session then closes
    the connection (committed or rolled back), and its next one is another."""
    kept = session.info.get(_CONNECTION)
    if kept is not None and not kept[0].closed and kept[0].in_transaction():
        return kept  # type: ignore[no-any-return]
    connection = session.connection()
    remember(session, connection)
    return connection, _listened(connection)


def _translated(
    connection: Connection, cursor: Any, sql: str, parameters: Any, error: Any
) -> sa_exc.StatementError:
    """The driver's error as SQLAlchemy would raise it; a lost connection is invalidated, as it would be."""
    dialect = connection.dialect
    base = dialect.loaded_dbapi.Error
    lost = dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
    if lost:
        connection.invalidate(error)
    ours: sa_exc.StatementError = sa_exc.DBAPIError.instance(
        sql, parameters, error, base, connection_invalidated=lost, dialect=dialect
    )
    return ours

"""Statements run on the driver's cursor (registry.storage.direct) store what SQLAlchemy's execution of the
same statement stores, read back through the ORM; they run in the session's transaction, raise SQLAlchemy's
errors, and are heard by cursor-execution listeners (tracing)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, insert, inspect, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from registry import services
from registry.domain import errors
from registry.domain.model import CompatibilityMode
from registry.storage import audit, mirror, repositories, search
from registry.storage.database import Timeouts, make_engine, make_session_factory
from registry.storage.direct import Direct, commit, forget_queued
from registry.storage.migrations import upgrade
from registry.storage.models import (
    AuditRow,
    Base,
    MirrorOutboxRow,
    SchemaRow,
    SearchDocumentRow,
    VersionRow,
)
from registry.storage.unit_of_work import UnitOfWork
from tests.conftest import fresh_postgres_database

# Microseconds, a non-ASCII name, nested JSON with unicode and a None: what a processor could change.
AT = datetime(2026, 12, 6, 11, 45, 7, 123456, tzinfo=UTC)
DETAIL = {"fingerprint": "ab" * 32, "nested": {"ünïcode": ["é", 1, 2.5, None, True]}}


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on a database holding a registry and two schemas of one version each."""
    uow = UnitOfWork(make_session_factory(engine))
    services.put_registry(uow, "orders", services.RegistryChanges(CompatibilityMode.BACKWARD), actor="t")
    for name in ("OrderCreated", "OrderShipped"):
        new = services.NewVersion("JSONSchemaDraft4", {"type": "object", "properties": {"id": {}}})
        services.register_version(uow, "orders", name, new, actor="t")
    with make_session_factory(engine)() as opened:
        yield opened


def ids(session: Session) -> tuple[int, list[int], int]:
    """The registry's row id, the schemas' and the first version's."""
    schemas = session.scalars(select(SchemaRow).order_by(SchemaRow.id)).all()
    version = session.scalars(select(VersionRow).order_by(VersionRow.id)).first()
    assert version is not None
    return schemas[0].registry_id, [each.id for each in schemas], version.id


Insert = tuple[Direct, type[Base], dict[str, Any], tuple[dict[str, Any], dict[str, Any]]]


def inserts(session: Session) -> list[Insert]:
    """Every insert of registration's path: (statement, its model, values, and the values telling apart a
    row written by SQLAlchemy and one written directly, the first of them finding the row)."""
    registry_id, schema_ids, version_id = ids(session)
    return [
        (
            repositories._NEW_SCHEMA,
            SchemaRow,
            dict(registry_id=registry_id, type="JSONSchemaDraft4", last_version=0, tags={}, created_at=AT,
                 updated_at=AT + timedelta(seconds=1)),
            ({"name": "Ünïcode.Schema/1", "package_name": "pkg-one"},
             {"name": "Ünïcode.Schema/2", "package_name": "pkg-two"}),
        ),
        (
            repositories._NEW_VERSION,
            VersionRow,
            dict(schema_id=schema_ids[0], content='{"type":"object"}', event_root=None, description="déjà vu",
                 created_at=AT, created_by="token-1", bundle=None),
            ({"version": 7, "fingerprint": "e" * 64}, {"version": 8, "fingerprint": "f" * 64}),
        ),
        (
            audit._NEW_ENTRY,
            AuditRow,
            dict(at=AT, action="version.registered", registry_id=registry_id, registry_name="orders",
                 schema_name="OrderCreated", version=1, environment=None, subject=None, detail=DETAIL),
            ({"actor": "token-1"}, {"actor": "token-2"}),
        ),
        (
            search._NEW_DOCUMENT,
            SearchDocumentRow,
            dict(registry_name="orders", schema_name="Other", name="other", description="", document="x id"),
            ({"schema_id": schema_ids[0]}, {"schema_id": schema_ids[1]}),
        ),
        (
            mirror._NEW_ITEM,
            MirrorOutboxRow,
            dict(registry_id=registry_id, version_id=version_id, version=1, type="JSONSchemaDraft4",
                 content="{}", description=None, status="pending", attempts=0, next_attempt_at=AT,
                 created_at=AT, updated_at=AT),
            ({"schema_name": "A"}, {"schema_name": "B"}),
        ),
    ]  # fmt: skip


def stored(session: Session, model: type[Base], found_by: dict[str, Any]) -> dict[str, Any]:
    """A row read back through the ORM: every column but the row id and those telling the rows apart."""
    session.expire_all()
    (key, value), *_ = found_by.items()
    row = session.scalars(select(model).where(getattr(model, key) == value)).one()
    return {
        column.key: getattr(row, column.key)
        for column in inspect(model).columns
        if column.key != "id" and column.key not in found_by
    }


def test_an_insert_stores_what_sqlalchemys_execution_stores(session: Session) -> None:
    dialect = session.get_bind().dialect.name
    session.execute(search._DOCUMENTS.delete())  # registration wrote the schemas' documents
    for direct, model, values, (by_sqlalchemy, by_direct) in inserts(session):
        session.execute(direct.statement_for(dialect), {**values, **by_sqlalchemy})
        direct.run(session, {**values, **by_direct})
        expected = stored(session, model, by_sqlalchemy)
        assert stored(session, model, by_direct) == expected, model.__name__
        assert expected  # something was compared
    assert stored(session, AuditRow, {"actor": "token-2"})["detail"] == DETAIL
    at = stored(session, AuditRow, {"actor": "token-2"})["at"]
    assert repositories.aware(at) == AT  # SQLite gives it back naive, PostgreSQL aware: the same instant


def a_schema_insert(registry_id: int) -> tuple[Direct, dict[str, object]]:
    """A schema's insert on the driver and its values: a second run breaks the unique index of names."""
    statement = Direct(
        insert(Base.metadata.tables["schemas"]),
        columns=("registry_id", "name", "type", "last_version", "package_name", "tags", "created_at",
                 "updated_at"),
    )  # fmt: skip
    values = dict(registry_id=registry_id, name="OrderCreated", type="JSONSchemaDraft4", last_version=0,
                  package_name="x", tags={}, created_at=AT, updated_at=AT)  # fmt: skip
    return statement, values


def test_a_driver_error_is_sqlalchemys_error_and_the_transaction_can_roll_back(session: Session) -> None:
    duplicate, values = a_schema_insert(ids(session)[0])
    with pytest.raises(IntegrityError) as raised:
        duplicate.run(session, values)
    assert type(raised.value.orig).__name__ in {"IntegrityError", "UniqueViolation"}
    session.rollback()
    assert session.scalar(select(func.count()).select_from(SchemaRow)) == 2


def test_statements_after_a_commit_run_in_the_next_transaction(session: Session) -> None:
    entry = inserts(session)[2][2]  # the audit entry's values
    audit._NEW_ENTRY.run(session, {**entry, "actor": "kept"})
    session.commit()
    audit._NEW_ENTRY.run(session, {**entry, "actor": "rolled back"})
    session.rollback()
    audit._NEW_ENTRY.run(session, {**entry, "actor": "closed"})
    session.close()
    actors = set(session.scalars(select(AuditRow.actor)))
    assert "kept" in actors and not {"rolled back", "closed"} & actors


def test_cursor_listeners_hear_each_statement(session: Session, engine: Engine) -> None:
    heard: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        heard.append(statement)

    entry = {**inserts(session)[2][2], "actor": "heard"}
    named = {"registry": "orders", "schema": "OrderCreated"}
    event.listen(engine, "before_cursor_execute", listen)
    try:
        with make_session_factory(engine)() as listened:
            found = repositories._STATE_BY_NAMES.first(listened, named)
            audit._NEW_ENTRY.run_many(listened, [entry, entry])
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert found is not None and found[2] == 1  # last_version
    heard = [each for each in heard if each != "BEGIN"]  # SQLite's, from the engine's begin event
    assert len(heard) == 2, heard  # one execution of each (an executemany is one)
    assert "FROM schemas JOIN registries" in heard[0]
    assert heard[1].startswith("INSERT INTO audit_history")


def test_a_writer_finding_sqlite_locked_at_its_begin_is_told_the_database_is_unavailable(
    tmp_path: Path,
) -> None:
    """SQLite's BEGIN IMMEDIATE runs on the driver's cursor too: its error is still translated (503)."""
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    holder, waiter = make_engine(url), make_engine(url, timeouts=Timeouts(sqlite_busy=0.05))
    upgrade(holder)
    try:
        holding = UnitOfWork(make_session_factory(holder)).writing()  # holds the write lock
        waiting = UnitOfWork(make_session_factory(waiter)).writing()
        with holding, pytest.raises(errors.DatabaseUnavailable) as refused, waiting:
            pass
        assert "locked" in refused.value.details["reason"]
        assert isinstance(refused.value.__cause__, OperationalError)
        with UnitOfWork(make_session_factory(waiter)).writing():  # and once released, it writes
            pass
    finally:
        holder.dispose()
        waiter.dispose()


def test_content_the_unique_index_refuses_allocates_no_number(engine: Engine) -> None:
    """Under NONE nothing is read before the insert: the unique index finds the same content, and the
    schema's last number must not move (on PostgreSQL the insert and the allocation are one statement, which
    moves the number only when it stored the version; the refused registration also rolls back)."""
    uow = UnitOfWork(make_session_factory(engine))
    services.put_registry(uow, "orders", services.RegistryChanges(CompatibilityMode.NONE), actor="t")

    def register(key: str) -> tuple[int, bool]:
        new = services.NewVersion("JSONSchemaDraft4", {"type": "object", "properties": {key: {}}})
        info, created = services.register_version(uow, "orders", "OrderCreated", new, actor="t")
        return info.version, created

    assert register("a") == (1, True)
    assert register("a") == (1, False)
    assert register("b") == (2, True)
    with make_session_factory(engine)() as session:
        schema = session.scalars(select(SchemaRow)).one()
        assert schema.last_version == 2
        assert repositories.aware(schema.updated_at) == max(
            repositories.aware(each) for each in session.scalars(select(VersionRow.created_at))
        )


def test_a_column_whose_default_python_would_compute_must_be_given(session: Session) -> None:
    """`schemas.tags` defaults to `{}` in the model: SQLAlchemy computes that at execution, a direct
    statement cannot, so it refuses to run without it rather than store something else."""
    without_tags = Direct(insert(Base.metadata.tables["schemas"]), columns=("registry_id", "name"))
    with pytest.raises(ValueError, match="tags"):
        without_tags.run(session, {"registry_id": ids(session)[0], "name": "x"})


def test_statements_queued_for_the_commit_are_stored_with_it_or_not_at_all(session: Session) -> None:
    """`run_at_commit`: on PostgreSQL sent with the COMMIT, elsewhere at once; either way stored when the
    transaction commits, never when it rolls back, and a failing one fails the commit as SQLAlchemy's
    error, with every write of the transaction undone."""
    entry = inserts(session)[2][2]
    audit._NEW_ENTRY.run_at_commit(session, {**entry, "actor": "committed"})
    audit._NEW_ENTRY.run_many_at_commit(session, [{**entry, "actor": "many"}, {**entry, "actor": "many"}])
    commit(session)
    audit._NEW_ENTRY.run_at_commit(session, {**entry, "actor": "rolled back"})
    forget_queued(session)
    session.rollback()
    duplicate, values = a_schema_insert(ids(session)[0])
    audit._NEW_ENTRY.run(session, {**entry, "actor": "before the failure"})
    with pytest.raises(IntegrityError):  # at once on SQLite, from the commit on PostgreSQL
        duplicate.run_at_commit(session, values)
        audit._NEW_ENTRY.run_at_commit(session, {**entry, "actor": "after the failure"})
        commit(session)
    forget_queued(session)
    session.rollback()
    actors = list(session.scalars(select(AuditRow.actor).where(AuditRow.actor != "t")))
    assert sorted(actors) == ["committed", "many", "many"]
    assert session.scalar(select(func.count()).select_from(SchemaRow)) == 2


@pytest.mark.postgres
def test_a_new_schemas_registration_takes_six_round_trips(tmp_path: Path) -> None:
    """BEGIN; the schema's state, the registry's rules, the schema's insert, the version's insert; then the
    search document, the audit entries and the COMMIT in one pipeline (one Sync for the three). Before:
    nine (a pre-ping, and a round trip for each of the last three). Read from libpq's trace: each round
    trip ends with a Sync (extended protocol) or is a simple Query."""
    with fresh_postgres_database() as url:
        engine = make_engine(url, pool_size=1, timeouts=Timeouts())
        upgrade(engine)
        uow = UnitOfWork(make_session_factory(engine))
        services.put_registry(uow, "orders", services.RegistryChanges(CompatibilityMode.BACKWARD), actor="t")
        raw = engine.raw_connection()
        pgconn = raw.dbapi_connection.pgconn  # type: ignore[union-attr]
        with (tmp_path / "trace").open("w") as trace:
            pgconn.trace(trace.fileno())
            raw.close()  # back to the pool, traced
            new = services.NewVersion("JSONSchemaDraft4", {"type": "object", "properties": {"id": {}}})
            services.register_version(uow, "orders", "OrderCreated", new, actor="t")
            pgconn.untrace()
        engine.dispose()
        sent = [line.split("\t") for line in (tmp_path / "trace").read_text().splitlines()]
        messages = [fields[3] for fields in sent if len(fields) > 3 and fields[1] == "F"]
        assert sum(message in ("Sync", "Query") for message in messages) == 6, messages
        assert uow_count(url, "SELECT count(*) FROM audit_history WHERE schema_name = 'OrderCreated'") == 2


def uow_count(url: str, sql: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.exec_driver_sql(sql).scalar_one())
    finally:
        engine.dispose()

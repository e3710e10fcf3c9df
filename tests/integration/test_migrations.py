"""Alembic owns the schema: upgrade, downgrade and upgrade again, and the models agree with the migrations."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect, text

from registry import cli, services
from registry.domain.formats.bundle import Reference, VersionKey
from registry.domain.model import CompatibilityMode
from registry.storage.database import make_engine, make_session_factory
from registry.storage.migrations import (
    current_revision,
    downgrade,
    head_revision,
    outside_the_models,
    upgrade,
)
from registry.storage.models import Base
from registry.storage.unit_of_work import UnitOfWork
from tests.conftest import fresh_postgres_database, load_example


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
        yield engine
        engine.dispose()
        return
    with fresh_postgres_database() as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def test_upgrade_downgrade_upgrade_round_trip(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    downgrade(empty_engine)
    assert current_revision(empty_engine) is None
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()


def test_models_and_migrations_agree(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        options = {"compare_type": True, "include_name": outside_the_models}
        context = MigrationContext.configure(connection, opts=options)
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_upgrading_creates_an_environment_for_each_one_deployments_name(empty_engine: Engine) -> None:
    """Migration 0005: environments named by recorded deployments become explicit, created when and by
    whom their first audit entry says; downgrading keeps the deployments."""
    upgrade(empty_engine, "0004")
    early, late = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    with empty_engine.begin() as connection:
        run = functools.partial(_insert, connection)
        for registry_id, name in ((1, "orders"), (2, "billing")):
            run("registries", id=registry_id, name=name, compatibility="BACKWARD",
                compatibility_policy="STRICT", created_at=early, updated_at=early)  # fmt: skip
            run("schemas", id=registry_id, registry_id=registry_id, name="S", type="JSONSchemaDraft4",
                last_version=1, package_name=f"{name}-s", created_at=early, updated_at=early)  # fmt: skip
        records = [(1, "prod", "billing", "tok1", early), (1, "prod", "checkout", "tok2", late),
                   (1, "staging", "billing", "tok3", late), (2, "prod", "ledger", "tok4", late)]  # fmt: skip
        for registry_id, environment, service, actor, at in records:
            where = dict(registry_id=registry_id, service=service, role="consumer", environment=environment)
            run("participants", schema_id=registry_id, version=1, updated_at=at, updated_by=actor, **where)
            run(
                "participant_audit",
                schema_name="S",
                action="recorded",
                version=1,
                actor=actor,
                at=at,
                **where,
            )
    upgrade(empty_engine)
    query = (
        "SELECT registry_id, name, description, created_by, created_at FROM environments "
        "ORDER BY registry_id, name"
    )
    with empty_engine.connect() as connection:
        found = [(*row[:4], _aware(row[4])) for row in connection.execute(text(query))]
    assert found == [
        (1, "prod", None, "tok1", early),
        (1, "staging", None, "tok3", late),
        (2, "prod", None, "tok4", late),
    ]
    downgrade(empty_engine, "0004")
    with empty_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM participants")).scalar() == 4


def _aware(value: datetime | str) -> datetime:
    """A timestamp as read without the models: SQLite gives the text it stored."""
    found = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def _insert(connection: Connection, table: str, **values: object) -> None:
    columns = ", ".join(values)
    connection.execute(
        text(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(':' + name for name in values)})"), values
    )


def test_package_names_shared_across_registries_are_told_apart_on_downgrade(empty_engine: Engine) -> None:
    """From 0006 on, two registries may hold one package name; before it names were unique across all
    registries, so the downgrade renames every holder after the first, as 0002 did, and loses no schema."""
    upgrade(empty_engine)
    with empty_engine.begin() as connection:
        for registry_id, registry, schema in ((1, "team", "a-orders"), (2, "team-a", "orders")):
            connection.execute(
                text(
                    "INSERT INTO registries (id, name, compatibility, compatibility_policy, tags, created_at,"
                    " updated_at) VALUES (:id, :name, 'BACKWARD', 'STRICT', '{}', :now, :now)"
                ),
                {"id": registry_id, "name": registry, "now": datetime.now(UTC)},
            )
            connection.execute(
                text(
                    "INSERT INTO schemas (id, registry_id, name, type, last_version, package_name, tags,"
                    " created_at, updated_at)"
                    " VALUES (:id, :id, :name, 'JSONSchemaDraft4', 0, 'team-a-orders', '{}', :now, :now)"
                ),
                {"id": registry_id, "name": schema, "now": datetime.now(UTC)},
            )

    downgrade(empty_engine, "0005")
    with empty_engine.connect() as connection:
        names = connection.execute(text("SELECT id, package_name FROM schemas ORDER BY id")).all()
    assert [tuple(row) for row in names] == [(1, "team-a-orders"), (2, "team-a-orders-2")]
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()


def test_downgrading_below_references_drops_the_versions_that_have_them(empty_engine: Engine) -> None:
    """Migration 0007: before it nothing resolved a `$ref` to another version, so a version whose content
    needs its references would be a contract the previous release cannot read; the versions it names stay."""
    upgrade(empty_engine)
    uow = UnitOfWork(make_session_factory(empty_engine))
    services.put_registry(uow, "common", services.RegistryChanges(), actor="test")
    money = {"type": "object", "properties": {"amountInCents": {"type": "integer"}}}
    reference = Reference("money.json", VersionKey("common", "Money", 1))
    for schema, content, references in (
        ("Money", money, ()),
        ("Price", {"$ref": "money.json"}, (reference,)),
        ("Order", {"$ref": "price.json"}, (Reference("price.json", VersionKey("common", "Price", 1)),)),
    ):
        new = services.NewVersion(type="JSONSchemaDraft4", content=content, references=references)
        services.register_version(uow, "common", schema, new, actor="test")

    downgrade(empty_engine, "0006")
    query = "SELECT s.name FROM schema_versions v JOIN schemas s ON s.id = v.schema_id ORDER BY s.name"
    with empty_engine.connect() as connection:
        assert connection.execute(text(query)).scalars().all() == ["Money"]
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()


def test_upgrading_builds_the_search_index_of_the_versions_stored(empty_engine: Engine) -> None:
    """Migration 0010: the documents it builds from the stored versions are those the service builds as
    versions arrive (its copy of the keyword extraction is the service's), and search finds the data."""
    upgrade(empty_engine)
    uow = UnitOfWork(make_session_factory(empty_engine))
    changes = services.RegistryChanges(compatibility=CompatibilityMode.NONE)
    services.put_registry(uow, "shop", changes, actor="test")
    money = {"type": "object", "title": "Money", "properties": {"amountInCents": {"type": "integer"}}}
    price = {"type": "object", "properties": {"price": {"$ref": "money.json"}, "currency": {"enum": ["EUR"]}}}
    for schema, type_, content, references in (
        ("Money", "JSONSchemaDraft4", money, ()),
        ("Price", "JSONSchemaDraft4", price, (Reference("money.json", VersionKey("shop", "Money", 1)),)),
        ("OrderCreated", "OpenApi3", load_example("openapi3/custom-order-created.json"), ()),
        ("InvoiceIssued", "JSONSchemaDraft4", load_example("draft4/custom-invoice-issued.json"), ()),
        ("InvoiceIssued", "JSONSchemaDraft4", {"properties": {"dueDate": {"type": "string"}}}, ()),
    ):
        new = services.NewVersion(type=type_, content=content, references=references)
        services.register_version(uow, "shop", schema, new, actor="test")
    built_by_the_service = _search_documents(empty_engine)

    downgrade(empty_engine, "0009_secret_encryption")
    assert "search_documents" not in inspect(empty_engine).get_table_names()
    upgrade(empty_engine)
    assert _search_documents(empty_engine) == built_by_the_service
    assert len(built_by_the_service) == 4

    def found(query: str) -> list[str]:
        page = services.search(uow, query, registry=None, only=None, limit=10, cursor=None)
        return [hit.schema for hit in page.items]

    assert found("amountInCents") == ["Money", "Price"]  # Price's through its reference
    assert found("couponCode") == ["OrderCreated"]
    assert found("invoiceNumber duedate") == ["InvoiceIssued"]
    services.delete_schema(uow, "shop", "OrderCreated", actor="test")
    assert found("couponCode") == []


def test_sqlite_search_index_batches_upgrade_and_downgrade_with_documents_waiting(tmp_path: Path) -> None:
    """Migration 0013 on a database with data: down, the documents waiting for the FTS5 index go into it
    and 0010's triggers come back (a document written then is indexed at once); up again, search finds
    every document, and the index is exactly the documents (FTS5's integrity check)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)
    uow = UnitOfWork(make_session_factory(engine))
    services.put_registry(
        uow, "shop", services.RegistryChanges(compatibility=CompatibilityMode.NONE), actor="t"
    )
    for number in range(5):  # fewer than a batch: all of them wait
        content = {"type": "object", "properties": {f"waiting{number}": {"type": "string"}}}
        services.register_version(
            uow, "shop", f"S{number}", services.NewVersion("JSONSchemaDraft4", content), actor="t"
        )
    check = "INSERT INTO search_documents_fts (search_documents_fts, rank) VALUES ('integrity-check', 1)"
    in_index = "SELECT rowid FROM search_documents_fts WHERE search_documents_fts MATCH 'waiting'"

    downgrade(engine, "0012_search_names_table")
    with engine.begin() as connection:
        assert len(connection.execute(text(in_index)).all()) == 5
        connection.execute(text("UPDATE search_documents SET document = document || '\nlatecomer'"))
        connection.execute(text(check))
    upgrade(engine)
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM search_fts_pending")).scalar_one() == 0
        connection.execute(text(check))

    def found(query: str) -> list[str]:
        page = services.search(uow, query, registry=None, only=None, limit=10, cursor=None)
        return [hit.schema for hit in page.items]

    assert found("latecomer") == [f"S{number}" for number in range(5)]
    services.update_schema(uow, "shop", "S1", services.SchemaChanges(description="fresh"), actor="t")
    assert found("fresh") == ["S1"]
    engine.dispose()


def _search_documents(engine: Engine) -> list[tuple[str, ...]]:
    query = (
        "SELECT s.name, d.name, d.description, d.document FROM search_documents d"
        " JOIN schemas s ON s.id = d.schema_id ORDER BY s.name"
    )
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query))]


@pytest.mark.postgres
def test_registry_migrate_is_not_held_to_the_serving_statement_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A migration builds indexes over the data stored (seconds at a million versions): `registry migrate`
    runs it without the limit a request's statement gets (here a millisecond, which every step exceeds)."""
    with fresh_postgres_database() as url:
        monkeypatch.setenv("REGISTRY_DATABASE_URL", url)
        monkeypatch.setenv("REGISTRY_DATABASE_STATEMENT_TIMEOUT_SECONDS", "0.001")
        assert cli.main(["migrate"]) == 0
        engine = make_engine(url)
        assert current_revision(engine) == head_revision()
        engine.dispose()


@pytest.mark.postgres
def test_postgres_trigram_indexes_keep_a_short_pending_list() -> None:
    """Migration 0014: every search reads a GIN index's pending list, and the planner counts it; at the
    default 4 MB it grew until a search read every document instead (113-196 ms at 100,000 versions)."""

    def pending_list_limits(engine: Engine) -> dict[str, list[str] | None]:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT relname, reloptions FROM pg_class WHERE relname LIKE 'ix_%_trgm' ORDER BY 1")
            )
            return {name: options for name, options in rows}

    with fresh_postgres_database() as url:
        engine = make_engine(url)
        upgrade(engine)
        limited = ["gin_pending_list_limit=256"]
        assert pending_list_limits(engine) == {
            "ix_search_documents_description_trgm": limited,
            "ix_search_documents_document_trgm": limited,
            "ix_search_names_name_trgm": limited,
        }
        downgrade(engine, "0013_search_fts_pending")
        assert set(pending_list_limits(engine).values()) == {None}
        engine.dispose()

"""Alembic owns the schema: upgrade, downgrade and upgrade again, and the models agree with the migrations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from registry.storage.database import make_engine
from registry.storage.migrations import current_revision, downgrade, head_revision, upgrade
from registry.storage.models import Base
from tests.conftest import fresh_postgres_database


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
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_package_names_shared_across_registries_are_told_apart_on_downgrade(empty_engine: Engine) -> None:
    """From 0005 on, two registries may hold one package name; before it names were unique across all
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

    downgrade(empty_engine, "0004")
    with empty_engine.connect() as connection:
        names = connection.execute(text("SELECT id, package_name FROM schemas ORDER BY id")).all()
    assert [tuple(row) for row in names] == [(1, "team-a-orders"), (2, "team-a-orders-2")]
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()

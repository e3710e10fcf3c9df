"""Migration 0008: the deployment audit moves into the one history and back, losing no entry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from registry import deployments, services
from registry.storage.database import make_engine, make_session_factory
from registry.storage.migrations import downgrade, upgrade
from registry.storage.unit_of_work import UnitOfWork
from tests.conftest import fresh_postgres_database

EARLY, LATE = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
ENTRIES = [  # (service, action, version, previous_version, actor, at), oldest first
    ("billing", "recorded", 3, None, "tok1", EARLY),
    ("billing", "changed", 4, 3, "tok2", LATE),
    ("billing", "removed", None, 4, "anonymous", LATE),
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine_at_0007(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database at revision 0007 holding one schema with one version and three deployment entries."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
        _seed(engine)
        yield engine
        engine.dispose()
        return
    with fresh_postgres_database() as url:
        engine = make_engine(url)
        _seed(engine)
        yield engine
        engine.dispose()


def _seed(engine: Engine) -> None:
    upgrade(engine, "0007")
    statements = [
        "INSERT INTO registries (id, name, compatibility, compatibility_policy, tags, created_at, updated_at)"
        " VALUES (1, 'orders', 'BACKWARD', 'STRICT', '{}', :at, :at)",
        "INSERT INTO schemas (id, registry_id, name, type, last_version, package_name, tags, created_at,"
        " updated_at) VALUES (1, 1, 'S', 'JSONSchemaDraft4', 1, 'orders-s', '{}', :at, :at)",
        "INSERT INTO schema_versions (id, schema_id, version, content, fingerprint, created_at)"
        " VALUES (1, 1, 1, '{}', 'f', :at)",
    ]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), {"at": EARLY})
        for service, action, version, previous, actor, at in ENTRIES:
            connection.execute(
                text(
                    "INSERT INTO participant_audit (registry_id, schema_name, service, role, environment,"
                    " action, version, previous_version, actor, at) VALUES (1, 'S', :service, 'consumer',"
                    " 'prod', :action, :version, :previous, :actor, :at)"
                ),
                dict(service=service, action=action, version=version, previous=previous, actor=actor, at=at),
            )


def _audit(uow: UnitOfWork) -> list[tuple[object, ...]]:
    page = deployments.audit_log(
        uow, "orders", schema=None, service=None, environment=None, limit=10, cursor=None
    )
    return [
        (each.service, each.action.value, each.version, each.previous_version, each.actor, each.at)
        for each in reversed(page.items)
    ]


def test_the_deployment_audit_moves_into_the_history_and_back(engine_at_0007: Engine) -> None:
    upgrade(engine_at_0007)
    uow = UnitOfWork(make_session_factory(engine_at_0007))
    assert _audit(uow) == ENTRIES
    assert services.get_version(uow, "orders", "S", 1).created_by is None  # nobody recorded who
    with engine_at_0007.connect() as connection:
        actions = connection.execute(text("SELECT action, subject FROM audit_history ORDER BY id")).all()
    assert actions == [(f"participant.{action}", "billing") for _, action, *_ in ENTRIES]

    services.put_registry(uow, "orders", services.RegistryChanges(description="later"), actor="tok3")
    downgrade(engine_at_0007, "0007")
    query = (
        "SELECT service, action, version, previous_version, actor FROM participant_audit"
        " WHERE registry_id = 1 ORDER BY id"
    )
    with engine_at_0007.connect() as connection:
        moved_back = [tuple(row) for row in connection.execute(text(query))]
    assert moved_back == [entry[:5] for entry in ENTRIES]  # the registry's own entry has no place there

"""Deleting an environment and recording a deployment in it, at once, on PostgreSQL: whichever takes the
environment's lock second sees what the first did, so no record is ever left in a deleted environment.

The first of the two runs in a raw transaction held open by the test; the second is the real use case in
a thread, observed (through pg_stat_activity) waiting for the lock before the first commits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from registry import deployments, environments, services
from registry.domain import errors
from registry.domain.auth import ANONYMOUS_ADMIN
from registry.domain.deployments import ParticipantRole
from registry.storage.database import make_session_factory
from registry.storage.unit_of_work import UnitOfWork
from tests.conftest import TABLES

pytestmark = pytest.mark.postgres
CONTRACT = {"type": "object", "properties": {"id": {"type": "string"}}}
WAIT_SECONDS = 20.0


@pytest.fixture
def uow(postgres_engine: Engine) -> Iterator[UnitOfWork]:
    with postgres_engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    work = UnitOfWork(make_session_factory(postgres_engine))
    services.put_registry(work, "orders", services.RegistryChanges(), actor="test")
    services.register_version(
        work, "orders", "S", services.NewVersion("JSONSchemaDraft4", CONTRACT), actor="test"
    )
    environments.put_environment(work, "orders", "prod", caller=ANONYMOUS_ADMIN)
    yield work


def in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = call()
        except Exception as exc:  # the test inspects it
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def wait_until_blocked(engine: Engine, thread: threading.Thread) -> None:
    """Until the thread's transaction waits for a lock (it must not finish first)."""
    deadline = time.monotonic() + WAIT_SECONDS
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    with engine.connect() as probe:
        while probe.execute(query).scalar() == 0:
            assert thread.is_alive(), "the use case went ahead without waiting for the environment's lock"
            assert time.monotonic() < deadline, "the use case neither finished nor waited for a lock"
            time.sleep(0.02)
            probe.rollback()


def lock_prod(connection: Connection) -> None:
    connection.execute(text("SELECT id FROM environments WHERE name = 'prod' FOR UPDATE"))


def test_a_deletion_waits_for_a_recording_and_then_refuses(postgres_engine: Engine, uow: UnitOfWork) -> None:
    with postgres_engine.connect() as recorder:
        lock_prod(recorder)  # as record_participant does before adding the first record there
        recorder.execute(
            text(
                "INSERT INTO participants (registry_id, schema_id, service, role, environment, version, "
                "updated_at, updated_by) VALUES (1, 1, 'billing', 'consumer', 'prod', 1, now(), 'anonymous')"
            )
        )
        thread, outcome = in_thread(
            lambda: environments.delete_environment(uow, "orders", "prod", caller=ANONYMOUS_ADMIN)
        )
        wait_until_blocked(postgres_engine, thread)
        recorder.commit()
    thread.join(WAIT_SECONDS)
    assert isinstance(outcome.get("error"), errors.EnvironmentInUse), outcome


def test_a_recording_waits_for_a_deletion_and_then_recreates_the_environment(
    postgres_engine: Engine, uow: UnitOfWork
) -> None:
    with postgres_engine.connect() as deleter:
        lock_prod(deleter)  # as delete_environment does before it looks for records
        deleter.execute(text("DELETE FROM environments WHERE name = 'prod'"))
        thread, outcome = in_thread(
            lambda: deployments.record_participant(
                uow,
                "orders",
                "S",
                "billing",
                role=ParticipantRole.CONSUMER,
                version=1,
                environment="prod",
                caller=ANONYMOUS_ADMIN,
            )
        )
        wait_until_blocked(postgres_engine, thread)
        deleter.commit()
    thread.join(WAIT_SECONDS)
    assert "error" not in outcome, outcome
    (prod,) = environments.list_environments(uow, "orders", limit=10, cursor=None).items
    assert (prod.environment, prod.participants) == ("prod", 1)

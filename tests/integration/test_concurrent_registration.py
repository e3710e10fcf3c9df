"""Version numbers stay 1..N with no gaps and no duplicates under concurrent writers on several replicas."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine

from registry import audit, services
from registry.storage.database import make_engine, make_session_factory
from registry.storage.migrations import upgrade
from registry.storage.unit_of_work import UnitOfWork

WRITERS = 8
PER_WRITER = 6
NEW_PER_ROUND = WRITERS * PER_WRITER


def contract(key: str) -> dict[str, object]:
    return {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "properties": {key: {}}}


def hammer(replicas: list[UnitOfWork], round_: int) -> list[tuple[int, bool]]:
    """WRITERS threads spread over the replicas, started at one moment, each registering PER_WRITER contracts
    of its own and one that every writer of every round shares. Returns (version, created) per call."""
    start = threading.Barrier(WRITERS)

    def register(uow: UnitOfWork, key: str) -> tuple[int, bool]:
        new = services.NewVersion(type="JSONSchemaDraft4", content=contract(key))
        info, created = services.register_version(uow, "orders", "OrderCreated", new, actor="test")
        return info.version, created

    def writer(number: int) -> list[tuple[int, bool]]:
        uow = replicas[number % len(replicas)]
        start.wait()
        own = [register(uow, f"r{round_}w{number}i{index}") for index in range(PER_WRITER)]
        return [*own, register(uow, "shared")]

    with ThreadPoolExecutor(WRITERS) as pool:
        return [item for batch in pool.map(writer, range(WRITERS)) for item in batch]


def created_numbers(results: list[tuple[int, bool]]) -> list[int]:
    return sorted(version for version, created in results if created)


def shared_versions(results: list[tuple[int, bool]]) -> set[int]:
    return {version for version, _ in results[PER_WRITER :: PER_WRITER + 1]}


@contextmanager
def two_replicas(url: str) -> Iterator[list[UnitOfWork]]:
    """Separate engines and pools, as two service processes would have."""
    engines = [make_engine(url) for _ in range(2)]
    try:
        yield [UnitOfWork(make_session_factory(engine)) for engine in engines]
    finally:
        for engine in engines:
            engine.dispose()


def run_two_rounds(replicas: list[UnitOfWork]) -> None:
    services.put_registry(replicas[0], "orders", services.RegistryChanges(), actor="test")
    # Round one also races to create the schema itself.
    first = hammer(replicas, 1)
    assert created_numbers(first) == list(range(1, NEW_PER_ROUND + 2))
    assert len(shared_versions(first)) == 1, "every writer of the same content gets the same version"
    second = hammer(replicas, 2)
    assert created_numbers(second) == list(range(NEW_PER_ROUND + 2, 2 * NEW_PER_ROUND + 2))
    assert shared_versions(second) == shared_versions(first)
    listed = services.list_versions(replicas[0], "orders", "OrderCreated", limit=500, cursor=None)
    assert [item.version for item in listed.items] == list(range(1, 2 * NEW_PER_ROUND + 2))
    # One entry per version created, none for content that was already there, one for the schema.
    history = audit.audit_history(
        replicas[1], registry="orders", schema=None, actor=None, action=None, limit=500, cursor=None
    ).items
    registered = sorted(
        each.change.version or 0 for each in history if each.change.action == "version.registered"
    )
    assert registered == list(range(1, 2 * NEW_PER_ROUND + 2))
    assert [each.change.action for each in history].count("schema.created") == 1


@pytest.mark.postgres
def test_concurrent_writers_on_two_postgres_engines(postgres_engine: Engine, postgres_url: str) -> None:
    with postgres_engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE api_tokens, schema_versions, schemas, registries CASCADE")
    with two_replicas(postgres_url) as replicas:
        run_two_rounds(replicas)


def test_concurrent_writers_on_two_sqlite_engines(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    migrated = make_engine(url)
    upgrade(migrated)
    migrated.dispose()
    with two_replicas(url) as replicas:
        run_two_rounds(replicas)

"""Compatibility through the service, on SQLite and PostgreSQL: what a registration and the matrix cost.

    .venv/bin/python benchmarks/bench_compat_service.py

* a BACKWARD_TRANSITIVE registration of a new version of a 30-property contract against 100 earlier
  versions (target at most 1 s): the candidate is checked against each of them, stored under the lock;
* the compatibility matrix of those 100 versions: the first request, and a repeat (verdicts on two contents
  are kept per replica, since contents never change).
Each figure is the median of several fresh runs (a fresh schema each time, so no verdict is reused).
Prints a table; not a test.
"""

from __future__ import annotations

import copy
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_api import contract

from registry import services
from registry.domain.model import CompatibilityMode
from registry.storage.database import make_engine, make_session_factory
from registry.storage.migrations import upgrade
from registry.storage.unit_of_work import UnitOfWork

EARLIER = 100
RUNS = 3
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"


def version(base: dict[str, Any], index: int) -> dict[str, Any]:
    """Version `index` of an evolving contract: each one adds a value to an enum (backward compatible)."""
    evolved = copy.deepcopy(base)
    evolved["properties"]["stage"] = {"type": "string", "enum": [f"S{k}" for k in range(index + 1)]}
    return evolved


def seeded(uow: UnitOfWork, schema: str) -> dict[str, Any]:
    base = contract(7)
    for index in range(EARLIER):
        services.register_version(
            uow, "bench", schema, services.NewVersion("JSONSchemaDraft4", version(base, index)), actor="test"
        )
    services.update_schema(
        uow,
        "bench",
        schema,
        services.SchemaChanges(compatibility=CompatibilityMode.BACKWARD_TRANSITIVE),
        actor="test",
    )
    return version(base, EARLIER)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def measure(uow: UnitOfWork) -> dict[str, float]:
    figures: dict[str, list[float]] = {"registration": [], "matrix, first": [], "matrix, repeat": []}
    for run in range(RUNS):
        for name, seconds in one_run(uow, f"evolving{run}").items():
            figures[name].append(seconds)
    return {name: statistics.median(values) for name, values in figures.items()}


def one_run(uow: UnitOfWork, schema: str) -> dict[str, float]:
    new = services.NewVersion("JSONSchemaDraft4", seeded(uow, schema))
    registration = timed(lambda: services.register_version(uow, "bench", schema, new, actor="test"))
    first = timed(lambda: services.compatibility_matrix(uow, "bench", schema, policy=None))
    repeat = timed(lambda: services.compatibility_matrix(uow, "bench", schema, policy=None))
    return {"registration": registration, "matrix, first": first, "matrix, repeat": repeat}


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{directory}/bench.db"
        return
    name = f"registry_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    rows = []
    for kind in ("sqlite", "postgresql"):
        with database(kind) as url:
            engine = make_engine(url)
            upgrade(engine)
            uow = UnitOfWork(make_session_factory(engine))
            services.put_registry(
                uow, "bench", services.RegistryChanges(compatibility=CompatibilityMode.NONE), actor="test"
            )
            rows.append((kind, measure(uow)))
            engine.dispose()
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}; "
        f"median of {RUNS} fresh runs; {EARLIER} earlier versions of a 30-property contract"
    )
    print("| database | BACKWARD_TRANSITIVE registration | matrix of 100 versions, first | repeat |")
    print("|---|---:|---:|---:|")
    for kind, figures in rows:
        print(
            f"| {kind} | {figures['registration'] * 1000:.0f} ms | {figures['matrix, first'] * 1000:.0f} ms "
            f"| {figures['matrix, repeat'] * 1000:.1f} ms |"
        )
    worst = max(figures["registration"] for _, figures in rows)
    print(
        f"target: BACKWARD_TRANSITIVE registration against {EARLIER} versions <= 1 s: "
        f"{worst:.3f} s {'PASS' if worst <= 1 else 'MISS'}"
    )


if __name__ == "__main__":
    main()

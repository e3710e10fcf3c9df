"""Shared fixtures: real SQLite and real PostgreSQL databases built by the migrations, and API clients.

PostgreSQL tests never skip: when the server is missing they fail, so CI cannot go green without them."""

from __future__ import annotations

import gc
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, text

from codegen import GeneratorPool
from registry.api.app import create_app
from registry.settings import Settings
from registry.storage.database import make_engine
from registry.storage.migrations import upgrade

# Two shared cores and a busy database make timings noisy: property tests check behaviour, not speed.
hypothesis_settings.register_profile("registry", deadline=None)
hypothesis_settings.load_profile("registry")

REPO = Path(__file__).resolve().parents[1]
CONTRACTS = REPO / "tests" / "data" / "contracts"
CONFORMANCE_TESTS = REPO / "tests" / "conformance"
POSTGRES_SERVER = os.environ.get("REGISTRY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
TABLES = (
    "environments, audit_history, participants, package_files, generated_code, api_tokens, "
    "schema_version_references, schema_versions, schemas, registries"
)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """tests/conformance runs only when it is named (`make conformance`): it reads other projects' corpora,
    which are not in the repository, while `make test` must pass on a bare clone."""
    if collection_path == CONFORMANCE_TESTS and not _names_conformance_tests(config):
        return True
    return None


def _names_conformance_tests(config: pytest.Config) -> bool:
    for arg in config.args:
        path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if path == CONFORMANCE_TESTS or CONFORMANCE_TESTS in path.parents:
            return True
    return False


def examples_dir() -> Path:
    """Our example contracts (tests/data/contracts, README there), or those in $REGISTRY_EXAMPLES_DIR."""
    return Path(os.environ.get("REGISTRY_EXAMPLES_DIR", CONTRACTS))


def load_example(relative: str) -> Any:
    return json.loads((examples_dir() / relative).read_text())


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty database on the local server (SQLAlchemy URL), dropped afterwards."""
    name = f"registry_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_SERVER}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    server = POSTGRES_SERVER.replace("postgresql://", "postgresql+psycopg://", 1)
    yield f"{server}/{name}"
    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The database shared by this test session's PostgreSQL tests."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        sqlite = make_engine(f"sqlite:///{tmp_path / 'registry.db'}")
        upgrade(sqlite)
        yield sqlite
        sqlite.dispose()
        return
    shared: Engine = request.getfixturevalue("postgres_engine")
    with shared.begin() as connection:
        connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    yield shared


@pytest.fixture
def settings(engine: Engine) -> Settings:
    # No mirror worker unless a test starts one: apps served in a thread would otherwise deliver in the
    # background of unrelated tests.
    return Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        token_cache_seconds=0,
        mirror_worker=False,
    )


@pytest.fixture(scope="session")
def generator_pool() -> Iterator[GeneratorPool]:
    """Code generation workers shared by the session's apps (started on first use: ~0.5 s)."""
    pool = GeneratorPool(workers=2, timeout=30.0)
    yield pool
    pool.close()


@pytest.fixture
async def client(
    settings: Settings, engine: Engine, generator_pool: GeneratorPool
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, engine=engine, generator=generator_pool)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
        yield http


@pytest.fixture
def replica_heap() -> Iterator[None]:
    """The garbage collector as a serving replica has it, for tests that time a replica in this process.

    A replica freezes its start-up heap (`capacity.prepare_serving_process`), so a full collection walks
    only what it made since. This process holds what every earlier test left: 3.6 million objects late in
    a run, whose full collection took 3.1 s with every thread paused (a validation's 1 s budget measured
    at 3.65 s in CI). Frozen for the test, given back to the collector after it."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def uvicorn_in_thread(app: Any) -> Iterator[str]:
    """`app` served by a real uvicorn on a free 127.0.0.1 port in a background thread; yields its URL.
    For clients that must speak real HTTP (boto3, pip) to an app built in the test's process."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)

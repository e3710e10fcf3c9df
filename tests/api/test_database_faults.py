"""The database failing under a serving replica: refusing connections and silently not answering (through
a TCP proxy the tests control, between the registry and PostgreSQL), read-only, not migrated.

Every request that needs the database gets a 503 with the JSON error body and `Retry-After`, within the
time limits, on a keep-alive connection that stays open; /readyz turns red within its own limit; the
replica recovers without a restart; and the outage is one log line down and one back up."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from sqlalchemy import Engine, make_url, text

from codegen import GeneratorPool
from registry.api.app import create_app
from registry.settings import Settings
from registry.storage.database import make_engine
from registry.storage.migrations import upgrade
from tests.conftest import POSTGRES_SERVER, TABLES, uvicorn_in_thread
from tests.tcp_proxy import TcpProxy, tcp_proxy

# Short limits keep the test quick; the bounds asserted below follow from them.
FAST = {
    "database_connect_timeout_seconds": 2,
    "database_statement_timeout_seconds": 1.0,  # the client waits 2 s for an answer
    "database_pool_timeout_seconds": 1.0,
    "readiness_timeout_seconds": 0.5,
    "token_cache_seconds": 0,
    "mirror_worker": False,
}
# A request on a pooled connection: the answer bound, then one reconnection attempt; plus slack.
REQUEST_BOUND = 2.0 + 2 + 1.5
READYZ_BOUND = 0.5 + 1.5  # the probe's limit, and a loaded machine's slack


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    server = urlsplit(POSTGRES_SERVER)
    with tcp_proxy((server.hostname or "127.0.0.1", server.port or 5432)) as running:
        yield running


@pytest.fixture
def database_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


@pytest.fixture
def served(
    proxy: TcpProxy, postgres_engine: Engine, generator_pool: GeneratorPool, replica_heap: None
) -> Iterator[httpx.Client]:
    """A replica on real HTTP whose database is reached through the proxy; one keep-alive client."""
    with postgres_engine.begin() as connection:  # the session's database: other tests leave tokens in it
        connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    through_proxy = make_url(postgres_engine.url).set(host="127.0.0.1", port=proxy.port)
    settings = Settings(database_url=through_proxy.render_as_string(hide_password=False), **FAST)
    app = create_app(settings, generator=generator_pool)
    with uvicorn_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield http


def healthy(served: httpx.Client, database_log: pytest.LogCaptureFixture) -> httpx.Response:
    """The replica before the fault: answering, with nothing logged yet. Its first connection through the
    proxy can outlast the 2 s bound while the machine is busy (the suite runs in two processes); that is not
    the fault under test, so wait it out and forget its log lines."""
    deadline = time.monotonic() + 15
    while (response := served.get("/registries")).status_code != 200:
        assert time.monotonic() < deadline, f"the replica never answered before the fault: {response.text}"
        time.sleep(0.1)
    database_log.clear()
    return response


def timed(http: httpx.Client, path: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = http.get(path)
    return response, time.monotonic() - started


def local_address(response: httpx.Response) -> object:
    """The client's end of the connection the response came on: the same one means it was kept alive."""
    return response.extensions["network_stream"].get_extra_info("client_addr")


def assert_unavailable(response: httpx.Response, code: str = "database_unavailable") -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == code
    assert int(response.headers["retry-after"]) >= 1


def outage_lines(caplog: pytest.LogCaptureFixture) -> tuple[int, int]:
    records = [record for record in caplog.records if record.name == "registry.database"]
    down = sum("database unavailable" in record.getMessage() for record in records)
    up = sum("no longer unavailable" in record.getMessage() for record in records)
    return down, up


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert [record.getMessage() for record in caplog.records if record.exc_info] == []


@pytest.mark.postgres
def test_a_database_refusing_connections_gets_503s_on_a_kept_connection_and_one_log_line(
    served: httpx.Client, proxy: TcpProxy, database_log: pytest.LogCaptureFixture
) -> None:
    first = healthy(served, database_log)
    proxy.refuse()
    for _ in range(5):
        response, took = timed(served, "/registries")
        assert_unavailable(response)
        assert took < REQUEST_BOUND
        assert local_address(response) == local_address(first)
    eventbridge = served.get("/v1/registries")  # botocore retries ServiceUnavailableException
    assert (eventbridge.status_code, eventbridge.json()["Code"]) == (503, "ServiceUnavailableException")
    assert eventbridge.headers["x-amzn-errortype"] == "ServiceUnavailableException"
    assert "retry-after" in eventbridge.headers
    ready, took = timed(served, "/readyz")
    assert (ready.status_code, ready.json()["code"]) == (503, "database_unavailable")
    assert took < READYZ_BOUND
    proxy.forward()
    assert served.get("/registries").status_code == 200
    assert served.get("/readyz").status_code == 200
    assert outage_lines(database_log) == (1, 1)
    no_tracebacks(database_log)


@pytest.mark.postgres
def test_a_partition_fails_requests_and_readyz_within_bounds_and_recovers(
    served: httpx.Client, proxy: TcpProxy, database_log: pytest.LogCaptureFixture
) -> None:
    healthy(served, database_log)
    proxy.black_hole()
    for _ in range(2):  # the first on the pooled connection, which hears nothing back; then new ones
        response, took = timed(served, "/registries")
        assert_unavailable(response)
        assert took < REQUEST_BOUND
    ready, took = timed(served, "/readyz")
    assert (ready.status_code, ready.json()["code"]) == (503, "database_unavailable")
    assert took < READYZ_BOUND
    proxy.forward()
    deadline = time.monotonic() + 10
    while served.get("/registries").status_code != 200:
        assert time.monotonic() < deadline, "no recovery after the partition"
        time.sleep(0.1)
    assert served.get("/readyz").status_code == 200
    assert outage_lines(database_log) == (1, 1)
    no_tracebacks(database_log)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_a_database_not_migrated_gets_503_naming_the_fix(
    kind: str, tmp_path: Path, generator_pool: GeneratorPool
) -> None:
    with _empty_database(kind, tmp_path) as url:
        app = create_app(Settings(database_url=url, **FAST), generator=generator_pool)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as client:
            listed = await client.get("/registries")
            created = await client.put("/registries/orders", json={})
            ready = await client.get("/readyz")
        app.state.engine.dispose()
    for response in (listed, created):
        assert_unavailable(response, "database_not_migrated")
        assert "registry migrate" in response.json()["error"]["message"]
    assert (ready.status_code, ready.json()["code"]) == (503, "database_not_migrated")


async def test_a_read_only_sqlite_file_makes_readyz_red_and_writes_503(
    tmp_path: Path, generator_pool: GeneratorPool
) -> None:
    path = tmp_path / "registry.db"
    migrated = make_engine(f"sqlite:///{path}")
    upgrade(migrated)
    migrated.dispose()
    # As the registry sees a file it may not write (chmod cannot stop root, who runs CI's containers).
    url = f"sqlite:///file:{path}?mode=ro&uri=true"
    app = create_app(Settings(database_url=url, **FAST), generator=generator_pool)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as client:
        ready = await client.get("/readyz")
        created = await client.put("/registries/orders", json={})
        listed = await client.get("/registries")
    app.state.engine.dispose()
    assert (ready.status_code, ready.json()["code"]) == (503, "database_read_only")
    assert_unavailable(created, "database_read_only")
    assert listed.status_code == 200


@contextmanager
def _empty_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """A database nobody migrated: a new SQLite file, or on PostgreSQL an empty schema searched first."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as admin:
        admin.execute("CREATE SCHEMA IF NOT EXISTS nothing_migrated")
    yield f"{POSTGRES_SERVER.replace('postgresql://', 'postgresql+psycopg://')}/postgres?options=-csearch_path%3Dnothing_migrated"

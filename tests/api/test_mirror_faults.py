"""The mirror worker when things fail around it: an unreachable database makes it back off quietly (one
log line for the outage, no traceback per attempt), and stopping it in the middle of a delivery that does
not finish hands the row back rather than keeping it leased."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import httpx
import pytest
from sqlalchemy import Engine, text

from registry.mirroring import MirrorWorker
from registry.settings import Settings
from registry.storage.database import Timeouts, make_engine, make_session_factory
from registry.storage.unit_of_work import UnitOfWork
from tests.api.test_mirror import SCHEMA, aws_credentials, mirror_to  # noqa: F401 (a fixture)
from tests.conftest import load_example
from tests.tcp_proxy import tcp_proxy


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_mirror_worker_backs_off_quietly_while_the_database_is_unreachable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    engine = make_engine(
        f"postgresql+psycopg://nobody@127.0.0.1:{closed_port()}/none", timeouts=Timeouts(connect=2)
    )
    uow = UnitOfWork(make_session_factory(engine))
    settings = Settings(mirror_poll_seconds=0.05)
    stop = asyncio.Event()
    running = asyncio.create_task(MirrorWorker(uow, settings).run(stop))
    await asyncio.sleep(1.5)  # at one attempt per poll, 30 attempts; backing off, 5
    stop.set()
    await asyncio.wait_for(running, 5)
    engine.dispose()
    messages = [record.getMessage() for record in caplog.records]
    assert [record for record in caplog.records if record.exc_info] == []
    assert sum("database unavailable" in message for message in messages) == 1, messages
    assert uow.database.problem("unavailable") is not None


async def test_stopping_in_the_middle_of_a_delivery_hands_its_row_back(
    client: httpx.AsyncClient, settings: Settings, engine: Engine
) -> None:
    with tcp_proxy(("127.0.0.1", closed_port())) as endpoint:
        endpoint.black_hole()  # the EventBridge endpoint accepts the connection and never answers
        assert (await client.put("/registries/orders", json={"mirror": mirror_to(endpoint.port)})).is_success
        content = load_example("draft4/custom-order-created.json")
        registered = await client.post(
            f"{SCHEMA}/versions", json={"type": "JSONSchemaDraft4", "content": content}
        )
        assert registered.status_code == 201
        worker = MirrorWorker(UnitOfWork(make_session_factory(engine)), settings)
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop, grace=0.3))
        deadline = time.monotonic() + 10
        while _lease(engine) is None:
            assert time.monotonic() < deadline, "the worker never leased the row"
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(running, 3)  # not the endpoint's 30 s read timeout
        assert _lease(engine) is None
        endpoint.refuse()  # the abandoned delivery fails now: let it end before the database goes
        worker.wait_for_delivery(5)


def _lease(engine: Engine) -> object:
    with engine.connect() as connection:
        return connection.execute(text("SELECT lease_until FROM mirror_outbox")).scalar()

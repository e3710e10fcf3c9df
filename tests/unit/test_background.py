"""Periodic background work runs on one long-lived thread per job, not a thread started per run: starting
a thread blocks the event loop until the new thread has been scheduled (docs/benchmarks.md, "The read
paths' tail")."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from registry import access
from registry.access import Authenticator
from registry.background import BackgroundThread
from registry.domain.auth import Role
from registry.domain.errors import Unauthenticated
from registry.mirroring import MirrorWorker
from registry.settings import Settings
from registry.storage.database import make_session_factory
from registry.storage.unit_of_work import UnitOfWork


def named(name: str) -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == name]


def test_work_runs_in_order_on_one_thread_that_outlives_a_failure() -> None:
    background = BackgroundThread("test-background")
    ran: list[tuple[int, int]] = []
    done = threading.Event()

    def fail() -> None:
        raise ValueError("this piece of work fails; the next ones still run")

    def note(number: int) -> Callable[[], None]:
        return lambda: ran.append((number, threading.get_ident()))

    background.submit(note(1))
    background.submit(fail)
    for number in (2, 3):
        background.submit(note(number))
    background.submit(done.set)
    assert done.wait(5)
    assert [number for number, _ in ran] == [1, 2, 3]
    assert len({ident for _, ident in ran}) == 1 and ran[0][1] != threading.get_ident()
    assert len(named("test-background")) == 1 and named("test-background")[0].daemon


def test_an_idle_thread_ends_and_the_next_work_starts_another() -> None:
    background = BackgroundThread("test-idle", idle_seconds=0.05)
    first, second = threading.Event(), threading.Event()
    background.submit(first.set)
    assert first.wait(5)
    deadline = time.monotonic() + 5
    while named("test-idle"):
        assert time.monotonic() < deadline, "the idle thread did not end"
        time.sleep(0.01)
    background.submit(second.set)
    assert second.wait(5), "work handed over after the thread ended still runs"


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_token_table_is_read_again_on_one_thread_each_time(engine: Engine) -> None:
    uow = UnitOfWork(make_session_factory(engine))
    authenticator = Authenticator(uow, ttl=0.2, require_auth=False)
    before = set(named("token-table"))  # other apps' in this process
    known = [access.create_token(uow, Role.READER, registry="orders", actor="test")[1]]
    assert authenticator.principal_for(f"Bearer {known[0]}") is not None
    readers: set[threading.Thread] = set()
    for _ in range(3):
        known.append(access.create_token(uow, Role.READER, registry="orders", actor="test")[1])
        time.sleep(0.11)  # past half its time: the next request has the table read again in the background
        assert authenticator.principal_if_fresh(f"Bearer {known[0]}") is not None
        deadline = time.monotonic() + 5
        while authenticator.principal_if_fresh(f"Bearer {known[0]}") is None or not _knows(
            authenticator, known[-1]
        ):
            assert time.monotonic() < deadline, "the new token never became known"
            time.sleep(0.01)
        readers.update(set(named("token-table")) - before)
    assert len(readers) == 1, "every re-read ran on the same thread"
    assert next(iter(readers)).is_alive(), "which stays, for the next one"


def _knows(authenticator: Authenticator, token: str) -> bool:
    try:
        return authenticator.principal_if_fresh(f"Bearer {token}") is not None
    except Unauthenticated:
        return False


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_the_mirror_workers_polls_run_on_one_thread(settings: Settings, engine: Engine) -> None:
    uow = UnitOfWork(make_session_factory(engine))
    worker = MirrorWorker(uow, settings.model_copy(update={"mirror_poll_seconds": 0.02}))
    before = set(named("mirror-delivery"))
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    seen: set[threading.Thread] = set()
    for _ in range(10):  # a poll every 20 ms: ten looks see several
        await asyncio.sleep(0.03)
        seen.update(set(named("mirror-delivery")) - before)
    stop.set()
    await asyncio.wait_for(running, 5)
    assert len(seen) == 1, f"polls ran on {len(seen)} threads"
    assert next(iter(seen)).is_alive(), "the thread stays for the next poll"


def test_wait_returns_once_the_work_handed_over_before_has_run() -> None:
    background = BackgroundThread("test-wait")
    assert background.wait(0.01), "nothing handed over: nothing to wait for"
    release, ran = threading.Event(), list[int]()

    def held() -> None:
        release.wait(5)
        ran.append(1)

    background.submit(held)
    assert not background.wait(0.05), "the work is still running"
    release.set()
    assert background.wait(5) and ran == [1]

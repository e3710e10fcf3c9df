"""`registry serve --workers N`: N serving processes on one listening socket, and the parent that runs them.

The parent does what must happen once (the start-up checks and the SQLite migration, in `registry.cli`),
then imports the application's code, binds the socket and forks the workers. Forked after the imports,
a worker is up in a fraction of a second and shares the parent's pages of code and modules until it
writes to them (the heap is frozen first, so that the garbage collector does not touch them either). It
forks before anything else exists: no thread, no database connection, no app; each worker builds its
own app. Each worker listens on a socket of its own, all bound to the one port (SO_REUSEPORT): the kernel
spreads new connections evenly over them. (On one socket shared by all, the worker that wakes first
accepts every connection waiting: 32 connections opened at once mostly went all to one worker.) The
parent holds the sockets, so that connections wait for a worker being replaced rather than being
refused. The parent serves nothing; it

- passes a stop on: the first SIGTERM or SIGINT makes every worker drain (see `registry.serving`), a
  second one ends their drains; it exits 0 once they are all gone (1 if one had to be killed);
- forks a new worker in place of one that died after it had started. A worker that fails to start
  stops the replica (exit 1): its replacement would fail the same way;
- keeps the workers' metrics in one place (`SharedValues`), so that /metrics on any worker reports all.

What one process holds, N processes would hold N times. The replica's settings are shared out instead
(`worker_settings`): each worker gets its part of the code generation workers and of the database
connections (at least one each), and only the first delivers mirrored versions (the outbox's leases
would keep several deliverers from delivering twice too; one keeps the replica's polling as it was).
In-process caches stay bounded per process: their total bound is N times one process's.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import FrameType

from registry.observability.shared_values import SharedValues
from registry.settings import Settings

log = logging.getLogger("registry")

STOP_MARGIN_SECONDS = 10.0
"""Beyond a worker's own bounds (the drain's grace, then the mirror delivery's grace at shutdown): how long
the parent waits for it before it kills it."""
BACKLOG = 2048  # uvicorn's default
READY = "ready"
"""What a worker tells its parent once it accepts connections."""
STOP_NOW = "stop-now"
"""What the parent tells its workers when the operator asks a second time: skip the rest of the drain."""


def worker_settings(settings: Settings, *, number: int, count: int) -> Settings:
    """Worker `number`'s (1..count) share of the replica's settings."""
    return settings.model_copy(
        update={
            "codegen_workers": max(1, settings.codegen_workers // count),
            "pool_size": max(1, settings.pool_size // count),
            "mirror_worker": settings.mirror_worker and number == 1,
        }
    )


def serve_workers(
    settings: Settings, *, host: str, port: int, count: int, database_was_down: bool = False
) -> int:
    """Run `count` workers until stopped; the exit code."""
    # Before prometheus-client is first imported (by the application's modules, just below): it decides
    # then, once, whether values live in files shared by the processes.
    shared = SharedValues() if settings.metrics_enabled else None
    try:
        import registry.api.app  # noqa: F401  # imported once here, shared by every worker forked

        supervisor = Supervisor(settings, host, port, count, database_was_down=database_was_down)
        return supervisor.run(shared)
    finally:
        if shared is not None:
            shared.close()


@dataclass
class _Worker:
    number: int
    process: BaseProcess
    channel: Connection  # the parent's end of the pipe to the worker
    ready: bool = False


@dataclass
class Supervisor:
    settings: Settings
    host: str
    port: int
    count: int
    database_was_down: bool = False
    _workers: dict[int, _Worker] = field(default_factory=dict)
    _signals: list[int] = field(default_factory=list)
    _wake_up: tuple[int, int] | None = None  # the pipe that signals write to, to wake the loop up
    _stop_deadline: float | None = None
    _exit_code: int = 0

    def run(self, shared: SharedValues | None) -> int:
        listeners = _listen(self.host, self.port, self.count)
        from registry.storage import unit_of_work  # imported with the app already (see `serve_workers`)

        # Before the fork: the workers are one replica, so a write through one must empty `latest` in all.
        unit_of_work.shared_commit_count = unit_of_work.CommitCount.shared()
        gc.collect()
        gc.freeze()  # what the workers inherit stays shared: the collector never walks it
        self._catch_signals()
        assert self._wake_up is not None
        try:
            for number in range(1, self.count + 1):
                self._start(listeners, number)
            log.info(
                "serving on http://%s:%d with %d worker processes (parent %d)",
                self.host, self.port, self.count, os.getpid(),
            )  # fmt: skip
            while self._workers:
                self._handle_signals()
                for worker in list(self._workers.values()):
                    self._look_at(worker, listeners, shared)
                self._kill_if_overdue()
                starting = [w.channel for w in self._workers.values() if not w.ready]
                wait(
                    [self._wake_up[0], *(w.process.sentinel for w in self._workers.values()), *starting], 1.0
                )
                _empty(self._wake_up[0])
        finally:
            for listener in listeners:
                listener.close()
        return self._exit_code

    # --- the workers --------------------------------------------------------------------------------------

    def _start(self, listeners: list[socket.socket], number: int) -> None:
        context = multiprocessing.get_context("fork")
        ours, theirs = context.Pipe()
        process = context.Process(
            target=self._worker_main, args=(number, listeners, theirs), name=f"registry-worker-{number}"
        )
        process.start()
        theirs.close()
        self._workers[number] = _Worker(number, process, ours)

    def _worker_main(self, number: int, listeners: list[socket.socket], parent: Connection) -> None:
        """A worker's whole life, in the forked process."""
        # The parent's way of catching signals is not the worker's: uvicorn installs its own once the
        # app is built. Until then a SIGTERM ends the worker at once; Ctrl-C, which reaches every process
        # of the terminal's group, is the parent's to pass on.
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        assert self._wake_up is not None
        for descriptor in self._wake_up:
            os.close(descriptor)
        for other in self._workers.values():  # the parent's ends of the other workers' pipes
            other.channel.close()
        listener = listeners[(number - 1) % len(listeners)]
        for other_listener in listeners:
            if other_listener is not listener:
                other_listener.close()

        from registry.api.app import create_app
        from registry.api.capacity import prepare_serving_process
        from registry.serving import serve_worker
        from registry.storage.availability import probe

        settings = worker_settings(self.settings, number=number, count=self.count)
        app = create_app(settings)
        if self.database_was_down and (problem := probe(app.state.uow.engine)) is not None:
            app.state.uow.database.failed(problem, announce=False)  # the parent said so already
        prepare_serving_process()
        grace = settings.shutdown_grace_seconds
        serve_worker(app, listener=listener, worker=number, grace=grace, parent=parent)

    def _look_at(self, worker: _Worker, listeners: list[socket.socket], shared: SharedValues | None) -> None:
        try:
            while not worker.ready and worker.channel.poll():
                worker.ready = worker.channel.recv() == READY
        except (EOFError, OSError):
            pass  # the worker is gone: seen below
        if worker.process.is_alive():
            return
        worker.process.join()
        worker.channel.close()
        del self._workers[worker.number]
        pid, code = worker.process.pid, worker.process.exitcode
        if shared is not None and pid is not None:
            shared.process_gone(pid)
        if self._stop_deadline is not None:
            return
        if not worker.ready:
            log.error("worker %d (pid %s) failed to start (%s): stopping", worker.number, pid, _how(code))
            self._exit_code = 1
            self._stop()
            return
        log.warning("worker %d (pid %s) %s: starting another", worker.number, pid, _how(code))
        self._start(listeners, worker.number)

    def _stop(self) -> None:
        """Every worker drains (a second call: stops draining)."""
        if self._stop_deadline is not None:
            for worker in self._workers.values():
                _tell(worker, STOP_NOW)
            return
        grace = self.settings.shutdown_grace_seconds
        self._stop_deadline = time.monotonic() + 2 * grace + STOP_MARGIN_SECONDS
        for worker in self._workers.values():
            if worker.process.pid is not None and worker.process.is_alive():
                os.kill(worker.process.pid, signal.SIGTERM)

    def _kill_if_overdue(self) -> None:
        if self._stop_deadline is None or time.monotonic() < self._stop_deadline:
            return
        for worker in self._workers.values():
            log.error("worker %d (pid %s) did not stop in time: killed", worker.number, worker.process.pid)
            worker.process.kill()
        self._exit_code = 1
        self._stop_deadline = float("inf")  # once

    # --- signals ------------------------------------------------------------------------------------------

    def _catch_signals(self) -> None:
        """SIGTERM and SIGINT are noted, and wake the loop up through a pipe."""
        self._wake_up = os.pipe()
        for descriptor in self._wake_up:
            os.set_blocking(descriptor, False)
        signal.set_wakeup_fd(self._wake_up[1])

        def note(sig: int, _frame: FrameType | None) -> None:
            self._signals.append(sig)

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, note)

    def _handle_signals(self) -> None:
        while self._signals:
            name = signal.Signals(self._signals.pop(0)).name
            if self._stop_deadline is None:
                log.warning("%s: every worker drains, then stops", name)
            else:
                log.warning("%s again: the workers stop without waiting any longer", name)
            self._stop()


def _listen(host: str, port: int, count: int) -> list[socket.socket]:
    """A listening socket per worker on Linux (SO_REUSEPORT spreads connections over them), else one
    shared by all."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listeners: list[socket.socket] = []
    for _ in range(count if sys.platform == "linux" else 1):
        # IPPROTO_TCP named, not left 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP,
        # and without it Nagle's algorithm held responses back for 40 ms
        listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if sys.platform == "linux":
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind((host, port))
        port = listener.getsockname()[1]  # port 0: the others join the one the first was given
        listener.listen(BACKLOG)  # connections wait in the kernel until the worker is up
        listeners.append(listener)
    return listeners


def _tell(worker: _Worker, message: str) -> None:
    with contextlib.suppress(OSError):  # the worker is gone
        worker.channel.send(message)


def _empty(descriptor: int) -> None:
    try:
        while os.read(descriptor, 512):
            pass
    except BlockingIOError:
        pass


def _how(exit_code: int | None) -> str:
    if exit_code is not None and exit_code < 0:
        return f"was killed by {signal.Signals(-exit_code).name}"
    return f"exited with code {exit_code}"

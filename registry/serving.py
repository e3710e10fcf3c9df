"""`registry serve`'s HTTP server: uvicorn, with a drain phase before uvicorn's own shutdown.

On the first SIGTERM (or SIGINT) the app starts draining (see `registry.api.lifecycle`): /readyz turns
red, new requests get 503 with `Connection: close`, requests in flight go on. Once none is left, or after
REGISTRY_SHUTDOWN_GRACE_SECONDS, uvicorn shuts down as usual: it closes the listener and the idle
connections, and the app's shutdown stops the mirror worker and the code generation workers. A second
signal skips the wait.

With `--workers N` each worker process runs a `WorkerServer` on the socket its parent bound (see
`registry.supervisor`): the parent decides when the wait is skipped."""

from __future__ import annotations

import os
import socket
import time
from multiprocessing.connection import Connection
from types import FrameType

import uvicorn
from fastapi import FastAPI

from registry.api.lifecycle import Lifecycle
from registry.supervisor import READY, STOP_NOW


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, *, lifecycle: Lifecycle, grace: float) -> None:
        super().__init__(config)
        self._lifecycle = lifecycle
        self._grace = grace
        self._drain_deadline: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._drain_deadline is not None or self.should_exit:
            super().handle_exit(sig, frame)  # a second signal: stop now
            return
        self.drain()

    def drain(self) -> None:
        if self._drain_deadline is None:
            self._drain_deadline = time.monotonic() + self._grace
            self._lifecycle.drain()

    async def on_tick(self, counter: int) -> bool:
        deadline = self._drain_deadline
        drained = deadline is not None and (self._lifecycle.in_flight == 0 or time.monotonic() >= deadline)
        if drained:
            self.should_exit = True
        return await super().on_tick(counter)


class WorkerServer(DrainingServer):
    """One of several serving processes. Every SIGTERM or SIGINT only starts the drain: the same stop
    often reaches a worker twice (Ctrl-C signals the whole process group, systemd signals every process
    of the unit, and the parent passes the signal on), which must not skip the drain. Its parent says
    when to skip it (`STOP_NOW`, on the operator's second signal); a worker whose parent is gone drains."""

    def __init__(
        self, config: uvicorn.Config, *, lifecycle: Lifecycle, grace: float, parent: Connection
    ) -> None:
        super().__init__(config, lifecycle=lifecycle, grace=grace)
        self._parent = parent
        self._parent_pid = os.getppid()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.drain()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._parent.send(READY)

    async def on_tick(self, counter: int) -> bool:
        # every tick (0.1 s): a poll and a getppid, two system calls
        if self._parent.poll():
            try:
                message = self._parent.recv()
            except EOFError:  # the parent closed its end: it is gone
                message = None
            if message == STOP_NOW:
                self.should_exit = True
        if os.getppid() != self._parent_pid:
            self.drain()
        return await super().on_tick(counter)


def _config(app: FastAPI, **where: object) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        # uvicorn's logging and access log are replaced by ours (registry.observability.logs)
        access_log=False,
        log_config=None,
        # what is still running once the drain is over gets a moment more, then is cancelled
        timeout_graceful_shutdown=1,
        **where,  # type: ignore[arg-type]
    )


def serve(app: FastAPI, *, host: str, port: int, grace: float) -> None:
    config = _config(app, host=host, port=port)
    DrainingServer(config, lifecycle=app.state.lifecycle, grace=grace).run()


def serve_worker(
    app: FastAPI, *, listener: socket.socket, worker: int, grace: float, parent: Connection
) -> None:
    """Serve on a socket the parent bound. Each response names the worker that answered
    (`X-Registry-Worker: <1..N>`), so that an operator can tell which process a slow answer came from."""
    config = _config(app, headers=[("X-Registry-Worker", str(worker))])
    server = WorkerServer(config, lifecycle=app.state.lifecycle, grace=grace, parent=parent)
    server.run(sockets=[listener])

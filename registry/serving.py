"""`registry serve`'s HTTP server: uvicorn, with a drain phase before uvicorn's own shutdown.

On the first SIGTERM (or SIGINT) the app starts draining (see `registry.api.lifecycle`): /readyz turns
red, new requests get 503 with `Connection: close`, requests in flight go on. Once none is left, or after
REGISTRY_SHUTDOWN_GRACE_SECONDS, uvicorn shuts down as usual: it closes the listener and the idle
connections, and the app's shutdown stops the mirror worker and the code generation workers. A second
signal skips the wait."""

from __future__ import annotations

import time
from types import FrameType

import uvicorn
from fastapi import FastAPI

from registry.api.lifecycle import Lifecycle


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
        self._drain_deadline = time.monotonic() + self._grace
        self._lifecycle.drain()

    async def on_tick(self, counter: int) -> bool:
        deadline = self._drain_deadline
        drained = deadline is not None and (self._lifecycle.in_flight == 0 or time.monotonic() >= deadline)
        if drained:
            self.should_exit = True
        return await super().on_tick(counter)


def serve(app: FastAPI, *, host: str, port: int, grace: float) -> None:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        # uvicorn's logging and access log are replaced by ours (registry.observability.logs)
        access_log=False,
        log_config=None,
        # what is still running once the drain is over gets a moment more, then is cancelled
        timeout_graceful_shutdown=1,
    )
    DrainingServer(config, lifecycle=app.state.lifecycle, grace=grace).run()

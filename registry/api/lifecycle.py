"""Draining before a replica stops: once `Lifecycle.drain()` is called (on SIGTERM, by `registry serve`),
/readyz answers 503 so that a load balancer stops sending, new requests get 503 `shutting_down` with
`Connection: close` (the client reconnects, to another replica), and requests in flight run to the end."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from registry.api.errors import error_headers, error_response, eventbridge_error, is_eventbridge
from registry.domain.errors import ShuttingDown

log = logging.getLogger("registry")

# Answered while draining: the process is alive, it says it is not ready, and its last numbers are read.
_ALWAYS_ANSWERED = frozenset({"/healthz", "/readyz", "/metrics"})
ADMITTED = "registry.admitted"
"""Set on a request's scope by the front (api.front) when it hands on a request it began to answer before
the drain: the drain gate lets it in, as it would have at the request's start."""


class Lifecycle:
    """Requests in flight and whether the replica is draining; used from the event loop's thread only."""

    def __init__(self) -> None:
        self.draining = False
        self.in_flight = 0

    def drain(self) -> None:
        if not self.draining:
            self.draining = True
            log.warning(
                "shutting down: /readyz answers 503, new requests get 503, %d in flight", self.in_flight
            )


class DrainGate:
    """Counts the requests in flight, and refuses new ones while draining."""

    def __init__(self, app: ASGIApp, *, lifecycle: Lifecycle) -> None:
        self.app = app
        self.lifecycle = lifecycle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.lifecycle.draining and scope["path"] not in _ALWAYS_ANSWERED and ADMITTED not in scope:
            await _refuse(scope, receive, send)
            return
        self.lifecycle.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.lifecycle.in_flight -= 1


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    error = ShuttingDown()
    headers = {**error_headers(error), "Connection": "close"}
    if is_eventbridge(Request(scope)):
        response = eventbridge_error(503, "ServiceUnavailableException", error.message, headers)
    else:
        response = error_response(503, error.code, error.message, headers=headers)
    await response(scope, receive, send)

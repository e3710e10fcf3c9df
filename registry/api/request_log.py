"""Request ids and the access log.

Every response carries `X-Request-Id`: the caller's own when it is well formed (1 to 128 characters among
letters, digits and `.`, `_`, `:`, `-`), so that a gateway's id follows the request, else a new one. The id
is in every log line written while the request is answered, and the access line is written when it ends.

The middleware sits outside the whole stack, the server error handler included, so that a 500 and an answer
from the version cache carry the id as well; it costs a dictionary lookup and a header when the access log is
off. It also observes the HTTP request metrics, when they are on (request_metrics.py): the request is timed,
its status noted and its route learnt once, for the log and the metrics alike.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.api.request_metrics import HttpMetrics
from registry.observability.logs import ACCESS_LOGGER, RequestFacts, current_request
from registry.observability.tracing import annotate

HEADER = b"x-request-id"
_WELL_FORMED = re.compile(rb"[A-Za-z0-9._:-]{1,128}")

log = logging.getLogger(ACCESS_LOGGER)
errors = logging.getLogger("registry")


def request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == HEADER:
            if _WELL_FORMED.fullmatch(value):
                return bytes(value).decode("ascii")
            break
    return secrets.token_hex(16)


class RequestRecords:
    """What is noted of every answered request: its metrics (when they are on) and its access line (when
    the access log is on). Written by RequestLog, and by the front for its own answers (api.front)."""

    def __init__(self, *, access_log: bool, metrics: HttpMetrics | None) -> None:
        self.access_log = access_log
        self.metrics = metrics

    def finish(self, scope: Scope, facts: RequestFacts, status: int, started: float) -> None:
        seconds = time.perf_counter() - started
        if self.metrics is not None:
            self.metrics.observe(facts.method, facts.route, status, seconds)
        if self.access_log and log.isEnabledFor(logging.INFO):
            _access_line(scope, facts, status, seconds)


class RequestLog:
    """The outermost middleware: the request's id, its facts for log lines, the access line, the metrics."""

    def __init__(self, app: ASGIApp, *, records: RequestRecords) -> None:
        self.app = app
        self.records = records

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        facts = request_facts(scope)
        token = current_request.set(facts)
        annotate({"registry.request_id": facts.request_id})  # from a trace to the request's log lines
        header = (HEADER, facts.request_id.encode("ascii"))
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Starlette's error handler has answered 500 and raises on for the server to log: log it here,
            # once, with the request's id, rather than as a bare traceback.
            errors.exception("unhandled error answering %s %s", facts.method, facts.path)
        finally:
            self.records.finish(scope, facts, status, started)
            current_request.reset(token)


class NoteRoute:
    """The innermost middleware: hands the scope the router writes its match into to the request's facts,
    with the application's routes (for a mounted application's template)."""

    def __init__(self, app: ASGIApp, *, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        facts = current_request.get()
        if facts is not None:
            facts.routed = scope
            facts.routes = self.routes
        await self.app(scope, receive, send)


def install(app: Any, *, records: RequestRecords) -> None:
    """RequestLog around the whole middleware stack (Starlette builds it on the first request), NoteRoute
    as the innermost middleware: call before adding any other."""
    app.add_middleware(NoteRoute, routes=app.routes)  # the list routers are added to later
    build = app.build_middleware_stack

    def build_with_request_log() -> ASGIApp:
        return RequestLog(build(), records=records)

    app.build_middleware_stack = build_with_request_log


def request_facts(scope: Scope) -> RequestFacts:
    return RequestFacts(request_id(scope), scope["method"], _path(scope))


def _path(scope: Scope) -> str:
    raw = scope.get("raw_path")
    path = bytes(raw).decode("latin-1") if raw else str(scope["path"])
    query = scope.get("query_string")
    return f"{path}?{bytes(query).decode('latin-1')}" if query and "?" not in path else path


def _access_line(scope: Scope, facts: RequestFacts, status: int, seconds: float) -> None:
    client = scope.get("client")
    where = f"{client[0]}:{client[1]}" if client else "-"
    version = scope.get("http_version", "1.1")
    duration_ms = round(seconds * 1000, 2)
    caller = f" token {facts.token_id}" if facts.token_id else ""
    log.info(
        '%s - "%s %s HTTP/%s" %d %.1f ms, request %s%s',
        where, facts.method, facts.path, version, status, duration_ms, facts.request_id, caller,
        extra={"access": {"method": facts.method, "path": facts.path, "status": status,
                          "duration_ms": duration_ms, "client": where}},
    )  # fmt: skip

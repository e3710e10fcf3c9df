"""The first thing a request meets: a GET of a numbered version or of `latest` that memory can answer is
answered here, outside the rest of the middleware stack (the request log's wrapper, Starlette's error
middleware, FastAPI's exception and body limit layers, our own), which together cost more CPU than the
answer itself.

It does for those answers what the stack does for every request: the request's id (`X-Request-Id`, also on
the trace's server span), its facts for log lines, its metrics and access line
(`request_log.RequestRecords`), the count of requests in flight for the drain. It stands aside, and the
stack answers as before, for anything else and while the replica drains (the drain gate refuses).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from registry.api.fast_reads import VERSION_ROUTE, MemoryReads, send_answer
from registry.api.lifecycle import Lifecycle
from registry.api.request_log import HEADER, RequestRecords, request_facts
from registry.observability.logs import current_request
from registry.observability.tracing import annotate

errors = logging.getLogger("registry")


class Front:
    """ASGI middleware around the whole stack (install() puts it there)."""

    def __init__(
        self, app: ASGIApp, *, reads: MemoryReads, records: RequestRecords, lifecycle: Lifecycle
    ) -> None:
        self.app = app
        self.reads = reads
        self.records = records
        self.lifecycle = lifecycle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not await self._answered(scope, send):
            await self.app(scope, receive, send)

    async def _answered(self, scope: Scope, send: Send) -> bool:
        """True when the request was answered here; else nothing was sent, and the stack answers."""
        if scope["type"] != "http" or self.lifecycle.draining:
            return False
        match = self.reads.match(scope)
        if match is None:
            return False
        started = time.perf_counter()
        facts = request_facts(scope)
        token = current_request.set(facts)  # the caller's token id is noted there, for the access line
        try:
            found = self.reads.find(scope, match)
            if found is None:
                return False
            status, headers, body = found
            facts.route_template = VERSION_ROUTE
            annotate({"registry.request_id": facts.request_id})
            self.lifecycle.in_flight += 1
            try:
                await send_answer(send, status, [*headers, (HEADER, facts.request_id.encode())], body)
            except Exception:
                # as RequestLog does: logged once, with the request's id (the server answers 500 if it can)
                errors.exception("unhandled error answering %s %s", facts.method, facts.path)
                status = 500
            finally:
                self.lifecycle.in_flight -= 1
            self.records.finish(scope, facts, status, started)
            return True
        finally:
            current_request.reset(token)


def install(app: Any, *, reads: MemoryReads, records: RequestRecords, lifecycle: Lifecycle) -> None:
    """The front around the whole middleware stack (Starlette builds it on the first request): call after
    request_log.install."""
    build = app.build_middleware_stack

    def build_with_front() -> ASGIApp:
        return Front(build(), reads=reads, records=records, lifecycle=lifecycle)

    app.build_middleware_stack = build_with_front

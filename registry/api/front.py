"""The first thing a request meets: a GET of a numbered version or of `latest` that memory can answer, a
validation of a valid event against a version whose contract is in memory, and a registration
(`front_registrations`), are answered here, outside the rest of the middleware stack (the request log's
wrapper, Starlette's error middleware, FastAPI's exception and body limit layers, routing and dependencies,
our own), which together cost more CPU than a cached answer itself, and a third of a registration.

It does for those answers what the stack does for every request: the request's id (`X-Request-Id`, also on
the trace's server span), its facts for log lines, its metrics and access line
(`request_log.RequestRecords`), the count of requests in flight for the drain; for a validation, what the
body limit and the JSON check do (`fast_reads.MemoryValidation`). It stands aside, and the stack answers as
before, for anything else and while the replica drains (the drain gate refuses); a body it has read is
handed on to the stack as it came.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from registry.api.fast_reads import VALIDATE_ROUTE, VERSION_ROUTE, MemoryReads, MemoryValidation, send_answer
from registry.api.front_registrations import REGISTER_ROUTE, FrontRegistrations, server_error
from registry.api.lifecycle import ADMITTED, Lifecycle
from registry.api.middleware import read_body, replay_body
from registry.api.request_log import HEADER, RequestRecords, request_facts
from registry.observability.logs import RequestFacts, current_request
from registry.observability.tracing import annotate

errors = logging.getLogger("registry")


class Front:
    """ASGI middleware around the whole stack (install() puts it there)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        reads: MemoryReads,
        validations: MemoryValidation,
        registrations: FrontRegistrations,
        records: RequestRecords,
        lifecycle: Lifecycle,
    ) -> None:
        self.app = app
        self.reads = reads
        self.validations = validations
        self.registrations = registrations
        self.records = records
        self.lifecycle = lifecycle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.lifecycle.draining:
            if scope["method"] == "GET":
                if await self._read(scope, send):
                    return
            elif scope["method"] == "POST":
                left = await self._validation(scope, receive, send)
                if left is not None:
                    left = await self._registration(scope, left, send)
                if left is None:
                    return
                receive = left
        await self.app(scope, receive, send)

    async def _read(self, scope: Scope, send: Send) -> bool:
        """True when the version was sent from here; else nothing was sent, and the stack answers."""
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
            await self._send(scope, send, facts, started, VERSION_ROUTE, status, headers, body)
            return True
        finally:
            current_request.reset(token)

    async def _validation(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """None when the validation was answered here; else the stack answers, reading the body from the
        receive returned (the body again, when it was read here)."""
        match = self.validations.match(scope)
        if match is None:
            return receive
        started = time.perf_counter()
        facts = request_facts(scope)
        token = current_request.set(facts)
        try:
            found = self.validations.find(scope, match)
            if found is None:
                return receive
            # of a declared length within the limit: the server delivers no more than that
            body = await read_body(receive)
            answer = self.validations.answer(found, body)
            if answer is None:
                scope[ADMITTED] = True
                return replay_body(body, receive)
            headers, content = answer
            await self._send(scope, send, facts, started, VALIDATE_ROUTE, 200, headers, content)
            return None
        finally:
            current_request.reset(token)

    async def _registration(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """None when the registration was answered here; else the stack answers, reading the body from
        the receive returned (the body again, when it was read here)."""
        match = self.registrations.match(scope)
        if match is None:
            return receive
        started = time.perf_counter()
        facts = request_facts(scope)
        token = current_request.set(facts)
        self.lifecycle.in_flight += 1  # as the drain gate counts it: from the first await to the answer
        try:
            on = await self.registrations.admit(scope, match)
            if on is None:
                scope[ADMITTED] = True
                return receive
            # of a declared length within the limit: the server delivers no more than that
            body = await read_body(receive)
            request = await self.registrations.request(body)
            if request is None:
                scope[ADMITTED] = True
                return replay_body(body, receive)
            try:
                status, headers, content = await self.registrations.answer(on, request, facts.path)
            except Exception:
                # as RequestLog does for the stack's 500: logged once, with the request's id
                errors.exception("unhandled error answering %s %s", facts.method, facts.path)
                status, headers, content = server_error()
            await self._send(scope, send, facts, started, REGISTER_ROUTE, status, headers, content)
            return None
        finally:
            self.lifecycle.in_flight -= 1
            current_request.reset(token)

    async def _send(
        self,
        scope: Scope,
        send: Send,
        facts: RequestFacts,
        started: float,
        route: str,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> None:
        facts.route_template = route
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


def install(
    app: Any,
    *,
    reads: MemoryReads,
    validations: MemoryValidation,
    registrations: FrontRegistrations,
    records: RequestRecords,
    lifecycle: Lifecycle,
) -> None:
    """The front around the whole middleware stack (Starlette builds it on the first request): call after
    request_log.install."""
    build = app.build_middleware_stack

    def build_with_front() -> ASGIApp:
        return Front(
            build(),
            reads=reads,
            validations=validations,
            registrations=registrations,
            records=records,
            lifecycle=lifecycle,
        )

    app.build_middleware_stack = build_with_front

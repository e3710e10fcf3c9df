"""Registrations (`POST .../versions`) answered in front of the middleware stack (registry.api.front).

Around the service, the stack cost a registration about as much CPU as the service's own database work
(routing, twelve middleware layers, FastAPI's body handling and dependency solving: some 2 M instructions
of a new schema's 6.6 M). What the stack does for a registration, this does too, and refuses in the same
order:

- the drain gate (the front takes nothing while the replica drains) and the count of requests in flight,
  held from the first look at the request to its answer;
- the body limit: only a body of a declared length within `REGISTRY_MAX_CONTENT_BYTES`;
- the JSON check: a body sent as JSON (or with no Content-Type), read by the same strict parser
  (`json_input.parse_json`), in a worker thread when large;
- the route: the names, the caller holding the writer's role on the registry (the token table read in a
  worker thread when stale), the request model (`RegisterVersionIn`, validated as FastAPI validates it),
  then the route's own code (`routes.versions.register_version`) in a worker thread, where FastAPI runs the
  route's plain `def`; a `RegistryError` is answered as the error handler answers it.

Whatever it does not take goes on to the stack as it came, which answers with its own rules and errors:
another Content-Type, no declared length, a query string, a refused name, caller or body, and every
registration while tracing is on (FastAPI's spans of the route's dependencies and endpoint are part of a
registration's trace). Nothing done before the service is called has an effect the stack's answer would
not have (no metric, no write), and a body read here is handed on unchanged. Once the service is called,
the answer is given here, whatever it is.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response
from starlette.types import Scope

from registry.access import Authenticator
from registry.api.deps import OnSchema
from registry.api.errors import native_error
from registry.api.middleware import OFF_LOOP_BYTES, declared_json_body, raw_path
from registry.api.models import RegisterVersionIn
from registry.api.routes.versions import register_version
from registry.api.version_cache import header
from registry.domain import names
from registry.domain.auth import Role, authorize, refuse_metrics_only
from registry.domain.errors import RegistryError
from registry.domain.json_input import parse_json
from registry.observability import tracing
from registry.observability.logs import noted_caller
from registry.storage.unit_of_work import UnitOfWork

REGISTER_ROUTE: Final = "/registries/{registry}/schemas/{schema}/versions"
_REGISTER = re.compile(r"/registries/([^/]+)/schemas/([^/]+)/versions")
# The spellings of JSON taken here; FastAPI and `JsonBodies` read other JSON media types alike, but by
# rules of their own (parameters, case): those go to the stack.
_JSON_TYPES = frozenset({b"application/json", b"application/json; charset=utf-8"})

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


class FrontRegistrations:
    """What the front (`api.front.Front`) asks of a registration: whether to take it, whether the caller
    may make it, its request model, and the answer."""

    def __init__(self, *, uow: UnitOfWork, authenticator: Authenticator, body_limit: int) -> None:
        self.uow = uow
        self.authenticator = authenticator
        self.body_limit = body_limit

    def match(self, scope: Scope) -> re.Match[str] | None:
        """The registry and schema of a registration the front may take: no query, a JSON body (or one
        with no Content-Type) of a declared length within the limit, tracing off."""
        if scope["method"] != "POST" or scope.get("query_string") or tracing.tracing_on():
            return None
        match = _REGISTER.fullmatch(raw_path(scope))
        if match is None:
            return None
        return match if declared_json_body(scope, self.body_limit, _json_as_taken_here) else None

    async def admit(self, scope: Scope, match: re.Match[str]) -> OnSchema | None:
        """The names and the caller, when the caller may register in the registry; None: the stack
        answers (and refuses)."""
        try:
            # as the route receives them: each segment unquoted once (`KeepEncodedSlashes`, `api.deps`),
            # invalid UTF-8 becoming U+FFFD (unquote's default), which the names' rules refuse
            registry = names.registry_name(unquote(match[1]))
            schema = names.schema_name(unquote(match[2]))
            authorization = header(scope, b"authorization")
            found = self.authenticator.principal_if_fresh(authorization)
            if found is None:  # a stale token table: re-read in a worker thread, as the stack does
                found = await run_in_threadpool(self.authenticator.principal_for, authorization)
            caller = noted_caller(refuse_metrics_only(found))
            authorize(caller, Role.WRITER, registry)
        except Exception:  # a refusal, or a failure of the token table's read: the stack meets it again
            return None
        return OnSchema(registry, schema, caller, self.uow)

    async def request(self, body: bytes) -> RegisterVersionIn | None:
        """The request model, when the body is one; None: the stack answers (and refuses)."""
        try:
            # as `JsonBodies` reads it: strictly, and in a worker thread when large
            large = len(body) > OFF_LOOP_BYTES
            value = await run_in_threadpool(parse_json, body) if large else parse_json(body)
            # as FastAPI validates a route's body (`ModelField.validate`)
            return RegisterVersionIn.model_validate(value, from_attributes=True)
        except (RegistryError, ValidationError):
            return None

    async def answer(self, on: OnSchema, request: RegisterVersionIn, path: str) -> Answer:
        """The route's answer (its errors answered as the error handler does). Another exception is
        raised: the caller answers it as the stack's server error middleware does (`server_error`)."""
        try:
            response = await run_in_threadpool(register_version, request, on)
        except RegistryError as error:
            response = native_error(error, path)
        return response.status_code, response.raw_headers, bytes(response.body)


def server_error() -> Answer:
    """Starlette's answer to an unhandled exception (ServerErrorMiddleware, not in debug mode)."""
    response: Response = PlainTextResponse("Internal Server Error", status_code=500)
    return response.status_code, response.raw_headers, bytes(response.body)


def _json_as_taken_here(content_type: bytes) -> bool:
    return content_type.lower() in _JSON_TYPES

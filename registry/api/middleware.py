"""ASGI middleware: body size limit, JSON bodies only (read by one strict parser), and path decoding that
keeps `%2F` inside names."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.access import Authenticator
from registry.api.errors import EVENTBRIDGE_PREFIXES, eventbridge_status_for, status_for
from registry.api.request_metrics import count_refused_registration
from registry.domain.errors import PayloadTooLarge, RegistryError, Unauthenticated, UnsupportedMediaType
from registry.domain.json_input import parse_json


class KeepEncodedSlashes:
    """Servers decode `%2F` to `/` before routing, which would split `a%2Fb` into two path segments.
    Rebuild `path` from `raw_path`, decoding each segment but re-escaping `%` and `/` inside it, so route
    parameters arrive with only those two escaped; `api.deps` unquotes them exactly once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("raw_path") if scope["type"] == "http" else None
        if raw and b"%" in raw:
            # Some clients (httpx's ASGI transport) leave the query string on raw_path.
            segments = raw.split(b"?", 1)[0].decode("latin-1").split("/")
            # Invalid UTF-8 becomes U+FFFD, which name validation then refuses with a clear error.
            decoded = [quote(unquote(segment, errors="replace"), safe=_SAFE) for segment in segments]
            scope = {**scope, "path": "/".join(decoded)}
        await self.app(scope, receive, send)


# Printable ASCII but `%` and `/` stays literal; what is escaped is unescaped once more in `api.deps`.
_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in "%/")


class BodyLimit:
    """Refuse bodies over the limit with 413 before anything parses them (also for chunked uploads).
    `setting` names the configuration that sets the limit, for the message."""

    def __init__(self, app: ASGIApp, *, limit: int, setting: str) -> None:
        self.app = app
        self.limit = limit
        self.setting = setting

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in {"GET", "HEAD", "OPTIONS", "DELETE"}:
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, send)
            return
        body = await self._read(receive)
        if body is None:
            await self._refuse(scope, send)
            return
        await self.app(scope, replay_body(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        count_refused_registration(scope, "too_large")
        error = PayloadTooLarge(limit=self.limit, setting=self.setting)
        if str(scope.get("path", "")).startswith(EVENTBRIDGE_PREFIXES):  # as the EventBridge API answers it
            code = "BadRequestException"
            body = json.dumps({"Code": code, "Message": error.message})
            await _send_json(send, 400, body, [(b"x-amzn-errortype", code.encode())])
            return
        await _send_error(send, error)


class JsonBodies:
    """The native API reads JSON: a body sent as anything else (a form, by `curl -d` without a header)
    gets 415 with the fix, rather than a validation error about a body it never read. A body without a
    Content-Type claims no other format, so it is read as JSON (the header is added for the routes). The
    EventBridge API and the package index keep their own rules about media types.

    Every JSON body, on every API, is first read by `json_input.parse_json`, which refuses what
    `json.loads` (behind the routes) would let through or fail on: NaN and Infinity, repeated keys, numbers
    and nesting past the limits. What it accepts, `json.loads` reads to the same value.
    The body is handed on with its value (`PARSED_BODY`), so that the routes (`ParsedJsonRoute`) do not parse
    it again; a large one is parsed in a worker thread, not on the loop."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in {"POST", "PUT", "PATCH"}:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"content-type", b"").decode("latin-1")
        if _has_body(headers) and str(scope.get("path", "")).startswith(NATIVE_API_PREFIX):
            if given and not is_json_media_type(given):
                await _send_error(send, UnsupportedMediaType(given=given))
                return
            if not given:
                scope = {**scope, "headers": [*scope["headers"], (b"content-type", b"application/json")]}
        if _has_body(headers) and (not given or is_json_media_type(given)):
            body = await read_body(receive)
            try:
                if len(body) > OFF_LOOP_BYTES:
                    value = await run_in_threadpool(parse_json, body)
                else:
                    value = parse_json(body)
            except RegistryError as error:
                count_refused_registration(scope, "invalid")
                await _refuse(scope, send, error)
                return
            scope = {**scope, PARSED_BODY: ParsedBody(body, value)}
            receive = replay_body(body, receive)
        await self.app(scope, receive, send)


class ParsedJsonRequest(Request):
    """A request whose JSON value is the one `JsonBodies` read (strictly, and off the loop when large), so
    FastAPI does not parse the body a second time with `json.loads`. That parser reads whatever
    `parse_json` accepts to the same value."""

    async def json(self) -> Any:
        parsed = self.scope.get(PARSED_BODY)
        if parsed is not None and parsed.body == await self.body():
            return parsed.value
        return await super().json()


class ParsedJsonRoute(APIRoute):
    """The routes of the API: their JSON bodies are the values `JsonBodies` already parsed."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def with_parsed_json(request: Request) -> Response:
            return await handle(ParsedJsonRequest(request.scope, request.receive))

        return with_parsed_json


class PrivateApiDescription:
    """With REGISTRY_PUBLIC_API_DESCRIPTION=false, the API description and the pages that show it need a
    token like every other request (any role, of any registry). Added only then: public costs nothing."""

    def __init__(self, app: ASGIApp, *, authenticator: Authenticator, paths: set[str]) -> None:
        self.app = app
        self.authenticator = authenticator
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in self.paths:
            header = dict(scope["headers"]).get(b"authorization")
            try:
                # may re-read the token table: a database read, so in a worker thread
                await run_in_threadpool(self.authenticator.principal_for, header and header.decode("latin-1"))
            except Unauthenticated as error:
                body = json.dumps({"error": {"code": error.code, "message": error.message, "details": {}}})
                await _send_json(send, status_for(error), body, [(b"www-authenticate", b"Bearer")])
                return
        await self.app(scope, receive, send)


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            return b"".join(chunks)


async def _refuse(scope: Scope, send: Send, error: RegistryError) -> None:
    """The error in the form of the API the request was for."""
    if str(scope.get("path", "")).startswith(EVENTBRIDGE_PREFIXES):
        status, code = eventbridge_status_for(error)
        body = json.dumps({"Code": code, "Message": error.message})
        await _send_json(send, status, body, [(b"x-amzn-errortype", code.encode())])
        return
    await _send_error(send, error)


NATIVE_API_PREFIX = "/registries/"
PARSED_BODY = "registry.parsed_body"
"""The scope key under which `JsonBodies` hands on a body's `ParsedBody`."""


@dataclass(frozen=True)
class ParsedBody:
    """A request body and its value, as `json_input.parse_json` read it: strict JSON within the limits."""

    body: bytes
    value: Any


# Bodies larger than this are parsed in a worker thread: a megabyte takes tens of milliseconds, which other
# requests should not wait for.
OFF_LOOP_BYTES = 64 * 1024


def is_json_media_type(content_type: str) -> bool:
    """application/json or a JSON-based type (application/*+json), whatever its parameters (charset)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def raw_path(scope: Scope) -> str:
    """The path as the client sent it (percent-escapes kept), without a query."""
    raw = scope.get("raw_path") or scope["path"].encode("utf-8")
    return str(raw.split(b"?", 1)[0].decode("latin-1"))


def declared_json_body(scope: Scope, limit: int, json_type: Callable[[bytes], bool]) -> bool:
    """The request declares its body's length, within `limit` and not empty, sends it in one piece (not
    chunked) and, if it names a Content-Type, one `json_type` accepts: what the front's answers may take
    (`api.front`); anything else goes to the stack, whose rules answer it."""
    length = None
    for name, value in scope["headers"]:
        if name == b"content-length":
            length = value
        elif name == b"transfer-encoding" or (name == b"content-type" and not json_type(value)):
            return False
    return length is not None and length.isdigit() and 0 < int(length) <= limit


def _has_body(headers: dict[bytes, bytes]) -> bool:
    length = headers.get(b"content-length")
    return b"transfer-encoding" in headers or (length is not None and length.strip() not in (b"", b"0"))


async def _send_error(send: Send, error: RegistryError) -> None:
    """The API's error answer, from middleware that answers before any route or handler runs."""
    body = json.dumps({"error": {"code": error.code, "message": error.message, "details": error.details}})
    await _send_json(send, status_for(error), body)


async def _send_json(
    send: Send, status: int, body: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    encoded = body.encode()
    start = [(b"content-type", b"application/json"), (b"content-length", str(len(encoded)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": start + (headers or [])})
    await send({"type": "http.response.body", "body": encoded})


def replay_body(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay

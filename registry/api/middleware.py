"""ASGI middleware: body size limit and path decoding that keeps `%2F` inside names."""

from __future__ import annotations

import json
from urllib.parse import quote, unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.api.errors import EVENTBRIDGE_PREFIXES
from registry.domain.errors import PayloadTooLarge


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
    """Refuse bodies over the limit with 413 before anything parses them (also for chunked uploads)."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

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
        await self.app(scope, _replay(body, receive), send)

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
        error = PayloadTooLarge(limit=self.limit)
        status = 413
        body = json.dumps({"error": {"code": error.code, "message": error.message, "details": error.details}})
        headers = [(b"content-type", b"application/json")]
        if str(scope.get("path", "")).startswith(EVENTBRIDGE_PREFIXES):  # as the EventBridge API answers it
            status, code = 400, "BadRequestException"
            body = json.dumps({"Code": code, "Message": error.message})
            headers.append((b"x-amzn-errortype", code.encode()))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body.encode()})


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay

"""Serving numbered versions from memory.

A numbered version never changes (its number is never reused), so each replica keeps the rendered response
(body and ETag) of the versions it has served and answers repeat reads without the framework or the
database. The one thing that can happen to such a version is deletion, possibly through another replica, so
an entry is trusted for `ttl` seconds only and then read again; a delete through this replica clears the
cache at once. Clients are told to cache numbered versions for a year anyway: a few seconds of a deleted
version on a replica is well within that promise.

Only hits are answered here. A miss, a stale token table, or any refusal (unknown token, wrong scope, bad
name) falls through to the application, which answers with its ordinary rules and errors."""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import unquote

from starlette.types import ASGIApp, Receive, Scope, Send

from registry.access import Authenticator
from registry.domain import names
from registry.domain.auth import Role, authorize
from registry.domain.errors import RegistryError
from registry.observability.logs import note_route, noted_caller

IMMUTABLE = "public, max-age=31536000, immutable"
VersionKey = tuple[str, str, int]
_NUMBERED_VERSION = re.compile(r"/registries/([^/]+)/schemas/([^/]+)/versions/([1-9][0-9]{0,8})")
# The template of the route that answers the same request on a miss, so that hits and misses are one series.
VERSION_ROUTE = "/registries/{registry}/schemas/{schema}/versions/{version}"


@dataclass(frozen=True)
class Rendered:
    body: bytes
    etag: str
    expires: float


MAX_CACHED_BODY_BYTES = 64 * 1024 * 1024
"""Bodies kept, all together: 4,096 typical versions take a few MB, but a contract may take megabytes."""


class VersionCache:
    def __init__(
        self, *, ttl: float, max_entries: int = 4096, max_bytes: int = MAX_CACHED_BODY_BYTES
    ) -> None:
        self._ttl = ttl
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[VersionKey, Rendered] = OrderedDict()
        self._lock = threading.Lock()  # routes run in worker threads, the fast path on the event loop

    def get(self, key: VersionKey) -> Rendered | None:
        entry = self._entries.get(key)
        if entry is None or entry.expires < time.monotonic():
            return None
        return entry

    def put(self, key: VersionKey, body: bytes, etag: str) -> None:
        if self._ttl <= 0:
            return
        with self._lock:
            replaced = self._entries.pop(key, None)
            self._bytes += len(body) - (len(replaced.body) if replaced else 0)
            self._entries[key] = Rendered(body, etag, time.monotonic() + self._ttl)
            while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted.body)

    @property
    def size(self) -> int:
        """Bytes of the bodies kept."""
        return self._bytes

    def clear(self) -> None:
        """After a delete through this replica: whatever it removed must not be served from here again."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0


class CachedVersionReads:
    """ASGI middleware answering `GET .../versions/{number}` from a VersionCache when it can."""

    def __init__(self, app: ASGIApp, *, cache: VersionCache, authenticator: Authenticator) -> None:
        self.app = app
        self.cache = cache
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            hit = self._lookup(scope)
            if hit is not None:
                note_route(VERSION_ROUTE)
                await _send(hit, scope, send)
                return
        await self.app(scope, receive, send)

    def _lookup(self, scope: Scope) -> Rendered | None:
        if scope.get("query_string"):  # `?resolve=bundle` and the like: another rendering than the one kept
            return None
        raw = scope.get("raw_path") or scope["path"].encode("utf-8")
        match = _NUMBERED_VERSION.fullmatch(raw.split(b"?", 1)[0].decode("latin-1"))
        if match is None:
            return None
        registry, schema = unquote(match[1]), unquote(match[2])
        hit = self.cache.get((registry, schema, int(match[3])))
        if hit is None or not caller_may_read(self.authenticator, scope, registry, schema):
            return None
        return hit


def caller_may_read(authenticator: Authenticator, scope: Scope, registry: str, schema: str) -> bool:
    """Whether the request may read the schema, known without the database; False sends it on to the
    application, which answers with the reason (or reads the token table)."""
    try:
        names.registry_name(registry)
        names.schema_name(schema)
        principal = authenticator.principal_if_fresh(header(scope, b"authorization"))
        if principal is None:
            return False  # the token table needs a database read: leave that to a worker thread
        authorize(noted_caller(principal), Role.READER, registry)
    except RegistryError:
        return False
    return True


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


async def _send(hit: Rendered, scope: Scope, send: Send) -> None:
    etag = hit.etag.encode("latin-1")
    if header(scope, b"if-none-match") == hit.etag:
        headers = [(b"etag", etag), (b"cache-control", IMMUTABLE.encode())]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(hit.body)).encode()),
        (b"etag", etag),
        (b"cache-control", IMMUTABLE.encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": hit.body})

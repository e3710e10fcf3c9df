"""Serving numbered versions from memory.

A numbered version never changes (its number is never reused), so each replica keeps the rendered response
(body and ETag) of the versions it has served and answers repeat reads without the framework or the
database. The one thing that can happen to such a version is deletion, possibly through another replica, so
an entry is trusted for `ttl` seconds only and then read again; a delete through this replica clears the
cache at once. Clients are told to cache numbered versions for a year anyway: a few seconds of a deleted
version on a replica is well within that promise.

Only hits are answered from here (by `fast_reads.MemoryReads`). A miss, a stale token table, or any refusal
(unknown token, wrong scope, bad name) falls through to the application, which answers with its ordinary
rules and errors."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from starlette.types import Scope

from registry.access import Authenticator
from registry.domain.auth import Role, authorize
from registry.domain.errors import RegistryError
from registry.observability.logs import noted_caller

IMMUTABLE = "public, max-age=31536000, immutable"
VersionKey = tuple[str, str, int]


class Rendered:
    """A response kept in memory: its body and ETag, and the headers of its 200 and 304 answers, built once
    rather than on every hit."""

    __slots__ = ("body", "etag", "expires", "headers", "not_modified")

    def __init__(self, body: bytes, etag: str, *, cache_control: str, expires: float = float("inf")) -> None:
        self.body, self.etag, self.expires = body, etag, expires
        validators = [(b"etag", etag.encode("latin-1")), (b"cache-control", cache_control.encode("latin-1"))]
        self.not_modified = validators
        self.headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *validators,
        ]


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
            expires = time.monotonic() + self._ttl
            self._entries[key] = Rendered(body, etag, cache_control=IMMUTABLE, expires=expires)
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


def caller_may_read(authenticator: Authenticator, scope: Scope, registry: str, schema: str) -> bool:
    """Whether the request may read the schema, known without the database; False sends it on to the
    application, which answers with the reason (or reads the token table). The names are not checked here:
    only routes store entries, under names they have checked, so a bad name finds nothing in memory and goes
    on to the application, which refuses it."""
    try:
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

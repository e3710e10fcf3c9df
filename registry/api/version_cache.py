"""Serving numbered versions from memory.

A numbered version never changes (its number is never reused), so each replica keeps the rendered response
(body and ETag) of the versions it has served and answers repeat reads without the framework or the
database. The one thing that can happen to such a version is deletion, possibly through another replica, so
an entry is trusted for `ttl` seconds only and then read again; a delete through this replica clears the
cache at once. Clients are told to cache numbered versions for a year anyway: a few seconds of a deleted
version on a replica is well within that promise.

Past half its time, one request reads the version again while the others are still answered from the entry:
at its expiry, every connection asking for the version would otherwise go to the database at once (32
connections: 32 requests through the whole stack and the thread pool together, the loop held up for 100-550
ms every `ttl` seconds on a busy machine; docs/benchmarks.md, "The read paths' tail").

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

    __slots__ = ("body", "etag", "expires", "headers", "not_modified", "renew_after")

    def __init__(
        self,
        body: bytes,
        etag: str,
        *,
        cache_control: str,
        expires: float = float("inf"),
        renew_after: float = float("inf"),
    ) -> None:
        self.body, self.etag, self.expires, self.renew_after = body, etag, expires, renew_after
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
        self._renewing: set[VersionKey] = set()  # entries past half their time, which one request reads again
        self._lock = threading.Lock()  # routes run in worker threads, the fast path on the event loop

    def get(self, key: VersionKey) -> Rendered | None:
        """The entry, or None: the caller reads the version (a miss, an expired entry, or the one request
        that renews an entry past half its time; ask only for a caller that may read it, since the request
        that renews must reach the route that stores)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        now = time.monotonic()
        if entry.expires < now:
            return None
        if entry.renew_after <= now and key not in self._renewing:
            self._renewing.add(key)  # this request reads it again; the others keep the entry meanwhile
            return None
        return entry

    def put(self, key: VersionKey, body: bytes, etag: str) -> None:
        if self._ttl <= 0:
            return
        with self._lock:
            replaced = self._entries.pop(key, None)
            self._bytes += len(body) - (len(replaced.body) if replaced else 0)
            now = time.monotonic()
            self._entries[key] = Rendered(
                body, etag, cache_control=IMMUTABLE, expires=now + self._ttl, renew_after=now + self._ttl / 2
            )
            self._renewing.discard(key)
            while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
                evicted_key, evicted = self._entries.popitem(last=False)
                self._renewing.discard(evicted_key)
                self._bytes -= len(evicted.body)

    @property
    def size(self) -> int:
        """Bytes of the bodies kept."""
        return self._bytes

    def clear(self) -> None:
        """After a delete through this replica: whatever it removed must not be served from here again."""
        with self._lock:
            self._entries.clear()
            self._renewing.clear()
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

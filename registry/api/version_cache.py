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

`FreshCache` is the bounded map behind every answer a replica keeps: the rendered numbered versions here (a
version's commit count never moves), and in `fast_reads` `latest` and the validation targets.

Only hits are answered from here (by `fast_reads.MemoryReads`). A miss, a stale token table, or any refusal
(unknown token, wrong scope, bad name) falls through to the application, which answers with its ordinary
rules and errors."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from starlette.types import Scope

from registry.access import Authenticator
from registry.domain.auth import Role, authorize
from registry.domain.errors import RegistryError
from registry.observability.logs import noted_caller

IMMUTABLE = "public, max-age=31536000, immutable"
VersionKey = tuple[str, str, int]
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Rendered:
    """A response kept in memory: its body and ETag, and the headers of its 200 and 304 answers, built once
    rather than on every hit."""

    __slots__ = ("body", "etag", "headers", "not_modified")

    def __init__(self, body: bytes, etag: str, *, cache_control: str) -> None:
        self.body, self.etag = body, etag
        validators = [(b"etag", etag.encode("latin-1")), (b"cache-control", cache_control.encode("latin-1"))]
        self.not_modified = validators
        self.headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *validators,
        ]


MAX_CACHED_BODY_BYTES = 64 * 1024 * 1024
"""Bodies kept, all together: 4,096 typical versions take a few MB, but a contract may take megabytes."""


@dataclass(frozen=True)
class Stamp:
    """When a read began: the replica's count of committed writes then, and the monotonic clock."""

    commits: int
    began: float


@dataclass(frozen=True)
class _Entry(Generic[V]):
    value: V
    commits: int
    renew_after: float
    fresh_until: float
    size: int


class FreshCache(Generic[K, V]):
    """A bounded map (least recently stored goes first) whose entries hold while no write has committed on
    this replica since their read began, and for `ttl` seconds from then.

    Past half its time, an entry is read again by one request while the others are still answered from it:
    32 connections asking for one `latest` would otherwise all go to the database at every expiry, and
    queue there (the tail latency of every such read path)."""

    def __init__(
        self,
        *,
        ttl: float,
        commits: Callable[[], int],
        max_entries: int,
        max_bytes: int | None = None,
        max_entry_bytes: int | None = None,
    ) -> None:
        self._ttl = ttl
        self._commits = commits
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        # one huge body would push out hundreds of small ones: by default none over a quarter of the bound
        self._max_entry_bytes = max_bytes // 4 if max_entry_bytes is None and max_bytes else max_entry_bytes
        self._bytes = 0
        self._entries: OrderedDict[K, _Entry[V]] = OrderedDict()
        self._renewing: set[K] = set()  # keys of entries past half their time, which one request reads again
        self._lock = threading.Lock()  # filled from worker threads, read on the event loop

    def stamp(self) -> Stamp:
        """Take before reading what will be stored: the entry is only as fresh as the read's start."""
        return Stamp(self._commits(), time.monotonic())

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry is None or entry.commits != self._commits() or entry.fresh_until <= now:
            return None
        if entry.renew_after <= now and key not in self._renewing:
            self._renewing.add(key)  # this request reads it again; the others keep the entry meanwhile
            return None
        return entry.value

    def put(self, key: K, value: V, stamp: Stamp, size: int = 0) -> None:
        if self._ttl <= 0 or stamp.commits != self._commits():
            return  # a write committed while this was read: what was read may be the past already
        if self._max_entry_bytes is not None and size > self._max_entry_bytes:
            return
        with self._lock:
            replaced = self._entries.pop(key, None)
            self._bytes -= replaced.size if replaced is not None else 0
            renew_after, fresh_until = stamp.began + self._ttl / 2, stamp.began + self._ttl
            self._entries[key] = _Entry(value, stamp.commits, renew_after, fresh_until, size)
            self._renewing.discard(key)
            self._bytes += size
            while len(self._entries) > self._max_entries or (
                self._max_bytes is not None and self._bytes > self._max_bytes
            ):
                evicted_key, evicted = self._entries.popitem(last=False)
                self._renewing.discard(evicted_key)
                self._bytes -= evicted.size

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """The sizes of the entries kept, summed."""
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._renewing.clear()
            self._bytes = 0


class VersionCache:
    """Rendered numbered versions. A version never changes, so no write but a delete makes an entry stale:
    a `FreshCache` whose commit count never moves, emptied by `clear` after a delete through this replica."""

    def __init__(
        self, *, ttl: float, max_entries: int = 4096, max_bytes: int = MAX_CACHED_BODY_BYTES
    ) -> None:
        self._kept: FreshCache[VersionKey, Rendered] = FreshCache(
            ttl=ttl, commits=_never, max_entries=max_entries, max_bytes=max_bytes, max_entry_bytes=max_bytes
        )

    def get(self, key: VersionKey) -> Rendered | None:
        """The entry, or None: the caller reads the version (a miss, an expired entry, or the one request
        that renews an entry past half its time; ask only for a caller that may read it, since the request
        that renews must reach the route that stores)."""
        return self._kept.get(key)

    def put(self, key: VersionKey, body: bytes, etag: str) -> None:
        self._kept.put(key, Rendered(body, etag, cache_control=IMMUTABLE), self._kept.stamp(), size=len(body))

    @property
    def size(self) -> int:
        """Bytes of the bodies kept."""
        return self._kept.size

    def clear(self) -> None:
        """After a delete through this replica: whatever it removed must not be served from here again."""
        self._kept.clear()


def _never() -> int:
    return 0


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

"""Stored contracts kept compiled in memory, by content; and verdicts on pairs of contents.

Content never changes under its fingerprint, so a replica may keep a loaded contract (and the validators it
compiles on first use) for as long as it likes: the next validation against it spends its time budget on
the event alone. Memory is the bound: a loaded contract takes about eight times its canonical text, so the
cache holds at most MAX_CACHED_BYTES of canonical text (and MAX_CACHED_CONTRACTS entries), evicting the
least recently used.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from registry.domain.compat import Incompatibility, check
from registry.domain.formats import Contract, load_contract
from registry.domain.model import CompatibilityPolicy

MAX_CACHED_BYTES = 16 * 1024 * 1024
"""Canonical text of the contracts kept: about 130 MB in memory once loaded."""
MAX_CACHED_CONTRACTS = 1024

ContentKey = tuple[str, str, str | None]  # (type, fingerprint, event root)


class CompiledContracts:
    def __init__(self, *, max_bytes: int = MAX_CACHED_BYTES, max_entries: int = MAX_CACHED_CONTRACTS) -> None:
        self._max_bytes = max_bytes
        self._max_entries = max_entries
        self._entries: OrderedDict[ContentKey, tuple[Contract, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()  # routes run in worker threads

    def get(self, type_: str, fingerprint: str, event_root: str | None, canonical: str) -> Contract:
        """The contract of this content: kept from an earlier call, else loaded from `canonical` (which the
        key does not include: hashing a megabyte per lookup is what the fingerprint is for)."""
        key = (type_, fingerprint, event_root)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found[0]
        # Loaded outside the lock: two threads missing at once load twice, and the later one is kept.
        contract = load_contract(type_, canonical, event_root)
        self._put(key, contract, len(canonical))
        return contract

    def loaded(self, type_: str, fingerprint: str, event_root: str | None) -> Contract | None:
        """The contract of this content if it is kept, else None (nothing is loaded)."""
        found = self._entries.get((type_, fingerprint, event_root))
        return None if found is None else found[0]

    def _put(self, key: ContentKey, contract: Contract, size: int) -> None:
        with self._lock:
            replaced = self._entries.pop(key, None)
            self._bytes -= replaced[1] if replaced else 0
            self._entries[key] = (contract, size)
            self._bytes += size
            while len(self._entries) > 1 and (
                self._bytes > self._max_bytes or len(self._entries) > self._max_entries
            ):
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= evicted

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """Bytes of canonical text held."""
        return self._bytes


MAX_VERDICTS = 16384
"""Pairs whose verdict is kept: most verdicts are "compatible" (an empty tuple), the others a few findings."""

PairKey = tuple[ContentKey, ContentKey, CompatibilityPolicy]


K = TypeVar("K")
V = TypeVar("V")


class Kept(Generic[K, V]):
    """At most `max_entries` values made once by key, the least recently used evicted first."""

    def __init__(self, *, max_entries: int) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()  # routes run in worker threads

    def get(self, key: K, make: Callable[[], V]) -> V:
        """The value kept under `key`, else `make()` (outside the lock: two threads may both make it)."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = make()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)


class Verdicts:
    """A verdict on two contents never changes. Kept by the digests of what the check reads (not by the
    fingerprints: see `Contract.checked_digest`), and not by contract object: a candidate being registered
    is a new object each time, and keeping contracts alive here would hold their documents and validators
    past CompiledContracts' bound."""

    def __init__(self, *, max_entries: int = MAX_VERDICTS) -> None:
        self._kept: Kept[PairKey, tuple[Incompatibility, ...]] = Kept(max_entries=max_entries)

    def get(
        self, producer: Contract, consumer: Contract, policy: CompatibilityPolicy
    ) -> tuple[Incompatibility, ...]:
        return self._kept.get(
            pair_key(producer, consumer, policy),
            lambda: tuple(check(producer.event_schema(), consumer.event_schema(), policy=policy)),
        )

    def __len__(self) -> int:
        return len(self._kept)


def pair_key(producer: Contract, consumer: Contract, policy: CompatibilityPolicy) -> PairKey:
    """What a verdict on the pair reads: both contents as checked (bundles resolved) and the policy."""
    return (_key(producer), _key(consumer), policy)


def _key(contract: Contract) -> ContentKey:
    return (contract.type.value, contract.checked_digest(), contract.event_root)

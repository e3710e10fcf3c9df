"""Stored contracts kept compiled in memory, by content; and verdicts and semantic diffs on pairs of contents.

Content never changes under its fingerprint, so a replica may keep a loaded contract (and the validators it
compiles on first use) for as long as it likes: the next validation against it spends its time budget on
the event alone. Memory is the bound: a loaded contract whose validators have been compiled takes up to about
40 times its canonical text (LOADED_BYTES_PER_CHARACTER), so the cache holds at most MAX_CACHED_BYTES of
canonical text (and MAX_CACHED_CONTRACTS entries), evicting the least recently used.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from registry.domain.compat import Incompatibility
from registry.domain.compat.attribution import SemanticDiff
from registry.domain.compat.checker import check_prepared, prepare_to_keep
from registry.domain.compat.digest import digests
from registry.domain.compat.document import Doc
from registry.domain.formats import Contract, load_contract
from registry.domain.model import CompatibilityPolicy

LOADED_BYTES_PER_CHARACTER = 40
"""A contract's memory once loaded and validated against (its documents parsed, the jsonschema validator
and jsonschema-rs's compiled one) per character of its canonical text, at most: measured 27 for realistic
30-property contracts, 35 for many one-keyword subschemas, 3 for long descriptions
(`tests/unit/test_compiled_contracts.py` holds it)."""
MAX_CACHED_MEMORY = 200 * 1024 * 1024
MAX_CACHED_BYTES = MAX_CACHED_MEMORY // LOADED_BYTES_PER_CHARACTER
"""Canonical text of the contracts kept (5 MiB): at most MAX_CACHED_MEMORY once loaded and validated against
(16 MiB of text, the bound before, let contracts of a few hundred properties take 475 MB)."""
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

    def keep(self, contract: Contract) -> None:
        """Keep a contract just parsed from content now stored without references, as loading that content
        would give it (a bundle's contract is not: its fingerprint covers its references): the schema's next
        registration checks against it, and its first read validates against it."""
        assert contract.written is None, "a contract with references is loaded from its stored bundle"
        key = (contract.type.value, contract.fingerprint, contract.event_root)
        self._put(key, contract, len(contract.canonical))

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
    """At most `max_entries` values made once by key, the least recently used evicted first; with `size_of`,
    also at most `max_bytes` of them as it estimates them (a value larger than the whole bound is answered,
    never kept)."""

    def __init__(
        self, *, max_entries: int, max_bytes: int | None = None, size_of: Callable[[V], int] | None = None
    ) -> None:
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._size_of = size_of
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()  # routes run in worker threads

    def get(self, key: K, make: Callable[[], V]) -> V:
        """The value kept under `key`, else `make()` (outside the lock: two threads may both make it, and the
        later one is kept)."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found[0]
        value = make()
        size = self._size_of(value) if self._size_of is not None else 0
        if self._max_bytes is not None and size > self._max_bytes:
            return value
        with self._lock:
            replaced = self._entries.pop(key, None)
            self._bytes += size - (replaced[1] if replaced else 0)
            self._entries[key] = (value, size)
            while len(self._entries) > self._max_entries or (
                self._max_bytes is not None and self._bytes > self._max_bytes
            ):
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= evicted
        return value

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """Estimated bytes held (0 without `size_of`)."""
        return self._bytes


MAX_PREPARED_BYTES = 64 * 1024 * 1024
"""What the documents kept prepared for checks hold, as `_prepared_size` estimates it: about 1,200 of a
realistic 30-property contract (whose 3.8 KB of canonical text takes about 44 KB prepared: its schema
parsed, its validator, the digests of its 40 subschemas)."""
MAX_PREPARED = 1024
PREPARED_BYTES_PER_CHARACTER = 3
PREPARED_BYTES_PER_SUBSCHEMA = 1024
"""A kept document's text, its schema parsed (strings about as long again), and per subschema its dict and
its digest's entry: what `tests/unit/test_compiled_contracts.py` measures, with a margin, for shapes from
long descriptions to many small subschemas."""

ReadingKey = tuple[ContentKey, CompatibilityPolicy, bool]


class PreparedDocuments:
    """Contracts prepared for the checker (`registry.domain.compat.checker.prepare`), with the digests of
    their subschemas, kept between requests by content and reading, least recently used out first.

    A schema's versions are checked one after the other: the next registration's candidate is checked
    against this registration's candidate, so a kept document leaves the check only the new side to prepare.
    Each check reads a `Doc.fresh()` copy: what it learns (answers about the other side, its samples) dies
    with it, and what is kept never grows nor holds another request's documents alive."""

    def __init__(self, *, max_bytes: int = MAX_PREPARED_BYTES, max_entries: int = MAX_PREPARED) -> None:
        self._kept: Kept[ReadingKey, Doc] = Kept(
            max_entries=max_entries, max_bytes=max_bytes, size_of=_prepared_size
        )

    def of(self, contract: Contract, *, as_producer: bool, policy: CompatibilityPolicy) -> Doc:
        """A document of its own for one check, reading `contract` in that role under `policy`."""
        # STRICT reads a contract the same way in both roles; LENIENT closes producers and opens consumers
        key = (_key(contract), policy, as_producer or policy is CompatibilityPolicy.STRICT)
        return self._kept.get(key, lambda: _prepared(contract, as_producer, policy)).fresh()

    def __len__(self) -> int:
        return len(self._kept)

    @property
    def size(self) -> int:
        """Estimated bytes held."""
        return self._kept.size


def _prepared(contract: Contract, as_producer: bool, policy: CompatibilityPolicy) -> Doc:
    # (the checker never changes a schema, and LENIENT's rewrite builds a new one: no copy is needed)
    schema, text = contract.shared_event_schema(), contract.event_text()
    return prepare_to_keep(schema, as_producer=as_producer, policy=policy, text=text)


def _prepared_size(doc: Doc) -> int:
    subschemas = len(digests(doc)._digest)  # each one digested when the document was prepared
    return len(doc.text) * PREPARED_BYTES_PER_CHARACTER + subschemas * PREPARED_BYTES_PER_SUBSCHEMA


class Verdicts:
    """A verdict on two contents never changes. Kept by the digests of what the check reads (not by the
    fingerprints: see `Contract.checked_digest`), and not by contract object: a candidate being registered
    is a new object each time, and keeping contracts alive here would hold their documents and validators
    past CompiledContracts' bound. The documents a check reads are kept apart (`PreparedDocuments`), as the
    contents themselves, within their own bound."""

    def __init__(self, *, max_entries: int = MAX_VERDICTS, prepared: PreparedDocuments | None = None) -> None:
        self._kept: Kept[PairKey, tuple[Incompatibility, ...]] = Kept(max_entries=max_entries)
        self.prepared = PreparedDocuments() if prepared is None else prepared

    def get(
        self,
        producer: Contract,
        consumer: Contract,
        policy: CompatibilityPolicy,
    ) -> tuple[Incompatibility, ...]:
        """The verdict on the pair, checked if not kept (on the contracts' kept prepared documents: the two
        checks of a semantic diff, or a schema's consecutive registrations, prepare each contract once)."""

        def checked() -> tuple[Incompatibility, ...]:
            p_doc = self.prepared.of(producer, as_producer=True, policy=policy)
            return tuple(check_prepared(p_doc, self.prepared.of(consumer, as_producer=False, policy=policy)))

        return self._kept.get(pair_key(producer, consumer, policy), checked)

    def __len__(self) -> int:
        return len(self._kept)


def pair_key(producer: Contract, consumer: Contract, policy: CompatibilityPolicy) -> PairKey:
    """What a verdict on the pair reads: both contents as checked (bundles resolved) and the policy."""
    return (_key(producer), _key(consumer), policy)


def _key(contract: Contract) -> ContentKey:
    return (contract.type.value, contract.checked_digest(), contract.event_root)


MAX_CACHED_DIFFS = 256
MAX_CACHED_DIFF_BYTES = 8 * 1024 * 1024
"""What the kept semantic diffs hold, estimated as the JSON of their values, witnesses and messages: a
change's `before`/`after` may be a whole subschema of the contract (a property added or replaced)."""


class SemanticDiffs:
    """A semantic diff of two contents under a policy never changes: the next request for the same pair (a
    person reloading the compare page, CI asking again) costs two version reads instead of the structural
    walk, two checks and the attribution. Kept by the digests of what the checks read, as Verdicts are,
    bounded by entries and by estimated bytes, evicting the least recently used."""

    def __init__(
        self, *, max_bytes: int = MAX_CACHED_DIFF_BYTES, max_entries: int = MAX_CACHED_DIFFS
    ) -> None:
        self._kept: Kept[PairKey, SemanticDiff] = Kept(
            max_entries=max_entries, max_bytes=max_bytes, size_of=estimated_size
        )

    def get(
        self, old: Contract, new: Contract, policy: CompatibilityPolicy, compute: Callable[[], SemanticDiff]
    ) -> SemanticDiff:
        """The diff from `old` to `new` under `policy`: kept, else `compute()`d."""
        return self._kept.get(pair_key(old, new, policy), compute)

    def __len__(self) -> int:
        return len(self._kept)

    @property
    def size(self) -> int:
        """Estimated bytes held."""
        return self._kept.size


def estimated_size(diff: SemanticDiff) -> int:
    """About what the diff holds: the JSON of each change's values, witnesses and findings, plus a fixed
    part per change for the objects around them."""
    held = [
        [
            entry.change.before,
            entry.change.after,
            entry.change.summary,
            entry.witness,
            [[item.message, item.witness] for items in entry.reasons.values() for item in items],
        ]
        for entry in diff.entries
    ]
    return len(json.dumps(held, default=repr)) + 512 * (1 + len(diff.entries))

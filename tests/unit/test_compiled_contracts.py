"""A replica keeps stored contracts compiled, by content, within a bound on their size."""

from __future__ import annotations

import gc
import itertools
import subprocess
import sys
import tracemalloc
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from registry.contracts import (
    LOADED_BYTES_PER_CHARACTER,
    CompiledContracts,
    PreparedDocuments,
    SemanticDiffs,
    Verdicts,
    _prepared,
    _prepared_size,
    estimated_size,
)
from registry.domain.compat import check
from registry.domain.compat.attribution import SemanticDiff, attribute
from registry.domain.compat.changes import Change
from registry.domain.formats import Contract, canonical_json, fingerprint_of, load_contract, parse_contract
from registry.domain.model import CompatibilityPolicy

TYPE = "JSONSchemaDraft4"


def content(title: str) -> tuple[str, str]:
    text = canonical_json({"title": title, "type": "object", "properties": {"a": {"type": "string"}}})
    return fingerprint_of(text), text


def test_the_same_content_gives_the_same_compiled_contract() -> None:
    cache = CompiledContracts()
    fingerprint, text = content("a")

    first = cache.get(TYPE, fingerprint, None, text)
    first.validate_event({"a": "x"})  # compiles its validator

    assert cache.get(TYPE, fingerprint, None, text) is first
    assert first.validate_event({"a": 1}) != []


def test_the_least_recently_used_contract_goes_first_when_the_bytes_run_out() -> None:
    (fa, a), (fb, b), (fc, c) = content("a"), content("b"), content("c")
    cache = CompiledContracts(max_bytes=len(a) + len(b))
    kept = cache.get(TYPE, fa, None, a)
    dropped = cache.get(TYPE, fb, None, b)
    cache.get(TYPE, fa, None, a)  # used again: b is now the least recent

    cache.get(TYPE, fc, None, c)

    assert len(cache) == 2
    assert cache.size == len(a) + len(c)
    assert cache.get(TYPE, fa, None, a) is kept
    assert cache.get(TYPE, fb, None, b) is not dropped  # loaded again


def test_the_number_of_contracts_is_bounded_too() -> None:
    cache = CompiledContracts(max_entries=3)
    for title in "abcdef":
        fingerprint, text = content(title)
        cache.get(TYPE, fingerprint, None, text)

    assert len(cache) == 3


def test_a_contract_larger_than_the_bound_is_still_kept_alone() -> None:
    fingerprint, text = content("large")
    cache = CompiledContracts(max_bytes=10)

    first = cache.get(TYPE, fingerprint, None, text)

    assert cache.get(TYPE, fingerprint, None, text) is first
    assert len(cache) == 1


# --- verdicts on pairs of contents ------------------------------------------------------------------------


def parsed(maximum: int) -> Contract:
    field = {"type": "string", "maxLength": maximum}
    return parse_contract(TYPE, {"type": "object", "properties": {"a": field}})


def test_a_verdict_is_kept_by_content_not_by_contract_object() -> None:
    verdicts = Verdicts()
    narrow, wide = parsed(5), parsed(9)

    assert verdicts.get(narrow, wide, CompatibilityPolicy.STRICT) == ()
    found = verdicts.get(wide, narrow, CompatibilityPolicy.STRICT)
    assert found  # the wider producer may emit what the narrower consumer refuses
    # other objects of the same contents (a candidate is parsed anew on every request): no new check
    assert verdicts.get(parsed(9), parsed(5), CompatibilityPolicy.STRICT) is found
    assert len(verdicts) == 2


def test_verdicts_hold_no_contract_and_the_oldest_goes_first() -> None:
    verdicts = Verdicts(max_entries=2)
    kept = parsed(1)
    held = weakref.ref(kept)
    for maximum in (2, 3, 4):
        verdicts.get(kept, parsed(maximum), CompatibilityPolicy.STRICT)

    assert len(verdicts) == 2
    del kept
    gc.collect()
    assert held() is None  # its documents and validators are not kept alive by the verdicts


# --- semantic diffs on pairs of contents ------------------------------------------------------------------


def semantic_diff(added: str) -> SemanticDiff:
    change = Change("added", f"enum value {added!r} added", "enum", None, "/enum/0", None, "", after=added)
    return attribute([change], [], [])


class Computed:
    """Counts the diffs a cache computes, answering each with `diff`."""

    def __init__(self, diff: SemanticDiff) -> None:
        self.diff, self.calls = diff, 0

    def __call__(self) -> SemanticDiff:
        self.calls += 1
        return self.diff


def test_a_semantic_diff_is_computed_once_per_pair_of_contents_and_policy() -> None:
    diffs = SemanticDiffs()
    compute = Computed(semantic_diff("x"))

    first = diffs.get(parsed(5), parsed(9), CompatibilityPolicy.STRICT, compute)
    again = diffs.get(parsed(5), parsed(9), CompatibilityPolicy.STRICT, compute)  # new objects, same contents
    assert again is first and compute.calls == 1
    diffs.get(parsed(5), parsed(9), CompatibilityPolicy.LENIENT, compute)
    diffs.get(parsed(9), parsed(5), CompatibilityPolicy.STRICT, compute)  # the other way round
    assert compute.calls == 3 and len(diffs) == 3


def test_semantic_diffs_are_bounded_by_entries_and_by_bytes() -> None:
    by_entries = SemanticDiffs(max_entries=2)
    for maximum in (1, 2, 3):
        by_entries.get(parsed(maximum), parsed(9), CompatibilityPolicy.STRICT, Computed(semantic_diff("x")))
    assert len(by_entries) == 2

    small, large = semantic_diff("x"), semantic_diff("x" * 10_000)
    by_bytes = SemanticDiffs(max_bytes=estimated_size(small) * 2)
    by_bytes.get(parsed(1), parsed(9), CompatibilityPolicy.STRICT, Computed(small))
    by_bytes.get(parsed(2), parsed(9), CompatibilityPolicy.STRICT, Computed(small))
    assert len(by_bytes) == 2 and by_bytes.size == estimated_size(small) * 2
    by_bytes.get(parsed(3), parsed(9), CompatibilityPolicy.STRICT, Computed(small))
    assert len(by_bytes) == 2  # the least recently used went
    compute = Computed(large)
    for _ in range(2):  # larger than the whole bound: answered, never kept
        assert by_bytes.get(parsed(4), parsed(9), CompatibilityPolicy.STRICT, compute) is large
    assert compute.calls == 2 and len(by_bytes) == 2
    assert estimated_size(large) > 10_000


# --- documents kept prepared for checks -----------------------------------------------------------------


def wide_contract(seed: int) -> Contract:
    """A realistic contract: 30 properties of the usual kinds, with descriptions."""
    kinds: list[dict[str, Any]] = [
        {"type": "string", "maxLength": 64},
        {"type": "integer", "minimum": 0},
        {"type": "string", "format": "date-time"},
        {"type": "string", "enum": ["NEW", "PAID", "SHIPPED"]},
        {"type": "array", "items": {"type": "string"}},
        {"type": "object", "properties": {"id": {"type": "string"}, "qty": {"type": "integer"}}},
    ]
    properties = {
        f"field_{i:02d}": {**kinds[i % len(kinds)], "description": f"field {i} of the event ({seed})"}
        for i in range(30)
    }
    return parse_contract(TYPE, {"type": "object", "properties": properties, "required": ["field_00"]})


def small_subschemas(seed: int) -> Contract:
    """Many subschemas of a few characters each: the most memory per character of text."""
    properties = {f"p{i}_{seed}": {"type": "string"} for i in range(60)}
    return parse_contract(TYPE, {"type": "object", "properties": properties})


def long_descriptions(seed: int) -> Contract:
    """Few subschemas and much text."""
    return parse_contract(TYPE, {"description": "x" * 20_000 + str(seed), "type": "object"})


@pytest.mark.parametrize("shape", [wide_contract, small_subschemas, long_descriptions])
@pytest.mark.parametrize("policy", list(CompatibilityPolicy))
def test_a_kept_document_holds_no_more_than_its_estimate(
    shape: Callable[[int], Contract], policy: CompatibilityPolicy
) -> None:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        contracts = [shape(seed) for seed in range(10)]
        kept = [_prepared(each, True, policy) for each in contracts]
        contracts.clear()  # what the kept documents share with their contracts (the text) stays counted
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    estimated = sum(_prepared_size(doc) for doc in kept)
    assert held <= estimated <= 2 * held


def test_prepared_documents_are_kept_by_content_and_reading() -> None:
    prepared = PreparedDocuments()
    narrow = parsed(5)

    first = prepared.of(narrow, as_producer=True, policy=CompatibilityPolicy.STRICT)
    # another object of the same content, the other role: STRICT reads both alike, one document is kept
    again = prepared.of(parsed(5), as_producer=False, policy=CompatibilityPolicy.STRICT)
    assert len(prepared) == 1
    assert again is not first and again.root is first.root  # a copy of its own for each check
    prepared.of(narrow, as_producer=True, policy=CompatibilityPolicy.LENIENT)
    prepared.of(narrow, as_producer=False, policy=CompatibilityPolicy.LENIENT)
    assert len(prepared) == 3  # LENIENT closes producers and opens consumers


def test_prepared_documents_are_bounded_by_entries_and_by_bytes() -> None:
    by_entries = PreparedDocuments(max_entries=2)
    for maximum in (1, 2, 3):
        by_entries.of(parsed(maximum), as_producer=True, policy=CompatibilityPolicy.STRICT)
    assert len(by_entries) == 2

    one = _prepared_size(_prepared(parsed(1), True, CompatibilityPolicy.STRICT))
    by_bytes = PreparedDocuments(max_bytes=one * 2)
    for maximum in (1, 2, 3):
        by_bytes.of(parsed(maximum), as_producer=True, policy=CompatibilityPolicy.STRICT)
    assert len(by_bytes) == 2 and by_bytes.size == one * 2


def test_verdicts_read_kept_documents_and_answer_as_a_check() -> None:
    verdicts = Verdicts()
    versions = [wide_contract(0), *(parsed(maximum) for maximum in (3, 5, 4))]
    for older, newer in itertools.pairwise(versions):
        for policy in CompatibilityPolicy:
            expected = tuple(check(older.event_schema(), newer.event_schema(), policy=policy))
            assert verdicts.get(older, newer, policy) == expected
    # each content once per reading: STRICT one, LENIENT two (the last is never a producer)
    assert len(verdicts.prepared) == 4 + 3 + 4 - 1


def test_a_contract_just_registered_is_kept_as_loading_its_content_gives_it() -> None:
    cache = CompiledContracts()
    registered = parsed(7)

    cache.keep(registered)

    fingerprint, canonical = registered.fingerprint, registered.canonical
    assert cache.get(TYPE, fingerprint, None, canonical) is registered  # not loaded again
    loaded = load_contract(TYPE, canonical, None)
    as_loaded = (loaded.content, loaded.fingerprint, loaded.event_root, loaded.checked_digest())
    assert as_loaded == (registered.content, fingerprint, None, registered.checked_digest())


_LOADED_MEMORY = """
import gc, os, sys
import tests.unit.test_compiled_contracts as shapes

def resident():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

shape = getattr(shapes, sys.argv[1])
shapes.wide_contract(-1).validate_event({"field_00": 1})  # what the first validation imports and sets up
gc.collect()
before, kept, characters = resident(), [], 0
for seed in range(300):
    contract = shape(seed)
    contract.validate_event({"field_00": "x"})
    kept.append(contract)
    characters += len(contract.canonical)
gc.collect()
print((resident() - before) / characters)
"""


def test_a_loaded_contract_takes_no_more_memory_than_the_cache_charges_for_it() -> None:
    """The compiled contracts' cache is bounded by canonical text, charged at LOADED_BYTES_PER_CHARACTER:
    what a contract validated against holds (documents, both validators, the Rust one outside Python's
    allocator, hence the process's resident memory, in a fresh process) must not be more."""
    measured = {}
    for shape in ("wide_contract", "small_subschemas", "long_descriptions"):
        ran = subprocess.run(
            [sys.executable, "-c", _LOADED_MEMORY, shape],
            cwd=Path(__file__).parents[2],  # the repository, where `tests` imports from
            capture_output=True,
            text=True,
            check=True,
        )
        measured[shape] = float(ran.stdout)
    assert max(measured.values()) <= LOADED_BYTES_PER_CHARACTER, measured
    assert max(measured.values()) >= LOADED_BYTES_PER_CHARACTER / 2, f"a bound far too loose: {measured}"

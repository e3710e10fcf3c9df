"""A replica keeps stored contracts compiled, by content, within a bound on their size."""

from __future__ import annotations

import gc
import weakref

from registry.contracts import CompiledContracts, SemanticDiffs, Verdicts, estimated_size
from registry.domain.compat.attribution import SemanticDiff, attribute
from registry.domain.compat.changes import Change
from registry.domain.formats import Contract, canonical_json, fingerprint_of, parse_contract
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

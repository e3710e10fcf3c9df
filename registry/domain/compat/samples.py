"""Candidate instances of a schema, for witnesses: small, deterministic, and only candidates (each witness is
verified with jsonschema before it is reported, so a wrong guess here costs a proof, never soundness)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

from registry.domain.compat import numbers, strings
from registry.domain.compat.document import Node
from registry.domain.compat.normalise import (
    Conj,
    TooComplex,
    canonical,
    conj_kinds,
    expand_all,
    finite_values,
    kind_of,
)
from registry.domain.compat.structure import (
    count,
    declared,
    item_node,
    min_items,
    properties_of,
    required,
)

MAX_DEPTH = 8
KIND_ORDER = ("object", "array", "string", "int", "frac", "boolean", "null")
ODD_VALUES: tuple[Any, ...] = (None, True, 0, 0.5, -1, "", "x", [], {}, [None], {"x": None})


def samples(nodes: list[Node], depth: int = 0, kinds: frozenset[str] | None = None) -> list[Any]:
    if depth > MAX_DEPTH:
        return []
    if not nodes:
        return _samples(nodes, depth, kinds)
    memo = nodes[0].doc.memo
    key = ("samples", tuple((n.path, id(n.schema), id(n.doc)) for n in nodes), depth, kinds)
    if key not in memo:
        memo[key] = (list(nodes), _samples(nodes, depth, kinds))
    return list(memo[key][1])


def _samples(nodes: list[Node], depth: int, kinds: frozenset[str] | None) -> list[Any]:
    try:
        conjs = expand_all(nodes)
    except TooComplex:
        return _apart(nodes, depth, kinds)
    found: list[Any] = []
    # alternatives only near the top: below, one each keeps the work linear in the size of the schema
    for conj in conjs[: 6 if depth < 2 else 1]:
        found.extend(conj_samples(conj, depth, kinds))
    return unique(found)[:8]


def _apart(nodes: list[Node], depth: int, kinds: frozenset[str] | None) -> list[Any]:
    """Samples of schemas too large to expand together (hundreds of alternatives): of each alone, or of a
    union's first alternatives, those that fit them all (jsonschema says) first."""
    found: list[Any] = []
    for node in nodes:
        keywords = node.keywords()
        union = next((k for k in ("anyOf", "oneOf") if isinstance(keywords.get(k), list)), None)
        if len(nodes) > 1 and union is None:
            found.extend(samples([node], depth, kinds))
        elif union is not None:
            for i in range(min(len(keywords[union]), 3)):
                found.extend(samples([node.child(union, i)], depth, kinds))
    found = unique(found)
    return ([v for v in found if _fits(nodes, v)] or found)[:8]


def conj_samples(conj: Conj, depth: int, kinds: frozenset[str] | None = None) -> list[Any]:
    allowed = conj_kinds(conj) if kinds is None else conj_kinds(conj) & kinds
    for part in conj.parts:
        for values in finite_values(part):
            return [v for v in values if kind_of(v) in allowed or kinds is None]
    found: list[Any] = []
    for kind in KIND_ORDER:
        if kind in allowed:
            found.extend(_of_kind(conj, kind, depth))
    if conj.nots and "object" in allowed:
        return _escaping(conj, found, depth)
    return found


ESCAPE_NAMES = 8


def _escaping(conj: Conj, found: list[Any], depth: int) -> list[Any]:
    """The samples with those the conjunction's negated schemas reject first (a `oneOf` branch's sample that
    another branch also holds is no value of the union), objects varied by one more property they declare
    (a member another branch, closed, does not allow)."""

    def escapes(value: Any) -> bool:
        return all(n.doc.is_valid(n.schema, value) is False for n in conj.nots)

    if all(escapes(v) for v in found):
        return found
    parts = list(conj.parts)
    nodes_of = properties_of(parts)
    names = sorted(set().union(*(declared(p) for p in parts)))
    more = []
    for base in [v for v in found if isinstance(v, dict)][:2]:
        for name in [n for n in names if n not in base][:ESCAPE_NAMES]:
            nodes = nodes_of(name)
            more.append({**base, name: pick(nodes, samples(nodes, depth + 1))})
    return sorted(unique(found + more), key=lambda v: not escapes(v))


def _of_kind(conj: Conj, kind: str, depth: int) -> list[Any]:
    parts = list(conj.parts)
    if kind == "null":
        return [None]
    if kind == "boolean":
        return [True, False]
    if kind in ("int", "frac"):
        return _numbers(numbers.range_of(parts, kind == "int"), kind == "int")
    if kind == "string":
        return strings.samples(strings.text_of(parts))
    if kind == "array":
        return [_array(parts, depth)]
    return objects(parts, depth)


def _numbers(r: numbers.Range, integer: bool) -> list[Any]:
    low = r.low[0] if r.low is not None else None
    high = r.high[0] if r.high is not None else None
    start = low if low is not None else (min(high, Fraction(0)) if high is not None else Fraction(0))
    if r.low is not None and r.low[1]:
        start += 1 if integer or high is None else (high - start) / 2
    step = r.multiples[0] if r.multiples else Fraction(1)
    first = math.ceil(start / step) * step
    found = [first, first + step, Fraction(0)]
    if not integer:
        found = [v + (0 if r.multiples else step / 2) for v in found] + [start]
    return [int(v) if integer else float(v) for v in found]


def _array(parts: list[Node], depth: int) -> list[Any]:
    return array_of(parts, min_items(parts), depth)


def array_of(parts: list[Node], length: int, depth: int = 0, distinct: bool = False) -> list[Any]:
    """An array of `length` items, each a sample of the schemas for its position."""
    distinct = distinct or any(p.get("uniqueItems") is True for p in parts)
    # per position schemas: their samples, and those valid there (validated once, not once per position)
    cache: dict[tuple[str, ...], tuple[list[Any], list[Any]]] = {}
    made: dict[tuple[str, ...], Callable[[int], Any]] = {}
    result: list[Any] = []
    taken: set[str] = set()  # the items so far, when they must be distinct
    for index in range(min(length, 1000)):
        nodes = [n for p in parts if (n := item_node(p, index)) is not None]
        key = tuple(n.path for n in nodes)
        if key not in cache:
            sampled = samples(nodes, depth + 1)
            cache[key] = (sampled, [v for v in sampled if _fits(nodes, v)])
        sampled, fitting = cache[key]
        chosen = [v for v in fitting if not distinct or canonical(v) not in taken][:1]
        if not chosen and key in made:  # a value made for this position's schemas fitted before: its like
            chosen = [v for v in [made[key](index)] if canonical(v) not in taken]
        if not chosen:  # as `pick` over the samples and this position's own values
            values = [*sampled, index, f"item{index}", None]
            fresh = [v for v in values if canonical(v) not in taken] if distinct else values
            chosen = [pick(nodes, fresh or values)]
            if distinct and chosen[0] in (index, f"item{index}") and _fits(nodes, chosen[0]):
                # (hundreds of distinct items, each validated, cost a fifth of a question: the next ones
                # are made alike without asking, candidates that the witness check still verifies)
                made[key] = (lambda i: i) if chosen[0] == index else (lambda i: f"item{i}")
        result.append(chosen[0])
        if distinct:
            taken.add(canonical(chosen[0]))
    return result


def _fits(nodes: list[Node], value: Any) -> bool:
    return all(n.doc.is_valid(n.schema, value) is not False for n in nodes)


def pick(nodes: list[Node], values: list[Any]) -> Any:
    """The first of `values` valid under every node (jsonschema decides), else the first."""
    for value in values:
        if _fits(nodes, value):
            return value
    return values[0] if values else None


LOCAL_CHECKS = 24


def proving(
    p_nodes: list[Node], c_nodes: list[Node], values: list[Any], checks: int = LOCAL_CHECKS
) -> int | None:
    """The index of the first of `values` that is already a counterexample here (valid for the producer's
    schemas of the place, invalid for the consumer's), or None: candidates gathered from several findings
    come in their own order, and only the first few become whole witnesses. The checks run within the
    comparison's time bound: a few values, and none past the first that proves."""
    for index, value in enumerate(values[:checks]):
        if any(n.doc.is_valid(n.schema, value) is False for n in c_nodes) and all(
            n.doc.is_valid(n.schema, value) is True for n in p_nodes
        ):
            return index
    return None


def objects(parts: list[Node], depth: int, extra: int = 0, include: str | None = None) -> list[Any]:
    """Small objects: the required properties, then enough optional ones for minProperties (and `extra`);
    `include` is among them first (a caller puts a value of its own there: it must count towards the
    bounds, not come beside them)."""
    names = sorted(set().union(*(required(p) for p in parts)))
    if include is not None and include not in names:
        names.append(include)
    wanted = max([count(p.get("minProperties")) or 0 for p in parts] + [len(names)]) + extra
    optional = sorted(set().union(*(declared(p) for p in parts)) - set(names))
    names += optional[: max(wanted - len(names), 0)]
    names += [f"extra{i}" for i in range(max(wanted - len(names), 0))]
    result = {}
    nodes_of = properties_of(parts)
    for name in names:
        nodes = nodes_of(name)
        result[name] = pick(nodes, samples(nodes, depth + 1))
    return [result]


def unique(values: list[Any]) -> list[Any]:
    seen: set[str] = set()
    kept = []
    for value in values:
        key = canonical(value)
        if key not in seen:
            seen.add(key)
            kept.append(value)
    return kept


# candidates of a finding moved out of the producer's negations, and the variations tried for each
OUTSIDE_CANDIDATES = 3
OUTSIDE_VARIATIONS = 8


def outside(parts: tuple[Node, ...], nots: tuple[Node, ...], values: tuple[Any, ...]) -> tuple[Any, ...]:
    """`values` (candidates of a producer conjunction's place) with the first few objects that one of `nots`
    (a `oneOf`'s other branches, say) holds replaced by a variation none holds and `parts` still allow: an
    optional property of the parts added. A `oneOf` of closed objects whose members are all optional holds
    `{"if": ...}` in several branches, so the producer never sends it; with its own branch's member it does
    (a guess: each witness is verified anyway)."""
    if not nots or not parts or len(nots) > OUTSIDE_VARIATIONS:
        return values  # (dozens of siblings: as many validations of each candidate)
    changed = list(values)
    for index, value in enumerate(values[:OUTSIDE_CANDIDATES]):
        if isinstance(value, dict) and not _beside(nots, value):
            changed[index] = next(
                (v for v in _with_one_more(parts, value) if _beside(nots, v) and _fits(list(parts), v)), value
            )
            break  # (one such candidate is enough: each costs validations of whole objects)
    return tuple(changed)


def _beside(nots: tuple[Node, ...], value: Any) -> bool:
    """No negated schema surely holds `value`."""
    return all(n.doc.is_valid(n.schema, value) is not True for n in nots)


def _with_one_more(parts: tuple[Node, ...], value: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """(lazily: each variation samples a member, and the first that does is enough)"""
    names = sorted(set().union(*(declared(p) for p in parts)) - set(value))[:OUTSIDE_VARIATIONS]
    nodes_of = properties_of(list(parts))
    for name in names:
        yield {**value, name: pick(nodes_of(name), samples(nodes_of(name), 1))}

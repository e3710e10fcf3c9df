"""Sufficient conditions for two schemas to share no instance: what a consumer's `not` (and a `oneOf`'s
other branches) needs. False means "not shown disjoint", never "overlapping"."""

from __future__ import annotations

from typing import Any

from registry.domain.compat import numbers, strings
from registry.domain.compat.document import Node
from registry.domain.compat.normalise import Conj, TooComplex, conj_kinds, expand, finite_values, kind_of
from registry.domain.compat.regex_inclusion import NOTHING, inclusion
from registry.domain.compat.structure import (
    closes_others,
    count,
    declared,
    item_node,
    max_items,
    min_items,
    property_nodes,
    required,
)

FINITE_KINDS = {"null": (None,), "boolean": (True, False)}


class Disjointness:
    def conj_node(self, pc: Conj, node: Node, kinds: frozenset[str], depth: int = 0) -> bool:
        """True when no value of `pc` whose kind is in `kinds` is an instance of `node`."""
        if depth > 4:
            return False
        try:
            xconjs = expand(node)
        except TooComplex:
            return False
        return all(self.conjs(pc, xc, kinds, depth) for xc in xconjs)

    def conjs(self, pc: Conj, xc: Conj, kinds: frozenset[str], depth: int) -> bool:
        shared = conj_kinds(pc) & conj_kinds(xc) & kinds
        if not shared:
            return True
        if xc.undecided or pc.undecided:
            return False
        for side, other in ((pc, xc), (xc, pc)):
            listed = _listed(side)
            if listed is not None:
                return all(
                    kind_of(v) not in shared or not _admits(other, v) or not _admits(side, v) for v in listed
                )
        return all(self._kind(pc, xc, kind, depth) for kind in shared)

    def _kind(self, pc: Conj, xc: Conj, kind: str, depth: int) -> bool:
        if kind in FINITE_KINDS:
            return all(not _admits(pc, v) or not _admits(xc, v) for v in FINITE_KINDS[kind])
        if kind in ("int", "frac"):
            a = numbers.range_of(list(pc.parts), kind == "int")
            b = numbers.range_of(list(xc.parts), kind == "int")
            return numbers.is_empty(numbers.Range(_max(a.low, b.low), _min(a.high, b.high)))
        if kind == "string":
            s, t = strings.text_of(list(pc.parts)), strings.text_of(list(xc.parts))
            return _apart(s.min_length, s.max_length, t.min_length, t.max_length) or patterns_apart(s, t)
        if kind == "array":
            return self._arrays(pc, xc, depth)
        return self._objects(pc, xc, depth)

    def _arrays(self, pc: Conj, xc: Conj, depth: int) -> bool:
        a, b = list(pc.parts), list(xc.parts)
        if _apart(min_items(a), max_items(a), min_items(b), max_items(b)):
            return True
        # both need an item at index 0 whose schemas cannot meet
        if min(min_items(a), min_items(b)) >= 1:
            return self._nodes(
                [n for p in a if (n := item_node(p, 0))], [n for x in b if (n := item_node(x, 0))], depth
            )
        return False

    def _objects(self, pc: Conj, xc: Conj, depth: int) -> bool:
        need_p = set().union(*(required(p) for p in pc.parts))
        need_x = set().union(*(required(x) for x in xc.parts))
        if _names_refused(pc, xc, need_x) or _names_refused(xc, pc, need_p):
            return True
        for name in sorted(need_p | need_x):
            p_nodes = [n for p in pc.parts for n in property_nodes(p, name)]
            x_nodes = [n for x in xc.parts for n in property_nodes(x, name)]
            if name in need_p and any(n.schema is False for n in x_nodes):
                return True
            if name in need_x and any(n.schema is False for n in p_nodes):
                return True
            # one side always has the property, the other constrains its value: values that cannot meet
            if (name in need_p or name in need_x) and self._nodes(p_nodes, x_nodes, depth):
                return True
        return False

    def _nodes(self, a: list[Node], b: list[Node], depth: int) -> bool:
        if not a or not b:
            return False
        try:
            from registry.domain.compat.normalise import KINDS, expand_all

            left, right = expand_all(a), expand_all(b)
        except TooComplex:
            return False
        return all(
            self.conjs(a_conj, b_conj, frozenset(KINDS), depth + 1) for a_conj in left for b_conj in right
        )


def _names_refused(side: Conj, other: Conj, needed: set[str]) -> bool:
    """`side`'s propertyNames refuse a name every object of `other` has: one it requires, or (when it is
    closed and never empty) every name it may have."""
    closed = [set(declared(x)) for x in other.parts if closes_others(x)]
    never_empty = bool(needed) or any((count(x.get("minProperties")) or 0) > 0 for x in other.parts)
    for part in side.parts:
        if not part.has("propertyNames"):
            continue
        names = part.child("propertyNames")
        if any(names.doc.is_valid(names.schema, name) is False for name in sorted(needed)):
            return True
        if never_empty and any(
            all(names.doc.is_valid(names.schema, name) is False for name in sorted(allowed))
            for allowed in closed
        ):
            return True
    return False


def patterns_apart(s: strings.Text, t: strings.Text) -> bool:
    """No string of both lengths holds a match of every pattern of both: the strings they hold together
    are all in the empty language (regular-expression inclusion, `regex_inclusion`; a pattern it cannot
    model is left out, which only makes that set larger)."""
    if not s.patterns or not t.patterns:
        return False
    low = max(s.min_length, t.min_length)
    high = _lower(s.max_length, t.max_length)
    return inclusion(tuple(s.patterns + t.patterns), low, high, NOTHING).contained is True


def _lower(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _listed(conj: Conj) -> list[Any] | None:
    for part in conj.parts:
        lists = finite_values(part)
        if lists:
            return list(lists[0])
    return None


def _admits(conj: Conj, value: Any) -> bool:
    """False only when some part surely rejects `value` (a part's whole schema holds for its conjunction)."""
    return all(part.doc.is_valid(part.schema, value) is not False for part in conj.parts)


def _apart(low_a: int, high_a: int | None, low_b: int, high_b: int | None) -> bool:
    return (high_a is not None and high_a < low_b) or (high_b is not None and high_b < low_a)


def _max(a: numbers.Bound | None, b: numbers.Bound | None) -> numbers.Bound | None:
    if a is None or b is None:
        return a or b
    return max(a, b) if a[0] != b[0] else (a[0], a[1] or b[1])


def _min(a: numbers.Bound | None, b: numbers.Bound | None) -> numbers.Bound | None:
    if a is None or b is None:
        return a or b
    return min(a, b) if a[0] != b[0] else (a[0], a[1] or b[1])

"""Containment of array constraints: items (schema, tuple, prefixItems), additionalItems, min/maxItems,
uniqueItems. Items are compared position by position up to the longest tuple; the last position stands for
every later one (the same schemas apply to all of them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from registry.domain.compat.document import Node
from registry.domain.compat.normalise import Conj
from registry.domain.compat.report import Finding, finding
from registry.domain.compat.samples import array_of, pick, samples
from registry.domain.compat.structure import item_node, max_items, min_items, tuple_length

Contained = Callable[[list[Node], list[Node], str], list[Finding]]


def narrowing(contained: Contained, pc: Conj, part: Node) -> list[Finding]:
    parts = list(pc.parts)
    low, high = min_items(parts), max_items(parts)
    if high is not None and low > high:
        return []  # the producer has no array here
    where = pc.parts[-1].path if pc.parts else ""
    found = _items(contained, parts, part, high)
    c_low, c_high = min_items([part]), max_items([part])
    if c_low > low:
        shorter = [_array(parts, n) for n in range(max(low, c_low - 2), c_low)]
        found.append(
            finding("min_items_raised", where, part.path, f"the consumer needs {c_low} items", shorter)
        )
    if c_high is not None and (high is None or high > c_high):
        message = f"the consumer allows at most {c_high} items"
        longer = [_array(parts, c_high + 1, distinct=True), _array(parts, c_high + 1)]
        found.append(finding("max_items_lowered", where, part.path, message, longer))
    if part.get("uniqueItems") is True and not _unique(parts) and (high is None or high > 1):
        found.append(
            finding(
                "unique_items_added",
                where,
                part.path,
                "the consumer requires distinct items",
                _repeated(parts, low),
            )
        )
    return found


def _items(contained: Contained, parts: list[Node], part: Node, high: int | None) -> list[Finding]:
    positions = max([tuple_length(p) for p in parts] + [tuple_length(part)])
    found: list[Finding] = []
    for index in range(positions + 1):
        if high is not None and index >= high:
            break
        p_nodes = [n for p in parts if (n := item_node(p, index)) is not None]
        if any(n.schema is False for n in p_nodes):
            break  # producer arrays end before this position
        c_node = item_node(part, index)
        if c_node is None:
            continue
        if c_node.schema is False:
            message = f"the consumer allows no item at position {index}"
            found.append(
                finding(
                    "max_items_lowered",
                    parts[-1].path if parts else "",
                    c_node.path,
                    message,
                    [_array(parts, index + 1)],
                )
            )
            continue
        subs = contained(p_nodes, [c_node], f"{parts[-1].path if parts else ''}/items")
        found.extend(sub.wrapped(_placer(parts, index)) for sub in subs)
    return found


def _placer(parts: list[Node], index: int) -> Callable[[Any], list[Any]]:
    return lambda value: _placed(parts, index, value)


def _placed(parts: list[Node], index: int, value: Any) -> list[Any]:
    """Arrays of the producer with `value` at `index` (and, for the shared tail, at every later place); when
    the producer's arrays must contain some item (`contains`), first one with such an item after `value`."""
    base = _array(parts, max(index + 1, min_items(parts)))
    single = [*base[:index], value, *base[index + 1 :]]
    placed = [single, [*base[:index], value]]
    held = _contained_item(parts, index + 1)
    return [[*base[:index], value, *held], *placed] if held else placed


def _contained_item(parts: list[Node], index: int) -> list[Any]:
    """An item for position `index` that the producer's `contains` schemas hold (as one list), or []."""
    wanted = [p.child("contains") for p in parts if p.has("contains")]
    if not wanted:
        return []
    nodes = [n for p in parts if (n := item_node(p, index)) is not None] + wanted
    return [pick(nodes, samples(nodes, 1))]


def _array(parts: list[Node], length: int, distinct: bool = False) -> list[Any]:
    return array_of(parts, length, distinct=distinct)


def _repeated(parts: list[Node], low: int) -> list[Any]:
    item = _array(parts, 1)
    return [item * max(2, low), item * 2]


def _unique(parts: list[Node]) -> bool:
    return any(p.get("uniqueItems") is True for p in parts)

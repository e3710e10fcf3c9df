"""Which subschemas apply to an array position or an object property, per draft (shared by checks and
samples)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from registry.domain.compat.document import Node
from registry.domain.compat.normalise import TooComplex
from registry.domain.formats.regexes import UnsafePattern, search


def item_node(part: Node, index: int) -> Node | None:
    """The schema part imposes on the item at `index` (None: no constraint)."""
    keywords = part.keywords()
    prefix, items = keywords.get("prefixItems"), keywords.get("items")
    if isinstance(prefix, list):  # 2020-12: `items` is then the schema of the rest
        if index < len(prefix):
            return part.child("prefixItems", index)
        return part.child("items") if "items" in keywords else None
    if isinstance(items, list):
        if index < len(items):
            return part.child("items", index)
        return part.child("additionalItems") if "additionalItems" in keywords else None
    return part.child("items") if "items" in keywords else None


def tuple_length(part: Node) -> int:
    keywords = part.keywords()
    for keyword in ("prefixItems", "items"):
        if isinstance(keywords.get(keyword), list):
            return len(keywords[keyword])
    return 0


def count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or value != int(value):
        return None
    return int(value)


def min_items(parts: list[Node]) -> int:
    return max([count(p.get("minItems")) or 0 for p in parts], default=0)


def max_items(parts: list[Node]) -> int | None:
    limits = [n for p in parts if (n := count(p.get("maxItems"))) is not None]
    for part in parts:
        # the first position whose schema is `false` ends every array (a closed tuple, or `false` inside it)
        for index in range(tuple_length(part) + 1):
            node = item_node(part, index)
            if node is not None and node.schema is False:
                limits.append(index)
                break
    return min(limits, default=None)


def property_nodes(part: Node, name: str) -> list[Node]:
    """The schemas part imposes on the value of property `name` ([]: none)."""
    keywords = part.keywords()
    found = []
    properties = keywords.get("properties")
    if isinstance(properties, dict) and name in properties:
        found.append(part.child("properties", name))
    patterns = keywords.get("patternProperties")
    for pattern in patterns if isinstance(patterns, dict) else {}:
        if matches(pattern, name):
            found.append(part.child("patternProperties", pattern))
    if not found and "additionalProperties" in keywords:
        found.append(part.child("additionalProperties"))
    return found


def properties_of(parts: list[Node]) -> Callable[[str], list[Node]]:
    """`property_nodes` over all of `parts`, for many names: the declared properties are indexed once, so a
    conjunction of many parts (a large allOf hierarchy) costs its size, not its size times its names."""
    declared_at: dict[str, list[Node]] = {}
    open_parts: list[Node] = []
    for part in parts:
        keywords = part.keywords()
        rest = keywords.get("additionalProperties", True)
        if "patternProperties" in keywords or not (rest is True or rest == {}):
            open_parts.append(part)  # (an additionalProperties that holds anything constrains nothing)
            continue
        properties = keywords.get("properties")
        for name in properties if isinstance(properties, dict) else ():
            declared_at.setdefault(name, []).append(part)

    def nodes(name: str) -> list[Node]:
        found = [p.child("properties", name) for p in declared_at.get(name, ())]
        return found + [n for p in open_parts for n in property_nodes(p, name)]

    return nodes


def matches(pattern: str, name: str) -> bool:
    """Whether the ECMA-262 `pattern` matches in `name`, as validation says."""
    try:
        return search(pattern, name)
    except UnsafePattern as exc:  # not a pattern, or not evaluated in time: no sound answer either way
        raise TooComplex from exc


def declared(part: Node) -> set[str]:
    properties = part.get("properties")
    return set(properties) if isinstance(properties, dict) else set()


def required(part: Node) -> set[str]:
    names = part.get("required")
    return {n for n in names if isinstance(n, str)} if isinstance(names, list) else set()


def pattern_map(part: Node) -> dict[str, Any]:
    patterns = part.get("patternProperties")
    return patterns if isinstance(patterns, dict) else {}


def closes_others(part: Node) -> bool:
    """True when part allows no property beyond those it declares."""
    return part.get("additionalProperties") is False and not pattern_map(part)


@dataclass(frozen=True)
class Evaluated:
    """The property names an `unevaluatedProperties` counts as evaluated: those of `names`, those matching one
    of `patterns`, or every name (`everything`)."""

    names: frozenset[str]
    patterns: tuple[str, ...]
    everything: bool


# in-place keywords whose subschemas count their names only for some instances (a branch that holds, the
# condition's outcome, a trigger present): fine when they count none
_CONDITIONAL = ("anyOf", "oneOf", "if", "then", "else")


def evaluated(part: Node) -> Evaluated | None:
    """What 2020-12's `unevaluatedProperties` of `part` counts as evaluated in every instance the rest of
    `part` accepts, when that does not depend on the instance; None otherwise (another draft, whose validator
    reads it otherwise; a name counted only by an `anyOf`/`oneOf` branch, a condition, a dependent schema or
    a dynamic reference; a reference the checker cannot follow).

    As jsonschema collects them: `properties` names, `patternProperties` patterns, every name once an
    `additionalProperties` other than `false` (or, below the top, an `unevaluatedProperties` other than
    `false`) holds, through `$ref` and `allOf` (every branch holds in such an instance)."""
    if "$dynamicRef" not in part.doc.keywords or not isinstance(part.schema, dict):
        return None
    key = ("evaluated", id(part.schema), part.path)
    known = part.doc.memo.get(key)
    if known is None or known[0] is not part.schema:
        known = (part.schema, _evaluated(part, True, set()))
        part.doc.memo[key] = known
    return known[1]


def _evaluated(node: Node, top: bool, seen: set[tuple[str, int]]) -> Evaluated | None:
    mark = (node.path, id(node.schema))
    if mark in seen or not isinstance(node.schema, dict):
        return Evaluated(frozenset(), (), False)  # met already (a cycle adds nothing), or a boolean schema
    seen.add(mark)
    keywords = node.keywords()
    if "$dynamicRef" in keywords:
        return None
    names = set(declared(node))
    patterns = list(pattern_map(node))
    everything = ("additionalProperties" in keywords and keywords["additionalProperties"] is not False) or (
        not top and "unevaluatedProperties" in keywords and keywords["unevaluatedProperties"] is not False
    )
    inner: list[Evaluated | None] = []
    if isinstance(keywords.get("$ref"), str):
        found = node.doc.resolve(keywords["$ref"], node.path)
        if found is None:
            return None
        inner.append(_evaluated(Node(found[0], found[1], node.doc), False, seen))
    branches = keywords.get("allOf")
    for index in range(len(branches) if isinstance(branches, list) else 0):
        inner.append(_evaluated(node.child("allOf", index), False, seen))
    conditional: list[Node] = []
    for keyword in _CONDITIONAL:
        value = keywords.get(keyword)
        if isinstance(value, list):
            conditional += [node.child(keyword, i) for i in range(len(value))]
        elif keyword in keywords:
            conditional.append(node.child(keyword))
    dependents = keywords.get("dependentSchemas")
    if isinstance(dependents, dict):
        conditional += [node.child("dependentSchemas", trigger) for trigger in dependents]
    for sub in conditional:
        counted = _evaluated(sub, False, seen)
        if counted is None or counted.names or counted.patterns or counted.everything:
            return None
    for each in inner:
        if each is None:
            return None
        names |= each.names
        patterns += [p for p in each.patterns if p not in patterns]
        everything = everything or each.everything
    return Evaluated(frozenset(names), tuple(patterns), everything)

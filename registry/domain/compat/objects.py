"""Containment of object constraints: properties, patternProperties, additionalProperties, required,
dependencies / dependentRequired, min/maxProperties.

Every property name either side mentions is compared through the schemas that apply to it on each side; all
other names through the open parts (additionalProperties, patternProperties) of both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from registry.domain.compat.document import Node, same_json
from registry.domain.compat.normalise import Conj, is_trivially_true
from registry.domain.compat.regex_samples import finite_language, matches_everywhere, pattern_samples
from registry.domain.compat.report import Finding, finding
from registry.domain.compat.samples import ODD_VALUES, objects, proving, samples, unique
from registry.domain.compat.structure import (
    closes_others,
    count,
    declared,
    evaluated,
    matches,
    pattern_map,
    properties_of,
    property_nodes,
    required,
)
from registry.domain.formats.pointers import escape

Contained = Callable[[list[Node], list[Node], str], list[Finding]]


def narrowing(contained: Contained, pc: Conj, part: Node) -> list[Finding]:
    # a producer's `unevaluatedProperties` counts too, where it amounts to an `additionalProperties`
    parts = list(pc.parts) + [rest for p in pc.parts if (rest := _unevaluated_rest(p)) is not None]
    names = set().union(
        *(declared(p) for p in parts), declared(part), required(part), _dependency_names(part)
    )
    found: list[Finding] = []
    producer_nodes = properties_of(parts)
    for name in sorted(names):
        found.extend(_property(contained, parts, part, name, producer_nodes(name)))
    found.extend(_others(contained, parts, part, names))
    found.extend(_required(parts, part))
    found.extend(_counts(parts, part))
    found.extend(_dependencies(parts, part))
    found.extend(_unevaluated(contained, pc, part))
    return _renamed(found, [p.path for p in pc.parts if _unevaluated_rest(p) is not None], "producer_path")


def _unevaluated(contained: Contained, pc: Conj, part: Node) -> list[Finding]:
    """A consumer's `unevaluatedProperties` whose evaluated names do not depend on the instance: in an
    instance the rest of `part` accepts, it is an `additionalProperties` beside those names and patterns,
    compared so (the reports point at the `unevaluatedProperties`)."""
    rest = _unevaluated_rest(part)
    if rest is None:
        return []
    return _renamed(narrowing(contained, pc, rest), [part.path], "consumer_path")


def _renamed(found: list[Finding], places: list[str], side: str) -> list[Finding]:
    """The findings with the pointers into a made-up `additionalProperties` of an `unevaluatedProperties` at
    `places` (`_unevaluated_rest`; no real schema there has one: its names would all count as evaluated)
    pointing at the `unevaluatedProperties`."""
    for place in places:
        made_up, real = f"{place}/additionalProperties", f"{place}/unevaluatedProperties"
        found = [
            replace(f, **{side: real + getattr(f, side)[len(made_up) :]})
            if getattr(f, side) == made_up or getattr(f, side).startswith(made_up + "/")
            else f
            for f in found
        ]
    return found


def _unevaluated_rest(part: Node) -> Node | None:
    """The `additionalProperties` beside the names and patterns it counts as evaluated that `part`'s
    `unevaluatedProperties` amounts to, when that does not depend on the instance (`structure.evaluated`);
    None when there is none or it does depend (then: `unsupported.py`)."""
    if not part.has("unevaluatedProperties"):
        return None
    counted = evaluated(part)
    if counted is None or counted.everything:
        return None
    key = ("unevaluated", id(part.schema), part.path)
    known = part.doc.memo.get(key)
    if known is None or known[0] is not part.schema:
        rest = {
            "properties": {name: {} for name in sorted(counted.names)},
            "patternProperties": {pattern: {} for pattern in counted.patterns},
            "additionalProperties": part.schema["unevaluatedProperties"],
        }
        known = (part.schema, Node(rest, part.path, part.doc))
        part.doc.memo[key] = known
    return known[1]  # type: ignore[no-any-return]


def _where(parts: list[Node]) -> str:
    return parts[-1].path if parts else ""


def _property(
    contained: Contained, parts: list[Node], part: Node, name: str, p_nodes: list[Node]
) -> list[Finding]:
    c_nodes = property_nodes(part, name)
    if any(n.schema is False for n in p_nodes) or not c_nodes:
        return []  # the producer never has this property, or the consumer does not constrain it
    subs = contained(p_nodes, c_nodes, f"{_where(parts)}/properties/{name}")
    if not subs:
        return []
    in_producer = any(name in declared(p) for p in parts)
    embed = _embedder(parts, name)
    if any(n.schema is False for n in c_nodes):
        rule = "property_removed_from_closed_model" if in_producer else "additional_properties_narrowed"
        message = f"the consumer does not allow the property {name!r}"
    elif not in_producer and name in declared(part):
        rule, message = (
            "property_added_to_open_model",
            f"the producer may already send {name!r} with other values, as its object is open: to allow "
            "this change, close the producer's object (`additionalProperties: false`) or use the LENIENT "
            "compatibility policy",
        )
    else:
        return [s.wrapped(embed) for s in subs]
    values = [v for s in subs for v in s.candidates] + samples(p_nodes) + list(ODD_VALUES)
    return [finding(rule, _where(parts), c_nodes[0].path, message, values).wrapped(embed)]


def _embedder(parts: list[Node], name: str) -> Callable[[Any], list[Any]]:
    bases: list[dict[str, Any]] = []

    def embed(value: Any) -> list[Any]:
        bases[:] = bases or _bases(parts, name)  # built once, on the first candidate
        return [{**base, name: value} for base in bases]

    return embed


def _bases(parts: list[Node], include: str | None = None) -> list[dict[str, Any]]:
    return [o for o in objects(parts, 0, include=include) if isinstance(o, dict)] or [{}]


def _others(contained: Contained, parts: list[Node], part: Node, names: set[str]) -> list[Finding]:
    """Names neither side declares: the producer's open part against the consumer's."""
    c_patterns, c_rest = pattern_map(part), part.get("additionalProperties")
    if not c_patterns and (c_rest is None or c_rest is True or c_rest == {}):
        return []
    if any(closes_others(p) for p in parts):
        return []
    tried: list[tuple[Node | None, list[Finding]]] = []
    owners: list[Node | None] = list(parts) or [None]
    for own in owners:
        found = _open_part(contained, own, part, names, parts)
        if not found:
            return []
        tried.append((own, found))
    return _likeliest(tried)


def _likeliest(tried: list[tuple[Node | None, list[Finding]]]) -> list[Finding]:
    """Of the findings of each producer part's open part (a name beyond them all is held by every one), those
    likeliest to give a witness: from a part that constrains such names itself (a value that part allows, a
    part that does not constrain them allows too), shown a counterexample there first; else the first
    part's."""
    ranked = sorted(
        (f for own, f in tried if own is not None and _open_keywords(own)),
        key=lambda f: not any(item.promising for item in f),
    )
    return ranked[0] if ranked else tried[0][1] if tried else []


def _open_keywords(own: Node) -> bool:
    return own.has("additionalProperties") or bool(pattern_map(own))


def _open_part(
    contained: Contained, own: Node | None, part: Node, names: set[str], parts: list[Node]
) -> list[Finding]:
    p_patterns = pattern_map(own) if own is not None else {}
    c_patterns = pattern_map(part)
    p_rest = (
        own.child("additionalProperties") if own is not None and own.has("additionalProperties") else None
    )
    c_rest = part.child("additionalProperties") if part.has("additionalProperties") else None
    pairs: list[tuple[list[Node], list[Node], str]] = []
    if c_patterns and set(c_patterns) == set(p_patterns) and own is not None:
        pairs = [
            ([own.child("patternProperties", r)], [part.child("patternProperties", r)], r) for r in p_patterns
        ]
    elif all(is_trivially_true(part.child("patternProperties", r)) for r in c_patterns):
        # the consumer's rest schema then applies to at most the names compared here: that suffices
        pairs = [
            ([own.child("patternProperties", r)], _listed(c_rest), r) for r in p_patterns if own is not None
        ]
    else:
        return _any_pattern(contained, own, part, names)
    pairs.append((_listed(p_rest), _listed(c_rest), ""))
    found: list[Finding] = []
    for p_nodes, c_nodes, pattern in pairs:
        if any(n.schema is False for n in p_nodes):
            continue
        subs = contained(p_nodes, c_nodes, own.path if own else "")
        # a comparison left undecided below (out of time or steps) is no narrowing: it stays too_complex
        decided = [s for s in subs if s.rule != "too_complex"]
        if decided:
            found.append(_extra_finding(own, part, (p_nodes, c_nodes), decided, pattern, names, parts))
        embed = _extra_embedder(own, part, pattern, names, parts)
        for s in subs:
            if s.rule == "too_complex":  # its candidates as a narrowing's: one may still prove the question
                values = [*s.candidates, *ODD_VALUES]
                found.append(replace(s, candidates=tuple(v for value in values[:6] for v in embed(value))))
    return found


def _any_pattern(contained: Contained, own: Node | None, part: Node, names: set[str]) -> list[Finding]:
    """Different patterns: without comparing regular expressions, every schema the producer may apply to an
    undeclared name must fit every schema the consumer may apply to one (sufficient, not necessary)."""
    # (each schema with its pattern: None for an `additionalProperties`)
    p_patterns = pattern_map(own) if own is not None else {}
    p_options: list[tuple[Node, str | None]] = (
        [(own.child("patternProperties", r), r) for r in p_patterns] if own is not None else []
    )
    # (a producer pattern that every name matches leaves no name to its `additionalProperties`)
    if not any(matches_everywhere(r) for r in p_patterns):
        p_options.append(
            (
                own.child("additionalProperties")
                if own is not None and own.has("additionalProperties")
                else Node(True, own.path if own else "", part.doc),
                None,
            )
        )
    c_options: list[tuple[Node, str | None]] = [
        (part.child("patternProperties", r), r) for r in pattern_map(part) if not _finite_names(r, names)
    ]
    c_options += [
        (n, None)
        for n in _listed(part.child("additionalProperties") if part.has("additionalProperties") else None)
    ]
    pairs = [
        (p, c, found)
        for p in p_options
        if p[0].schema is not False
        for c in c_options
        if (found := contained([p[0]], [c[0]], p[0].path))
    ]
    if not pairs:
        return []
    bases = _bases([own] if own is not None else [])
    # per pair of schemas that differ, a name both apply to, with values of their difference
    candidates = []
    for p, c, found in pairs:
        values = [v for s in found for v in s.candidates][:3] + list(ODD_VALUES[:2])
        for key in _names_between(p, c, own, part, names)[:2]:
            candidates += [{**bases[0], key: v} for v in values]
    candidates = unique(candidates)
    if own is not None:  # one already shown a counterexample here goes first
        index = proving([own], [part], candidates)
        if index is not None:
            candidates.insert(0, candidates.pop(index))
    message = "the consumer's patternProperties differ from the producer's and may reject its properties"
    return [finding("pattern_properties_changed", own.path if own else "", part.path, message, candidates)]


def _names_between(
    p: tuple[Node, str | None], c: tuple[Node, str | None], own: Node | None, part: Node, names: set[str]
) -> list[str]:
    """Property names (not declared) to which the producer applies `p` and the consumer `c` (schemas with
    their patterns): a name of the pattern of either that the other's pattern matches too (or that no pattern
    of its side claims, for an `additionalProperties`)."""
    p_pattern, c_pattern = p[1], c[1]
    tried = [k for r in (c_pattern, p_pattern) if r is not None for k in pattern_samples(r, 1)]
    tried += ["extra", "x-extra", "zz", "_", "0"]
    p_patterns = list(pattern_map(own)) if own is not None else []

    def applies(pattern: str | None, others: list[str], name: str) -> bool:
        return matches(pattern, name) if pattern is not None else not any(matches(r, name) for r in others)

    return [
        k
        for k in unique(tried)
        if k not in names
        and applies(p_pattern, p_patterns, k)
        and applies(c_pattern, list(pattern_map(part)), k)
    ]


def _finite_names(pattern: str, names: set[str]) -> bool:
    """True when every name `pattern` matches is declared (compared one by one already)."""
    language = finite_language(pattern)
    return language is not None and all(name in names for name in language)


def _listed(node: Node | None) -> list[Node]:
    return [node] if node is not None else []


def _extra_finding(
    own: Node | None,
    part: Node,
    sides: tuple[list[Node], list[Node]],
    subs: list[Finding],
    pattern: str,
    names: set[str],
    parts: list[Node],
) -> Finding:
    closed = part.get("additionalProperties") is False
    rule = "additional_properties_narrowed"
    message = (
        "the consumer "
        + ("allows no property" if closed else "restricts properties")
        + " beyond those it declares"
    )
    values = [v for s in sorted(subs, key=lambda s: not s.promising) for v in s.candidates] + list(ODD_VALUES)
    index = proving(*sides, values)
    if index is not None:
        values.insert(0, values.pop(index))
    embed = _extra_embedder(own, part, pattern, names, parts)
    candidates = [v for value in values[:6] for v in embed(value)]
    where = own.path if own else ""
    return finding(rule, where, subs[0].consumer_path, message, candidates, promising=index is not None)


def _extra_embedder(
    own: Node | None, part: Node, pattern: str, names: set[str], parts: list[Node]
) -> Callable[[Any], list[Any]]:
    """Values placed as a property no side declares: of `pattern` when it is one of both sides, else of
    none of the consumer's patterns, in an object of the producer (built once, on the first value)."""
    named = pattern_samples(pattern, 1) if pattern else []
    if named:  # a property of this pattern on both sides: its name must match it
        keys = [k for k in named if k not in names] or named
    else:  # beyond every pattern: a fresh name that no consumer pattern claims
        keys = [k for k in ["extra", "x-extra", "zz", "_", "0"] if k not in names]
        keys = [k for k in keys if not any(matches(r, k) for r in pattern_map(part))] or keys
    bases: list[dict[str, Any]] = []

    def embed(value: Any) -> list[Any]:
        if not keys:
            return []
        # the base object holds what every producer part requires (not only the part whose open part is
        # compared)
        bases[:] = bases or _bases(parts or ([own] if own is not None else []), keys[0])
        return [{**base, keys[0]: value} for base in bases[:1]]

    return embed


def _required(parts: list[Node], part: Node) -> list[Finding]:
    have = set().union(*(required(p) for p in parts))
    found = []
    for name in sorted(required(part) - have):
        message = f"the consumer requires {name!r}, which the producer may leave out"
        found.append(
            finding("required_added", _where(parts), f"{part.path}/required", message, _bases(parts))
        )
    return found


def _counts(parts: list[Node], part: Node) -> list[Finding]:
    low = max([count(p.get("minProperties")) or 0 for p in parts] + [len(set().union(*map(required, parts)))])
    high = _max_properties(parts)
    c_low, c_high = count(part.get("minProperties")) or 0, count(part.get("maxProperties"))
    found = []
    if c_low > low:
        message = f"the consumer needs at least {c_low} properties"
        found.append(finding("min_properties_raised", _where(parts), part.path, message, _bases(parts)))
    if c_high is not None and (high is None or high > c_high):
        message = f"the consumer allows at most {c_high} properties"
        extra = objects(parts, 0, extra=c_high + 1 - low) if c_high + 1 > low else []
        found.append(finding("max_properties_lowered", _where(parts), part.path, message, extra))
    return found


def _max_properties(parts: list[Node]) -> int | None:
    limits = [n for p in parts if (n := count(p.get("maxProperties"))) is not None]
    limits += [len(declared(p)) for p in parts if closes_others(p)]
    return min(limits, default=None)


def _dependency_names(part: Node) -> set[str]:
    return {trigger for trigger, _, _ in _dependencies_of(part)}


DEPENDENCY_KEYWORDS = ("dependencies", "dependentRequired", "dependentSchemas")


def _dependencies_of(part: Node) -> list[tuple[str, Any, str]]:
    """(trigger, names or schema, keyword) of each dependency: from 2019-09 a trigger may appear twice."""
    found = []
    for keyword in DEPENDENCY_KEYWORDS:
        value = part.get(keyword)
        for trigger, needed in value.items() if isinstance(value, dict) else ():
            found.append((trigger, needed, keyword))
    return found


def _dependencies(parts: list[Node], part: Node) -> list[Finding]:
    have = set().union(*(required(p) for p in parts))
    found = []
    for trigger, needed, keyword in sorted(_dependencies_of(part), key=lambda d: (d[0], d[2])):
        p_nodes = [n for p in parts for n in property_nodes(p, trigger)]
        if any(n.schema is False for n in p_nodes) or _covered(parts, trigger, needed, have):
            continue
        message = f"the consumer adds a dependency on {trigger!r}"
        trigger_values = samples(p_nodes) or [None]
        candidates = [{**base, trigger: trigger_values[0]} for base in _bases(parts, trigger)]
        where = f"{part.path}/{keyword}/{escape(trigger)}"
        found.append(finding("dependency_added", _where(parts), where, message, candidates))
    return found


def _covered(parts: list[Node], trigger: str, needed: Any, have: set[str]) -> bool:
    if isinstance(needed, list):
        return all(name in have or _declares_dependency(parts, trigger, name) for name in needed)
    if needed is True or needed == {}:
        return True
    # a schema dependency: only the very same one in the producer (same draft, no references) covers it
    return any(
        t == trigger and same_json(value, needed) and p.doc.keywords == parts[0].doc.keywords
        for p in parts
        for t, value, _ in _dependencies_of(p)
    ) and not _mentions_ref(needed)


def _mentions_ref(schema: Any) -> bool:
    if isinstance(schema, dict):
        return "$ref" in schema or any(_mentions_ref(v) for v in schema.values())
    return isinstance(schema, list) and any(_mentions_ref(v) for v in schema)


def _declares_dependency(parts: list[Node], trigger: str, name: str) -> bool:
    return any(
        t == trigger and isinstance(d, list) and name in d for p in parts for t, d, _ in _dependencies_of(p)
    )

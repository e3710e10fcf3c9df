"""Containment of object constraints: properties, patternProperties, additionalProperties, required,
dependencies / dependentRequired, min/maxProperties.

Every property name either side mentions is compared through the schemas that apply to it on each side; all
other names through the open parts (additionalProperties, patternProperties) of both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from registry.domain.compat import strings
from registry.domain.compat.digest import ANNOTATIONS, digests, equal_without_references
from registry.domain.compat.document import Node, same_json
from registry.domain.compat.normalise import Conj, is_trivially_true
from registry.domain.compat.regex_samples import finite_language, pattern_samples
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


Step = Callable[[], object]
"""Counts one step of the comparison's budget, as one call of `Contained` does."""
_NO_KEYWORDS = ANNOTATIONS | {"id", "$id"}  # left out of digests (an id where it changes no resolution)


def narrowing(contained: Contained, pc: Conj, part: Node, step: Step) -> list[Finding]:
    # a producer's `unevaluatedProperties` counts too, where it amounts to an `additionalProperties`
    parts = list(pc.parts) + [rest for p in pc.parts if (rest := _unevaluated_rest(p)) is not None]
    in_producer = set().union(*(declared(p) for p in parts))
    names = in_producer | declared(part) | required(part) | _dependency_names(part)
    found: list[Finding] = []
    producer_nodes = properties_of(parts)
    unchanged = _unchanged(parts, part)
    for name in sorted(names):
        if name in unchanged:
            step()  # what comparing the two would have counted, so that the budget runs out where it did
            continue
        found.extend(_property(contained, parts, part, name, producer_nodes(name), name in in_producer))
    found.extend(_others(contained, parts, part, names))
    found.extend(_required(parts, part))
    found.extend(_counts(parts, part))
    found.extend(_dependencies(parts, part))
    found.extend(_unevaluated(contained, pc, part, step))
    found.extend(_names(contained, parts, part))
    return _renamed(found, [p.path for p in pc.parts if _unevaluated_rest(p) is not None], "producer_path")


def _unchanged(parts: list[Node], part: Node) -> set[str]:
    """The property names `_property` would find nothing for at once, without building their nodes: a name
    whose schema is declared by one producer part and by the consumer, each the only schema its side applies
    to the name (no patternProperties, no additionalProperties that constrains, no propertyNames), with
    equal digests and no reference (`digest.same` then holds, so `contained` answers []). Versions of a
    large contract mostly repeat each other: building and normalising the nodes of every unchanged property
    was most of the time a check of two such versions took."""
    c_properties = part.get("properties")
    if not isinstance(c_properties, dict) or part.has("patternProperties") or not parts:
        return set()
    p_doc, c_doc = parts[0].doc, part.doc
    if (
        p_doc.keywords != c_doc.keywords
        or p_doc.ref_has_siblings != c_doc.ref_has_siblings
        # equal digests then mean the same constraining keywords (an annotation or an id is no keyword):
        # both schemas hold everything, or neither does
        or not p_doc.keywords.isdisjoint(_NO_KEYWORDS)
    ):
        return set()
    declaring: dict[str, Any] = {}  # name -> the one producer schema for it (None: several)
    for p in parts:
        rest = p.get("additionalProperties")
        if p.doc is not p_doc or p.has("patternProperties") or p.has("propertyNames"):
            return set()
        if len(parts) > 1 and not (rest is None or rest is True or rest == {}):
            # an open part (`properties_of`): its additionalProperties applies to the names another part
            # declares (a lone part's never applies to its own properties: LENIENT's closed producers)
            return set()
        properties = p.get("properties")
        for name, schema in properties.items() if isinstance(properties, dict) else ():
            declaring[name] = None if name in declaring else schema
    pairs = (
        (name, p_schema, c_schema)
        for name, p_schema in declaring.items()
        if isinstance(p_schema, dict) and isinstance(c_schema := c_properties.get(name), dict)
    )
    return equal_without_references(digests(p_doc), digests(c_doc), pairs)


def _unevaluated(contained: Contained, pc: Conj, part: Node, step: Step) -> list[Finding]:
    """A consumer's `unevaluatedProperties` whose evaluated names do not depend on the instance: in an
    instance the rest of `part` accepts, it is an `additionalProperties` beside those names and patterns,
    compared so (the reports point at the `unevaluatedProperties`)."""
    rest = _unevaluated_rest(part)
    if rest is None:
        return []
    return _renamed(narrowing(contained, pc, rest, step), [part.path], "consumer_path")


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
    return known[1]


def _names(contained: Contained, parts: list[Node], part: Node) -> list[Finding]:
    """A consumer's `propertyNames`: the names the producer's objects may have, as string schemas (one per
    producer part: `_names_of`), must all be strings it accepts. What stands in the way are names: each
    goes into a producer object (with a value the producer allows there) as a candidate."""
    if not part.has("propertyNames"):
        return []
    names = part.child("propertyNames")
    p_names = [n for p in parts if (n := _names_of(p)) is not None]
    if any(n.schema is False for n in p_names):
        return []  # the producer's objects have no property at all
    # names are strings, whatever the producer says of them (an open producer says nothing)
    strings = Node({"type": "string"}, part.path, part.doc)
    subs = contained([strings, *p_names], [names], f"{_where(parts)}/propertyNames")
    if not subs:
        return []
    refused = [v for s in subs for v in s.candidates if isinstance(v, str)]
    in_producer = [n for n in refused if any(n in declared(p) for p in parts)]
    rule = "property_removed_from_closed_model" if in_producer else "additional_properties_narrowed"
    message = "the consumer's propertyNames refuse names the producer's objects may have" + (
        f" ({in_producer[0]!r})" if in_producer else ""
    )
    # (objects that hold the name with a value the producer allows there: `_bases` leaves it to be set)
    candidates = [
        base
        for name in (in_producer or refused)[:6]
        for base in [o for o in objects(parts, 0, include=name) if isinstance(o, dict)][:1]
    ]
    return [finding(rule, _where(parts), names.path, message, candidates)]


def _name_refused(parts: list[Node], name: str) -> bool:
    """Whether a producer part's `propertyNames` refuses `name` (jsonschema says): its objects never have
    it."""
    return any(
        p.has("propertyNames") and p.doc.is_valid(p.schema["propertyNames"], name) is False for p in parts
    )


def _names_of(part: Node) -> Node | None:
    """The names `part` lets an object have, as a string schema (made up where it has no `propertyNames`):
    its own `propertyNames`, or, when it allows nothing beyond its properties and patterns, those names and
    the strings matching those patterns; None when it lets through any name."""
    if part.has("propertyNames"):
        return part.child("propertyNames")
    if part.get("additionalProperties") is not False:
        return None
    allowed = sorted(n for n in declared(part) if part.child("properties", n).schema is not False)
    branches: list[Any] = [{"enum": allowed}] if allowed else []
    branches += [
        {"pattern": r} for r in pattern_map(part) if part.child("patternProperties", r).schema is not False
    ]
    key = ("names of", id(part.schema), part.path)
    known = part.doc.memo.get(key)
    if known is None or known[0] is not part.schema:
        schema: Any = {"type": "string", "anyOf": branches} if branches else False
        known = (part.schema, Node(schema, part.path, part.doc))
        part.doc.memo[key] = known
    return known[1]


def _where(parts: list[Node]) -> str:
    return parts[-1].path if parts else ""


def _property(
    contained: Contained, parts: list[Node], part: Node, name: str, p_nodes: list[Node], in_producer: bool
) -> list[Finding]:
    """`in_producer`: whether a producer part declares the property."""
    c_nodes = property_nodes(part, name)
    if any(n.schema is False for n in p_nodes) or not c_nodes or _name_refused(parts, name):
        return []  # the producer never has this property, or the consumer does not constrain it
    at = f"{_where(parts)}/properties/{name}"
    if not p_nodes and not in_producer and name in declared(part):
        subs = _against_anything(contained, c_nodes, at)  # (reported as an added property below)
    else:
        subs = contained(p_nodes, c_nodes, at)
    if not subs:
        return []
    embed = _embedder(parts, name)
    closed = any(n.schema is False for n in c_nodes)  # (that alone decides: the consumer refuses the name)
    if not closed and all(s.rule == "too_complex" for s in subs):
        # every comparison below ran out of bounds: undecided, whatever the rule would have been
        return [s.wrapped(embed) for s in subs]
    if closed:
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
    """Producer objects to lay a member into; `include` counts among their members (every caller then
    sets its value). Without `minProperties`, that is the base without it plus that name, and the base is
    built once per conjunction: a closed consumer meeting an open producer of 300 properties asked for one
    per property (Renovate: most of a question's time)."""
    if not parts:
        return [{}] if include is None else [{include: None}]
    # (the same list of parts asks once per property: its answer is kept with it, by identity)
    memo = parts[0].doc.memo
    quick = memo.get(("bases of", id(parts)))
    if quick is None or quick[0] is not parts:
        key = ("bases", tuple((p.path, id(p.schema)) for p in parts))
        known = memo.get(key)
        if known is None or any(a is not p.schema for a, p in zip(known[0], parts, strict=True)):
            bounded = any(count(p.get("minProperties")) for p in parts)
            built = [o for o in objects(parts, 0) if isinstance(o, dict)] or [{}]
            known = ([p.schema for p in parts], (bounded, built))
            memo[key] = known
        quick = (parts, known[1])
        memo[("bases of", id(parts))] = quick
    bounded, built = quick[1]
    if include is not None and bounded:
        return [o for o in objects(parts, 0, include=include) if isinstance(o, dict)] or [{}]
    return [dict(base) if include is None else {**base, include: None} for base in built]


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
        where = own.path if own else ""
        subs = (
            _against_anything(contained, c_nodes, where)
            if not p_nodes
            else contained(p_nodes, c_nodes, where)
        )
        # a comparison below that ran out of bounds decided nothing: it stays `too_complex`, not a narrowing
        decided, undecided = _split_undecided(subs)
        if decided:
            found.append(_extra_finding(own, part, (p_nodes, c_nodes), decided, pattern, names, parts))
        embed = _member_embedder(own, part, pattern, names, parts)
        found.extend(s.wrapped(embed) for s in undecided)
    return found


def _against_anything(contained: Contained, c_nodes: list[Node], at: str) -> list[Finding]:
    """`contained([], c_nodes)`, where the producer allows any value and the caller reports what is found
    by a rule of its own (a property added to an open object, extra properties narrowed): an odd value a
    consumer schema rejects (jsonschema says) settles it at once. Comparing "anything" with the consumer's
    schemas walks all of them (a job template of thirty members, each a definition in turn) only to find
    the same."""
    for value in ODD_VALUES:
        if any(n.doc.is_valid(n.schema, value) is False for n in c_nodes):
            message = "the consumer rejects a value the producer allows here"
            return [finding("type_narrowed", at, c_nodes[0].path, message, [value], promising=True)]
    return contained([], c_nodes, at)


def _split_undecided(subs: list[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(the findings that say something, the `too_complex` ones: comparisons left undecided)."""
    return [s for s in subs if s.rule != "too_complex"], [s for s in subs if s.rule == "too_complex"]


def _member_embedder(
    own: Node | None, part: Node, pattern: str, names: set[str], parts: list[Node]
) -> Callable[[Any], list[Any]]:
    """Values of an undeclared member placed in a producer object, under a name `_extra_finding` would use."""

    made: list[tuple[str, dict[str, Any]]] = []

    def embed(value: Any) -> list[Any]:
        if not made:  # (built once, on the first candidate)
            keys = _member_keys(part, pattern, names) or ["extra"]
            made.append((keys[0], _bases(parts or ([own] if own is not None else []), keys[0])[0]))
        key, base = made[0]
        return [{**base, key: value}]

    return embed


def _member_keys(part: Node, pattern: str, names: set[str]) -> list[str]:
    named = pattern_samples(pattern, 1) if pattern else []
    if named:  # a property of this pattern on both sides: its name must match it
        return [k for k in named if k not in names] or named
    # beyond every pattern: a fresh name that no consumer pattern claims
    keys = [k for k in ["extra", "x-extra", "zz", "_", "0"] if k not in names]
    return [k for k in keys if not any(matches(r, k) for r in pattern_map(part))] or keys


def _any_pattern(contained: Contained, own: Node | None, part: Node, names: set[str]) -> list[Finding]:
    """Different patterns: without comparing regular expressions, every schema the producer may apply to an
    undeclared name must fit every schema the consumer may apply to one (sufficient, not necessary)."""
    # (each schema with its pattern: None for an `additionalProperties`)
    p_patterns = pattern_map(own) if own is not None else {}
    p_options: list[tuple[Node, str | None]] = (
        [(own.child("patternProperties", r), r) for r in p_patterns] if own is not None else []
    )
    # (a producer pattern that every name matches leaves no name to its `additionalProperties`)
    if not any(strings.matches_every_name(r) for r in p_patterns):
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
    if not any(strings.matches_every_name(r) for r in pattern_map(part)):
        # (a pattern matching every name leaves the consumer's additionalProperties nothing to apply to)
        c_options += [
            (n, None)
            for n in _listed(part.child("additionalProperties") if part.has("additionalProperties") else None)
        ]
    pairs = []
    undecided: list[Finding] = []
    for p in p_options:
        if p[0].schema is False:
            continue
        for c in c_options:
            decided, left = _split_undecided(contained([p[0]], [c[0]], p[0].path))
            undecided += left
            if decided:
                pairs.append((p, c, decided))
    if undecided:  # (left undecided below: not a change of patterns, for all that is known)
        keys = [k for r in pattern_map(part) for k in pattern_samples(r, 1) if k not in names] + ["extra"]
        base = _bases([own] if own is not None else [])[0]
        undecided = [s.wrapped(lambda v: [{**base, key: v} for key in keys[:2]]) for s in undecided]
    if not pairs:
        return undecided
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
    where = own.path if own else ""
    return [finding("pattern_properties_changed", where, part.path, message, candidates), *undecided]


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
    keys = _member_keys(part, pattern, names)
    # the base object holds what every producer part requires (not only the part whose open part is compared)
    bases = _bases(parts or ([own] if own is not None else []), keys[0] if keys else None)
    candidates = [{**base, keys[0]: v} for v in values[:6] for base in bases[:1]] if keys else []
    where = own.path if own else ""
    return finding(rule, where, subs[0].consumer_path, message, candidates, promising=index is not None)


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

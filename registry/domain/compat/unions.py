"""Large unions compared one alternative at a time, where expanding them all together would be too large.

A configuration schema may list hundreds of alternatives (`anyOf` of every task a CI system knows); between
two versions most are the same. Expanded into conjunctions they pass the checker's bound, so instead:

- a producer union (`anyOf`, or `oneOf` read as `anyOf`: that only adds instances) holds exactly the values of
  its alternatives, each with the union's own keywords: each alternative is compared on its own;
- a consumer `anyOf` holds a producer that one of its alternatives holds (with the union's own keywords):
  an alternative with the same digest answers at once, others are tried after a producer value they accept
  (jsonschema says) showed they might; when every alternative rejects that value, it is a witness.

These comparisons are of the same values, with no object or array in between: a pair already being compared
is never assumed to hold there (that would be circular), it is `too_complex`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from registry.domain.compat import digest
from registry.domain.compat.document import Node
from registry.domain.compat.normalise import KINDS, canonical, finite_values, is_trivially_true, kinds_of
from registry.domain.compat.regex_samples import finite_language
from registry.domain.compat.report import Finding, finding, led_by
from registry.domain.compat.samples import samples
from registry.domain.compat.structure import closes_others, required

Compare = Callable[[list[Node], list[Node], str], list[Finding]]
# consumer alternatives compared in full for one producer (after the digest and the sample have spoken)
MAX_TRIED = 24


def split(compare: Compare, ps: list[Node], cs: list[Node], where: str) -> list[Finding] | None:
    """The comparison of `ps` with `cs`, one union at a time; None when neither side has a union to split."""
    # a union of enums (or an enum beside it): finitely many values, each asked of jsonschema
    listed = [values for p in ps if (values := _finite(p)) is not None]
    if listed:
        return _values(ps, cs, min(listed, key=len), where)
    producer = _widest(ps, ("anyOf", "oneOf"))
    if producer is not None:
        index, keyword = producer
        union, others = ps[index], ps[:index] + ps[index + 1 :]
        if others and not _within(compare, others, cs, where):
            return []  # the producer's other schemas alone fit the consumer
        rest = _without(union, keyword)
        found: list[Finding] = []
        for branch in _branches(union, keyword):
            found.extend(compare(_kept([*others, rest, branch]), cs, where))
        return found
    consumer = _widest(cs, ("anyOf",))
    if consumer is None:
        return None
    index, keyword = consumer
    union, others = cs[index], cs[:index] + cs[index + 1 :]
    kept = _kept([*others, _without(union, keyword)])
    found = _within(compare, ps, kept, where) if kept else []
    return found + _one_of_them(compare, ps, _branches(union, keyword), where)


def _within(compare: Compare, ps: list[Node], cs: list[Node], where: str) -> list[Finding]:
    """`compare`, after trying each of several producer schemas alone: one that fits is enough, and alone it
    is the same question for every alternative of a producer union (asked once, then remembered)."""
    if len(ps) > 1 and any(not _surely_wider(p, cs) and not compare([p], cs, where) for p in ps):
        return []
    return compare(ps, cs, where)


# keywords that constrain values of one kind only: every value of another kind passes them
_ONE_KIND = {
    **dict.fromkeys(
        (
            "properties",
            "patternProperties",
            "additionalProperties",
            "required",
            "minProperties",
            "maxProperties",
            "propertyNames",
            "dependencies",
            "dependentRequired",
            "dependentSchemas",
            "unevaluatedProperties",
        ),
        frozenset({"object"}),
    ),
    **dict.fromkeys(
        (
            "items",
            "additionalItems",
            "prefixItems",
            "contains",
            "minContains",
            "maxContains",
            "minItems",
            "maxItems",
            "uniqueItems",
            "unevaluatedItems",
        ),
        frozenset({"array"}),
    ),
    **dict.fromkeys(("minLength", "maxLength", "pattern"), frozenset({"string"})),
    **dict.fromkeys(
        ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
        frozenset({"int", "frac"}),
    ),
}


def _surely_wider(p: Node, cs: list[Node]) -> bool:
    """True when `p` surely holds a value one of `cs` rejects: its keywords constrain some kinds of values
    only (an alternative of a union that says which properties its objects have, not that they are objects),
    so it holds every value of the other kinds, and a consumer's `type`, `enum` or `const` leaves one of those
    out. Comparing `p` alone with `cs` would then only find that, at the cost of sampling every kind."""
    keywords = p.keywords()
    if not isinstance(p.schema, dict) or not keywords.keys() <= _ONE_KIND.keys():
        return False
    held = KINDS.difference(*(_ONE_KIND[k] for k in keywords))
    return any(held - kinds_of(c) for c in cs)


def _one_of_them(compare: Compare, ps: list[Node], branches: list[Node], where: str) -> list[Finding]:
    """[] when one of `branches` holds all of `ps`, else the findings against the nearest."""
    for p in ps:
        for branch in _same_digest(p, branches):
            if digest.same(p, branch):
                return []
    places = _places(branches)
    narrowed = _discriminated(ps, branches)
    candidates = [b for b in branches if b.path in narrowed] if narrowed else branches
    ranked = sorted(candidates, key=lambda b: -max(_shared(p.path, places[b.path]) for p in ps))
    # the nearest alternative first (most often the producer's own, changed or not), then those that accept a
    # value of the producer: the others cannot hold it
    first = compare(ps, ranked[:1], where)
    if not first or (narrowed and len(ranked) == 1):
        # (the only alternative that may hold the producer's objects: its findings say why, with their
        # witnesses; validating against it again, a union of hundreds itself perhaps, would add nothing)
        return first
    values = _producer_value(ps)
    if narrowed is not None and not narrowed:
        # no alternative holds any object of the producer: a value of the producer is a witness, and the
        # nearest alternative says why
        return [led_by(f, values[0]) for f in first] if values else first
    accepting = [b for b in ranked[1:] if all(_may_accept(b, v) for v in values)]
    best = first
    for branch in accepting[:MAX_TRIED]:
        found = compare(ps, [branch], where)
        if not found:
            return []
        if len(found) < len(best):
            best = found
    if values and not accepting and not _may_accept(ranked[0], values[0]):
        # every alternative rejects a value of the producer: a witness; the nearest alternative says why
        return [led_by(f, values[0]) for f in first]
    return best


def _discriminated(ps: list[Node], branches: list[Node]) -> set[str] | None:
    """The places of the alternatives that may hold an object of all `ps`, when the producer's objects
    require a property whose values are a few listed strings and the alternatives list theirs (Azure
    Pipelines' `task`: each of hundreds of tasks names itself in a pattern). An alternative whose own
    `properties` allow none of those values there, or that allows no such property, rejects every object
    of the producer: it cannot hold any of them, whatever else it says. None when no required property
    tells the alternatives apart, or when the producer may hold values other than objects."""
    targets = [_target(p) for p in ps]
    if not any(kinds_of(t) == {"object"} for t in targets):
        return None
    kept: set[str] | None = None
    for name in sorted(set().union(*(required(t) for t in targets))):
        values = _producer_strings(targets, name)
        if values is None:
            continue
        by_value, unbounded = _value_index(branches, name)
        found = set(unbounded).union(*(by_value.get(v, ()) for v in values))
        kept = found if kept is None else kept & found
    return None if kept is None or len(kept) == len(branches) else kept


def _producer_strings(targets: list[Node], name: str) -> set[str] | None:
    """The strings the producer's property `name` may hold (more is fine: a bound, not a sample), or None
    when it is not bounded that way or may hold values of other kinds."""
    strings: set[str] | None = None
    others = True
    for target in targets:
        properties = target.get("properties")
        if not isinstance(properties, dict) or name not in properties:
            continue
        bound, may_hold_others = _strings(_target(target.child("properties", name)))
        if bound is not None:
            strings = set(bound) if strings is None else strings & bound
        others = others and may_hold_others
    return None if strings is None or others else strings


def _strings(node: Node) -> tuple[frozenset[str] | None, bool]:
    """(the strings `node` may hold, None when any; whether it may hold values that are not strings), from
    its own `enum`, `const`, union of those, and `pattern` (when it matches a few strings only)."""
    if node.schema is False:
        return frozenset(), False
    if not isinstance(node.schema, dict):
        return None, True
    key = ("strings", id(node.schema), node.path)
    known = node.doc.memo.get(key)
    if known is None or known[0] is not node.schema:
        known = (node.schema, _own_strings(node))
        node.doc.memo[key] = known
    return known[1]


def _own_strings(node: Node) -> tuple[frozenset[str] | None, bool]:
    bound: frozenset[str] | None = None
    others = bool(kinds_of(node) - {"string"})
    listed = listed_values(node)
    lists = finite_values(node) + ([listed] if listed is not None else [])
    for values in lists:
        own = frozenset(v for v in values if isinstance(v, str))
        bound = own if bound is None else bound & own
        others = others and any(not isinstance(v, str) for v in values)
    pattern = node.get("pattern")
    words = finite_language(pattern) if isinstance(pattern, str) else None
    if words is not None:
        bound = frozenset(words) if bound is None else bound & frozenset(words)
    return bound, others


def _value_index(branches: list[Node], name: str) -> tuple[dict[str, list[str]], list[str]]:
    """Per string value of property `name`, the places of the alternatives that may hold it, and those that
    may hold any string there (an index kept per union and name: hundreds of producers look it up)."""
    doc = branches[0].doc
    key = ("value index", branches[0].path, name)
    known = doc.memo.get(key)
    if known is None or known[0] is not branches[0].schema:
        by_value: dict[str, list[str]] = {}
        unbounded: list[str] = []
        for branch in branches:
            target = _target(branch)
            properties = target.get("properties")
            if isinstance(properties, dict) and name in properties:
                bound, _ = _strings(_target(target.child("properties", name)))
            else:  # a closed object allows no property it does not declare: no value at all
                bound = frozenset() if closes_others(target) else None
            if bound is None:
                unbounded.append(branch.path)
            for value in bound or ():
                by_value.setdefault(value, []).append(branch.path)
        known = (branches[0].schema, (by_value, unbounded))
        doc.memo[key] = known
    return known[1]


def listed_values(node: Node) -> list[Any] | None:
    """The values a union of `enum`s and `const`s (`anyOf: [{enum: [...]}, {const: ...}]`) is limited to, or
    None for any other schema (remembered: such a union may list hundreds of names)."""
    if not isinstance(node.schema, dict):
        return None
    key = ("listed", id(node.schema), node.path)
    known = node.doc.memo.get(key)
    if known is None or known[0] is not node.schema:
        known = (node.schema, _listed(node))
        node.doc.memo[key] = known
    return None if known[1] is None else list(known[1])


def _listed(node: Node) -> list[Any] | None:
    for keyword in ("anyOf", "oneOf"):
        branches = node.get(keyword)
        if not isinstance(branches, list) or not branches:
            continue
        values: list[Any] = []
        for branch in _branches(node, keyword):
            lists = finite_values(branch)
            if not lists:
                return None  # (an `enum` beside other keywords still bounds the branch: only its values)
            values.extend(lists[0])
        return values
    return None


def _finite(node: Node) -> list[Any] | None:
    lists = finite_values(node)
    return list(lists[0]) if lists else listed_values(node)


def _values(ps: list[Node], cs: list[Node], values: list[Any], where: str) -> list[Finding]:
    """Each value the producer may hold (jsonschema says) must be valid for the consumer."""
    found: list[Finding] = []
    seen: set[str] = set()
    # an anchored pattern that matches a few names only: a string outside them fails it, no search needed
    languages = [words for p in ps if (words := _pattern_language(p)) is not None]
    if languages:  # (hundreds of listed values, and a few in the language: only those are asked)
        listed = {v for v in values if isinstance(v, str)}
        fewest = min(languages, key=len)
        values = [v for v in values if not isinstance(v, str)] + [
            w for w in sorted(fewest) if w in listed and all(w in words for words in languages)
        ]
    for value in values:
        key = canonical(value)
        if key in seen or any(_accepts(p, value, key) is False for p in ps):
            continue
        seen.add(key)
        verdicts = [_accepts(c, value, key) for c in cs]
        if False in verdicts:
            message = f"the consumer rejects {key}"
            found.append(finding("enum_narrowed", where, cs[0].path, message, [value], promising=True))
        elif None in verdicts:
            message = f"the checker cannot tell whether the consumer accepts {key}"
            found.append(finding("unsupported_keyword", where, cs[0].path, message, [value]))
    return found


def _pattern_language(node: Node) -> set[str] | None:
    """Every string a schema of nothing but a `pattern` (and a type) accepts, when those are few."""
    keywords = node.keywords()
    pattern = keywords.get("pattern")
    if not isinstance(pattern, str) or not set(keywords) <= {"pattern", "type"}:
        return None
    words = finite_language(pattern)
    return None if words is None else set(words)


def _accepts(node: Node, value: Any, key: str) -> bool | None:
    """Whether the consumer node accepts `value`: among its listed values (a union of nothing but `enum`s
    and `const`s accepts exactly those), or as jsonschema says."""
    if set(node.keywords()) <= {"anyOf", "oneOf"} and len(node.keywords()) == 1:
        listed = _listed_keys(node)
        if listed is not None and key in listed and "oneOf" not in node.keywords():
            return True
    return node.doc.is_valid(node.schema, value)


def _listed_keys(node: Node) -> set[str] | None:
    key = ("listed keys", id(node.schema), node.path)
    known = node.doc.memo.get(key)
    if known is None or known[0] is not node.schema:
        values = listed_values(node)
        pure = values is not None and all(set(b.keywords()) <= {"enum", "const"} for b in _union_of(node))
        known = (node.schema, {canonical(v) for v in values} if pure and values is not None else None)
        node.doc.memo[key] = known
    return known[1]


def _union_of(node: Node) -> list[Node]:
    keyword = "anyOf" if isinstance(node.get("anyOf"), list) else "oneOf"
    return _branches(node, keyword)


def _widest(nodes: list[Node], keywords: tuple[str, ...]) -> tuple[int, str] | None:
    """(index, keyword) of the node with the most alternatives under one of `keywords` (two at least)."""
    found = [
        (len(node.get(keyword)), index, keyword)
        for index, node in enumerate(nodes)
        for keyword in keywords
        if isinstance(node.get(keyword), list) and len(node.get(keyword)) > 1
    ]
    if not found:
        return None
    _, index, keyword = max(found)
    return index, keyword


def _branches(node: Node, keyword: str) -> list[Node]:
    key = ("branches", id(node.schema), node.path, keyword)
    known = node.doc.memo.get(key)
    if known is None or known[0] is not node.schema:
        known = (node.schema, [node.child(keyword, i) for i in range(len(node.get(keyword)))])
        node.doc.memo[key] = known
    return list(known[1])


def _without(node: Node, keyword: str) -> Node:
    """The node with its own keywords but `keyword` (the same object each time: comparisons are remembered by
    the identity of their schemas)."""
    key = ("without", id(node.schema), keyword)
    known = node.doc.memo.get(key)
    if known is None or known[0] is not node.schema:
        known = (node.schema, {k: v for k, v in node.schema.items() if k != keyword})
        node.doc.memo[key] = known
    return Node(known[1], node.path, node.doc)


def _kept(nodes: list[Node]) -> list[Node]:
    return [n for n in nodes if not is_trivially_true(n)]


def _same_digest(p: Node, branches: list[Node]) -> list[Node]:
    """The branches whose digest is `p`'s (an index kept per union: hundreds of producers look it up)."""
    if not branches:
        return []
    doc = branches[0].doc
    key = ("digest index", branches[0].path)
    known = doc.memo.get(key)
    if known is None or known[0] is not branches[0].schema:
        index: dict[str, list[Node]] = {}
        for branch in branches:
            index.setdefault(digest.of(branch), []).append(branch)
        known = (branches[0].schema, index)
        doc.memo[key] = known
    return list(known[1].get(digest.of(p), []))


def _may_accept(branch: Node, value: Any) -> bool:
    """False when `branch` surely rejects `value` (jsonschema says): the properties it lists with a value
    or a pattern are asked first, one small schema each (the alternatives of a large union most often
    differ there: a `type` or `kind` each its own), then the whole branch."""
    target = _target(branch)
    properties = target.get("properties")
    if isinstance(value, dict) and isinstance(properties, dict):
        for name in sorted(value.keys() & properties.keys())[:8]:
            sub = properties[name]
            if isinstance(sub, dict) and sub.keys() & {"enum", "const", "pattern"}:
                member = target.child("properties", name)
                if member.doc.is_valid(member.schema, value[name]) is False:
                    return False
    return branch.doc.is_valid(branch.schema, value) is not False


def _producer_value(ps: list[Node]) -> list[Any]:
    """A value every one of `ps` accepts (jsonschema says), if a sample is one."""
    for value in samples(ps)[:3]:
        if all(p.doc.is_valid(p.schema, value) is True for p in ps):
            return [value]
    return []


def _places(branches: list[Node]) -> dict[str, str]:
    """Where each alternative is, or where its reference leads (remembered per union)."""
    doc = branches[0].doc
    key = ("places", branches[0].path)
    known = doc.memo.get(key)
    if known is None or known[0] is not branches[0].schema:
        known = (branches[0].schema, {b.path: _target(b).path for b in branches})
        doc.memo[key] = known
    return known[1]


def _shared(a: str, b: str) -> int:
    """How near two places are: the length of the start they share, whole tokens only (a place that is the
    other's start counts double). Between versions, the same alternative is at the same place."""
    x, y = a + "/", b + "/"
    same = 0
    for i in range(min(len(x), len(y))):
        if x[i] != y[i]:
            break
        same = i + 1
    n = x.rfind("/", 0, same) + 1
    return 2 * n if n >= min(len(x), len(y)) else n


def _target(node: Node) -> Node:
    """Where a reference leads (before 2019-09 a `$ref` replaces its siblings)."""
    schema = node.schema
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and not node.doc.ref_has_siblings:
        found = node.doc.resolve(schema["$ref"], node.path)
        if found is not None:
            return Node(found[0], found[1], node.doc)
    return node

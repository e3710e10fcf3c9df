"""Schemas as unions of conjunctions: `$ref`, `allOf`, `anyOf`, `oneOf` and `not` expanded, kinds of values.

`expand` gives a list of `Conj`s whose union has exactly the instances of the schema: `oneOf` becomes
"branch i and not any other branch", so nothing is lost on the consumer side. A `$ref` that cannot be
followed,
or a cycle of references with no object or array in between, becomes an `undecided` part.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from registry.domain.compat.document import Node

KINDS = frozenset({"null", "boolean", "int", "frac", "string", "array", "object"})
_TYPE_KINDS = {
    "null": {"null"},
    "boolean": {"boolean"},
    "integer": {"int"},
    "number": {"int", "frac"},
    "string": {"string"},
    "array": {"array"},
    "object": {"object"},
}
COMBINATORS = frozenset({"allOf", "anyOf", "oneOf", "not", "$ref"})
MAX_DISJUNCTS = 64
RAW_FACTOR = 4
PRUNED_FROM = 8
"""Products of more conjunctions than this are rid of those without instances (`_impossible`)."""
"""A product may reach RAW_FACTOR times MAX_DISJUNCTS before its conjunctions without instances go."""


class TooComplex(Exception):
    """The expansion would grow beyond what the checker explores; the answer is then conservative."""


@dataclass(frozen=True)
class Conj:
    parts: tuple[Node, ...] = ()  # every part's own (non-combinator) keywords hold
    nots: tuple[Node, ...] = ()  # none of these holds
    undecided: tuple[Node, ...] = ()  # could not be expanded
    excluded: tuple[
        Node, ...
    ] = ()  # negated schemas already expanded into `parts`, kept to spot `S and not S`

    def __and__(self, other: Conj) -> Conj:
        return Conj(
            self.parts + other.parts,
            self.nots + other.nots,
            self.undecided + other.undecided,
            self.excluded + other.excluded,
        )


def expand_all(nodes: list[Node]) -> list[Conj]:
    result = [Conj()]
    for node in nodes:
        result = _product(result, expand(node))
    return result


def expand(node: Node, refs: frozenset[str] = frozenset()) -> list[Conj]:
    """(remembered for the comparison, too large or not: a large union is met from many places)"""
    if not isinstance(node.schema, dict):
        return _expand(node, refs)
    key = ("expand", id(node.schema), node.path, refs)
    known = node.doc.memo.get(key)
    if known is None or known[0] is not node.schema:
        try:
            known = (node.schema, _expand(node, refs))
        except TooComplex:
            known = (node.schema, None)
        node.doc.memo[key] = known
    if known[1] is None:
        raise TooComplex
    return list(known[1])


def _expand(node: Node, refs: frozenset[str]) -> list[Conj]:
    schema = node.schema
    if schema is True or schema == {}:
        return [Conj()]
    if schema is False:
        return []
    if not isinstance(schema, dict):
        return [Conj(undecided=(node,))]
    if node.has("$ref") and isinstance(schema["$ref"], str):
        target = _follow(node, refs)
        if target is None:
            return [Conj(undecided=(node,))]
        if not node.doc.ref_has_siblings:
            return expand(target, refs | {target.path})
        result = expand(target, refs | {target.path})
    else:
        result = [Conj()]
    return _product(result, _own(node, refs))


def _follow(node: Node, refs: frozenset[str]) -> Node | None:
    found = node.doc.resolve(node.schema["$ref"], node.path)
    if found is None or found[1] in refs:
        return None  # a reference cycle with no structure in between decides nothing
    return Node(found[0], found[1], node.doc)


def _own(node: Node, refs: frozenset[str]) -> list[Conj]:
    result = [Conj(parts=(node,))]
    keywords = node.keywords()
    for i, _ in enumerate(_list(keywords.get("allOf"))):
        result = _product(result, expand(node.child("allOf", i), refs))
    if isinstance(keywords.get("anyOf"), list):
        _bounded(result, keywords["anyOf"])  # (hundreds of branches would cost their size to no end)
        union: list[Conj] = []
        for i in range(len(keywords["anyOf"])):
            union.extend(expand(node.child("anyOf", i), refs))
            _bounded(result, union)  # (before the next branch: hundreds of them would cost their size)
        result = _product(result, union)
    if isinstance(keywords.get("oneOf"), list):
        result = _product(result, _one_of(node, refs, len(result)))
    if "if" in keywords and ("then" in node.schema or "else" in node.schema):
        result = _product(result, _conditional(node, refs))
    if "not" in keywords:
        negated = node.child("not")
        exact = complement(negated, refs)
        if exact is None:
            result = [c & Conj(nots=(negated,)) for c in result]
        else:
            result = [c & Conj(excluded=(negated,)) for c in _product(result, exact)]
    return result


def _conditional(node: Node, refs: frozenset[str]) -> list[Conj]:
    """`if`/`then`/`else` is exactly "(if and then) or (not if and else)" (a missing branch holds all)."""
    # (`then` and `else` are evaluated by the `if` keyword: the validator lists no keyword of theirs)
    condition = node.child("if")
    then = expand(node.child("then"), refs) if "then" in node.schema else [Conj()]
    otherwise = expand(node.child("else"), refs) if "else" in node.schema else [Conj()]
    negated = complement(condition, refs)
    if negated is None:
        negated = [Conj(nots=(condition,))]
    else:
        negated = [c & Conj(excluded=(condition,)) for c in negated]
    return _product(expand(condition, refs), then) + _product(negated, otherwise)


def _one_of(node: Node, refs: frozenset[str], factor: int = 1) -> list[Conj]:
    count = len(node.schema["oneOf"])
    if count * factor > MAX_DISJUNCTS:
        raise TooComplex
    branches = [node.child("oneOf", i) for i in range(count)]
    union: list[Conj] = []
    for i, branch in enumerate(branches):
        others = Conj(nots=tuple(b for j, b in enumerate(branches) if j != i))
        union.extend(c & others for c in expand(branch, refs))
        if len(union) * factor > MAX_DISJUNCTS:
            raise TooComplex
    return union


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _bounded(left: list[Any], right: list[Any]) -> None:
    if len(left) * len(right) > MAX_DISJUNCTS:
        raise TooComplex


def _product(left: list[Conj], right: list[Conj]) -> list[Conj]:
    raw = len(left) * len(right)
    # `allOf` of `if`/`then`s on one property's values (GitHub issue forms: one per item type) multiplies
    # out to 2^n conjunctions, all but n + 1 of them asking that property to hold two values at once: those
    # are left out as they come (past MAX_DISJUNCTS only when both sides list such values)
    prune = raw > PRUNED_FROM and any(map(_lists_values, left)) and any(map(_lists_values, right))
    if raw > MAX_DISJUNCTS * (RAW_FACTOR if prune else 1):
        raise TooComplex
    if not prune:
        return [a & b for a in left for b in right]
    found = [c for a in left for b in right if not _impossible(c := a & b)]
    if len(found) > MAX_DISJUNCTS:
        raise TooComplex
    return found


def _lists_values(conj: Conj) -> bool:
    return any(_listing(part)[1] for part in conj.parts)


def _impossible(conj: Conj) -> bool:
    """True when the conjunction surely has no instance: its parts allow objects only, require a property,
    and two of them list the strings that property may hold (`const`/`enum`) with none in common. (Only
    strings: JSON equality of numbers and booleans is not Python's.)"""
    needed: set[str] = set()
    listings = []
    for part in conj.parts:
        names, listed = _listing(part)
        needed |= names
        if listed:
            listings.append(listed)
    if not needed or len(listings) < 2:
        return False
    allowed: dict[str, frozenset[str]] = {}
    for listed in listings:
        for name in needed.intersection(listed):
            allowed[name] = allowed[name] & listed[name] if name in allowed else listed[name]
            if not allowed[name]:
                return conj_kinds(conj) == {"object"}  # (a value of another kind has no properties)
    return False


def _listing(part: Node) -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    """(the names `part` requires, the strings each of its `properties` is limited to where it lists them)
    (remembered: a product meets the same parts in many conjunctions)."""
    key = ("listing", id(part.schema), part.path)
    known = part.doc.memo.get(key)
    if known is None or known[0] is not part.schema:
        keywords = part.keywords()
        names = keywords.get("required")
        needed = frozenset(n for n in names if isinstance(n, str)) if isinstance(names, list) else frozenset()
        properties = keywords.get("properties")
        listed = {}
        for name in properties if isinstance(properties, dict) else ():
            strings = _listed_strings(part.child("properties", name))
            if strings is not None:
                listed[name] = strings
        known = (part.schema, (needed, listed))
        part.doc.memo[key] = known
    return known[1]


def _listed_strings(node: Node) -> frozenset[str] | None:
    """The strings a schema's own `enum`/`const` limit it to (None: not limited so, or not to strings only).
    Before 2019-09 a `$ref` replaces its siblings: its `enum` says nothing then."""
    if not isinstance(node.schema, dict) or ("$ref" in node.schema and not node.doc.ref_has_siblings):
        return None
    lists = finite_values(node)
    if not lists or not all(isinstance(v, str) for values in lists for v in values):
        return None
    return frozenset.intersection(*(frozenset(values) for values in lists))


def kinds_of(node: Node) -> frozenset[str]:
    """The kinds of values a part's `type`, `enum` and `const` let through."""
    keywords = node.keywords()
    kinds = set(KINDS)
    declared = keywords.get("type")
    if isinstance(declared, str):
        declared = [declared]
    if isinstance(declared, list):
        kinds &= {k for t in declared if isinstance(t, str) for k in _TYPE_KINDS.get(t, ())}
    for values in finite_values(node):
        kinds &= {kind_of(v) for v in values}
    return frozenset(kinds)


def conj_kinds(conj: Conj) -> frozenset[str]:
    kinds = set(KINDS)
    for part in conj.parts:
        kinds &= kinds_of(part)
        if _integral_step(part):
            kinds.discard("frac")
    for negated in conj.nots:
        kinds -= _only_type_kinds(negated)
    return frozenset(kinds)


def _integral_step(part: Node) -> bool:
    """A multipleOf an integer admits only integers; Draft 4 (no `exclusiveMinimum` keyword) calls 10.0 a
    number, not an integer, so there it proves nothing."""
    step = part.get("multipleOf")
    valid = isinstance(step, int | float) and not isinstance(step, bool) and 0 < step <= 2**53
    # (a huge float step would let tiny fractions through: their quotient underflows to 0.0)
    return valid and step == int(step) and "exclusiveMinimum" in part.doc.keywords


def _only_type_kinds(node: Node) -> frozenset[str]:
    """The kinds a negated schema excludes entirely: exact only when it says nothing but `type`."""
    keywords = node.keywords()
    if set(keywords) != {"type"} or node.schema.keys() & COMBINATORS:
        return frozenset()
    return kinds_of(node)


def finite_values(node: Node) -> list[list[Any]]:
    """The value lists of `enum` and `const` in a part (each list bounds the part's instances)."""
    keywords = node.keywords()
    lists = []
    if isinstance(keywords.get("enum"), list):
        lists.append(keywords["enum"])
    if "const" in keywords:
        lists.append([keywords["const"]])
    return lists


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "int"
    if isinstance(value, float):
        return "frac"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def is_trivially_true(node: Node) -> bool:
    schema = node.schema
    if schema is True:
        return True
    return isinstance(schema, dict) and not node.keywords()


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def work_seconds() -> float:
    """The clock of the checker's time bounds: this thread's CPU time, not the wall clock, so that a loaded
    machine (a CI run beside it, a server busy with other requests) does not turn a question the checker
    decides when idle into `too_complex`. On an idle machine the two agree."""
    return time.thread_time()


CLOCK_STEPS = 16
"""Steps between two readings of the clock: a step takes microseconds, so the time bound stays as tight."""


@dataclass
class Budget:
    """Bounds the work of one check; past it, the checker answers conservatively."""

    steps: int = 20000
    seconds: float = 0.6  # with witness verification (witnesses.VERIFY_SECONDS), a question stays under 1 s
    spent: int = field(default=0)
    deadline: float = field(default=0.0)
    late: bool = field(default=False)

    def spend(self) -> bool:
        """Counts one step; False once the bounds are passed (each comparison left is then `too_complex`).
        The clock is a system call: it is read at the first step and every CLOCK_STEPS steps after."""
        self.spent += 1
        if (self.spent - 1) % CLOCK_STEPS == 0:
            now = work_seconds()
            self.deadline = self.deadline or now + self.seconds
            self.late = now > self.deadline
        return self.spent <= self.steps and not self.late

    def overdue(self) -> bool:
        """Reads the clock: True once the deadline has passed (for loops that do not step, such as checking
        a long list of values one by one)."""
        self.late = self.late or (bool(self.deadline) and work_seconds() > self.deadline)
        return self.late

    def part(self, seconds: float) -> Budget:
        """A budget for optional work (a second proof, a search for better witnesses): at most `seconds`,
        within this one's deadline and its steps left; `charge` then counts its steps here."""
        now = work_seconds()
        left = (self.deadline or now + self.seconds) - now
        return Budget(steps=max(self.steps - self.spent, 0), seconds=max(min(seconds, left), 0.0))

    def charge(self, part: Budget) -> None:
        self.spent += part.spent

    def extend(self, seconds: float) -> None:
        """Moves the deadline by `seconds` (time spent on work that has its own allowance)."""
        if self.deadline and seconds > 0:
            self.deadline += seconds


class Allowance:
    """CPU seconds for optional work, spent by the blocks run `with` it (nested blocks count once)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.used = 0.0
        self._depth = 0
        self._start = 0.0

    def left(self) -> float:
        running = work_seconds() - self._start if self._depth else 0.0
        return self.seconds - self.used - running

    def __enter__(self) -> Allowance:
        if not self._depth:
            self._start = work_seconds()
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if not self._depth:
            self.used += work_seconds() - self._start


# The exact complement of a keyword that constrains one kind of value: the other kinds, or that kind with the
# opposite bound. `None` where no keyword expresses the complement (pattern, multipleOf, enum, ...).
_GROUP_TYPES = {"string": ["string"], "number": ["number"], "array": ["array"], "object": ["object"]}
_ALL_TYPES = ["null", "boolean", "number", "string", "array", "object"]
_OPPOSITE_COUNTS = {
    "minLength": ("string", "maxLength", -1),
    "maxLength": ("string", "minLength", 1),
    "minItems": ("array", "maxItems", -1),
    "maxItems": ("array", "minItems", 1),
    "minProperties": ("object", "maxProperties", -1),
    "maxProperties": ("object", "minProperties", 1),
}
_NEUTRAL = frozenset({"$ref", "allOf", "anyOf", "not"})


def complement(node: Node, refs: frozenset[str] = frozenset()) -> list[Conj] | None:
    """The instances `node` rejects, as a union of conjunctions; None when that is not expressible exactly."""
    schema = node.schema
    if isinstance(schema, bool):
        return [] if schema else [Conj()]
    if not isinstance(schema, dict) or node.has("oneOf"):
        return None
    if node.has("$ref"):
        target = _follow(node, refs) if isinstance(schema["$ref"], str) else None
        if target is None or node.doc.ref_has_siblings:
            return None
        return complement(target, refs | {target.path})
    union: list[Conj] = []
    for keyword, value in node.keywords().items():
        piece = _keyword_complement(node, keyword, value, refs)
        if piece is None:
            return None
        union.extend(piece)
        if len(union) > MAX_DISJUNCTS:
            raise TooComplex
    return union


def _keyword_complement(node: Node, keyword: str, value: Any, refs: frozenset[str]) -> list[Conj] | None:
    if keyword == "not":
        return expand(node.child("not"), refs)
    if keyword == "anyOf" and isinstance(value, list):
        result: list[Conj] | None = [Conj()]
        for i in range(len(value)):
            branch = complement(node.child("anyOf", i), refs)
            if branch is None:
                return None
            result = _product(result or [], branch)
        return result
    if keyword == "allOf" and isinstance(value, list):
        union: list[Conj] = []
        for i in range(len(value)):
            member = complement(node.child("allOf", i), refs)
            if member is None:
                return None
            union.extend(member)
        return union
    if keyword == "type":
        return _type_complement(node, value)
    if _vacuous(node, keyword, value):
        return []  # every instance satisfies it: its complement is empty
    return _bound_complement(node, keyword, value)


# keywords whose value is a map of schemas (each applies to some members), or a schema (to some members or
# items): with schemas that hold every instance, they constrain nothing (`properties: {"run": true}`, written
# beside `required` to name the member)
_SCHEMA_MAPS = frozenset({"properties", "patternProperties"})
_SCHEMA_VALUES = frozenset({"additionalProperties", "additionalItems", "items", "propertyNames"})


def _vacuous(node: Node, keyword: str, value: Any) -> bool:
    if keyword in _SCHEMA_MAPS and isinstance(value, dict):
        return all(is_trivially_true(node.child(keyword, name)) for name in value)
    if keyword in _SCHEMA_VALUES and isinstance(value, dict | bool):
        return is_trivially_true(node.child(keyword))
    return False


# the alternatives a negation may be replaced by (`small_complement`, `without_negations`)
NEGATION_ALTERNATIVES = 8


def small_complement(node: Node) -> list[Conj] | None:
    """`complement`, when it is exact and has at most NEGATION_ALTERNATIVES alternatives (remembered: the
    same `oneOf` sibling is negated in every other branch)."""
    key = ("small complement", id(node.schema), node.path)
    known = node.doc.memo.get(key)
    if known is None or known[0] is not node.schema:
        try:
            pieces = complement(node)
        except TooComplex:
            pieces = None
        if pieces is not None and len(pieces) > NEGATION_ALTERNATIVES:
            pieces = None
        known = (node.schema, pieces)
        node.doc.memo[key] = known
    return None if known[1] is None else list(known[1])


def without_negations(conj: Conj) -> list[Conj]:
    """`conj` with its negations (a `oneOf`'s other branches, a `not` kept whole) replaced by what they
    reject, where that is exact and the alternatives stay within NEGATION_ALTERNATIVES; the others are
    kept. The same instances: a producer keeps constraints it would otherwise drop
    (`oneOf: [{required: ["a"]}, {required: ["b"]}]` sends no object with both)."""
    if not conj.nots or len(conj.nots) > NEGATION_ALTERNATIVES:
        return [conj]  # (a union of dozens of branches: their complements would cost more than they prove)
    result = [Conj(conj.parts, (), conj.undecided, conj.excluded)]
    kept: list[Node] = []
    for negated in conj.nots:
        pieces = small_complement(negated)
        if pieces is None or len(result) * len(pieces) > NEGATION_ALTERNATIVES:
            kept.append(negated)
            continue
        result = [c & p & Conj(excluded=(negated,)) for c in result for p in pieces]
    return [Conj(c.parts, tuple(kept), c.undecided, c.excluded) for c in result]


def _type_complement(node: Node, value: Any) -> list[Conj] | None:
    kinds = kinds_of(Node({"type": value}, node.path, node.doc))
    if ("int" in kinds) != ("frac" in kinds):
        return None  # "a number that is not an integer" has no type name
    others = [t for t in _ALL_TYPES if not kinds & _TYPE_KINDS[t]]
    return [_synthetic(node, {"type": others})] if others else []


def _bound_complement(node: Node, keyword: str, value: Any) -> list[Conj] | None:
    if keyword in _OPPOSITE_COUNTS:
        group, opposite, step = _OPPOSITE_COUNTS[keyword]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return None
        # other kinds of values satisfy the keyword: its complement holds only values of its own kind
        if value + step < 0:
            return []
        return [_synthetic(node, {"type": group, opposite: value + step})]
    if keyword == "required" and isinstance(value, list):
        missing = [
            _synthetic(node, {"type": "object", "properties": {n: False}})
            for n in value
            if isinstance(n, str)
        ]
        return missing if len(missing) == len(value) else None
    if keyword in ("minimum", "maximum") and not _flagged(node, keyword):
        return _number_complement(node, keyword, value)
    return None


def _flagged(node: Node, keyword: str) -> bool:
    flag = "exclusiveMinimum" if keyword == "minimum" else "exclusiveMaximum"
    return flag in node.schema  # a Draft 4 flag, or a separate later-draft bound: left undecided


def _number_complement(node: Node, keyword: str, value: Any) -> list[Conj] | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    opposite = "maximum" if keyword == "minimum" else "minimum"
    flag = "exclusiveMaximum" if keyword == "minimum" else "exclusiveMinimum"
    if flag in node.doc.keywords:  # Draft 6 on: a numeric exclusive bound
        bound: dict[str, Any] = {flag: value}
    else:
        bound = {opposite: value, flag: True}
    return [_synthetic(node, {"type": "number", **bound})]


def _synthetic(node: Node, schema: dict[str, Any]) -> Conj:
    """A conjunction of one schema the checker made up, placed (for reports) where the negated keyword is."""
    return Conj(parts=(Node(schema, node.path, node.doc),))

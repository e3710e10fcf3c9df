"""The recursive containment check: does every instance of the producer part satisfy the consumer part?

Soundness rests on three habits: dropping a producer constraint only makes the producer larger (so an unknown
producer keyword is ignored), a consumer constraint the checker cannot reason about is reported as
`unsupported_keyword`, and a pair of schemas met again below an object or array is assumed contained
(coinduction: instances are finite, so the assumption is only used for strictly smaller values).
"""

from __future__ import annotations

from typing import Any

from registry.domain.compat import arrays, numbers, objects, strings
from registry.domain.compat.disjoint import Disjointness
from registry.domain.compat.document import Node
from registry.domain.compat.equivalence import equivalent
from registry.domain.compat.normalise import (
    Budget,
    Conj,
    TooComplex,
    canonical,
    conj_kinds,
    expand_all,
    finite_values,
    is_trivially_true,
    kind_of,
    kinds_of,
)
from registry.domain.compat.report import Finding, finding, kinds_in_words, with_candidates
from registry.domain.compat.samples import ODD_VALUES, conj_samples, samples
from registry.domain.compat.unsupported import unsupported_keywords

GROUPS = {
    "number": frozenset({"int", "frac"}),
    "string": frozenset({"string"}),
    "array": frozenset({"array"}),
    "object": frozenset({"object"}),
}


Key = tuple[tuple[tuple[str, int], ...], ...]


class Containment:
    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.active: set[Key] = set()
        self.assumed = False  # whether the answer being computed relies on a pair assumed contained
        # answers that rely on no assumption are final; the nodes are kept so that their ids stay unique
        self.known: dict[Key, tuple[list[Node], list[Node], list[Finding]]] = {}
        self.disjoint = Disjointness()

    def contained(self, ps: list[Node], cs: list[Node], at: str = "") -> list[Finding]:
        """Findings that show (or conservatively suspect) an instance of all `ps` failing some of `cs`;
        `at` is the producer's place when `ps` is empty (a property it does not declare)."""
        self.budget.spend()
        ps = [p for p in ps if not is_trivially_true(p)]
        cs = [c for c in cs if not is_trivially_true(c) and not _universal(c)]
        if not cs or any(p.schema is False for p in ps) or _same(ps, cs):
            return []
        # identity too: a made-up schema (a complement) shares the place of the keyword it negates
        key = (tuple((p.path, id(p.schema)) for p in ps), tuple((c.path, id(c.schema)) for c in cs))
        if key in self.known:
            return self.known[key][2]
        if key in self.active:
            self.assumed = True
            return []  # coinductive: reached again through an object or array, so for a smaller value
        self.active.add(key)
        outer, self.assumed = self.assumed, False
        try:
            found = self._contained(ps, cs, ps[0].path if ps else at)
        finally:
            self.active.discard(key)
        if not self.assumed:
            self.known[key] = (ps, cs, found)
        self.assumed = self.assumed or outer
        return found

    def _contained(self, ps: list[Node], cs: list[Node], where: str) -> list[Finding]:
        try:
            pconjs = [pc for pc in expand_all(ps) if not _unsatisfiable(pc)]
            cconjs = expand_all(cs)
        except TooComplex:
            return [_too_complex(ps, cs, where)]
        findings = self._values(ps, cs, pconjs, cconjs, where)
        for pc in pconjs:
            if _finite(pc) is not None:
                continue
            kinds = conj_kinds(pc)
            for group, members in GROUPS.items():
                if kinds & members:
                    findings.extend(self._group(pc, cconjs, group, kinds & members, cs, where))
        return findings

    def _values(
        self, ps: list[Node], cs: list[Node], pconjs: list[Conj], cconjs: list[Conj], where: str
    ) -> list[Finding]:
        """Finitely many producer values (enums, consts, null, booleans): each checked by jsonschema."""
        values: list[tuple[Any, bool]] = []
        for pc in pconjs:
            listed = _finite(pc)
            if listed is not None:
                values += [(v, True) for v in listed]
            else:
                kinds = conj_kinds(pc)
                values += [(None, False)] * ("null" in kinds) + [
                    (b, False) for b in (True, False) if "boolean" in kinds
                ]
        findings, seen = [], set()
        for value, from_enum in values:
            key = canonical(value)
            if key in seen or any(p.doc.is_valid(p.schema, value) is False for p in ps):
                continue
            seen.add(key)
            verdicts = [c.doc.is_valid(c.schema, value) for c in cs]
            if False in verdicts or None in verdicts:
                rule = _value_rule(value, from_enum, cconjs) if False in verdicts else "unsupported_keyword"
                findings.append(finding(rule, where, cs[0].path, f"the consumer rejects {key}", [value]))
        return findings

    def _group(
        self, pc: Conj, cconjs: list[Conj], group: str, kinds: frozenset[str], cs: list[Node], where: str
    ) -> list[Finding]:
        paths = (where, cs[0].path)
        best: list[Finding] | None = None
        tried: list[list[Finding]] = []
        for cc in cconjs:
            found = self._conj(pc, cc, group, kinds)
            if not found:
                return []
            tried.append(found)
            if best is None or len(found) < len(best):
                best = found
        if group == "number" and "frac" not in kinds and _integers_covered(pc, cconjs, cs):
            return []
        if best is None:  # the consumer allows nothing at all here
            message = f"the consumer accepts no {kinds_in_words(kinds)} here"
            return [finding("type_narrowed", *paths, message, conj_samples(pc, 0, kinds))]
        if len(tried) == 1:
            return best
        # a witness must fail every consumer alternative: what breaks one alternative may break them all
        others = [f.candidates[0] for found in tried for f in found if f.candidates]
        return [with_candidates(f, others) for f in best]

    def _conj(self, pc: Conj, cc: Conj, group: str, kinds: frozenset[str]) -> list[Finding]:
        if cc.undecided:
            where = cc.undecided[0]
            message = (
                "a reference the checker cannot follow (or a cycle of references) constrains the consumer"
            )
            return [
                finding("unsupported_keyword", _path(pc), where.path, message, conj_samples(pc, 0, kinds))
            ]
        found: list[Finding] = []
        for part in cc.parts:
            found.extend(self._part(pc, part, group, kinds))
            if found:
                return found
        for negated in cc.nots:
            if not self.disjoint.conj_node(pc, negated, kinds):
                message = "the producer may emit values the consumer's `not` (or `oneOf` sibling) excludes"
                both = [*pc.parts, negated]  # values of the producer that the negated schema also holds
                candidates = samples(both) + samples([negated]) + conj_samples(pc, 0, kinds)
                found.append(finding("negation_overlap", _path(pc), negated.path, message, candidates))
        return found

    def _part(self, pc: Conj, part: Node, group: str, kinds: frozenset[str]) -> list[Finding]:
        missing = kinds - kinds_of(part)
        if missing:
            message = f"the consumer does not accept {kinds_in_words(missing)} here"
            return [finding("type_narrowed", _path(pc), part.path, message, conj_samples(pc, 0, missing))]
        unsupported = unsupported_keywords(pc, part, group)
        if not unsupported and not finite_values(part):
            return self._keywords(pc, part, group, kinds)
        candidates = conj_samples(pc, 0, kinds)  # only now: sampling costs more than the check
        found = [
            finding(
                "unsupported_keyword",
                _path(pc),
                f"{part.path}/{k}",
                f"the checker cannot compare `{k}` in the consumer",
                candidates,
            )
            for k in unsupported
        ]
        if finite_values(part):
            found.append(
                finding(
                    "enum_narrowed",
                    _path(pc),
                    part.path,
                    "the consumer allows only listed values",
                    candidates + list(ODD_VALUES),
                )
            )
        return found + self._keywords(pc, part, group, kinds)

    def _keywords(self, pc: Conj, part: Node, group: str, kinds: frozenset[str]) -> list[Finding]:
        if group == "number":
            integer = "frac" not in kinds
            problems = numbers.narrowing(
                numbers.range_of(list(pc.parts), integer),
                numbers.range_of([part], "frac" not in kinds_of(part)),
            )
        elif group == "string":
            text = strings.text_of(list(pc.parts))
            if text.min_length == 0 and any(_excludes_empty_string(n) for n in pc.nots):
                text.min_length = 1
            problems = strings.narrowing(text, strings.text_of([part]))
        elif group == "array":
            return arrays.narrowing(self.contained, pc, part)
        else:
            return objects.narrowing(self.contained, pc, part)
        return [finding(rule, _path(pc), part.path, message, values) for rule, message, values in problems]


def _integers_covered(pc: Conj, cconjs: list[Conj], cs: list[Node]) -> bool:
    """Integers no single consumer alternative holds may still be held by several together."""
    p = numbers.range_of(list(pc.parts), True)
    values = numbers.integers_in(p)
    if values is not None:
        return all(c.doc.is_valid(c.schema, v) is True for v in values for c in cs)
    pieces = [numbers.range_of(list(cc.parts), True) for cc in cconjs if _plain_range(cc)]
    return numbers.union_covers(p, pieces)


def _excludes_empty_string(negated: Node) -> bool:
    """`not: {enum: [..., ""]}` (or a const ""): the producer sends no empty string."""
    keywords = negated.keywords()
    listed = finite_values(negated)
    return len(keywords) == 1 and bool(listed) and any(v == "" for v in listed[0])


def _plain_range(cc: Conj) -> bool:
    """A consumer alternative that holds every integer between its bounds."""
    # combinators are already expanded into the alternative: only its own bounds count
    allowed = {"type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "anyOf", "allOf", "$ref"}
    plain = all(set(part.keywords()) <= allowed and "int" in kinds_of(part) for part in cc.parts)
    return plain and not cc.nots and not cc.undecided


def _finite(pc: Conj) -> list[Any] | None:
    """The values a conjunction is limited to by an `enum` or `const`, None when it has neither."""
    for part in pc.parts:
        lists = finite_values(part)
        if lists:
            return list(lists[0])
    return None


def _value_rule(value: Any, from_enum: bool, cconjs: list[Conj]) -> str:
    if from_enum:
        return "enum_narrowed"
    if not any(kind_of(value) in conj_kinds(cc) for cc in cconjs):
        return "type_narrowed"
    return "enum_narrowed"


def _unsatisfiable(pc: Conj) -> bool:
    """A conjunction holding a schema and its negation (`allOf: [S, {not: S}]`) has no instance."""
    if any(is_trivially_true(n) for n in pc.nots):
        return True
    return any(equivalent(p, n) for p in pc.parts for n in pc.nots + pc.excluded)


def _universal(node: Node) -> bool:
    """`anyOf: [S, {not: S}]` (and nothing else) accepts everything."""
    keywords = node.keywords()
    branches = keywords.get("anyOf")
    if set(keywords) != {"anyOf"} or not isinstance(branches, list):
        return False
    negated = [
        node.child("anyOf", i, "not")
        for i, b in enumerate(branches)
        if isinstance(b, dict) and set(b) == {"not"}
    ]
    return any(equivalent(node.child("anyOf", i), n) for i in range(len(branches)) for n in negated)


def _same(ps: list[Node], cs: list[Node]) -> bool:
    if len(ps) != 1 or len(cs) != 1:
        return False
    return equivalent(ps[0], cs[0])


def _path(pc: Conj) -> str:
    return pc.parts[-1].path if pc.parts else ""


def _too_complex(ps: list[Node], cs: list[Node], where: str) -> Finding:
    message = "the schemas are too complex for the checker to compare here"
    return finding("too_complex", where, cs[0].path, message, samples(ps))

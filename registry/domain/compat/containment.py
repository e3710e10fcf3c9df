"""The recursive containment check: does every instance of the producer part satisfy the consumer part?

Soundness rests on three habits: dropping a producer constraint only makes the producer larger (so an unknown
producer keyword is ignored), a consumer constraint the checker cannot reason about is reported as
`unsupported_keyword`, and a pair of schemas met again below an object or array is assumed contained
(coinduction: instances are finite, so the assumption is only used for strictly smaller values).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from registry.domain.compat import arrays, digest, numbers, objects, splits, strings, unions
from registry.domain.compat.disjoint import Disjointness
from registry.domain.compat.document import Node
from registry.domain.compat.equivalence import equivalent
from registry.domain.compat.normalise import (
    CLOCK_STEPS,
    Allowance,
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
    small_complement,
    without_negations,
)
from registry.domain.compat.report import Finding, finding, kinds_in_words, led_by, with_candidates
from registry.domain.compat.samples import ODD_VALUES, conj_samples, outside, proving, samples, unique
from registry.domain.compat.unsupported import unsupported_keywords

GROUPS = {
    "number": frozenset({"int", "frac"}),
    "string": frozenset({"string"}),
    "array": frozenset({"array"}),
    "object": frozenset({"object"}),
}


Key = tuple[tuple[tuple[str, int], ...], ...]
MAX_FINDINGS = 24
# values checked with jsonschema where several consumer alternatives meet (the likeliest first: see `_pool`)
ALTERNATIVES_CHECKS = 6
# of the budget's time, what local witness checks and reversed comparisons may take (see `Allowance`)
OPTIONAL_SECONDS = 0.15
AWAY_SECONDS = 0.03
CONTEXT_SECONDS = 0.05
# of the budget's time, what cutting producer alternatives into pieces may take (see `_held_in_pieces`)
CUT_SECONDS = 0.1


class Containment:
    def __init__(self, budget: Budget, reversed: bool = False) -> None:
        self.budget = budget
        self.reversed = reversed  # comparing a consumer schema against a producer one (see `_beyond`)
        self.reverse: Containment | None = None
        # cutting a producer alternative into pieces (`_held_in_pieces`): a second proof, bounded apart
        self.cutter: Containment | None = None
        self.cutting = False  # this is a cutter (it cuts nothing itself)
        self.cuts = Allowance(CUT_SECONDS)
        # the time spent on work the verdict does not need (better witnesses, second proofs) is bounded
        self.optional = Allowance(OPTIONAL_SECONDS)
        self.moved = 0.0  # how far optional work has moved the comparison's deadline (`_optional_work`)
        # candidates moved out of a producer branch's siblings (`samples.outside`): validations of whole
        # objects against each sibling, cheap on small branches and bounded on large ones
        self.away = Allowance(AWAY_SECONDS)
        # the reverse comparisons of a consumer's negation with the producer's context (`_beyond`)
        self.context = Allowance(CONTEXT_SECONDS)
        self.active: set[Key] = set()
        # the pairs (still being computed) that the answer being computed assumes contained
        self.assumed: set[Key] = set()
        # answers that rely on no assumption are final; the nodes are kept so that their ids stay unique
        self.known: dict[Key, tuple[list[Node], list[Node], list[Finding]]] = {}
        self.disjoint = Disjointness()
        self.negating: set[tuple[str, int]] = set()  # consumer negations being compared as complements

    def contained(self, ps: list[Node], cs: list[Node], at: str = "") -> list[Finding]:
        """Findings that show (or conservatively suspect) an instance of all `ps` failing some of `cs`;
        `at` is the producer's place when `ps` is empty (a property it does not declare)."""
        exhausted = not self.budget.spend()
        ps, cs = _normal(ps, cs)
        if not cs or any(p.schema is False for p in ps) or _same(ps, cs):
            return []
        if exhausted:  # out of time or steps: this comparison is undecided, what was found elsewhere stands
            message = "the checker ran out of time or steps before comparing these schemas"
            return [finding("too_complex", ps[0].path if ps else at, cs[0].path, message, [])]
        key = _key(ps, cs)
        if key in self.known:
            return self.known[key][2]
        if key in self.active:
            self.assumed.add(key)
            return []  # coinductive: reached again through an object or array, so for a smaller value
        self.active.add(key)
        outer, self.assumed = self.assumed, set()
        try:
            # a few findings per place say enough (and one is the verdict): more only cost wrapping witnesses
            found = self._contained(ps, cs, ps[0].path if ps else at)[:MAX_FINDINGS]
        finally:
            self.active.discard(key)
        # assuming this very pair while showing it is coinduction; a finding found under assumptions (which
        # only ever hide findings) stands whatever they become: either answer is then final
        self.assumed.discard(key)
        if found or not self.assumed:
            self.known[key] = (ps, cs, found)
        self.assumed |= outer
        return found

    def _contained(self, ps: list[Node], cs: list[Node], where: str) -> list[Finding]:
        try:
            pconjs = [
                _deduplicated(strong)
                for pc in expand_all(ps)
                for strong in without_negations(pc)
                if not _unsatisfiable(strong)
            ]
            cconjs = [_deduplicated(cc) for cc in expand_all(cs)]
        except TooComplex:
            found = unions.split(self._same_values, ps, cs, where)
            return [_too_complex(ps, cs, where)] if found is None else found
        findings = self._values(ps, cs, pconjs, cconjs, where)
        for pc in pconjs:
            if _finite(pc) is not None:
                continue
            kinds = conj_kinds(pc)
            for group, members in GROUPS.items():
                if kinds & members:
                    findings.extend(self._group(pc, cconjs, group, kinds & members, ps, cs, where))
        return findings

    @contextmanager
    def _optional_work(self) -> Iterator[None]:
        """A block of optional work: its time is the allowance's (OPTIONAL_SECONDS), not the comparison's,
        whose deadline moves by as much (a large contract's better witnesses used to eat a quarter of the
        comparison's bound and leave the comparisons after them `too_complex`). The question's deadline
        (`checker.QUESTION_SECONDS`) bounds both."""
        used = self.optional.used
        with self.optional:
            yield
        # (by the allowance at most: a block that overran it eats into the comparison's time as before)
        moved = min(self.optional.used - used, OPTIONAL_SECONDS - self.moved)
        self.budget.extend(moved)
        self.moved += max(moved, 0.0)

    def _same_values(self, ps: list[Node], cs: list[Node], where: str) -> list[Finding]:
        """`contained` for parts of the values being compared (no object or array in between): a pair
        already being compared is not assumed to hold (that would be circular), it is too complex."""
        normal_ps, normal_cs = _normal(ps, cs)
        if normal_cs and _key(normal_ps, normal_cs) in self.active:
            return [_too_complex(normal_ps, normal_cs, where)]
        return self.contained(ps, cs, where)

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
        for index, (value, from_enum) in enumerate(values):
            if index % CLOCK_STEPS == CLOCK_STEPS - 1 and self.budget.overdue():
                # the values left are not checked: undecided, never assumed to fit
                message = "the schemas are too complex for the checker to compare here"
                findings.append(finding("too_complex", where, cs[0].path, message, [value]))
                break
            key = canonical(value)
            if key in seen or any(p.doc.is_valid(p.schema, value) is False for p in ps):
                continue
            seen.add(key)
            verdicts = [c.doc.is_valid(c.schema, value) for c in cs]
            if False in verdicts or None in verdicts:
                rejected = False in verdicts
                rule = _value_rule(value, from_enum, cconjs) if rejected else "unsupported_keyword"
                message = f"the consumer rejects {key}"
                findings.append(finding(rule, where, cs[0].path, message, [value], promising=rejected))
        return findings

    def _group(
        self,
        pc: Conj,
        cconjs: list[Conj],
        group: str,
        kinds: frozenset[str],
        ps: list[Node],
        cs: list[Node],
        where: str,
    ) -> list[Finding]:
        paths = (where, cs[0].path)
        tried: list[list[Finding]] = []
        # (alternatives of another kind, a `null` beside a union of variants, fail on their own)
        typed = [cc for cc in cconjs if conj_kinds(cc) & kinds]
        shared = self._shared_failure(pc, typed, group, kinds)
        for cc in cconjs:
            # alternatives that fail the same way: what comparing each would have found, found once
            found = shared if shared and any(cc is t for t in typed) else self._conj(pc, cc, group, kinds)
            if not found:
                return []
            tried.append(found)
        if group == "number" and "frac" not in kinds and _integers_covered(pc, cconjs, cs):
            return []
        if not tried:  # the consumer allows nothing at all here
            message = f"the consumer accepts no {kinds_in_words(kinds)} here"
            return [finding("type_narrowed", *paths, message, conj_samples(pc, 0, kinds))]
        if group == "object" and self._held_in_pieces(pc, cconjs, group, kinds):
            return []
        tried.sort(key=_closeness)
        if len(tried) == 1:
            return tried[0]
        # a witness must fail every consumer alternative. The findings of the closest alternative say why;
        # they may not hold a value that fails them all, another's may: the first value that fails the
        # whole consumer here (jsonschema says) leads
        others = [f.candidates[0] for found in tried for f in found if f.candidates]
        pool = _pool(tried)
        index = None
        if self.optional.left() > 0:
            with self._optional_work():
                index = proving(ps, cs, pool, ALTERNATIVES_CHECKS)
        best = [with_candidates(f, others) for f in tried[0]]
        return best if index is None else [led_by(f, pool[index]) for f in best]

    def _shared_failure(
        self, pc: Conj, cconjs: list[Conj], group: str, kinds: frozenset[str]
    ) -> list[Finding] | None:
        """The findings of a part that every consumer alternative starts with (after parts they all share
        and that hold), when the producer fails it: `_conj` returns just those for each alternative (a
        union of variants of one base: GitLab CI's inputs, an `allOf` of four `if`/`then`s, are sixteen
        alternatives, each compared with each producer alternative). None otherwise."""
        if len(cconjs) < 2 or group not in ("object", "array") or any(cc.undecided for cc in cconjs):
            return None
        for index, part in enumerate(cconjs[0].parts):
            if any(
                len(cc.parts) <= index
                or cc.parts[index].path != part.path
                or cc.parts[index].schema is not part.schema
                for cc in cconjs
            ):
                return None
            if not self.budget.spend():
                return None
            found = self._part(pc, part, group, kinds)
            if found:
                return found
        return None

    def _held_in_pieces(self, pc: Conj, cconjs: list[Conj], group: str, kinds: frozenset[str]) -> bool:
        """Whether `pc`, cut by the value of one member (`splits`), has each piece held by some consumer
        alternative: then the union holds it, though no single alternative does. A second proof, within
        its own allowance and by a checker of its own (in the same direction): what it leaves undecided
        for lack of time must not be remembered as undecided by this one; never nested."""
        if self.cutting or self.reversed or self.cuts.left() <= 0:
            return False
        if self.cutter is None:  # one for the whole comparison: what it learns holds for every question
            self.cutter = Containment(self.budget.part(0.0))
            self.cutter.cutting = True
        cutter = self.cutter
        for pieces in splits.cuts(pc, cconjs):
            if self.cuts.left() <= 0:
                return False
            cutter.budget = self.budget.part(self.cuts.left())
            with self.cuts:
                held = all(
                    any(not cutter._conj(piece, cc, group, kinds) for cc in admitting)
                    for piece, admitting in pieces
                )
            self.budget.charge(cutter.budget)
            if held and not cutter.budget.late:
                return True
        return False

    def _conj(self, pc: Conj, cc: Conj, group: str, kinds: frozenset[str]) -> list[Finding]:
        if not self.budget.spend():  # (alternatives against alternatives: a step each)
            message = "the checker ran out of time or steps before comparing these schemas"
            return [finding("too_complex", _path(pc), _path(cc), message, [])]
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
                if group == "object" and pc.nots and not self.reversed and self.away.left() > 0:
                    with self.away:
                        found = [
                            replace(f, candidates=outside(pc.parts, pc.nots, f.candidates)) for f in found
                        ]
                return found
        for negated in cc.nots:
            if any(_same([own], [negated]) for own in pc.nots + pc.excluded):
                continue  # the producer excludes the very same schema
            if self.disjoint.conj_node(pc, negated, kinds):
                continue
            # disjoint when the producer's values are among those the negated schema rejects (exactly
            # expressed); otherwise what stands in the way are producer values it holds: candidates
            overlap = self._outside(pc, negated, group, kinds)
            if overlap is None:
                continue
            # the producer excludes the same place of its own version: when that holds all the consumer's
            # negated schema holds, the producer excludes it too; otherwise the values it adds are witnesses
            added, covered = self._beyond(
                [own for own in pc.nots + pc.excluded if own.path == negated.path],
                negated,
                pc.parts,
                pc.nots,
            )
            if covered:
                continue
            message = "the producer may emit values the consumer's `not` (or `oneOf` sibling) excludes"
            both = [*pc.parts, negated]  # values of the producer that the negated schema also holds
            own = conj_samples(pc, 0, kinds)
            shared, merged = samples(both), _merged(own, added)
            candidates = (
                merged[:1] + overlap + shared[:1] + merged[1:] + shared[1:] + samples([negated]) + own
            )
            found.append(finding("negation_overlap", _path(pc), negated.path, message, candidates))
        return found

    def _outside(self, pc: Conj, negated: Node, group: str, kinds: frozenset[str]) -> list[Any] | None:
        """None when every value of `pc` (of `kinds`) fits an alternative of the exact complement of
        `negated`; otherwise the candidates of the nearest alternative's findings (an empty list when the
        complement is not exact or small)."""
        pieces = small_complement(negated)
        key = (negated.path, id(negated.schema))
        if pieces is None or key in self.negating:
            return []  # (a negation met again inside its own complement: not expanded twice)
        tried = []
        self.negating.add(key)
        try:
            for piece in pieces:
                found = self._conj(pc, piece, group, kinds)
                if not found:
                    return None
                tried.append(found)
        finally:
            self.negating.discard(key)
        tried.sort(key=_closeness)
        return [v for f in (tried[0] if tried else []) for v in f.candidates[:2]]

    def _beyond(
        self,
        owns: list[Node],
        negated: Node,
        context: tuple[Node, ...] = (),
        nots: tuple[Node, ...] = (),
    ) -> tuple[list[Any], bool]:
        """Values of `negated` (a consumer schema) that the producer's `context` (its parts) also holds,
        outside what the producer excludes (the first of `owns`, its schema at the same place; then, if
        that is not enough, all its negations `nots` together where they are few), and whether there are
        none: contained the other way round, by a checker of its own (its assumptions are about that
        direction only), never nested. The context counts: a condition `if: {properties: {kind: {const:
        "a"}}}` made `{type: "object", properties: ...}` holds `{"kind": 5}`, which the producer's own
        parts never send; and so do the other negations: `{"if": ""}` may be in the consumer's new branch
        and in the producer's, and still be no event (another of its branches holds it too)."""
        union = _union([*owns[:1], *(n for n in nots if n not in owns[:1])])
        # without the context first: that answer holds for every producer alternative, and is remembered
        tries = [(own, ()) for own in owns[:1]] + [(own, context) for own in owns[:1] if context]
        tries += [(union, context)] if union is not None and union not in owns[:1] else []
        found: list[Finding] = []
        added: list[Any] = []
        for index, (excluded, around) in enumerate(tries):
            # (the later tries have an allowance of their own: where the first shows values the producer
            # really sends, they only cost, and the other optional work must not starve for them)
            allowance = self.optional if index == 0 else self.context
            if self.reversed or allowance.left() <= 0:
                break
            part = self.budget.part(allowance.left())
            if self.reverse is None:  # one for the whole comparison: what it learns holds for every question
                self.reverse = Containment(part, reversed=True)
            self.reverse.budget = part
            with self._optional_work() if index == 0 else allowance:
                found = self.reverse.contained([negated, *around], [excluded])
            self.budget.charge(part)
            if not found:
                return [], True
            added = added or [v for f in found for v in f.candidates]
        return added, False

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
            return objects.narrowing(self.contained, pc, part, self.budget.spend)
        return [finding(rule, _path(pc), part.path, message, values) for rule, message, values in problems]


def _normal(ps: list[Node], cs: list[Node]) -> tuple[list[Node], list[Node]]:
    """The nodes a comparison keeps: a reference alone is the schema it names (keyed so, a recursion through
    `$ref: "#"` is met again), and schemas that hold everything go."""
    ps = [p for p in map(_referenced, ps) if not is_trivially_true(p)]
    cs = [c for c in map(_referenced, cs) if not is_trivially_true(c) and not _universal(c)]
    return ps, cs


def _key(ps: list[Node], cs: list[Node]) -> Key:
    # identity too: a made-up schema (a complement) shares the place of the keyword it negates
    return (tuple((p.path, id(p.schema)) for p in ps), tuple((c.path, id(c.schema)) for c in cs))


def _referenced(node: Node) -> Node:
    """The schema a node that is only a reference names (following a chain); the node itself otherwise."""
    for _ in range(32):
        schema = node.schema
        if not (isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and node.has("$ref")):
            return node
        if node.doc.ref_has_siblings and len(node.keywords()) > 1:
            return node
        found = node.doc.resolve(schema["$ref"], node.path)
        if found is None:
            return node
        node = Node(found[0], found[1], node.doc)
    return node


# the producer negations `_beyond` takes together (an `anyOf` of them all), beyond which it takes one
UNION_NEGATIONS = 8


def _union(nodes: list[Node]) -> Node | None:
    """One schema holding what any of `nodes` (schemas of one document) holds: the node itself when there is
    one, a made-up `anyOf` of them (remembered) when there are at most UNION_NEGATIONS and the document has
    no embedded resource (their references then resolve from anywhere); None otherwise."""
    if len(nodes) == 1:
        return nodes[0]
    if not nodes or len(nodes) > UNION_NEGATIONS or nodes[0].doc.resources:
        return None
    doc = nodes[0].doc
    key = ("negations", tuple((n.path, id(n.schema)) for n in nodes))
    known = doc.memo.get(key)
    if known is None:
        known = (nodes, Node({"anyOf": [n.schema for n in nodes]}, nodes[0].path, doc))
        doc.memo[key] = known
    return known[1]


def _pool(tried: list[list[Finding]]) -> list[Any]:
    """The candidates of several consumer alternatives' findings, likeliest witnesses first: those already
    shown counterexamples where they were found, then each finding's first, alternative after alternative."""
    findings = [f for found in tried for f in found]
    depth = max(len(found) for found in tried)
    firsts = [found[i] for i in range(depth) for found in tried if i < len(found)]
    ordered = [f for f in findings if f.promising] + firsts
    return unique(
        [f.candidates[0] for f in ordered if f.candidates] + [v for f in findings for v in f.candidates]
    )


def _merged(bases: list[Any], values: list[Any]) -> list[Any]:
    """Each object of `values` laid over the first object of `bases`: a producer value that also holds what
    the consumer's negated schema adds (other kinds as they are)."""
    base = next((b for b in bases if isinstance(b, dict)), None)
    return [{**base, **v} if base is not None and isinstance(v, dict) else v for v in values]


def _closeness(found: list[Finding]) -> tuple[bool, int]:
    """How near a consumer alternative comes to the producer's values: one that takes their type, then the
    fewest findings (its findings' candidates are the likeliest witnesses)."""
    return (any(f.rule == "type_narrowed" for f in found), len(found))


def _deduplicated(conj: Conj) -> Conj:
    """The conjunction with each part once (a diamond of allOf references reaches a base many times)."""
    seen: set[tuple[str, int]] = set()
    parts = []
    for part in conj.parts:
        key = (part.path, id(part.schema))
        if key not in seen:
            seen.add(key)
            parts.append(part)
    if len(parts) == len(conj.parts):
        return conj
    return Conj(tuple(parts), conj.nots, conj.undecided, conj.excluded)


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
    """`anyOf: [S, {not: S}]` (and nothing else) accepts everything (remembered: a union of hundreds of
    alternatives is met many times)."""
    if not isinstance(node.schema, dict) or "anyOf" not in node.schema:
        return False
    key = ("universal", id(node.schema), node.path)
    known = node.doc.memo.get(key)
    if known is None or known[0] is not node.schema:
        known = (node.schema, _covers_all(node))
        node.doc.memo[key] = known
    return bool(known[1])


def _covers_all(node: Node) -> bool:
    keywords = node.keywords()
    branches = keywords.get("anyOf")
    if set(keywords) != {"anyOf"} or not isinstance(branches, list):
        return False
    if not any(isinstance(b, dict) and set(b) == {"not"} for b in branches):
        return False
    negated = [
        node.child("anyOf", i, "not")
        for i, b in enumerate(branches)
        if isinstance(b, dict) and set(b) == {"not"}
    ]
    return any(equivalent(node.child("anyOf", i), n) for i in range(len(branches)) for n in negated)


def _same(ps: list[Node], cs: list[Node]) -> bool:
    """Every consumer schema is one of the producer's (equal digests first: no expansion at all)."""
    if all(any(digest.same(p, c) for p in ps) for c in cs):
        return True
    return len(ps) == 1 and len(cs) == 1 and equivalent(ps[0], cs[0])


def _path(pc: Conj) -> str:
    return pc.parts[-1].path if pc.parts else ""


def _too_complex(ps: list[Node], cs: list[Node], where: str) -> Finding:
    message = "the schemas are too complex for the checker to compare here"
    return finding("too_complex", where, cs[0].path, message, samples(ps))

"""A producer's object alternative that several consumer alternatives hold together, each a part of it.

`oneOf: [{required: [a]}, ...]` narrowed to `if a == "x" then ... else ...`, a member that was a string or a
call and became two alternatives (one a string, one a call), a `oneOf` whose branches each fix the value of a
discriminating member: the producer's alternative is held by no single consumer alternative, but each of its
values is held by one, chosen by the value of one member. So the alternative is cut into pieces by that
member, exactly: one piece per value it may take (when the producer lists them: `enum`, `const`, booleans,
null), or per kind of value, and one where it is absent (when not required). The pieces together hold every
value of the alternative, so when each piece fits some consumer alternative, the alternative fits the
union (sound); when one does not, nothing is concluded (the findings of the whole alternative stand).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from registry.domain.compat.document import Node
from registry.domain.compat.normalise import Conj, TooComplex, conj_kinds, expand_all, finite_values
from registry.domain.compat.samples import unique
from registry.domain.compat.structure import declared, properties_of, property_nodes, required

MAX_PIECES = 12
"""Pieces of one cut: each is compared with the consumer's alternatives, so a member with more values than
this is no discriminator worth the work."""
MAX_MEMBERS = 3
"""Members tried as the cut, those the consumer's alternatives discriminate by first."""
MAX_ALTERNATIVES = 32
"""Consumer alternatives beyond which no cut is tried (each piece meets each of them)."""

_TYPE_OF_KIND = {
    "null": "null",
    "boolean": "boolean",
    "int": "number",
    "frac": "number",
    "string": "string",
    "array": "array",
    "object": "object",
}


def cuts(pc: Conj, cconjs: list[Conj]) -> Iterator[list[tuple[Conj, list[Conj]]]]:
    """Ways of cutting `pc` into pieces whose union is `pc`, by the members the consumer discriminates by:
    each piece with the consumer alternatives that may hold it (the others surely do not)."""
    if len(cconjs) < 2 or len(cconjs) > MAX_ALTERNATIVES or not pc.parts:
        return
    parts = list(pc.parts)
    names = set().union(*(declared(p) for p in parts))
    scores: dict[str, int] = {}
    for cc in cconjs:
        for node in (*cc.parts, *cc.nots):
            for name in _discriminated(node):
                scores[name] = scores.get(name, 0) + 1
    ranked = sorted((name for name in names if scores.get(name)), key=lambda name: (-scores[name], name))
    nodes_of = properties_of(parts)
    have = set().union(*(required(p) for p in parts))
    for name in ranked[:MAX_MEMBERS]:
        pieces = _pieces(name, nodes_of(name), name in have)
        if pieces is None:
            continue
        where = parts[-1]
        cut = [
            (
                Conj((*pc.parts, Node(p, where.path, where.doc)), pc.nots, pc.undecided, pc.excluded),
                [cc for cc in cconjs if _admits(cc, name, p)],
            )
            for p in pieces
        ]
        # the pieces fewest alternatives may hold first: a cut that fails, fails soon
        yield sorted(cut, key=lambda piece: len(piece[1]))


def _admits(cc: Conj, name: str, piece: dict[str, Any]) -> bool:
    """False when the consumer alternative surely holds no value of the piece, by the member alone: it
    rejects the member's one value, or requires the member the piece has not (a cheap check before the
    comparison, which would walk every other member first)."""
    member = piece["properties"][name]
    for part in cc.parts:
        if member is False:
            if name in required(part):
                return False
            continue
        listed = member.get("enum")
        if listed is not None and any(
            n.doc.is_valid(n.schema, listed[0]) is False for n in property_nodes(part, name)
        ):
            return False
    return True


def _discriminated(node: Node) -> frozenset[str]:
    """The members a consumer schema requires or lists the values of (a `const` discriminator, an `if` on
    a value): the more of the consumer's alternatives do, the likelier a cut by that member lets each piece
    meet one of them. Remembered: the same alternatives meet many producer alternatives."""
    key = ("discriminated", id(node.schema), node.path)
    known = node.doc.memo.get(key)
    if known is None or known[0] is not node.schema:
        followed = _followed(node)
        listed = {
            name
            for name in declared(followed)
            if any(finite_values(n) for n in property_nodes(followed, name))
        }
        known = (node.schema, frozenset(required(followed) | listed))
        node.doc.memo[key] = known
    return frozenset(known[1])


def _followed(node: Node) -> Node:
    """A node that is only a reference, as the schema it names (a `oneOf` sibling is often one)."""
    schema = node.schema
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and len(node.keywords()) <= 1:
        found = node.doc.resolve(schema["$ref"], node.path)
        if found is not None:
            return Node(found[0], found[1], node.doc)
    return node


def _pieces(name: str, nodes: list[Node], is_required: bool) -> list[dict[str, Any]] | None:
    """Schemas (of the object) whose union holds every value the producer's `nodes` allow for `name`."""
    if any(n.schema is False for n in nodes):
        return None  # the producer never has the member: nothing to cut by
    try:
        conjs = expand_all(nodes)
    except TooComplex:
        return None
    values = _listed(conjs)
    if values is not None:
        values = [v for v in values if all(n.doc.is_valid(n.schema, v) is not False for n in nodes)]
        pieces = [{"properties": {name: {"enum": [v]}}, "required": [name]} for v in values]
    else:
        types = sorted({_TYPE_OF_KIND[k] for conj in conjs for k in conj_kinds(conj)})
        pieces = [{"properties": {name: {"type": t}}, "required": [name]} for t in types]
    if not is_required:
        pieces.append({"properties": {name: False}})
    return pieces if 1 < len(pieces) <= MAX_PIECES else None


def _listed(conjs: list[Conj]) -> list[Any] | None:
    """Every value the alternatives may take, when each lists its values (or allows only null and
    booleans); None otherwise."""
    values: list[Any] = []
    for conj in conjs:
        lists = [values for part in conj.parts for values in finite_values(part)]
        if lists:
            values.extend(lists[0])
        elif conj_kinds(conj) <= {"null", "boolean"}:
            kinds = conj_kinds(conj)
            values += [None] * ("null" in kinds) + [True, False] * ("boolean" in kinds)
        else:
            return None
        if len(values) > 4 * MAX_PIECES:
            return None
    return unique(values)

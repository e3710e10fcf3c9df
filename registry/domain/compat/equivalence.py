"""Two schemas that say the same thing in the same words, up to where their `$ref`s point.

Test suites and real documents copy a schema to another place and rewrite its references (`#/definitions/a`
becomes `#/anyOf/0/definitions/a`); comparing the referenced schemas instead of the reference strings sees
through
that. Pairs met again are assumed equivalent (a bisimulation), which is sound for equality of meaning.
"""

from __future__ import annotations

from registry.domain.compat.document import Node, same_json

SCHEMA_VALUED = frozenset(
    {
        "not",
        "items",
        "additionalItems",
        "additionalProperties",
        "contains",
        "propertyNames",
        "if",
        "then",
        "else",
        "unevaluatedItems",
        "unevaluatedProperties",
    }
)
SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "items", "prefixItems"})
SCHEMA_MAPS = frozenset({"properties", "patternProperties", "dependencies", "dependentSchemas"})
CONTAINERS = frozenset({"definitions", "$defs"})  # compared through the references that use them


def equivalent(a: Node, b: Node) -> bool:
    # the same words mean the same only in the same draft (Draft 4 ignores `const`, for one)
    if a.doc.keywords != b.doc.keywords:
        return False
    # remembered for the comparison (a large schema met again through many paths is compared once)
    key = ("equivalent", a.path, id(a.schema), b.path, id(b.schema), id(b.doc))
    known = a.doc.memo.get(key)
    if known is None or known[0] is not a.schema or known[1] is not b.schema or known[2] is not b.doc:
        known = (a.schema, b.schema, b.doc, _answer(b, a))
        a.doc.memo[key] = known
    return bool(known[3])


def _answer(b: Node, a: Node) -> bool:
    """Whether `a` and `b` are equivalent: the bisimulation is symmetric, so an answer the other way round,
    remembered by a check the other way between the same documents (both checks of a semantic diff), is
    this answer too."""
    known = b.doc.memo.get(("equivalent", b.path, id(b.schema), a.path, id(a.schema), id(a.doc)))
    if known is not None and known[0] is b.schema and known[1] is a.schema and known[2] is a.doc:
        return bool(known[3])
    return _Bisimulation().same(a, b)


class _Bisimulation:
    def __init__(self) -> None:
        self.assumed: set[tuple[str, str]] = set()

    def same(self, a: Node, b: Node) -> bool:
        if a.schema is b.schema and a.doc is b.doc:
            return True
        if a.path == b.path and _same_documents(a, b):
            return True
        a, b = self._target(a), self._target(b)
        if (
            isinstance(a.schema, bool)
            or isinstance(b.schema, bool)
            or not (a.doc.refers(a.schema) or b.doc.refers(b.schema))
        ):
            return same_json(a.schema, b.schema)
        if not isinstance(a.schema, dict) or not isinstance(b.schema, dict):
            return False
        key = (f"{a.path}#{id(a.schema)}", f"{b.path}#{id(b.schema)}")
        if key in self.assumed:
            return True
        differing = ("differ", key, id(b.doc))
        known = a.doc.memo.get(differing)
        if known is not None and known[0] is a.schema and known[1] is b.schema and known[2] is b.doc:
            return False
        self.assumed.add(key)
        keys = set(a.schema) - CONTAINERS
        if keys == set(b.schema) - CONTAINERS and all(self._keyword(a, b, k) for k in keys):
            return True
        # A difference was found below: assumptions only ever answer "same", so it holds whatever pairs
        # were assumed on the way, and later comparisons (the other arrays and properties that reach this
        # pair) stop here instead of walking down to it again.
        a.doc.memo[differing] = (a.schema, b.schema, b.doc)
        return False

    def _target(self, node: Node) -> Node:
        for _ in range(32):
            schema = node.schema
            if not (isinstance(schema, dict) and isinstance(schema.get("$ref"), str)):
                return node
            if node.doc.ref_has_siblings and len(set(schema) - CONTAINERS) > 1:
                return node
            found = node.doc.resolve(schema["$ref"], node.path)
            if found is None:
                return node
            node = Node(found[0], found[1], node.doc)
        return node

    def _keyword(self, a: Node, b: Node, keyword: str) -> bool:
        x, y = a.schema[keyword], b.schema[keyword]
        if keyword == "$ref":
            return False  # an unresolvable reference (or one beside other keywords): not compared
        if keyword in SCHEMA_LISTS and isinstance(x, list) and isinstance(y, list):
            return len(x) == len(y) and all(
                self.same(a.child(keyword, i), b.child(keyword, i)) for i in range(len(x))
            )
        if keyword in SCHEMA_MAPS and isinstance(x, dict) and isinstance(y, dict):
            return set(x) == set(y) and all(self._entry(a, b, keyword, k) for k in x)
        if keyword in SCHEMA_VALUED and isinstance(x, dict | bool) and isinstance(y, dict | bool):
            return self.same(a.child(keyword), b.child(keyword))
        return same_json(x, y)

    def _entry(self, a: Node, b: Node, keyword: str, name: str) -> bool:
        x, y = a.schema[keyword][name], b.schema[keyword][name]
        if isinstance(x, dict | bool) and isinstance(y, dict | bool):
            return self.same(a.child(keyword, name), b.child(keyword, name))
        return same_json(x, y)


def _same_documents(a: Node, b: Node) -> bool:
    """The same place in two equal documents of one draft."""
    same_draft = a.doc.keywords == b.doc.keywords
    return same_draft and a.doc.text == b.doc.text and a.doc.locates(a) and b.doc.locates(b)

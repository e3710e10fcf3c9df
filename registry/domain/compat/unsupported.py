"""Keywords outside the set the checker compares: when a consumer's such keyword can be discharged anyway.

A consumer keyword the checker does not reason about makes the answer `unsupported_keyword` (conservative),
unless it constrains another kind of value than the producer's, constrains nothing, or the producer imposes
the very same constraint.
"""

from __future__ import annotations

from registry.domain.compat import strings
from registry.domain.compat.document import Node, same_json
from registry.domain.compat.normalise import Conj, canonical
from registry.domain.compat.structure import evaluated

# compared by the checker itself (numbers.py, strings.py, arrays.py, objects.py, normalise.py)
NUMBERS = (
    "type",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
)
STRINGS_AND_ARRAYS = ("minLength", "maxLength", "pattern", "items", "additionalItems", "prefixItems")
ARRAYS_AND_OBJECTS = ("minItems", "maxItems", "uniqueItems", "properties", "patternProperties", "required")
OBJECTS = ("additionalProperties", "dependencies", "dependentRequired", "dependentSchemas", "minProperties")
COMBINED = ("maxProperties", "allOf", "anyOf", "oneOf", "not", "$ref", "if", "then", "else")
SUPPORTED = frozenset(NUMBERS + STRINGS_AND_ARRAYS + ARRAYS_AND_OBJECTS + OBJECTS + COMBINED)
ONLY_FOR = {
    "contains": "array",
    "minContains": "array",
    "maxContains": "array",
    "unevaluatedItems": "array",
    "propertyNames": "object",
    "unevaluatedProperties": "object",
}


def unsupported_keywords(pc: Conj, part: Node, group: str) -> list[str]:
    found = []
    for keyword in part.keywords():
        if keyword in SUPPORTED or ONLY_FOR.get(keyword, group) != group:
            continue
        if _vacuous(part, keyword):
            continue
        if keyword == "unevaluatedProperties" and evaluated(part) is not None:
            continue  # compared as the `additionalProperties` it amounts to (objects.py)
        if keyword == "propertyNames":
            continue  # compared with the names the producer's objects may have (objects.py)
        if keyword in STANDALONE and any(_same_keyword(p, part, keyword) for p in pc.parts):
            continue  # the producer imposes the very same constraint
        found.append(keyword)
    return found


def _same_keyword(p: Node, c: Node, keyword: str) -> bool:
    """Whether p holds `keyword` with the same value and the same modifying siblings as c (for `contains`:
    the same schema, and a count range within c's)."""
    if keyword == "contains" and _within_contains(p, c):
        return True
    names = (keyword, *STANDALONE[keyword])
    same = all(same_json(p.schema.get(n), c.schema.get(n)) for n in names)
    same = same and p.doc.keywords == c.doc.keywords
    return same and p.has(keyword) and "$ref" not in canonical([c.schema.get(n) for n in names])


# keywords whose meaning depends only on their own value and these siblings (unevaluated* depend on every
# other keyword, dynamic references on the path taken: those are never taken as "the same")
def _within_contains(p: Node, c: Node) -> bool:
    """The same `contains` schema, with p's count range inside c's: every array of p passes c's `contains`."""
    if not p.has("contains") or not same_json(p.schema["contains"], c.schema["contains"]):
        return False
    if p.doc.keywords != c.doc.keywords or p.doc.refers(p.schema["contains"]):
        return False
    p_low, c_low = p.schema.get("minContains", 1), c.schema.get("minContains", 1)
    p_high, c_high = p.schema.get("maxContains"), c.schema.get("maxContains")
    if not all(
        v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in (p_low, c_low, p_high, c_high)
    ):
        return False
    return bool(c_low <= p_low and (c_high is None or (p_high is not None and p_high <= c_high)))


def _vacuous(part: Node, keyword: str) -> bool:
    """Keywords that constrain nothing: `if` alone, names checked against a schema every string passes."""
    if keyword == "if":
        return not ({"then", "else"} & set(part.schema))
    return keyword == "propertyNames" and strings.accepts_every_string(part.child("propertyNames"))


STANDALONE: dict[str, tuple[str, ...]] = {
    "contains": ("minContains", "maxContains"),
    "if": ("then", "else"),
    "propertyNames": (),
}

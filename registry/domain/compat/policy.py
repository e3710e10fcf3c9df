"""The LENIENT policy as a rewrite: LENIENT(P, C) = STRICT(close(P), open(C)).

"Producers emit only the properties they declare" is read per *instance place*: the root, and every schema
that applies to a member or an item (under `properties`, `patternProperties`, `additionalProperties`,
`items`, ...). The schemas that apply in place to the same instance (the place's schema, its
`allOf`/`anyOf`/`oneOf` branches, `if`/`then`/`else`, schema dependencies, and `$ref` targets, transitively)
together declare the place's names: their `properties`, `patternProperties`, `required` and dependency names.
`close` sets `additionalProperties: false` on each object schema of that group (`type: object`, a type list
holding `object`, or with `properties`; `additionalProperties` absent or true) and lists the names and
patterns it lacks as `{}`, so that no branch forbids what another branch declares. A definition used in
several places admits the names of all of them.

Left as written: schemas under `not` and `if` (a negation or a condition declares nothing the producer emits,
though an `if`'s names count), a `$ref` with siblings in drafts that ignore them, and the whole group of a
place where a reference cannot be followed (its names are unknown). `open_` removes `additionalProperties:
false`. An `additionalProperties` given as a schema (a map's values) is data and stays on both sides. Both
only add keys, or remove `additionalProperties: false`, so JSON pointers into the rewritten document still
name the same places in the document as given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft4Validator  # type: ignore[import-untyped, unused-ignore]

from registry.domain.compat.document import Doc
from registry.domain.compat.equivalence import SCHEMA_LISTS, SCHEMA_VALUED
from registry.domain.compat.equivalence import SCHEMA_MAPS as EQUIVALENCE_MAPS
from registry.domain.errors import InvalidContract
from registry.domain.formats import jsonschema_draft
from registry.domain.formats.bounded_keywords import bounded
from registry.domain.formats.pointers import escape

# Every place a subschema can stand, as equivalence knows them, plus the definitions a `$ref` may lead into.
SCHEMA_KEYWORDS = SCHEMA_VALUED
SCHEMA_MAPS = EQUIVALENCE_MAPS | {"definitions", "$defs"}

# Keywords whose subschemas apply to another instance (a member, an item, a name): each starts a place.
_PLACE_VALUED = frozenset(
    {
        "additionalProperties",
        "items",
        "additionalItems",
        "contains",
        "propertyNames",
        "unevaluatedItems",
        "unevaluatedProperties",
    }
)
_PLACE_LISTS = frozenset({"items", "prefixItems"})
_PLACE_MAPS = frozenset({"properties", "patternProperties"})
# Keywords whose subschemas apply to the same instance; `if` only as a condition, `not` not at all.
_IN_PLACE_LISTS = ("allOf", "anyOf", "oneOf")
_IN_PLACE_VALUED = ("then", "else")
_IN_PLACE_MAPS = ("dependencies", "dependentSchemas")
_CONTAINERS = ("definitions", "$defs")
_UNFOLLOWED_REFS = ("$dynamicRef", "$recursiveRef")
# The keys that bring other schemas into a place's group
_COMPOSING = frozenset(
    {"$ref", "if", *_IN_PLACE_LISTS, *_IN_PLACE_VALUED, *_IN_PLACE_MAPS, *_UNFOLLOWED_REFS}
)
# The keys under which _places finds schemas
_HOLDING = _COMPOSING | _PLACE_VALUED | _PLACE_LISTS | _PLACE_MAPS | {*_CONTAINERS, "components"}


def validator_class_of(schema: Any) -> Any:
    """The draft `$schema` names; Draft 4 when it names none we know (as for contracts). Bounded, as for
    events: witnesses are verified with the ECMA-262 patterns that validation runs."""
    try:
        return jsonschema_draft.event_validator_class(schema if isinstance(schema, dict) else {})
    except InvalidContract:
        return bounded(Draft4Validator)


def close(schema: Any, validator_class: Any = None) -> Any:
    """The producer as LENIENT reads it (module docstring); `validator_class` gives the draft (default: as
    `check` chooses it)."""
    if not isinstance(schema, dict):
        return schema
    doc = Doc(schema, validator_class or validator_class_of(schema))
    admitted = _Admitted(doc)
    for node, path in _places(doc, schema, ""):
        admitted.add_place(node, path)
    return _rewrite_closed(schema, admitted)


def open_(schema: Any) -> Any:
    return _rewrite(schema, _opened)


@dataclass
class _Names:
    """What an object schema must admit when closed: names and patterns, or None when they are unknown."""

    names: set[str] | None = field(default_factory=set)
    patterns: set[str] = field(default_factory=set)

    def join(self, other: _Names) -> None:
        if self.names is None or other.names is None:
            self.names = None
        else:
            self.names |= other.names
            self.patterns |= other.patterns


class _Admitted:
    """For each object schema to close (by identity: the document's own dicts), the names it admits."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.by_node: dict[int, tuple[dict[str, Any], _Names]] = {}

    def add_place(self, place: dict[str, Any], path: str) -> None:
        declared, closable = self._group(place, path)
        for node in closable:
            self.by_node.setdefault(id(node), (node, _Names()))[1].join(declared)

    def of(self, node: dict[str, Any]) -> _Names | None:
        found = self.by_node.get(id(node))
        return found[1] if found is not None and found[0] is node else None

    def _group(self, place: dict[str, Any], path: str) -> tuple[_Names, list[dict[str, Any]]]:
        """The names the schemas applying in place to `place` declare, and those of them to close."""
        declared, closable = _Names(), []
        if place.keys().isdisjoint(_COMPOSING):  # most places: one schema alone (often not an object)
            if not _closable(place):
                return declared, []
            _declare(declared, _evaluated(self.doc, place))
            return declared, [place]
        stack: list[tuple[Any, str, bool]] = [(place, path, False)]
        seen: set[int] = set()
        while stack:
            node, at, condition = stack.pop()
            if not isinstance(node, dict) or id(node) in seen:
                continue
            seen.add(id(node))
            keywords = _evaluated(self.doc, node)
            if any(k in keywords for k in _UNFOLLOWED_REFS):
                declared.names = None
            if "$ref" in keywords:
                target = self.doc.resolve(keywords["$ref"], at) if isinstance(keywords["$ref"], str) else None
                if target is None:
                    declared.names = None
                else:
                    stack.append((target[0], target[1], condition))
                if not self.doc.ref_has_siblings:
                    continue  # the reference replaces its siblings
            _declare(declared, keywords)
            if not condition and _closable(node):
                closable.append(node)
            for key, child in _in_place(keywords):
                stack.append((child, f"{at}/{key}", condition))
            if "if" in keywords:
                stack.append((keywords["if"], f"{at}/if", True))
        return declared, closable


def _declare(declared: _Names, keywords: dict[str, Any]) -> None:
    names = declared.names
    if names is None:
        return
    properties, patterns = keywords.get("properties"), keywords.get("patternProperties")
    names.update(properties if isinstance(properties, dict) else ())
    declared.patterns.update(patterns if isinstance(patterns, dict) else ())
    required = keywords.get("required")
    names.update(n for n in (required if isinstance(required, list) else ()) if isinstance(n, str))
    for keyword in ("dependencies", "dependentRequired", "dependentSchemas"):
        value = keywords.get(keyword)
        for trigger, needed in value.items() if isinstance(value, dict) else ():
            names.add(trigger)
            names.update(n for n in (needed if isinstance(needed, list) else ()) if isinstance(n, str))


def _evaluated(doc: Doc, schema: dict[str, Any]) -> dict[str, Any]:
    """The keywords the draft evaluates in `schema` (`then` and `else` belong to its `if`)."""
    conditional = "if" in doc.keywords and "if" in schema
    return {k: v for k, v in schema.items() if k in doc.keywords or (conditional and k in _IN_PLACE_VALUED)}


def _in_place(keywords: dict[str, Any]) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for keyword in _IN_PLACE_LISTS:
        value = keywords.get(keyword)
        found += [(f"{keyword}/{i}", s) for i, s in enumerate(value)] if isinstance(value, list) else []
    found += [(k, keywords[k]) for k in _IN_PLACE_VALUED if k in keywords]
    for keyword in _IN_PLACE_MAPS:
        value = keywords.get(keyword)
        found += [(f"{keyword}/{escape(k)}", s) for k, s in value.items()] if isinstance(value, dict) else []
    return found


def _closable(schema: dict[str, Any]) -> bool:
    declared = schema.get("type")
    is_object = (
        declared == "object"
        or (isinstance(declared, list) and "object" in declared)
        or "properties" in schema
    )
    return is_object and schema.get("additionalProperties", True) is True


def _places(doc: Doc, schema: Any, path: str) -> list[tuple[dict[str, Any], str]]:
    """Every instance place of the document (schema, pointer), walking all schemas but those under `not`."""
    found: list[tuple[dict[str, Any], str]] = []
    _collect_places(doc, schema, path, True, found)
    return found


def _collect_places(
    doc: Doc, schema: Any, path: str, place: bool, found: list[tuple[dict[str, Any], str]]
) -> None:
    if not isinstance(schema, dict):
        return
    if place:
        found.append((schema, path))
    if schema.keys().isdisjoint(_HOLDING):
        return  # a leaf: no schema below it
    keywords = _evaluated(doc, schema)
    for key, child in _in_place(keywords) + ([("if", keywords["if"])] if "if" in keywords else []):
        _collect_places(doc, child, f"{path}/{key}", False, found)
    for key in _PLACE_VALUED:
        if isinstance(keywords.get(key), dict):
            _collect_places(doc, keywords[key], f"{path}/{key}", True, found)
    for key in _PLACE_LISTS:
        items = keywords.get(key)
        for i, child in enumerate(items if isinstance(items, list) else []):
            _collect_places(doc, child, f"{path}/{key}/{i}", True, found)
    for key in _PLACE_MAPS:
        for name, child in keywords[key].items() if isinstance(keywords.get(key), dict) else ():
            _collect_places(doc, child, f"{path}/{key}/{escape(name)}", True, found)
    for key in _CONTAINERS:
        for name, child in schema[key].items() if isinstance(schema.get(key), dict) else ():
            _collect_places(doc, child, f"{path}/{key}/{escape(name)}", False, found)
    components = schema.get("components")
    if isinstance(components, dict) and isinstance(components.get("schemas"), dict):
        for name, child in components["schemas"].items():
            _collect_places(doc, child, f"{path}/components/schemas/{escape(name)}", False, found)


def _rewrite_closed(schema: Any, admitted: _Admitted) -> Any:
    def closed(original: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        names = admitted.of(original)
        if names is None or names.names is None:
            return result
        properties = result.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        missing: dict[str, Any] = {n: {} for n in sorted(names.names) if n not in properties}
        if missing:
            result["properties"] = {**properties, **missing}
        patterns = result.get("patternProperties")
        patterns = patterns if isinstance(patterns, dict) else {}
        missing_patterns: dict[str, Any] = {p: {} for p in sorted(names.patterns) if p not in patterns}
        if missing_patterns:
            result["patternProperties"] = {**patterns, **missing_patterns}
        return {**result, "additionalProperties": False}

    return _rewrite(schema, closed, with_original=True)


def _opened(schema: dict[str, Any]) -> dict[str, Any]:
    if schema.get("additionalProperties") is False:
        return {k: v for k, v in schema.items() if k != "additionalProperties"}
    return schema


def _rewrite(schema: Any, change: Any, *, with_original: bool = False) -> Any:
    if not isinstance(schema, dict):
        return schema
    result = dict(schema)
    for key in SCHEMA_KEYWORDS:
        if isinstance(result.get(key), dict):
            result[key] = _rewrite(result[key], change, with_original=with_original)
    for key in SCHEMA_LISTS:
        if isinstance(result.get(key), list):
            result[key] = [_rewrite(s, change, with_original=with_original) for s in result[key]]
    for key in SCHEMA_MAPS:
        if isinstance(result.get(key), dict):
            result[key] = {
                k: _rewrite(s, change, with_original=with_original) for k, s in result[key].items()
            }
    components = result.get("components")
    if isinstance(components, dict) and isinstance(components.get("schemas"), dict):
        schemas = {
            k: _rewrite(s, change, with_original=with_original) for k, s in components["schemas"].items()
        }
        result["components"] = {**components, "schemas": schemas}
    changed: dict[str, Any] = change(schema, result) if with_original else change(result)
    return changed

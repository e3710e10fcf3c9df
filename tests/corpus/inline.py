"""A contract's event schema with every reference replaced by what it refers to, for drawing documents.

hypothesis-jsonschema cannot follow recursive references (nor `$id`-relative ones); the documents it draws
from the inlined schema are only proposals: each is labelled by the registry's own validator afterwards. A
reference met again deeper than `REPEATS` times along one path becomes a schema nothing satisfies, which
bounds the depth of recursive documents.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from referencing import Registry
from referencing.jsonschema import specification_with

REPEATS = 2
DRAFT4_ID = "http://json-schema.org/draft-04/schema"
NOTHING: dict[str, Any] = {"not": {}}
DRAFT4_URI = "http://json-schema.org/draft-04/schema#"
DRAFT7_URI = "http://json-schema.org/draft-07/schema#"

MAPS = ("properties", "patternProperties", "definitions", "$defs", "dependentSchemas")
LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
VALUES = ("additionalProperties", "additionalItems", "not", "contains", "if", "then", "else", "propertyNames",
          "unevaluatedItems", "unevaluatedProperties", "items")  # fmt: skip
IDS = ("$id", "id", "$anchor", "$dynamicAnchor", "$schema", "definitions", "$defs")


def inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` (a whole JSON Schema document) without references, `$id`s or definitions."""
    declared = schema.get("$schema")
    dialect = declared.rstrip("#") if isinstance(declared, str) else DRAFT4_ID
    specification = specification_with(dialect)
    resource = specification.create_resource(schema)
    base = resource.id() or ""
    resolver = Registry().with_resource(base, resource).resolver(base_uri=base)  # type: ignore[call-arg]

    def expand(node: Any, resolver: Any, seen: dict[int, int]) -> Any:
        if not isinstance(node, dict):
            return node
        if isinstance(specification.id_of(node), str):  # a subschema with its own base URI
            resolver = resolver.in_subresource(specification.create_resource(node))
        ref = node.get("$ref")
        if isinstance(ref, str):
            resolved = resolver.lookup(ref)
            key = id(resolved.contents)
            if seen.get(key, 0) >= REPEATS:
                return dict(NOTHING)
            return expand(resolved.contents, resolved.resolver, {**seen, key: seen.get(key, 0) + 1})
        kept = {keyword: value for keyword, value in node.items() if keyword not in IDS}
        return _each_subschema(kept, lambda child: expand(child, resolver, seen))

    result = expand(schema, resolver, {})
    if not isinstance(result, dict):
        return dict(NOTHING) if result is False else {}
    result["$schema"] = DRAFT4_URI if dialect == DRAFT4_ID else DRAFT7_URI
    return result


def _each_subschema(node: dict[str, Any], change: Callable[[Any], Any]) -> dict[str, Any]:
    """A copy of `node` with `change` applied to each of its direct subschemas (not to data such as enum
    values, nor to the names in `properties`)."""
    changed: dict[str, Any] = {}
    for keyword, value in node.items():
        if keyword in MAPS and isinstance(value, dict):
            changed[keyword] = {name: change(child) for name, child in value.items()}
        elif keyword in (*LISTS, *VALUES) and isinstance(value, list):
            changed[keyword] = [change(child) for child in value]
        elif keyword in VALUES:
            changed[keyword] = change(value)
        elif keyword == "dependencies" and isinstance(value, dict):  # lists of names pass through
            changed[keyword] = {name: change(child) for name, child in value.items()}
        else:
            changed[keyword] = value
    return changed


def for_hypothesis(schema: Any) -> Any:
    """The inlined schema in Draft 7, which hypothesis-jsonschema knows best: tuples as `items` arrays,
    dependent members as `dependencies`, Draft 4's boolean exclusive bounds as numbers, boolean schemas as
    their object forms."""
    if schema is True:
        return {}
    if schema is False:
        return dict(NOTHING)
    if not isinstance(schema, dict):
        return schema
    translated = _each_subschema(schema, for_hypothesis)
    if "prefixItems" in translated:
        translated["additionalItems"] = translated.pop("items", {})
        translated["items"] = translated.pop("prefixItems")
    dependent = {**translated.pop("dependentRequired", {}), **translated.pop("dependentSchemas", {})}
    if dependent:
        translated["dependencies"] = {**translated.get("dependencies", {}), **dependent}
    for keyword in ("unevaluatedProperties", "unevaluatedItems", "contentEncoding", "contentMediaType"):
        translated.pop(keyword, None)
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        # Draft 4's spelling, in Draft 7's
        if isinstance(translated.get(exclusive), bool) and translated.pop(exclusive) and bound in translated:
            translated[exclusive] = translated.pop(bound)
    if translated.get("$schema") == DRAFT4_URI:
        translated["$schema"] = DRAFT7_URI
    return translated

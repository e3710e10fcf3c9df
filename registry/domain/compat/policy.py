"""The LENIENT policy as a rewrite: LENIENT(P, C) = STRICT(close(P), open(C)).

close sets `additionalProperties: false` on every object schema (`type: object` or with `properties`) whose
`additionalProperties` is absent or true; open removes `additionalProperties: false`. An
`additionalProperties`
given as a schema (a map's values) is data and stays. Both keep every other key in place, so JSON pointers
into
the rewritten document still name the same places in the document as given.
"""

from __future__ import annotations

from typing import Any

from registry.domain.compat.equivalence import SCHEMA_LISTS, SCHEMA_VALUED
from registry.domain.compat.equivalence import SCHEMA_MAPS as EQUIVALENCE_MAPS

# Every place a subschema can stand, as equivalence knows them, plus the definitions a `$ref` may lead into.
SCHEMA_KEYWORDS = SCHEMA_VALUED
SCHEMA_MAPS = EQUIVALENCE_MAPS | {"definitions", "$defs"}


def close(schema: Any) -> Any:
    return _rewrite(schema, _closed)


def open_(schema: Any) -> Any:
    return _rewrite(schema, _opened)


def _closed(schema: dict[str, Any]) -> dict[str, Any]:
    declared = schema.get("type")
    is_object = (
        declared == "object"
        or (isinstance(declared, list) and "object" in declared)
        or "properties" in schema
    )
    if is_object and schema.get("additionalProperties", True) is True:
        return {**schema, "additionalProperties": False}
    return schema


def _opened(schema: dict[str, Any]) -> dict[str, Any]:
    if schema.get("additionalProperties") is False:
        return {k: v for k, v in schema.items() if k != "additionalProperties"}
    return schema


def _rewrite(schema: Any, change: Any) -> Any:
    if not isinstance(schema, dict):
        return schema
    result = dict(schema)
    for key in SCHEMA_KEYWORDS:
        if isinstance(result.get(key), dict):
            result[key] = _rewrite(result[key], change)
    for key in SCHEMA_LISTS:
        if isinstance(result.get(key), list):
            result[key] = [_rewrite(s, change) for s in result[key]]
    for key in SCHEMA_MAPS:
        if isinstance(result.get(key), dict):
            result[key] = {k: _rewrite(s, change) for k, s in result[key].items()}
    components = result.get("components")
    if isinstance(components, dict) and isinstance(components.get("schemas"), dict):
        schemas = {k: _rewrite(s, change) for k, s in components["schemas"].items()}
        result["components"] = {**components, "schemas": schemas}
    changed: dict[str, Any] = change(result)
    return changed

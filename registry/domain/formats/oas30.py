"""OpenAPI 3.0 schema objects → JSON Schema Draft 4.

OpenAPI 3.0 schema objects are a dialect of Draft 4: the same keywords (boolean exclusiveMinimum/Maximum
included) plus `nullable` and a few annotations. Only `nullable` changes what is valid, so it is the only
keyword rewritten; the annotations are dropped so that nothing downstream mistakes them for constraints.
"""

from __future__ import annotations

from typing import Any

DROPPED = frozenset({"nullable", "discriminator", "example", "xml", "externalDocs"})
SCHEMA_KEYWORDS = frozenset({"items", "additionalProperties", "not"})
SCHEMA_LIST_KEYWORDS = frozenset({"allOf", "anyOf", "oneOf"})
NULL_SCHEMA: dict[str, Any] = {"type": "null"}


def translate_schemas(schemas: dict[str, Any]) -> dict[str, Any]:
    """Translate every entry of `components.schemas`, keeping the names so `$ref`s still resolve."""
    return {name: translate_schema(schema) for name, schema in schemas.items()}


def translate_schema(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return schema  # a boolean `additionalProperties`, or garbage the spec validator has refused
    translated = {key: _translate_value(key, value) for key, value in schema.items() if key not in DROPPED}
    if schema.get("nullable") is True:
        # a union, not `type: [T, "null"]`: it also lets null past `enum`, `allOf` and siblings of `$ref`
        return {"anyOf": [translated, dict(NULL_SCHEMA)]}
    return translated


def _translate_value(keyword: str, value: Any) -> Any:
    if keyword in SCHEMA_KEYWORDS:
        return translate_schema(value)
    if keyword in SCHEMA_LIST_KEYWORDS and isinstance(value, list):
        return [translate_schema(item) for item in value]
    if keyword == "properties" and isinstance(value, dict):
        return translate_schemas(value)
    return value

"""OpenAPI 3.0 schema objects → JSON Schema Draft 4.

OpenAPI 3.0 schema objects are a dialect of Draft 4: the same keywords (boolean exclusiveMinimum/Maximum
included) plus `nullable` and a few annotations. Only `nullable` changes what is valid, so it is the only
keyword rewritten; the annotations are dropped so that nothing downstream mistakes them for constraints.
"""

from __future__ import annotations

from typing import Any

DROPPED = frozenset({"nullable", "discriminator", "example", "xml", "externalDocs"})
SCHEMA_KEYWORDS = frozenset({"items", "additionalProperties", "additionalItems", "not"})
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
    if keyword in {"properties", "patternProperties"} and isinstance(value, dict):
        return translate_schemas(value)
    return value


def stored_pointer(original: Any, pointer_tokens: list[str]) -> list[str]:
    """The place in the original schema of a place in its translation: the `anyOf` that stands for a
    `nullable: true` is not in the original, so `.../anyOf/0/...` maps to `.../...` and the null branch
    (`.../anyOf/1`) to `.../nullable`."""
    mapped: list[str] = []
    node, tokens = original, list(pointer_tokens)
    while tokens:
        if (
            isinstance(node, dict)
            and node.get("nullable") is True
            and tokens[0] == "anyOf"
            and len(tokens) > 1
        ):
            if tokens[1] != "0":
                return [*mapped, "nullable"]
            tokens = tokens[2:]
            continue
        token = tokens.pop(0)
        mapped.append(token)
        node = _child(node, token)
    return mapped


def _child(node: Any, token: str) -> Any:
    if isinstance(node, dict):
        return node.get(token)
    if isinstance(node, list) and token.isdigit() and int(token) < len(node):
        return node[int(token)]
    return None

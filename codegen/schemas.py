"""Walking a schema: every place that holds a subschema, with its JSON pointer.

Only keyword places count: the members of `properties` are subschemas, but a `default`, `enum` or `const`
value is data, even when it looks like a schema.
"""

from __future__ import annotations

from typing import Any

SCHEMA_MAPS = ("properties", "patternProperties", "definitions", "$defs", "dependentSchemas")
SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SCHEMA_VALUES = (
    "additionalProperties", "additionalItems", "not", "contains", "if", "then", "else", "propertyNames",
    "unevaluatedItems", "unevaluatedProperties", "items",
)  # fmt: skip


def escape(token: str | int) -> str:
    """A JSON pointer token (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def subschemas(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The direct subschemas of `schema`, each with its pointer relative to `schema` ("/properties/a")."""
    found: list[tuple[str, Any]] = []
    for key in SCHEMA_MAPS:
        if isinstance(schema.get(key), dict):
            found.extend((f"/{escape(key)}/{escape(name)}", value) for name, value in schema[key].items())
    for key in SCHEMA_LISTS:
        if isinstance(schema.get(key), list):
            found.extend((f"/{key}/{index}", value) for index, value in enumerate(schema[key]))
    for key in SCHEMA_VALUES:
        value = schema.get(key)
        if isinstance(value, list):  # `items` as an array (a tuple)
            found.extend((f"/{key}/{index}", item) for index, item in enumerate(value))
        else:
            found.append((f"/{key}", value))
    if isinstance(schema.get("dependencies"), dict):  # lists of names are skipped below
        found.extend(
            (f"/dependencies/{escape(name)}", value) for name, value in schema["dependencies"].items()
        )
    return [(pointer, item) for pointer, item in found if isinstance(item, dict)]


def walk_with_pointers(schema: dict[str, Any], at: str = "") -> list[tuple[str, dict[str, Any]]]:
    """`schema` and every subschema under it, each with its pointer (`at` is the pointer of `schema`)."""
    seen, stack = [], [(at, schema)]
    while stack:
        pointer, current = stack.pop()
        seen.append((pointer, current))
        stack.extend((pointer + relative, child) for relative, child in subschemas(current))
    return seen


def walk(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """`schema` and every subschema under it (without the pointers: this one runs on every schema, often)."""
    seen, stack = [], [schema]
    while stack:
        current = stack.pop()
        seen.append(current)
        stack.extend(_children(current))
    return seen


# What each keyword holding subschemas holds: a map of them (`dependencies` maps to lists of names too,
# skipped as not subschemas), a list of them, or one (`items` also a list: a tuple).
_MAP, _LIST, _VALUE = "map", "list", "value"
_PLACES = {
    **dict.fromkeys(SCHEMA_MAPS, _MAP),
    "dependencies": _MAP,
    **dict.fromkeys(SCHEMA_LISTS, _LIST),
    **dict.fromkeys(SCHEMA_VALUES, _VALUE),
}


def _children(schema: dict[str, Any]) -> list[dict[str, Any]]:
    # by the schema's own keys, a handful, rather than by the two dozen keywords that may hold subschemas
    found: list[dict[str, Any]] = []
    for key, value in schema.items():
        place = _PLACES.get(key)
        if place is None:
            continue
        if place == _MAP:
            if isinstance(value, dict):
                found.extend(item for item in value.values() if isinstance(item, dict))
        elif isinstance(value, list):
            found.extend(item for item in value if isinstance(item, dict))
        elif place == _VALUE and isinstance(value, dict):
            found.append(value)
    return found

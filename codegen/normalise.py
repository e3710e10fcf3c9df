"""Rewrites of a schema for the generator that never narrow what an event may contain.

The rule of the generated models: they accept every event the contract accepts (DESIGN §5), and refuse what
it refuses wherever pydantic can say so. Where the generator would say something narrower than the contract,
the schema is widened here first:

- `format` is an annotation in this registry (events are not refused for it), but the generator would turn
  `date-time` into a datetime that refuses "yesterday", `uuid` into a UUID, `format: integer` on a string into
  an int: formats are dropped, and such members stay plain strings (or numbers);
- `patternProperties` become typed dictionary keys only where that is exact (an object with no declared
  members, closed, one pattern: said as `propertyNames` and `additionalProperties`); elsewhere the
  generator would drop the patterns and refuse every member they allow, so the values they allow join
  `additionalProperties` instead: models then keep those members (`extra='allow'`, typed when the contract
  says what the values may be), accepting more than the contract rather than less;
- `allOf` can be flattened (`flatten_all_of`) into one object without inheritance, for the hierarchies the
  generator cannot turn into Python classes (a base reached twice in an order Python refuses).
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import unquote

from codegen.schemas import walk

Schema = dict[str, Any]


def widen_for_models(schema: Schema) -> None:
    """Drop formats and turn inexpressible `patternProperties` into `additionalProperties`, in place."""
    for node in walk(schema):
        if isinstance(node.get("format"), str):
            del node["format"]
        if isinstance(node.get("patternProperties"), dict):
            _widen_pattern_properties(node)


def _widen_pattern_properties(node: Schema) -> None:
    patterns: dict[str, Any] = node["patternProperties"]
    additional = node.get("additionalProperties", True)
    declared = isinstance(node.get("properties"), dict) and bool(node["properties"])
    if not patterns:
        del node["patternProperties"]
    elif additional is False and not declared and len(patterns) == 1 and "propertyNames" not in node:
        # `dict[<key matching the pattern>, <value>]`: exactly the contract. Said with propertyNames, as
        # the generator keeps the value's constraints (maxLength, ...) only for additionalProperties.
        ((pattern, value),) = patterns.items()
        del node["patternProperties"]
        node["propertyNames"] = {"pattern": pattern}
        node["additionalProperties"] = value
    else:
        del node["patternProperties"]
        node["additionalProperties"] = _any_of([additional, *patterns.values()])


def _any_of(schemas: list[Any]) -> Any:
    """A schema accepting what any of `schemas` accepts (`additionalProperties: false` accepts nothing)."""
    kept: list[Any] = []
    for schema in schemas:
        if schema is True or schema == {}:
            return True  # anything
        if schema is not False and schema not in kept:
            kept.append(schema)
    if not kept:
        return False
    return kept[0] if len(kept) == 1 else {"anyOf": kept}


def flatten_all_of(document: Schema, prefix: str) -> Schema:
    """A copy of `document` whose `allOf`s are merged into their object, without inheritance: the members'
    properties and required names joined, members referring to a schema of the document (`prefix` + its
    key: `#/definitions/`, `#/components/schemas/`) inlined first.

    Never narrower than the contract: what two members both say of one property is kept from the first (the
    other's constraints are dropped), and an object closed by any member stays closed over the properties of
    all of them, where the contract allowed only that member's."""
    flattened = copy.deepcopy(document)
    definitions = flattened
    for token in prefix.strip("#/").split("/"):
        definitions = definitions[token]
    for schema in definitions.values():
        for node in walk(schema):
            if isinstance(node.get("allOf"), list):
                _merge_members(node, definitions, prefix, frozenset())
        widen_for_models(schema)  # merged members may now declare properties beside patterns
    return flattened


def _merge_members(node: Schema, definitions: Schema, prefix: str, path: frozenset[str]) -> None:
    for member in node.pop("allOf"):
        if not isinstance(member, dict):
            continue
        key = _definition_key(member, prefix)
        if key is not None and key not in path and isinstance(definitions.get(key), dict):
            member = copy.deepcopy(definitions[key])
            if isinstance(member.get("allOf"), list):
                _merge_members(member, definitions, prefix, path | {key})
        _merge(node, member)


def _definition_key(member: Schema, prefix: str) -> str | None:
    ref = member.get("$ref")
    if not (isinstance(ref, str) and ref.startswith(prefix)) or "/" in ref[len(prefix) :]:
        return None  # not a reference to a whole schema of the document
    return unquote(ref[len(prefix) :]).replace("~1", "/").replace("~0", "~")


def _merge(node: Schema, member: Schema) -> None:
    for keyword, value in member.items():
        if keyword == "properties" and isinstance(value, dict):
            properties = node.setdefault("properties", {})
            for name, schema in value.items():
                properties.setdefault(name, copy.deepcopy(schema))
        elif keyword == "required" and isinstance(value, list):
            node["required"] = list(dict.fromkeys([*node.get("required", []), *value]))
        elif keyword == "additionalProperties":
            if value is False or node.get("additionalProperties") is False:
                node["additionalProperties"] = False
            else:
                node.setdefault("additionalProperties", copy.deepcopy(value))
        elif keyword not in ("$ref", "title", "description"):
            node.setdefault(keyword, copy.deepcopy(value))

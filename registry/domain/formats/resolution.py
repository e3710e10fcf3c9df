"""`$ref` resolution that knows where a JSON Schema document holds schemas, built once per contract.

jsonschema resolves references with `referencing`, whose specifications of drafts 4 to 2019-09 decide
whether a place is a schema by a shortcut: any path through `items` or `dependencies` counts as one. So
inside `items`, a `properties` map is read as a schema and a property *named* `id` as its id, and a lookup
such as `#/definitions/a/items/properties/id` crashes ('dict' object has no attribute 'startswith'). They
also trust every keyword to hold its specified type, which a document checked for references before its
meta-schema need not. And a registry that is not crawled beforehand crawls the whole document again on
every lookup of an anchor or an embedded id: seconds per event for a large contract.

The specifications here keep `referencing`'s rules for ids and anchors, decide schema places exactly from
one table per draft (a key inside `properties`, `definitions`, `patternProperties`, ... is a name, never a
keyword; an `id` or `$anchor` that is not a string is no id), and the registry is crawled once. (A
subschema that declares another draft in `$schema` is crawled by `referencing`'s own specification of that
draft: the library offers no way around it; documents reach this module once their meta-schema has passed,
so such a `$schema` is a string.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import referencing.jsonschema
from referencing import Specification
from referencing._core import Resolver  # not re-exported at the top; `Registry.resolver` returns one

from registry.domain.formats.refs import OFFLINE_REGISTRY

Segment = str | int


@dataclass(frozen=True)
class Keywords:
    """Where one draft's schemas hold subschemas."""

    in_value: frozenset[str]  # the value is a schema
    in_array: frozenset[str]  # the value is an array of schemas
    in_members: frozenset[str]  # the value maps names to schemas
    in_value_or_array: frozenset[str]  # a schema, or an array of schemas (`items` before 2020-12)
    in_members_or_names: frozenset[str]  # maps names to schemas or to arrays of names (`dependencies`)
    identifiers: tuple[str, ...]  # keywords whose value, when a string, names the schema (ids, anchors)


_COMBINATIONS = frozenset({"allOf", "anyOf", "oneOf"})
_NAMED_BEFORE_2019 = frozenset({"definitions", "properties", "patternProperties"})
_NAMED_SINCE_2019 = _NAMED_BEFORE_2019 | {"$defs", "dependentSchemas"}
_DRAFT4_VALUES = frozenset({"not", "additionalProperties", "additionalItems"})
_DRAFT6_VALUES = _DRAFT4_VALUES | {"contains", "propertyNames"}
_DRAFT7_VALUES = _DRAFT6_VALUES | {"if", "then", "else"}
_SINCE_2019_VALUES = _DRAFT7_VALUES | {"contentSchema", "unevaluatedItems", "unevaluatedProperties"}

DRAFT4 = "http://json-schema.org/draft-04/schema"
DRAFT202012 = "https://json-schema.org/draft/2020-12/schema"
KEYWORDS: dict[str, Keywords] = {
    DRAFT4: Keywords(
        _DRAFT4_VALUES, _COMBINATIONS, _NAMED_BEFORE_2019, frozenset({"items"}), frozenset({"dependencies"}),
        ("id",),
    ),
    "http://json-schema.org/draft-06/schema": Keywords(
        _DRAFT6_VALUES, _COMBINATIONS, _NAMED_BEFORE_2019, frozenset({"items"}), frozenset({"dependencies"}),
        ("$id",),
    ),
    "http://json-schema.org/draft-07/schema": Keywords(
        _DRAFT7_VALUES, _COMBINATIONS, _NAMED_BEFORE_2019, frozenset({"items"}), frozenset({"dependencies"}),
        ("$id",),
    ),
    "https://json-schema.org/draft/2019-09/schema": Keywords(
        _SINCE_2019_VALUES, _COMBINATIONS, _NAMED_SINCE_2019, frozenset({"items"}), frozenset(),
        ("$id", "$anchor"),
    ),
    DRAFT202012: Keywords(
        (_SINCE_2019_VALUES - {"additionalItems"}) | {"items"}, _COMBINATIONS | {"prefixItems"},
        _NAMED_SINCE_2019, frozenset(), frozenset(), ("$id", "$anchor", "$dynamicAnchor"),
    ),
}  # fmt: skip


def is_schema_place(segments: Sequence[Segment], keywords: Keywords) -> bool:
    """Whether the path (keys, and array indices as ints) leads from a schema to a subschema."""
    at = 0
    while at < len(segments):
        segment = segments[at]
        following = segments[at + 1] if at + 1 < len(segments) else None
        if segment in keywords.in_value:
            at += 1
        elif segment in keywords.in_value_or_array:
            at += 2 if isinstance(following, int) else 1
        elif segment in keywords.in_array:
            if not isinstance(following, int):
                return False
            at += 2
        elif segment in keywords.in_members or segment in keywords.in_members_or_names:
            if not isinstance(following, str):
                return False
            at += 2
        else:
            return False
    return True


def subschemas(schema: Any, keywords: Keywords) -> Iterator[Any]:
    """The schemas (objects and booleans) directly inside `schema`, whatever shapes its keywords hold."""
    if not isinstance(schema, Mapping):
        return
    for keyword, value in schema.items():
        if keyword in keywords.in_value or keyword in keywords.in_value_or_array:
            yield from value if isinstance(value, list) else (value,)
        elif keyword in keywords.in_array and isinstance(value, list):
            yield from value
        elif (keyword in keywords.in_members or keyword in keywords.in_members_or_names) and isinstance(
            value, Mapping
        ):
            yield from value.values()


def offline_resolver(document: Any, dialect: str) -> Resolver[Any]:
    """A resolver rooted at `document` that never fetches, its registry crawled once, here."""
    resource = exact_specification(dialect).create_resource(document)
    uri = resource.id() or ""
    registry = OFFLINE_REGISTRY.with_resource(uri, resource).crawl()
    resolver: Resolver[Any] = registry.resolver(base_uri=uri)
    return resolver


@cache
def exact_specification(dialect: str) -> Specification[Any]:
    """`referencing`'s specification of the draft, with exact schema places and string-only names."""
    library: Specification[Any] = referencing.jsonschema.specification_with(dialect)
    keywords = KEYWORDS[dialect]

    def named(contents: Any) -> bool:
        # type() rather than isinstance(): JSON documents hold plain dicts, and this runs for every schema
        if type(contents) is not dict:
            return False
        for keyword in keywords.identifiers:
            value = contents.get(keyword)
            if value is not None and type(value) is not str:
                return False
        return True

    def id_of(contents: Any) -> str | None:
        return library.id_of(contents) if named(contents) else None

    def anchors_in(specification: Specification[Any], contents: Any) -> Iterable[Any]:
        return library._anchors_in(specification, contents) if named(contents) else ()

    def subresources_of(contents: Any) -> Iterable[Any]:
        return [each for each in subschemas(contents, keywords) if isinstance(each, Mapping | bool)]

    def maybe_in_subresource(
        segments: Sequence[Segment], resolver: Resolver[Any], subresource: Any
    ) -> Resolver[Any]:
        return resolver.in_subresource(subresource) if is_schema_place(segments, keywords) else resolver

    return Specification(  # type: ignore[call-arg]  # attrs: mypy does not see the generated __init__
        name=f"exact {library.name}",
        id_of=id_of,
        subresources_of=subresources_of,
        anchors_in=anchors_in,
        maybe_in_subresource=maybe_in_subresource,
    )

"""Documents for a contract, drawn by hypothesis-jsonschema, and the places in them that mutations change.

`draw` proposes documents (the caller labels them with the registry's verdict); `sites` walks a document
beside the schema that governs each place, and says whether pydantic models can carry that schema there
(`exact`): plain keywords only, with "X or null" unwrapped and `allOf` members merged. Places under a union
(`oneOf`/`anyOf` other than "or null"), under `not`, `if`, `dependencies` and the like, inside tuples, or
reached through `patternProperties` that models cannot type, are not exact.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import HypothesisException
from hypothesis_jsonschema import from_schema
from jsonschema import Draft7Validator  # type: ignore[import-untyped, unused-ignore]

from registry.domain.formats import Contract
from tests.corpus.inline import for_hypothesis, inlined

Path = tuple[str | int, ...]
# Keywords whose rules models do not carry: places under them are not exact.
ALL_TYPES = frozenset({"null", "boolean", "integer", "number", "string", "array", "object"})
CONDITIONAL = {"not", "if", "then", "else", "dependencies", "dependentRequired", "dependentSchemas",
               "propertyNames", "unevaluatedProperties", "unevaluatedItems", "contains"}  # fmt: skip


@dataclass(frozen=True)
class Site:
    """A place in a document, the schema that governs it there, and whether models can carry that schema."""

    path: Path
    value: Any
    schema: dict[str, Any]  # allOf members merged, "or null" unwrapped, a union's first matching branch
    exact: bool  # models carry every rule of `schema` here
    exact_above: bool  # ... and of every schema above, except that this place may be a union
    union_types: frozenset[str] | None  # at a union: the JSON types its branches accept (None: no union)
    closed_alone: bool  # the object's own schema says `additionalProperties: false`, no allOf, no patterns


def draw(contract: Contract, count: int) -> list[Any]:
    """Up to `count` documents hypothesis-jsonschema draws from the contract's event schema (not labelled)."""
    schema = for_hypothesis(inlined(contract.event_schema()))
    found: list[Any] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    @given(from_schema(schema, allow_x00=False))
    def collect(document: Any) -> None:
        found.append(document)

    # a schema it cannot draw from (or with no satisfiable draw) gives fewer documents
    with contextlib.suppress(HypothesisException, RecursionError, NotImplementedError):
        collect()
    return [json.loads(json.dumps(document)) for document in found]


def sites(document: Any, schema: dict[str, Any]) -> Iterator[Site]:
    """Every place in `document` that `schema` (inlined) governs, the document itself first."""
    yield from _sites(
        document, schema, (), True, Draft7Validator
    )  # branches are judged in for_hypothesis form


def _sites(value: Any, schema: Any, path: Path, exact: bool, validator: Any) -> Iterator[Site]:
    raw = schema if isinstance(schema, dict) else {}
    effective, own_exact, union_types = _effective(raw, value, validator)
    exact_above = exact and own_exact
    exact = exact_above and union_types is None
    closed_alone = raw.get("additionalProperties") is False and not {"allOf", "patternProperties"} & set(raw)
    yield Site(path, value, effective, exact, exact_above, union_types, closed_alone)
    if isinstance(value, dict):
        yield from _members(value, effective, path, exact, validator)
    elif isinstance(value, list):
        items, prefix = effective.get("items"), effective.get("prefixItems")
        tuple_like = isinstance(items, list) or prefix is not None
        for index, item in enumerate(value):
            child = _tuple_member(effective, index) if tuple_like else items
            if child is not None:
                yield from _sites(item, child, (*path, index), exact and not tuple_like, validator)


def _members(
    value: dict[str, Any], schema: dict[str, Any], path: Path, exact: bool, validator: Any
) -> Iterator[Site]:
    properties = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    additional = schema.get("additionalProperties")
    exact_patterns = not properties and additional is False and len(patterns) == 1
    for name, member in value.items():
        matching = [child for pattern, child in patterns.items() if re.search(pattern, name)]
        if name in properties:
            child, child_exact = properties[name], exact and not matching
        elif matching:
            child, child_exact = matching[0], exact and exact_patterns
        elif isinstance(additional, dict):
            child, child_exact = additional, exact and not patterns
        else:
            continue  # undeclared in an open object: nothing governs it
        yield from _sites(member, child, (*path, name), child_exact, validator)


def _tuple_member(schema: dict[str, Any], index: int) -> Any:
    items = schema.get("prefixItems", schema.get("items"))
    rest = schema.get("items") if "prefixItems" in schema else schema.get("additionalItems")
    return items[index] if isinstance(items, list) and index < len(items) else rest


def _effective(
    schema: dict[str, Any], value: Any, validator: Any
) -> tuple[dict[str, Any], bool, frozenset[str] | None]:
    """The schema governing `value`: allOf members merged, "X or null" unwrapped, a union narrowed to the
    first branch `value` satisfies. False for exactness where a rule models cannot carry applies."""
    merged = {key: item for key, item in schema.items() if key not in ("allOf", "anyOf", "oneOf")}
    exact = not (CONDITIONAL & set(schema))
    union_types: frozenset[str] | None = None
    for member in schema.get("allOf", []):
        member = member if isinstance(member, dict) else {}
        member_schema, member_exact, _ = _effective(member, value, validator)
        exact = exact and member_exact and _merge(merged, member_schema)
    for keyword in ("anyOf", "oneOf"):
        branches = [branch if isinstance(branch, dict) else {} for branch in schema.get(keyword, [])]
        if not branches:
            continue
        others = [branch for branch in branches if not _is_null(branch)]
        if len(others) == 1 and len(others) < len(branches):  # X or null
            if value is None:
                return {"type": "null"}, exact, None
            chosen, chosen_exact, union_types = _effective(others[0], value, validator)
            union_types = None if union_types is None else union_types | {"null"}
            exact = exact and chosen_exact and _merge(merged, chosen)
            continue
        union_types = _union_types(branches) or ALL_TYPES  # unknown: no value is surely outside
        for branch in branches:
            if validator(for_hypothesis(branch)).is_valid(value):
                _merge(merged, _effective(branch, value, validator)[0])
                break
    return merged, exact, union_types


def _merge(into: dict[str, Any], member: dict[str, Any]) -> bool:
    """Merge `member` into `into`; False when they disagree on something (models may then keep either)."""
    agree = True
    for keyword, value in member.items():
        if keyword == "properties" and isinstance(value, dict):
            properties = into.setdefault("properties", {})
            for name, schema in value.items():
                agree = agree and properties.setdefault(name, schema) == schema
        elif keyword == "required":
            into["required"] = [*into.get("required", []), *value]
        elif keyword in into and into[keyword] != value and keyword not in ("title", "description"):
            agree = False
        else:
            into.setdefault(keyword, value)
    return agree


def _is_null(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null" or schema.get("enum") == [None] or schema.get("const", 0) is None


def _union_types(branches: list[dict[str, Any]]) -> frozenset[str] | None:
    accepted: set[str] = set()
    for branch in branches:
        types = json_types(branch)
        if types is None:
            return None
        accepted |= types
    return frozenset(accepted)


def json_types(schema: dict[str, Any]) -> set[str] | None:
    """The JSON types `schema` may accept; None when it does not say."""
    if "type" in schema:
        declared = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        return {*declared, "integer"} if "number" in declared else set(declared)
    values = schema.get("enum", [schema["const"]] if "const" in schema else None)
    if values is not None:
        types = {json_type(value) for value in values}
        # models keep a fractional value of an enum as a float, which takes any number
        return types | {"integer"} if "number" in types else types
    for keyword in ("allOf", "anyOf", "oneOf"):
        if schema.get(keyword):
            return _union_types([branch if isinstance(branch, dict) else {} for branch in schema[keyword]])
    return None


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]

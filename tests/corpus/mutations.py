"""Invalid documents made from valid ones, one broken rule at a time, each labelled by the registry.

A mutation changes one place: another JSON type ("42.5" for a number), a required member removed, a value
outside its enum or const, past a bound or length, against a pattern, a member a closed object does not
declare, a duplicate in a unique array, an integer off its multiple. The registry's verdict decides whether
the result is invalid (a mutation it accepts is one more valid document). `expressible` says whether the
models must refuse it: pydantic can carry the broken rule at that place (see documents.Site.exact).
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from registry.domain.formats import Contract
from tests.corpus.documents import Path, Site, json_type, json_types, sites
from tests.corpus.inline import inlined

# A value of another JSON type, by the type of the value it replaces; "42.5" is the classic coercion. Never
# null: models take an explicit null for an absent optional member (a gap the README states).
REPLACEMENTS: dict[str, list[Any]] = {
    "string": [42.5, True, {"k": "v"}, 7],
    "number": ["42.5", True, [], "7"],
    "integer": ["42", 42.5, True, {}],
    "boolean": ["true", 1, "false", 0.5],
    "null": ["null", 0, False, ""],
    "array": [{"0": 1}, "[]", 3],
    "object": [["k"], "{}", 1],
}
UNDECLARED = "zz-undeclared-member"
NOT_MATCHING = ["", "!!", " ", "Ω", "zz", "0", "A-1"]


@dataclass(frozen=True)
class Mutation:
    kind: str
    path: Path
    document: Any
    expressible: bool  # the models must refuse it


@dataclass(frozen=True)
class Change:
    kind: str
    path: Path
    value: Any  # what the place holds afterwards
    expressible: bool


def mutate(
    contract: Contract, documents: list[Any], seed: str, per_document: int
) -> tuple[list[Any], list[Mutation]]:
    """(the mutated documents the contract still accepts, the mutations it refuses)."""
    rng = random.Random(seed)
    schema = inlined(contract.event_schema())
    accepted: list[Any] = []
    refused: list[Mutation] = []
    for document in documents:
        changes = [change for site in sites(document, schema) for change in _changes(site)]
        must = [change for change in changes if change.expressible]
        others = [change for change in changes if not change.expressible]
        chosen = rng.sample(must, min(per_document, len(must)))
        chosen += rng.sample(others, min(per_document // 2, len(others)))
        for change in chosen:
            changed = _replaced(document, change.path, change.value)
            if contract.validate_event(changed, check_identity=False):
                refused.append(Mutation(change.kind, change.path, changed, change.expressible))
            else:
                accepted.append(changed)
    return accepted, refused


def _changes(site: Site) -> Iterator[Change]:
    value, schema = site.value, site.schema
    yield from _type_changes(site)
    if isinstance(value, dict):
        yield from _object_changes(site)
    elif isinstance(value, list):
        yield from _array_changes(site)
    elif isinstance(value, str):
        yield from _string_changes(site)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield from _number_changes(site)
    if "enum" in schema or "const" in schema:
        yield from _value_changes(site)


def _type_changes(site: Site) -> Iterator[Change]:
    accepted = site.union_types if site.union_types is not None else json_types(site.schema)
    for replacement in REPLACEMENTS[json_type(site.value)]:
        kind = json_type(replacement)
        if accepted is not None and kind in accepted:
            continue
        outside_union = site.union_types is not None and site.exact_above
        yield Change("type", site.path, replacement, site.exact or outside_union)
        return


def _object_changes(site: Site) -> Iterator[Change]:
    value, schema = site.value, site.schema
    properties = schema.get("properties", {})
    present = [name for name in schema.get("required", []) if name in value]
    if present:
        name = present[0]
        declared = name in properties and not _has_default(properties[name])
        rest = {key: item for key, item in value.items() if key != name}
        yield Change("required", site.path, rest, site.exact and declared)
    if schema.get("additionalProperties") is False and UNDECLARED not in properties:
        patterns = schema.get("patternProperties", {})
        if not any(re.search(pattern, UNDECLARED) for pattern in patterns):
            yield Change("additional", site.path, {**value, UNDECLARED: 1}, site.exact and site.closed_alone)


def _has_default(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    members = [*schema.get("allOf", []), *schema.get("anyOf", []), *schema.get("oneOf", [])]
    return "default" in schema or any(_has_default(member) for member in members)


def _array_changes(site: Site) -> Iterator[Change]:
    value, schema = site.value, site.schema
    if isinstance(schema.get("minItems"), int) and schema["minItems"] >= 1:
        yield Change("items", site.path, value[: schema["minItems"] - 1], site.exact)
    if isinstance(schema.get("maxItems"), int) and value:
        longer = value + [copy.deepcopy(value[-1])] * (schema["maxItems"] + 1 - len(value))
        yield Change("items", site.path, longer, site.exact)
    if schema.get("uniqueItems") is True and value:
        yield Change("unique", site.path, [*value, copy.deepcopy(value[0])], False)


def _string_changes(site: Site) -> Iterator[Change]:
    schema = site.schema
    if isinstance(schema.get("minLength"), int) and schema["minLength"] >= 1:
        yield Change("length", site.path, "x" * (schema["minLength"] - 1), site.exact)
    if isinstance(schema.get("maxLength"), int):
        yield Change("length", site.path, "x" * (schema["maxLength"] + 1), site.exact)
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        for candidate in NOT_MATCHING:
            if not re.search(pattern, candidate):
                yield Change("pattern", site.path, candidate, site.exact)
                break


def _number_changes(site: Site) -> Iterator[Change]:
    value, schema = site.value, site.schema
    whole = isinstance(value, int)
    for keyword, step, exclusive in (("minimum", -1, "exclusiveMinimum"), ("maximum", 1, "exclusiveMaximum")):
        bound = schema.get(keyword)
        if isinstance(bound, int | float) and not isinstance(bound, bool):
            beyond = bound if schema.get(exclusive) is True else bound + step
            yield Change("bound", site.path, int(beyond) if whole else float(beyond) + step * 0.5, site.exact)
        limit = schema.get(exclusive)
        if isinstance(limit, int | float) and not isinstance(limit, bool):
            yield Change("bound", site.path, int(limit) if whole else float(limit), site.exact)
    multiple = schema.get("multipleOf")
    if whole and isinstance(multiple, int) and multiple > 1:
        yield Change("multiple", site.path, value + 1, site.exact)


def _value_changes(site: Site) -> Iterator[Change]:
    value, schema = site.value, site.schema
    allowed = schema.get("enum", [schema.get("const")])
    kind = "enum" if "enum" in schema else "const"
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return
    if isinstance(value, str):
        candidate: Any = "zz-not-in-enum"
    elif isinstance(value, int):
        candidate = max([0, *(item for item in allowed if isinstance(item, int))]) + 1000
    else:
        candidate = 0.123456789
    # models keep non-integral numbers of an enum as a plain float: only other values are asserted
    fractional = any(isinstance(item, float) and not item.is_integer() for item in allowed)
    if candidate not in allowed:
        yield Change(kind, site.path, candidate, site.exact and not fractional)


def _replaced(document: Any, path: Path, value: Any) -> Any:
    if not path:
        return copy.deepcopy(value)
    changed = copy.deepcopy(document)
    holder = changed
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = copy.deepcopy(value)
    return changed

"""Version histories of the corpus contracts: each contract and a next version after one realistic edit.

The edits are those teams make to large configuration-style contracts: add or remove an optional property,
tighten or loosen a bound, add an `$id` / `title` / `description`, change or add a pattern, add or drop an
enum value, make a property required, regroup an object's properties into an `allOf`. Each is drawn with a
random.Random seeded by the contract's name, so the histories are the same on every run.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from registry.domain.formats.contract import parse_contract
from tests.corpus.contracts import CorpusContract, corpus

Schema = dict[str, Any]
# keywords whose values are data, never schemas: nothing below them is edited
DATA = frozenset({"enum", "const", "examples", "default", "required", "x-amazon-events-source"})
# keywords whose values map names to schemas
MAPS = frozenset(
    {"properties", "patternProperties", "definitions", "$defs", "dependentSchemas", "dependencies"}
)


@dataclass(frozen=True)
class Evolution:
    name: str  # the contract's name and the edit
    edit: str
    before: Schema
    after: Schema


def schema_of(contract: CorpusContract) -> Schema:
    """The schema the checker compares: a JSON Schema as written, an OpenAPI contract's event schema."""
    return parse_contract(contract.type, contract.content, event_root=contract.event_root).event_schema()


def evolutions(contracts: list[CorpusContract] | None = None) -> list[Evolution]:
    found = []
    for contract in contracts if contracts is not None else corpus():
        rng = random.Random(f"evolution:{contract.name}")
        before = schema_of(contract)
        for kind in rng.sample(sorted(EDITS), len(EDITS)):
            after = copy.deepcopy(before)
            if EDITS[kind](after, rng):
                found.append(Evolution(f"{contract.name} {kind}", kind, before, after))
                break
    return found


def _subschemas(schema: Any, depth: int = 0) -> Iterator[Schema]:
    if isinstance(schema, list):
        for item in schema:
            yield from _subschemas(item, depth)
    elif isinstance(schema, dict):
        if depth > 0:
            yield schema
        for key, value in schema.items():
            if key in MAPS and isinstance(value, dict):
                for member in value.values():
                    yield from _subschemas(member, depth + 1)
            elif key not in DATA:
                yield from _subschemas(value, depth + 1)


def _pick(schema: Schema, rng: random.Random, wanted: Callable[[Schema], bool]) -> Schema | None:
    found = [s for s in _subschemas(schema) if wanted(s)]
    return rng.choice(found) if found else None


def _objects(s: Schema) -> bool:
    return isinstance(s.get("properties"), dict) and bool(s["properties"])


def add_optional_property(schema: Schema, rng: random.Random) -> bool:
    target = _pick(schema, rng, _objects)
    if target is None:
        return False
    target["properties"][f"added{rng.randint(0, 99)}"] = rng.choice(
        [{"type": "string"}, {"type": "integer", "minimum": 0}, {"type": "boolean"}]
    )
    return True


def remove_optional_property(schema: Schema, rng: random.Random) -> bool:
    target = _pick(schema, rng, lambda s: _objects(s) and bool(_optional(s)))
    if target is None:
        return False
    del target["properties"][rng.choice(_optional(target))]
    return True


def _optional(s: Schema) -> list[str]:
    required = s.get("required") if isinstance(s.get("required"), list) else []
    return sorted(n for n in s["properties"] if n not in required)


def make_required(schema: Schema, rng: random.Random) -> bool:
    target = _pick(schema, rng, lambda s: _objects(s) and bool(_optional(s)))
    if target is None:
        return False
    target["required"] = [*target.get("required", []), rng.choice(_optional(target))]
    return True


BOUNDS = ("minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems")


def change_bound(schema: Schema, rng: random.Random) -> bool:
    def bounded(s: Schema) -> bool:
        return any(isinstance(s.get(k), int) and not isinstance(s.get(k), bool) for k in BOUNDS)

    target = _pick(schema, rng, bounded)
    if target is None:
        target = _pick(schema, rng, lambda s: s.get("type") == "string")
        if target is None:
            return False
        target["maxLength"] = rng.choice([64, 255])
        return True
    keyword = rng.choice(
        [k for k in BOUNDS if isinstance(target.get(k), int) and not isinstance(target[k], bool)]
    )
    target[keyword] = max(0, target[keyword] + rng.choice([-1, 1, 5]))
    return True


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def add_annotations(schema: Schema, rng: random.Random) -> bool:
    schema["$id" if "$schema" not in schema or "draft-04" not in str(schema["$schema"]) else "id"] = (
        f"https://example.com/schemas/{rng.randint(0, 999)}.json"
    )
    for target in [s for s in _subschemas(schema) if rng.random() < 0.2]:
        target["description"] = "Described in the next version."
        target.setdefault("title", "Titled")
    return True


def change_pattern(schema: Schema, rng: random.Random) -> bool:
    target = _pick(schema, rng, lambda s: isinstance(s.get("pattern"), str))
    if target is not None:
        pattern = target["pattern"]
        target["pattern"] = rng.choice([f"^(?:{pattern})$", f"{pattern}|^x-", pattern.replace("+", "*")])
        return target["pattern"] != pattern
    target = _pick(schema, rng, lambda s: s.get("type") == "string" and "enum" not in s)
    if target is None:
        return False
    target["pattern"] = rng.choice(["^[a-z0-9-]+$", "^[A-Za-z_][A-Za-z0-9_]*$", "\\S"])
    return True


def change_enum(schema: Schema, rng: random.Random) -> bool:
    target = _pick(schema, rng, lambda s: isinstance(s.get("enum"), list) and len(s["enum"]) > 1)
    if target is None:
        return False
    if rng.random() < 0.5:
        target["enum"] = [*target["enum"], f"added-{rng.randint(0, 99)}"]
    else:
        target["enum"] = target["enum"][:-1]
    return True


def regroup_into_all_of(schema: Schema, rng: random.Random) -> bool:
    """An object's properties split across two `allOf` members (the same instances when it is open)."""
    target = _pick(
        schema,
        rng,
        lambda s: (
            _objects(s) and len(s["properties"]) > 1 and "additionalProperties" not in s and "allOf" not in s
        ),
    )
    if target is None:
        return False
    names = sorted(target["properties"])
    moved = names[: len(names) // 2]
    member = {"properties": {n: target["properties"].pop(n) for n in moved}}
    target["allOf"] = [member]
    return True


def loosen_type(schema: Schema, rng: random.Random) -> bool:
    target = _pick(schema, rng, lambda s: s.get("type") in ("integer", "string") and "enum" not in s)
    if target is None:
        return False
    target["type"] = "number" if target["type"] == "integer" else ["string", "null"]
    return True


EDITS: dict[str, Callable[[Schema, random.Random], bool]] = {
    "add-optional-property": add_optional_property,
    "remove-optional-property": remove_optional_property,
    "make-required": make_required,
    "change-bound": change_bound,
    "add-annotations": add_annotations,
    "change-pattern": change_pattern,
    "change-enum": change_enum,
    "regroup-into-allOf": regroup_into_all_of,
    "loosen-type": loosen_type,
}

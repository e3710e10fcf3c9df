"""Building blocks of corpus contracts: names, odd enums, leaves, objects, maps, unions, recursion.

`Blocks` draws everything from one seeded random.Random and writes it in one dialect; named definitions it
creates are collected in `defs` (a family puts them where its dialect keeps definitions).
"""

from __future__ import annotations

import random

from tests.corpus.dialects import Dialect, Schema

# Property names as real configuration files and payloads have them, including the awkward ones.
PLAIN_NAMES = [
    "name", "version", "description", "enabled", "timeout", "retries", "labels", "owner", "region",
    "createdAt", "updated_at", "itemCount", "maxSize", "path", "url", "host", "port", "tags", "priority",
    "status", "reason", "message", "count", "amount", "currency", "email", "userId", "orderId", "sku",
    "quantity", "price", "startTime", "end_time", "duration", "level", "mode", "strategy", "target",
]  # fmt: skip
KEYWORD_NAMES = [
    "class", "from", "import", "type", "id", "model_config", "json", "schema", "self", "def", "None",
    "True", "async", "lambda", "global", "print", "list", "dict", "str", "if", "with", "in", "is", "not",
    "return", "yield", "pass", "model_fields", "model_dump", "copy", "validate", "fields", "construct",
    "root", "__root__", "_private", "__dunder__", "Field", "BaseModel", "Any", "annotations",
]  # fmt: skip
PUNCTUATED_NAMES = [
    "a.b", "x-y", "$ref", "@type", "@context", "with space", "trailing ", " leading", "ünïcödé", "名前",
    "1st", "2nd-place", "a/b", "a~b", "percent%", "hash#tag", "colon:name", "UPPER_CASE", "camelCase",
    "PascalCase", "kebab-case-name", "dotted.key.name", "x-amazon-events-source", "$schema", "$id",
    "properties", "definitions", "items", "a-b", "a_b", "aB", "A_B", "-", "_", "", "?", "🙂",
]  # fmt: skip
ODD_STRINGS = [
    "", " ", "a b", "1.0", "NaN", "-", "+", "*", "ünïcode", "None", "null", "true", "false", "class",
    "def", "0", "-1", "1e3", "a\"quote", "back\\slash", "new\nline", "tab\there", "😀", "a-b", "a_b",
    "A B", "mixed-Case", "UPPER", "lower", "x.y", "$ref", "@", "#", "__init__", "self", "💥 boom",
    "日本語", "ê", "e\u0301", "'single'", "{braces}", "[1]", "%s", "${{ expr }}", "ON", "off",
]  # fmt: skip
FORMATS = ["date-time", "date", "time", "email", "uri", "uri-reference", "uuid", "ipv4", "ipv6", "hostname"]
PATTERNS = [
    "^[a-z][a-z0-9-]*$", "^[A-Z]{3}$", "^\\d+(\\.\\d+){2}$", "^v?[0-9]+\\.[0-9]+\\.[0-9]+(-[a-z0-9.]+)?$",
    "^[a-zA-Z_][a-zA-Z0-9_]*$", "^(https?|ftp)://", "^\\$\\{\\{.*\\}\\}$", "^[0-9a-f]{8}$", "^arn:aws:",
    "^[^\\s]+$", "^#[0-9a-fA-F]{6}$", "^(off|warn|error)$", "^[A-Z][a-z]+(?: [A-Z][a-z]+)*$",
]  # fmt: skip
MAP_KEY_PATTERNS = [
    "^[a-zA-Z_][a-zA-Z0-9_-]*$", "^x-", "^[a-z]+$", "^(createoptions|createOptions)[0-9]*$",
    "^[A-Z_][A-Z0-9_]*$", "^@", "^[0-9]+$", "^.+\\.json$", "^\\$",
]  # fmt: skip


class Blocks:
    def __init__(self, rng: random.Random, dialect: Dialect) -> None:
        self.rng = rng
        self.d = dialect
        self.defs: dict[str, Schema] = {}

    # --- names ----------------------------------------------------------------------------------------

    def names(self, count: int, odd: float = 0.3) -> list[str]:
        """`count` distinct property names; about `odd` of them keywords or punctuated."""
        chosen: list[str] = []
        while len(chosen) < count:
            roll = self.rng.random()
            pool = PLAIN_NAMES if roll >= odd else (KEYWORD_NAMES if roll < odd / 2 else PUNCTUATED_NAMES)
            name = self.rng.choice(pool)
            if name in chosen:
                name = f"{name}{len(chosen)}"
            chosen.append(name)
        return chosen

    def define(self, name: str, schema: Schema) -> Schema:
        """Keep `schema` among the definitions under `name` (made unique); returns a reference to it."""
        unique, counter = name, 1
        while unique in self.defs:
            counter += 1
            unique = f"{name}{counter}"
        self.defs[unique] = schema
        return self.d.ref(unique)

    # --- leaves ---------------------------------------------------------------------------------------

    def odd_enum(self, size: int | None = None) -> Schema:
        values = self.rng.sample(ODD_STRINGS, size or self.rng.randint(2, 8))
        return {"type": "string", "enum": values}

    def string(self) -> Schema:
        roll = self.rng.random()
        if roll < 0.3:
            return {"type": "string"}
        if roll < 0.45:
            low = self.rng.randint(0, 3)
            return {"type": "string", "minLength": low, "maxLength": low + self.rng.randint(1, 64)}
        if roll < 0.6:
            return {"type": "string", "pattern": self.rng.choice(PATTERNS)}
        if roll < 0.8:
            return {"type": "string", "format": self.rng.choice(FORMATS)}
        return self.odd_enum()

    def number(self) -> Schema:
        kind = self.rng.choice(["integer", "number"])
        schema: Schema = {"type": kind}
        roll = self.rng.random()
        if roll < 0.3:
            schema["minimum"] = self.rng.choice([0, 1, -100])
        elif roll < 0.5:
            schema.update(self.d.exclusive_minimum(0))
        if self.rng.random() < 0.3:
            schema["maximum"] = self.rng.choice([10, 65535, 1000000])
        elif self.rng.random() < 0.1:
            schema.update(self.d.exclusive_maximum(100))
        if kind == "integer" and self.rng.random() < 0.1:
            schema["multipleOf"] = self.rng.choice([2, 5, 10])
        return schema

    def leaf(self) -> Schema:
        roll = self.rng.random()
        if roll < 0.45:
            schema = self.string()
        elif roll < 0.75:
            schema = self.number()
        elif roll < 0.9:
            schema = {"type": "boolean"}
        elif roll < 0.95:
            schema = self.d.const(self.rng.choice(["fixed", 1, True, "1.0"]))
        else:
            schema = {"type": "array", "items": self.string(), "uniqueItems": self.rng.random() < 0.5}
        if self.rng.random() < 0.15:
            schema = self.d.nullable(schema)
        self._annotate(schema)
        return schema

    def _annotate(self, schema: Schema) -> None:
        roll = self.rng.random()
        if roll < 0.3:
            schema["description"] = self.rng.choice(
                ['Say "hi"', "Line one.\nLine two.", "Uses `backticks` and \\ backslashes", "ünïcödé ✓", "x"]
            )
        constrained = {"enum", "format", "pattern", "minLength"} & set(schema)
        if roll < 0.1 and schema.get("type") == "string" and not constrained:
            schema["default"] = self.rng.choice(["", "default", "a b"])
        if roll > 0.95:
            schema["examples" if self.d.draft >= 6 else "x-examples"] = ["example"]

    # --- structures -----------------------------------------------------------------------------------

    def obj(
        self,
        properties: dict[str, Schema],
        *,
        required: list[str] | None = None,
        closed: bool | None = None,
        title: str | None = None,
    ) -> Schema:
        schema: Schema = {"type": "object", "properties": properties}
        if title is not None:
            schema["title"] = title
        if required:
            schema["required"] = required
        if closed is not None:
            schema["additionalProperties"] = not closed
        return schema

    def record(self, size: int, *, odd: float = 0.3, depth: int = 0, closed: bool | None = None) -> Schema:
        """An object of `size` members: leaves, with nested records, maps and arrays above depth 0."""
        names = self.names(size, odd)
        properties: dict[str, Schema] = {}
        for name in names:
            roll = self.rng.random()
            if depth > 0 and roll < 0.15:
                properties[name] = self.record(self.rng.randint(1, 5), odd=odd, depth=depth - 1)
            elif depth > 0 and roll < 0.22:
                properties[name] = {"type": "array", "items": self.record(3, odd=odd, depth=depth - 1)}
            elif depth > 0 and roll < 0.28:
                properties[name] = self.string_map()
            else:
                properties[name] = self.leaf()
        required = [name for name in names if self.rng.random() < 0.35]
        if closed is None:
            closed = self.rng.random() < 0.3
        return self.obj(properties, required=required, closed=closed)

    def with_extras(self, properties: dict[str, Schema]) -> Schema:
        """Declared members, and others whose values have a schema of their own (`engines:` sections)."""
        values = self.rng.choice([{"type": "string"}, {"type": "string", "maxLength": 40}, self.number()])
        return {"type": "object", "properties": properties, "additionalProperties": values}

    def string_map(self) -> Schema:
        """A map of names to scalar values, as `env:` and `labels:` sections are."""
        values = self.rng.choice(
            [
                {"type": "string"},
                {"type": ["string", "number", "boolean"]} if self.d.has_type_lists else {"type": "string"},
                {"type": "integer", "minimum": 0},
                self.odd_enum(3),
            ]
        )
        return {"type": "object", "additionalProperties": values}

    def pattern_map(self, values: Schema, *, with_properties: bool) -> Schema:
        """An object whose members are governed by patterns (falls back to a map where the dialect lacks
        patternProperties); `with_properties` adds declared members beside them and closes the object."""
        if not self.d.has_pattern_properties:
            return {"type": "object", "additionalProperties": values}
        schema: Schema = {
            "type": "object",
            "patternProperties": {self.rng.choice(MAP_KEY_PATTERNS): values},
        }
        if with_properties:
            schema["properties"] = {name: self.leaf() for name in self.names(self.rng.randint(1, 4), 0.2)}
            schema["additionalProperties"] = False
        elif self.rng.random() < 0.5:
            schema["additionalProperties"] = False
        return schema

    def one_of(self, branches: list[Schema]) -> Schema:
        return {self.rng.choice(["oneOf", "anyOf"]): branches}

    def string_or_list(self) -> Schema:
        """`needs: build` or `needs: [build, test]`: one of the commonest configuration shapes."""
        item = self.string() if self.rng.random() < 0.5 else {"type": "string"}
        return {"oneOf": [item, {"type": "array", "items": item, "minItems": 1}]}

    def tagged_union(self, name: str, variants: int, tag: str = "kind") -> Schema:
        """Objects told apart by a constant member (`kind: "a"`), each defined on its own."""
        branches = []
        for number in range(variants):
            branch = self.record(self.rng.randint(1, 4), odd=0.2)
            branch["properties"][tag] = self.d.const(f"{name.lower()}-{number}")
            branch["required"] = sorted({*branch.get("required", []), tag})
            branches.append(self.define(f"{name}{number}", branch))
        return {"oneOf": branches}

    def json_value(self) -> Schema:
        """Any JSON value, spelt recursively as configuration schemas do (a definition that refers to
        itself through arrays and objects)."""
        ref = self.d.ref("JsonValue")
        if "JsonValue" not in self.defs:
            scalars: list[Schema] = [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]
            if self.d.name != "oas30":
                scalars.append({"type": "null"})
            self.defs["JsonValue"] = {
                "anyOf": [
                    *scalars,
                    {"type": "array", "items": ref},
                    {"type": "object", "additionalProperties": ref},
                ]
            }
        return ref

    def tree(self, name: str, children_key: str = "children") -> Schema:
        """A node that holds a list of nodes of its own kind."""
        unique, counter = name, 1
        while unique in self.defs:
            counter += 1
            unique = f"{name}{counter}"
        ref = self.d.ref(unique)
        self.defs[unique] = node = self.record(self.rng.randint(2, 6), odd=0.3)
        node["properties"][children_key] = {"type": "array", "items": ref}
        if self.rng.random() < 0.5:
            node["properties"]["parent"] = self.d.nullable(ref)
        return ref

"""How each contract dialect spells what the corpus needs: definitions, references, null, constants, tuples.

A corpus contract must be valid for its declared type, so every block asks its dialect rather than writing
keywords itself: Draft 4 has no `const` and boolean exclusive bounds, OpenAPI 3.0 has `nullable` and no
`patternProperties`, 2020-12 has `prefixItems`, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]

DRAFT4_URI = "http://json-schema.org/draft-04/schema#"


@dataclass(frozen=True)
class Dialect:
    name: str  # draft4, draft6, draft7, 2019-09, 2020-12, oas30, oas31
    schema_uri: str | None  # the `$schema` of a JSON Schema contract (None: OpenAPI)
    openapi: str | None = None  # the `openapi` version of an OpenAPI contract

    @property
    def is_openapi(self) -> bool:
        return self.openapi is not None

    @property
    def contract_type(self) -> str:
        return "OpenApi3" if self.is_openapi else "JSONSchemaDraft4"

    @property
    def draft(self) -> int:
        """A rough order of the drafts: 4, 6, 7, 2019, 2020 (OpenAPI 3.0 is Draft 4-like, 3.1 is 2020-12)."""
        return {"draft4": 4, "oas30": 4, "draft6": 6, "draft7": 7, "2019-09": 2019}.get(self.name, 2020)

    @property
    def defs_key(self) -> str:
        return "$defs" if self.draft >= 2019 and not self.is_openapi else "definitions"

    @property
    def id_key(self) -> str | None:
        if self.name == "oas30":
            return None
        return "id" if self.name == "draft4" else "$id"

    @property
    def has_const(self) -> bool:
        return self.draft >= 6

    @property
    def has_type_lists(self) -> bool:
        return self.name != "oas30"

    @property
    def has_pattern_properties(self) -> bool:
        return self.name != "oas30"

    @property
    def has_boolean_schemas(self) -> bool:
        return self.draft >= 6

    @property
    def has_if_then(self) -> bool:
        return self.draft >= 7 and self.name != "oas30"

    def ref(self, name: str) -> Schema:
        if self.is_openapi:
            return {"$ref": f"#/components/schemas/{name}"}
        return {"$ref": f"#/{self.defs_key}/{name}"}

    def nullable(self, schema: Schema) -> Schema:
        """`schema` or null."""
        if "$ref" in schema:
            return (
                {"anyOf": [schema, {"type": "null"}]} if self.name != "oas30" else _oas30_nullable_ref(schema)
            )
        if self.name == "oas30":
            return {**schema, "nullable": True}
        kind = schema.get("type")
        if isinstance(kind, str) and "enum" not in schema:
            return {**schema, "type": [kind, "null"]}
        return {"anyOf": [schema, {"type": "null"}]}

    def const(self, value: Any, **annotations: Any) -> Schema:
        if self.has_const:
            return {"const": value, **annotations}
        kind = {str: "string", bool: "boolean", int: "integer", float: "number"}.get(type(value))
        return {**({"type": kind} if kind else {}), "enum": [value], **annotations}

    def exclusive_minimum(self, value: float) -> Schema:
        if self.draft == 4:
            return {"minimum": value, "exclusiveMinimum": True}
        return {"exclusiveMinimum": value}

    def exclusive_maximum(self, value: float) -> Schema:
        if self.draft == 4:
            return {"maximum": value, "exclusiveMaximum": True}
        return {"exclusiveMaximum": value}

    def tuple(self, items: list[Schema], rest: Schema | None) -> Schema:
        """An array whose first members have their own schemas; `rest` the others (None: no others)."""
        if self.name == "oas30":  # no tuples in OpenAPI 3.0: an array of any of the member schemas
            return {"type": "array", "items": {"anyOf": items}, "maxItems": len(items)}
        if self.draft >= 2020:
            return {"type": "array", "prefixItems": items, "items": rest if rest is not None else False}
        closed: Any = rest if rest is not None else ({"not": {}} if self.draft == 4 else False)
        return {"type": "array", "items": items, "additionalItems": closed}

    def document(self, root: Schema, defs: dict[str, Schema], own_id: str | None = None) -> Schema:
        """A JSON Schema contract: `$schema`, the id, the root's keywords and the definitions."""
        assert not self.is_openapi
        document: Schema = {"$schema": self.schema_uri} if self.schema_uri else {}
        if own_id is not None and self.id_key is not None:
            document[self.id_key] = own_id
        document.update(root)
        if defs:
            document[self.defs_key] = defs
        return document

    def openapi_document(self, schemas: dict[str, Schema], title: str) -> Schema:
        assert self.openapi is not None
        return {
            "openapi": self.openapi,
            "info": {"title": title, "version": "1.0.0"},
            "paths": {},
            "components": {"schemas": schemas},
        }


def _oas30_nullable_ref(schema: Schema) -> Schema:
    # OpenAPI 3.0 ignores `nullable` beside `$ref`: wrap it
    return {"allOf": [schema], "nullable": True}


DRAFT4 = Dialect("draft4", DRAFT4_URI)
DRAFT4_IMPLICIT = Dialect("draft4", None)  # no `$schema`: the registry reads it as Draft 4
DRAFT6 = Dialect("draft6", "http://json-schema.org/draft-06/schema#")
DRAFT7 = Dialect("draft7", "http://json-schema.org/draft-07/schema#")
DRAFT2019 = Dialect("2019-09", "https://json-schema.org/draft/2019-09/schema")
DRAFT2020 = Dialect("2020-12", "https://json-schema.org/draft/2020-12/schema")
OAS30 = Dialect("oas30", None, "3.0.3")
OAS31 = Dialect("oas31", None, "3.1.0")

JSON_SCHEMA_DIALECTS = (DRAFT4, DRAFT4_IMPLICIT, DRAFT6, DRAFT7, DRAFT2019, DRAFT2020)
ALL_DIALECTS = (*JSON_SCHEMA_DIALECTS, OAS30, OAS31)

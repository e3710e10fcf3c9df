"""OpenAPI 3.0 and 3.1 contracts: the version, the event root, and the JSON Schema of the event."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from jsonschema import Draft4Validator, Draft202012Validator  # type: ignore[import-untyped, unused-ignore]
from jsonschema.protocols import Validator  # type: ignore[import-untyped, unused-ignore]

from registry.domain.errors import EventRootNotFound, InvalidContract
from registry.domain.formats.bounded_keywords import bounded
from registry.domain.formats.oas30 import stored_pointer as translated_place
from registry.domain.formats.oas30 import translate_schemas
from registry.domain.formats.openapi_spec import SCHEMAS_POINTER, Version, check_document, component_schemas
from registry.domain.formats.pointers import escape, to_pointer, unescape
from registry.domain.formats.refs import check_refs

AWS_ENVELOPE = "AWSEvent"
DETAIL_TYPE_MARKER = "x-amazon-events-detail-type"
SOURCE_MARKER = "x-amazon-events-source"
_VERSION = re.compile(r"^3\.([01])\.\d+$")
DRAFT4_URI = "http://json-schema.org/draft-04/schema#"
DRAFT202012_URI = "https://json-schema.org/draft/2020-12/schema"


def spec_version(document: dict[str, Any]) -> Version:
    declared = document.get("openapi")
    match = _VERSION.match(declared) if isinstance(declared, str) else None
    if match is None:
        raise InvalidContract(
            f"openapi {declared!r} is not a supported OpenAPI version (3.0.x or 3.1.x)", pointer="/openapi"
        )
    return "3.0" if match.group(1) == "0" else "3.1"


def check_contract(document: dict[str, Any], event_root: str | None) -> str:
    """Validate an OpenAPI contract and return the name of its event root schema."""
    version = spec_version(document)
    check_refs(document)  # before openapi-spec-validator, which would follow external references
    check_document(document, version)
    return select_event_root(document, event_root)


def select_event_root(document: dict[str, Any], requested: str | None) -> str:
    """The schema that describes the whole event; a name the client gives wins over every rule."""
    schemas = component_schemas(document)
    if requested is not None and requested not in schemas:
        raise EventRootNotFound(
            f"event_root {requested!r} is not a schema in components.schemas", pointer=SCHEMAS_POINTER
        )
    chosen = requested if requested is not None else _default_root(schemas)
    if chosen is None:
        raise EventRootNotFound(
            "cannot tell which schema in components.schemas is the event: mark it with "
            f"{DETAIL_TYPE_MARKER}, name it {AWS_ENVELOPE}, or name it with event_root",
            pointer=SCHEMAS_POINTER,
        )
    return chosen


def _default_root(schemas: dict[str, Any]) -> str | None:
    marked = [
        name for name, schema in schemas.items() if isinstance(schema, dict) and DETAIL_TYPE_MARKER in schema
    ]
    if len(marked) == 1:
        return marked[0]
    if AWS_ENVELOPE in schemas and (not marked or AWS_ENVELOPE in marked):
        return AWS_ENVELOPE
    if len(schemas) == 1:
        return next(iter(schemas))
    return None


def event_schema(document: dict[str, Any], root: str) -> dict[str, Any]:
    """A self-contained JSON Schema for the event: a `$ref` to the root beside the (translated) schemas.

    The schemas keep their place under `components`, so the document's own `#/components/schemas/...`
    references resolve unchanged against this wrapper.
    """
    schemas = component_schemas(document)
    ref = "#" + quote(f"{SCHEMAS_POINTER}/{escape(root)}")
    if spec_version(document) == "3.0":
        # Draft 4 ignores the siblings of `$ref`, so `components` is only a place to resolve into
        return {"$schema": DRAFT4_URI, "$ref": ref, "components": {"schemas": translate_schemas(schemas)}}
    # 3.1 schema objects are JSON Schema 2020-12; there `components` is an unknown, ignored keyword
    return {"$schema": DRAFT202012_URI, "$ref": ref, "components": {"schemas": schemas}}


def stored_pointer(document: dict[str, Any], root: str, pointer: str) -> str:
    """Where a place in `event_schema(document, root)` is in the document as stored."""
    tokens = [unescape(token) for token in pointer.split("/")[1:]] if pointer else []
    if not tokens or tokens[0] != "components":
        # the wrapper's own keywords (its `$ref`): the event root itself
        return f"{SCHEMAS_POINTER}/{escape(root)}"
    if spec_version(document) != "3.0":
        return pointer
    return to_pointer(translated_place(document, tokens))


def event_dialect(document: dict[str, Any]) -> str:
    """The JSON Schema draft `event_schema` is written in (its `$schema`, without "#")."""
    return (DRAFT4_URI if spec_version(document) == "3.0" else DRAFT202012_URI).rstrip("#")


def event_validator_class(document: dict[str, Any]) -> type[Validator]:
    """Draft 4 for 3.0 (see `event_schema`), 2020-12 for 3.1; patterns are evaluated within a time bound."""
    return bounded(Draft4Validator if spec_version(document) == "3.0" else Draft202012Validator)

"""OpenAPI 3.0 and 3.1 contracts: validation, the event root, and the JSON Schema of the event."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any, Literal
from urllib.parse import quote

from jsonschema import Draft4Validator, Draft202012Validator  # type: ignore[import-untyped, unused-ignore]
from jsonschema.exceptions import ValidationError, best_match  # type: ignore[import-untyped, unused-ignore]
from jsonschema.protocols import Validator  # type: ignore[import-untyped, unused-ignore]
from jsonschema.validators import validator_for  # type: ignore[import-untyped, unused-ignore]
from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
from openapi_spec_validator.schemas.utils import get_schema_content
from referencing.exceptions import Unresolvable

from registry.domain.errors import EventRootNotFound, InvalidContract, UnresolvableRef
from registry.domain.formats.messages import pointer_of, shorten
from registry.domain.formats.oas30 import translate_schemas
from registry.domain.formats.pointers import escape
from registry.domain.formats.refs import OFFLINE_REGISTRY, check_refs

Version = Literal["3.0", "3.1"]
AWS_ENVELOPE = "AWSEvent"
DETAIL_TYPE_MARKER = "x-amazon-events-detail-type"
SCHEMAS_POINTER = "/components/schemas"
_VERSION = re.compile(r"^3\.([01])\.\d+$")
DRAFT4_URI = "http://json-schema.org/draft-04/schema#"
DRAFT202012_URI = "https://json-schema.org/draft/2020-12/schema"


class _OfflineV30(OpenAPIV30SpecValidator):
    # no URL or file handlers: the stock ones open file:// and http(s) references while validating
    resolver_handlers: dict[str, Any] = {}  # noqa: RUF012 (the base declares it so; never mutated)


class _OfflineV31(OpenAPIV31SpecValidator):
    resolver_handlers: dict[str, Any] = {}  # noqa: RUF012 (the base declares it so; never mutated)


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
    _check_structure(document, version)
    try:
        _check_semantics(document, version)
    except Unresolvable as exc:  # defence in depth: check_refs should have refused the reference already
        raise UnresolvableRef(f"unresolvable reference {exc}") from exc
    return select_event_root(document, event_root)


@cache
def _meta_validator(version: Version) -> Any:
    # plain jsonschema, not openapi-spec-validator's backend: that one switches to jsonschema-rs when it is
    # installed, whose errors break `best_match` and carry no usable path
    meta = get_schema_content(version)
    return validator_for(meta)(meta, registry=OFFLINE_REGISTRY)


def _check_structure(document: dict[str, Any], version: Version) -> None:
    error = best_match(_meta_validator(version).iter_errors(document))
    if error is not None:
        raise InvalidContract(
            f"not a valid OpenAPI {version} document: {shorten(error.message)}", pointer=pointer_of(error)
        )


def _check_semantics(document: dict[str, Any], version: Version) -> None:
    """The checks beyond the meta-schema: schema objects against their dialect, `default` values, paths."""
    # built per call and never through `iter_errors`: that method is an lru_cache keyed by the validator,
    # which would keep every document ever checked alive
    validator = _OfflineV30(document) if version == "3.0" else _OfflineV31(document)
    for pointer, error in _semantic_errors(validator, document):
        raise InvalidContract(
            f"not a valid OpenAPI {version} document: {shorten(error.message)}", pointer=pointer
        )


def _semantic_errors(validator: Any, document: dict[str, Any]) -> Iterator[tuple[str, ValidationError]]:
    # The library's errors carry paths relative to the schema object they concern, so each component schema
    # is checked on its own first to know where an error is; the root pass then skips schemas already seen.
    check_schema = validator.keyword_validators_registry["schema"]
    for name in _component_schemas(document):
        at = f"{SCHEMAS_POINTER}/{escape(name)}"
        for error in check_schema(validator.schema_path / "components" / "schemas" / name):
            # errors in a `default` value have paths into that value, not into the schema
            yield (at + pointer_of(error) if _is_schema_error(error) else at), error
    for error in validator.root_validator(validator.schema_path):
        yield pointer_of(error), error


def _is_schema_error(error: ValidationError) -> bool:
    return type(error).__module__.startswith("openapi_spec_validator")


def _component_schemas(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.get("components", {}).get("schemas", {})
    return schemas if isinstance(schemas, dict) else {}


def select_event_root(document: dict[str, Any], requested: str | None) -> str:
    """The schema that describes the whole event; a name the client gives wins over every rule."""
    schemas = _component_schemas(document)
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
    schemas = _component_schemas(document)
    ref = "#" + quote(f"{SCHEMAS_POINTER}/{escape(root)}")
    if spec_version(document) == "3.0":
        # Draft 4 ignores the siblings of `$ref`, so `components` is only a place to resolve into
        return {"$schema": DRAFT4_URI, "$ref": ref, "components": {"schemas": translate_schemas(schemas)}}
    # 3.1 schema objects are JSON Schema 2020-12; there `components` is an unknown, ignored keyword
    return {"$schema": DRAFT202012_URI, "$ref": ref, "components": {"schemas": schemas}}


def event_validator_class(document: dict[str, Any]) -> type[Validator]:
    validator: type[Validator] = Draft4Validator if spec_version(document) == "3.0" else Draft202012Validator
    return validator

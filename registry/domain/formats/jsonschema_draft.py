"""JSON Schema documents: Draft 4 by default, or the later draft that `$schema` names."""

from __future__ import annotations

from typing import Any
from urllib.parse import urldefrag

import jsonschema_rs

# jsonschema ships no type hints; `types-jsonschema` would let mypy see them (then these ignores go unused)
from jsonschema import (  # type: ignore[import-untyped, unused-ignore]
    Draft4Validator,
    Draft6Validator,
    Draft7Validator,
    Draft201909Validator,
    Draft202012Validator,
)
from jsonschema.exceptions import best_match  # type: ignore[import-untyped, unused-ignore]
from jsonschema.protocols import Validator  # type: ignore[import-untyped, unused-ignore]
from referencing.jsonschema import specification_with

from registry.domain.errors import InvalidContract
from registry.domain.formats.bounded_keywords import bounded
from registry.domain.formats.messages import pointer_of, shorten
from registry.domain.formats.patterns import check_patterns
from registry.domain.formats.pointers import quote_pointer
from registry.domain.formats.refs import OFFLINE_REGISTRY, Resolve, check_refs

DRAFT4 = "http://json-schema.org/draft-04/schema"
_DRAFTS: dict[str, type[Validator]] = {
    DRAFT4: Draft4Validator,
    "http://json-schema.org/draft-06/schema": Draft6Validator,
    "http://json-schema.org/draft-07/schema": Draft7Validator,
    "https://json-schema.org/draft/2019-09/schema": Draft201909Validator,
    "https://json-schema.org/draft/2020-12/schema": Draft202012Validator,
}


def validator_class(document: dict[str, Any]) -> type[Validator]:
    """The validator of the draft `$schema` names."""
    return _DRAFTS[_dialect(document)]


def event_validator_class(document: dict[str, Any]) -> type[Validator]:
    """The validator of the draft `$schema` names, evaluating the contract's patterns within a time bound."""
    return bounded(validator_class(document))


def _dialect(document: dict[str, Any]) -> str:
    """The draft's URI, without "#"; a document without `$schema` is Draft 4, the format's namesake."""
    declared = document.get("$schema", DRAFT4)
    # "…/schema#" and "…/schema" name the same meta-schema
    dialect = declared.rstrip("#") if isinstance(declared, str) else None
    if dialect not in _DRAFTS:
        raise InvalidContract(
            f"$schema {declared!r} is not a supported JSON Schema draft (4, 6, 7, 2019-09 or 2020-12)",
            pointer="/$schema",
        )
    return dialect


def base_uri(document: dict[str, Any], cls: type[Validator]) -> str:
    # Draft 4 spells the id keyword `id`; it ignores `$id` (seen in real draft-4 documents), and vice versa
    keyword = "id" if cls is Draft4Validator else "$id"
    value = document.get(keyword)
    return value if isinstance(value, str) else ""


def check_contract(document: dict[str, Any]) -> None:
    """Validate a JSON Schema contract: references first (nothing is fetched), its patterns, its meta-schema.

    The meta-schema never runs the contract's patterns (`format: regex` only parses them, as ECMA-262), so
    the stock validator class serves here, with the bounded class's format checker.
    """
    cls = validator_class(document)
    base = base_uri(document, cls)
    check_refs(document, base, _resolve_in_scope(document, base))
    check_patterns(document)  # first: its errors say what ECMA-262 expected, the meta-schema's do not
    if not _valid_by_fast_check(document):
        checker = bounded(cls).FORMAT_CHECKER
        meta_validator = cls(cls.META_SCHEMA, format_checker=checker, registry=OFFLINE_REGISTRY)
        error = best_match(meta_validator.iter_errors(document))
        if error is not None:
            raise InvalidContract(
                f"not a valid {cls.__name__.removesuffix('Validator')} schema: {shorten(error.message)}",
                pointer=pointer_of(error),
            )


def _valid_by_fast_check(document: dict[str, Any]) -> bool:
    """The meta-schema check in Rust: a hundred times faster, and the hot part of a registration.

    Patterns are judged by `check_patterns` afterwards, whatever it says of them. Over the 32,891 schemas
    of the conformance corpus the two agreed but for patterns. "No" (or any error) falls back to
    jsonschema, whose error names the place."""
    declared = document if "$schema" in document else {**document, "$schema": DRAFT4 + "#"}
    try:
        return bool(jsonschema_rs.meta.is_valid(declared))
    except Exception:  # jsonschema_rs reports unusual documents by raising; jsonschema then decides
        return False


def _resolve_in_scope(document: dict[str, Any], base: str) -> Resolve:
    """Resolve references as jsonschema will: against the base URI in scope where each is written.

    A subschema may declare its own `id`/`$id`, and then "#/definitions/x" inside it means its own
    definitions, not the document's.
    """
    resource = specification_with(_dialect(document)).create_resource(document)
    uri = urldefrag(base).url  # ids are often written with an empty fragment: "…/invoice.json#"
    resolver = OFFLINE_REGISTRY.with_resource(uri, resource).resolver(base_uri=uri)

    def resolve(holder: str, ref: str) -> object:
        return resolver.lookup("#" + quote_pointer(holder)).resolver.lookup(ref)

    return resolve

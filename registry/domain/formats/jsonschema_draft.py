"""JSON Schema documents: Draft 4 by default, or the later draft that `$schema` names."""

from __future__ import annotations

from typing import Any

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

from registry.domain.errors import InvalidContract
from registry.domain.formats.messages import pointer_of, shorten
from registry.domain.formats.refs import OFFLINE_REGISTRY, check_refs

DRAFT4 = "http://json-schema.org/draft-04/schema"
_DRAFTS: dict[str, type[Validator]] = {
    DRAFT4: Draft4Validator,
    "http://json-schema.org/draft-06/schema": Draft6Validator,
    "http://json-schema.org/draft-07/schema": Draft7Validator,
    "https://json-schema.org/draft/2019-09/schema": Draft201909Validator,
    "https://json-schema.org/draft/2020-12/schema": Draft202012Validator,
}


def validator_class(document: dict[str, Any]) -> type[Validator]:
    """The draft `$schema` names; a document without `$schema` is Draft 4, the format's namesake."""
    if "$schema" not in document:
        return _DRAFTS[DRAFT4]
    declared = document["$schema"]
    # "…/schema#" and "…/schema" name the same meta-schema
    cls: type[Validator] | None = _DRAFTS.get(declared.rstrip("#")) if isinstance(declared, str) else None
    if cls is None:
        raise InvalidContract(
            f"$schema {declared!r} is not a supported JSON Schema draft (4, 6, 7, 2019-09 or 2020-12)",
            pointer="/$schema",
        )
    return cls


def base_uri(document: dict[str, Any], cls: type[Validator]) -> str:
    # Draft 4 spells the id keyword `id`; it ignores `$id` (seen in real draft-4 documents), and vice versa
    keyword = "id" if cls is Draft4Validator else "$id"
    value = document.get(keyword)
    return value if isinstance(value, str) else ""


def check_contract(document: dict[str, Any]) -> None:
    """Validate a JSON Schema contract: references first (nothing is fetched), then its meta-schema."""
    cls = validator_class(document)
    check_refs(document, base_uri(document, cls))
    meta_validator = cls(cls.META_SCHEMA, format_checker=cls.FORMAT_CHECKER, registry=OFFLINE_REGISTRY)
    error = best_match(meta_validator.iter_errors(document))
    if error is not None:
        raise InvalidContract(
            f"not a valid {cls.__name__.removesuffix('Validator')} schema: {shorten(error.message)}",
            pointer=pointer_of(error),
        )

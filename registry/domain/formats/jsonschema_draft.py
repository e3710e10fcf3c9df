"""JSON Schema documents: Draft 4 by default, or the later draft that `$schema` names."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urldefrag

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

from registry.domain.errors import InvalidContract
from registry.domain.formats.bounded_keywords import bounded
from registry.domain.formats.document import walk
from registry.domain.formats.messages import pointer_of, shorten
from registry.domain.formats.patterns import check_patterns
from registry.domain.formats.pointers import (
    PointerNotFound,
    quote_pointer,
    resolve_fragment,
    to_pointer,
    unescape,
)
from registry.domain.formats.refs import (
    DATA_KEYWORDS,
    OFFLINE_REGISTRY,
    REFERENCE_KEYWORDS,
    Resolve,
    Target,
    check_refs,
)
from registry.domain.formats.resolution import KEYWORDS, is_schema_place, offline_resolver

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
    return _DRAFTS[dialect(document)]


def event_validator_class(document: dict[str, Any]) -> type[Validator]:
    """The validator of the draft `$schema` names, evaluating the contract's patterns within a time bound."""
    return bounded(validator_class(document))


def dialect(document: dict[str, Any]) -> str:
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


def check_contract(document: dict[str, Any], text: str | None = None) -> None:
    """Validate a JSON Schema contract: its patterns, its meta-schema, its references (nothing is fetched).

    Patterns first: their errors say what ECMA-262 expected, the meta-schema's do not. The meta-schema never
    runs the contract's patterns (`format: regex` only parses them, as ECMA-262), nor follows its references
    (the contract is its instance), so the stock validator class serves here, with the bounded class's format
    checker; and once the document has the shapes its draft prescribes, the references can be followed safely.

    `text`: the document's canonical JSON, when the caller has it. A key is spelled there between quotes,
    and quotes inside a string are escaped, so a text without `"pattern"` has no pattern (nor without
    `"$ref"` a reference): the walks looking for them are skipped.
    """
    cls = validator_class(document)
    if text is None or _mentions(text, PATTERN_KEYWORDS):
        check_patterns(document)
    _check_against_meta_schema(document, cls, "")
    if text is not None and not _mentions(text, REFERENCE_KEYWORDS):
        return
    base = base_uri(document, cls)
    targets = check_refs(document, base, _resolve_in_scope(document, base), data_keywords=DATA_KEYWORDS)
    _check_targets_are_schemas(document, cls, targets)


PATTERN_KEYWORDS = ("pattern", "patternProperties")


def _mentions(text: str, keys: tuple[str, ...]) -> bool:
    return any(f'"{key}"' in text for key in keys)


def _check_against_meta_schema(schema: Any, cls: type[Validator], where: str) -> None:
    """Raise InvalidContract at the first place where `schema` (found at pointer `where`) breaks its draft."""
    if _valid_by_fast_check(schema):
        return
    meta_validator = cls(
        cls.META_SCHEMA, format_checker=bounded(cls).FORMAT_CHECKER, registry=OFFLINE_REGISTRY
    )
    error = best_match(meta_validator.iter_errors(schema))
    if error is not None:
        raise InvalidContract(
            f"not a valid {cls.__name__.removesuffix('Validator')} schema: {shorten(error.message)}",
            pointer=where + pointer_of(error),
        )


def _valid_by_fast_check(schema: Any) -> bool:
    """The meta-schema check in Rust: a hundred times faster, and the hot part of a registration.

    Patterns are judged by `check_patterns`, whatever it says of them. Over the 32,891 schemas of the
    conformance corpus the two agreed but for patterns. "No" (or any error) falls back to jsonschema, whose
    error names the place."""
    declared = schema if "$schema" in schema else {**schema, "$schema": DRAFT4 + "#"}
    try:
        return bool(jsonschema_rs.meta.is_valid(declared))
    except Exception:  # jsonschema_rs reports unusual documents by raising; jsonschema then decides
        return False


def _check_targets_are_schemas(document: dict[str, Any], cls: type[Validator], targets: list[Target]) -> None:
    """A reference may point outside the places the draft holds schemas in (`#/x-definitions/a`, a
    `properties` map): the validator then takes what it finds there for a schema, so it must be one. What
    lies at the draft's own places has passed the meta-schema with the document. Such a target must be a
    schema of the document's draft or else of another (the `$defs` of a document without `$schema`, a draft
    4 one, are often written for a later draft; the validator copes with their booleans and keywords, and
    only shapes no draft allows would break it)."""
    keywords = KEYWORDS[dialect(document)]
    places = _Places(document)
    checked: set[int] = set()
    for target in targets:
        node = target.node
        if not isinstance(node, dict) or id(node) in checked:
            continue
        checked.add(id(node))
        found = places.segments_of(node, target.ref)
        if found is not None and is_schema_place(found, keywords):
            continue
        where = to_pointer(found) if found is not None else ""
        declared = node if "$schema" in node else {**node, "$schema": document.get("$schema", DRAFT4 + "#")}
        try:
            _check_against_meta_schema(declared, cls, where)
        except InvalidContract as exc:
            if any(_valid_by_fast_check({**node, "$schema": other + "#"}) for other in _DRAFTS):
                continue
            raise InvalidContract(
                f"the reference at {target.pointer} takes what {target.ref!r} points to for a schema, "
                f"but it is {exc.message}",
                pointer=exc.details["pointer"] if found is not None else target.pointer,
            ) from exc


class _Places:
    """Where an object of the document is, as keys and array indices."""

    def __init__(self, document: dict[str, Any]) -> None:
        self._document = document
        self._index: dict[int, str] | None = None

    def segments_of(self, node: Any, ref: str) -> list[str | int] | None:
        """The place of `node`, which `ref` resolved to (None: not inside the document itself)."""
        fragment = urldefrag(ref).fragment
        if fragment.startswith("/") or fragment == "":
            try:
                if resolve_fragment(self._document, fragment) is node:  # the usual case: no walk
                    return _segments(self._document, unquote(fragment))
            except PointerNotFound:
                pass
        if self._index is None:  # anchors and embedded ids: one walk finds every object
            self._index = {id(found): pointer for pointer, found, _ in walk(self._document)}
        pointer = self._index.get(id(node))
        return None if pointer is None else _segments(self._document, pointer)


def _segments(document: Any, pointer: str) -> list[str | int]:
    """The keys and indices (as ints) of a JSON pointer into `document`, which it must resolve in."""
    segments: list[str | int] = []
    node = document
    for token in pointer.split("/")[1:] if pointer else []:
        key = unescape(token)
        segment: str | int = int(key) if isinstance(node, list) else key
        node = node[segment]
        segments.append(segment)
    return segments


def _resolve_in_scope(document: dict[str, Any], base: str) -> Resolve:
    """Resolve references as jsonschema will: against the base URI in scope where each is written.

    A subschema may declare its own `id`/`$id`, and then "#/definitions/x" inside it means its own
    definitions, not the document's.
    """
    resolvers: list[Any] = []  # built at the first reference: most contracts have none

    def resolve(holder: str, ref: str) -> object:
        if not resolvers:
            resolvers.append(offline_resolver(document, dialect(document)))
        return resolvers[0].lookup("#" + quote_pointer(holder)).resolver.lookup(ref).contents

    return resolve

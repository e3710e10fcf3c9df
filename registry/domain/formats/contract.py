"""A contract: its parsed content, canonical text and fingerprint, and validation of events against it."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from registry.domain.errors import InvalidContract, UnsupportedContractType
from registry.domain.formats import jsonschema_draft, openapi
from registry.domain.formats.bundle import (
    Reference,
    Referenced,
    VersionKey,
    bundle,
    fingerprint_with_references,
)
from registry.domain.formats.canonical import canonical_json, fingerprint_of
from registry.domain.formats.document import check_depth, read_document
from registry.domain.formats.events import EventError, validate_with
from registry.domain.formats.fast_validation import FastCheck, fast_check
from registry.domain.formats.identity import expected_identity, identity_errors
from registry.domain.formats.openapi_spec import component_schemas
from registry.domain.formats.refs import OFFLINE_REGISTRY
from registry.domain.formats.resolution import offline_resolver

MAX_BUNDLE_BYTES = 4 * 1024 * 1024
"""A contract with its references inlined; a request body is bounded before it gets here."""


class ContractType(StrEnum):
    OPENAPI3 = "OpenApi3"
    JSON_SCHEMA_DRAFT4 = "JSONSchemaDraft4"


@dataclass(frozen=True, eq=False)
class Contract:
    type: ContractType
    content: dict[str, Any]
    canonical: str
    fingerprint: str
    event_root: str | None  # OpenAPI: the components.schemas entry describing the event; JSON Schema: None
    # The content as written, when `content` is its bundle (it has references): what GET shows and the
    # fingerprint covers. None: `content` is what was written.
    written: str | None = None
    # compiled validators and the event schema; a race computes one twice, harmlessly
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def event_schema(self) -> dict[str, Any]:
        """A self-contained JSON Schema for the event (a copy: callers may change it)."""
        if self.type is ContractType.JSON_SCHEMA_DRAFT4:
            copied: dict[str, Any] = json.loads(self.canonical)  # `content`, parsed anew: a faster copy
            return copied
        return copy.deepcopy(self._event_schema())

    def shared_event_schema(self) -> dict[str, Any]:
        """`event_schema()` without the copy: the contract's own object, which its validators read too, for
        readers that never change it (the checker's documents: a copy cost as much as parsing the contract
        again, each time a version was prepared for a check)."""
        return self._event_schema()

    def event_text(self) -> str | None:
        """The canonical JSON of `event_schema()` when it is at hand without serialising it (a JSON Schema
        contract's event schema is its whole canonical content, bundle included), else None."""
        return self.canonical if self.type is ContractType.JSON_SCHEMA_DRAFT4 else None

    def checked_digest(self) -> str:
        """The sha256 of `canonical`, what checks read (for a contract with references, its bundle). Not
        always `fingerprint`, which covers the content as written and names the versions its references
        resolve to: re-resolved through another graph (an impact analysis), the same fingerprint may stand
        for another bundle."""
        if "digest" not in self._cache:
            self._cache["digest"] = fingerprint_of(self.canonical)
        digest: str = self._cache["digest"]
        return digest

    def stored_pointer(self, pointer: str) -> str:
        """Where a JSON pointer into `event_schema()` points in the content as stored."""
        if self.type is ContractType.OPENAPI3:
            assert self.event_root is not None  # set by parse_contract and load_contract
            return openapi.stored_pointer(self.content, self.event_root, pointer)
        return pointer

    def validate_event(
        self, event: Any, *, check_formats: bool = False, check_identity: bool = True
    ) -> list[EventError]:
        """Every error in `event`, [] when valid. Formats are annotations unless `check_formats`; an
        EventBridge event of another detail-type or source than the contract's is refused unless not
        `check_identity`.

        The validator is built (and kept with the contract) before the validation's time budget starts:
        the budget is spent on the event, not on the contract. Raises ValidationBudgetExceeded when the
        event could not be judged within it."""
        fast = self.fast_check(check_formats)  # the accepting case in Rust; jsonschema explains the rest
        valid = fast is not None and fast(event)
        found = [] if valid else validate_with(self._validator(check_formats), event)
        if check_identity:
            found += identity_errors(self.identity(), event, {each.path for each in found})
        return found

    def fast_check(self, check_formats: bool) -> FastCheck | None:
        """The check that accepts valid events in Rust (`fast_validation`), built once; None when this
        contract is left to jsonschema alone."""
        key = f"fast:{check_formats}"
        if key not in self._cache:
            stock = self._validator(check_formats)
            checker = stock.format_checker if check_formats else None
            self._cache[key] = fast_check(self._event_schema(), self._dialect(), checker)
        found: FastCheck | None = self._cache[key]
        return found

    def identity(self) -> dict[str, str]:
        """The `detail-type` and `source` the contract describes (EventBridge contracts), by member."""
        if self.type is ContractType.OPENAPI3:
            assert self.event_root is not None  # set by parse_contract and load_contract
            return expected_identity(component_schemas(self.content).get(self.event_root))
        return expected_identity(self.content)

    def _event_schema(self) -> dict[str, Any]:
        if "schema" not in self._cache:
            if self.type is ContractType.OPENAPI3:
                assert self.event_root is not None  # set by parse_contract and load_contract
                self._cache["schema"] = openapi.event_schema(self.content, self.event_root)
            else:
                self._cache["schema"] = self.content
        schema: dict[str, Any] = self._cache["schema"]
        return schema

    def _validator(self, check_formats: bool) -> Any:
        key = f"validator:{check_formats}"
        if key not in self._cache:
            if self.type is ContractType.OPENAPI3:
                cls = openapi.event_validator_class(self.content)
            else:
                cls = jsonschema_draft.event_validator_class(self.content)
            checker = cls.FORMAT_CHECKER if check_formats else None
            # `_resolver` (jsonschema's own keyword for it, kept through every `evolve`): references are
            # resolved with the exact specification, in a registry crawled once for the contract
            self._cache[key] = cls(
                self._event_schema(),
                registry=OFFLINE_REGISTRY,
                format_checker=checker,
                _resolver=self._resolver(),
            )
        return self._cache[key]

    def _resolver(self) -> Any:
        if "resolver" not in self._cache:
            self._cache["resolver"] = offline_resolver(self._event_schema(), self._dialect())
        return self._cache["resolver"]

    def _dialect(self) -> str:
        if self.type is ContractType.OPENAPI3:
            return openapi.event_dialect(self.content)
        return jsonschema_draft.dialect(self.content)


# Keys at the top of a contract that the `{type, content}` wrapper does not have, by the type they suggest.
_OPENAPI_KEYS = ("openapi", "swagger", "components", "paths")
_SCHEMA_KEYS = ("$schema", "$id", "$ref", "properties", "definitions", "$defs", "allOf", "anyOf", "oneOf")
_JSON_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})


def unwrapped_contract(body: Any) -> tuple[ContractType, str] | None:
    """(the type it suggests, the key that gives it away) when a request body is a contract itself rather
    than `{"type": ..., "content": <contract>}`; None when it is not (or has the wrapper's `content`)."""
    if not isinstance(body, dict) or "content" in body:
        return None
    for keys, suggested in (
        (_OPENAPI_KEYS, ContractType.OPENAPI3),
        (_SCHEMA_KEYS, ContractType.JSON_SCHEMA_DRAFT4),
    ):
        for key in keys:
            if key in body:
                return suggested, key
    declared = body.get("type")
    if isinstance(declared, str) and declared in _JSON_TYPES:  # a schema's type, not a contract type
        return ContractType.JSON_SCHEMA_DRAFT4, "type"
    return None


def parse_contract(
    type: str,
    content: Any,
    *,
    event_root: str | None = None,
    references: Sequence[Reference] = (),
    graph: Mapping[VersionKey, Referenced] | None = None,
) -> Contract:
    """Validate a contract submitted for registration. Raises an InvalidContract when it is not acceptable.

    With `references` (and `graph`, every version they reach: `bundle.resolve_graph`), the contract is its
    bundle: every check (meta-schema, references, depth, size) runs on the resolved whole."""
    contract_type = _contract_type(type)
    document = read_document(content)
    check_depth(document)  # before anything recursive (json.dumps, validators) touches the document
    canonical = _canonical(document)
    document = json.loads(canonical)  # our own copy: the caller's object may change after we return
    written = None
    fingerprint = fingerprint_of(canonical)
    if references:
        assert graph is not None, "references come with the versions they reach"
        dialect = "" if contract_type is ContractType.OPENAPI3 else jsonschema_draft.dialect(document)
        document = bundle(contract_type.value, document, references, graph, dialect=dialect)
        check_depth(document)
        written, canonical = canonical, _canonical(document)
        if len(canonical.encode("utf-8")) > MAX_BUNDLE_BYTES:
            raise InvalidContract(
                f"the contract with its references inlined takes {len(canonical)} bytes, over the "
                f"{MAX_BUNDLE_BYTES} a contract may take"
            )
        fingerprint = fingerprint_with_references(written, references, graph)
    try:
        root = _check(contract_type, document, event_root, canonical)
    except RecursionError as exc:  # validators recurse per level; MAX_DEPTH should keep them clear of this
        raise InvalidContract("the contract is too deeply nested to validate") from exc
    contract = Contract(contract_type, document, canonical, fingerprint, root, written)
    if not references:  # the fingerprint is the sha256 of `canonical`: what checks read, not hashed again
        contract._cache["digest"] = fingerprint
    return contract


def load_contract(type: str, canonical: str, event_root: str | None) -> Contract:
    """Rebuild a contract that `parse_contract` accepted earlier, without validating it again."""
    contract_type = _contract_type(type)
    document = json.loads(canonical)
    if contract_type is ContractType.OPENAPI3 and event_root is None:
        event_root = openapi.select_event_root(document, None)
    fingerprint = fingerprint_of(canonical)
    contract = Contract(contract_type, document, canonical, fingerprint, event_root)
    contract._cache["digest"] = fingerprint  # of `canonical`, what checks read (`checked_digest`)
    return contract


def _contract_type(type: str) -> ContractType:
    try:
        return ContractType(type)
    except ValueError:
        accepted = " or ".join(repr(member.value) for member in ContractType)
        raise UnsupportedContractType(f"contract type {type!r} is not supported; use {accepted}") from None


def _canonical(document: dict[str, Any]) -> str:
    try:
        canonical = canonical_json(document)
        canonical.encode("utf-8")
    except (ValueError, TypeError) as exc:  # NaN, non-JSON values, lone surrogates (UnicodeEncodeError)
        raise InvalidContract(f"the contract content is not representable as JSON: {exc}") from exc
    return canonical


def _check(
    contract_type: ContractType, document: dict[str, Any], event_root: str | None, canonical: str
) -> str | None:
    if contract_type is ContractType.OPENAPI3:
        return openapi.check_contract(document, event_root)
    jsonschema_draft.check_contract(document, canonical)
    return None  # a JSON Schema contract is its own event root; `event_root` has nothing to name

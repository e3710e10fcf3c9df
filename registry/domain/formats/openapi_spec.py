"""Validating an OpenAPI document: the OpenAPI meta-schema, then openapi-spec-validator's deeper checks.

openapi-spec-validator is used with care: its stock resolver opens file:// and http(s) references, its
`iter_errors` is an lru_cache that keeps every validator (and document) alive, and its meta-schema backend
switches to jsonschema-rs when that is installed. So the meta-schema runs on plain jsonschema here, and the
library's keyword validators run with no URL or file handlers, called directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any, Literal
from urllib.parse import unquote

from jsonschema.exceptions import ValidationError, best_match  # type: ignore[import-untyped, unused-ignore]
from jsonschema.validators import validator_for  # type: ignore[import-untyped, unused-ignore]
from openapi_schema_validator import OAS30Validator, OAS31Validator
from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
from openapi_spec_validator.schemas.utils import get_schema_content
from openapi_spec_validator.validation.keywords import OpenAPIV30ValueValidator, OpenAPIV31ValueValidator
from referencing.exceptions import Unresolvable

from registry.domain.errors import ContractTooComplex, InvalidContract, UnresolvableRef
from registry.domain.formats.bounded_keywords import bounded
from registry.domain.formats.document import walk
from registry.domain.formats.messages import pointer_of, shorten
from registry.domain.formats.patterns import check_patterns, pointer_of_pattern, refusal
from registry.domain.formats.pointers import escape, unescape
from registry.domain.formats.refs import OFFLINE_REGISTRY
from registry.domain.formats.regexes import RegexBudget, ValidationTooSlow, regex_budget

Version = Literal["3.0", "3.1"]
SCHEMAS_POINTER = "/components/schemas"
_SCHEMA_REF_PREFIX = "#/components/schemas/"


class _BoundedV30Value(OpenAPIV30ValueValidator):
    """Checks a `default` against its schema, evaluating the contract's patterns within a time bound."""

    value_validator_cls = bounded(OAS30Validator)


class _BoundedV31Value(OpenAPIV31ValueValidator):
    value_validator_cls = bounded(OAS31Validator)


class _OfflineV30(OpenAPIV30SpecValidator):
    resolver_handlers: dict[str, Any] = {}  # noqa: RUF012 (the base declares it so; never mutated)
    keyword_validators = {**OpenAPIV30SpecValidator.keyword_validators, "default": _BoundedV30Value}  # noqa: RUF012


class _OfflineV31(OpenAPIV31SpecValidator):
    resolver_handlers: dict[str, Any] = {}  # noqa: RUF012 (the base declares it so; never mutated)
    keyword_validators = {**OpenAPIV31SpecValidator.keyword_validators, "default": _BoundedV31Value}  # noqa: RUF012


def check_document(document: dict[str, Any], version: Version) -> None:
    """Raise InvalidContract at the first problem. The document's references must have been checked."""
    _check_structure(document, version)
    check_patterns(document)
    try:
        _check_semantics(document, version)
    except Unresolvable as exc:  # defence in depth: check_refs has refused such references already
        raise UnresolvableRef(f"unresolvable reference {exc}") from exc


def component_schemas(document: dict[str, Any]) -> dict[str, Any]:
    components = document.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    return schemas if isinstance(schemas, dict) else {}


COMPONENT_KEY = re.compile(r"^[a-zA-Z0-9\.\-_]+$")


@cache
def _meta_validator(version: Version) -> Any:
    meta = get_schema_content(version)
    return validator_for(meta)(meta, registry=OFFLINE_REGISTRY)


def _check_structure(document: dict[str, Any], version: Version) -> None:
    error = best_match(_meta_validator(version).iter_errors(document))
    if error is not None:
        raise InvalidContract(
            f"not a valid OpenAPI {version} document: {shorten(error.message)}", pointer=pointer_of(error)
        )
    # The specification's rule for component keys, which its published schemas do not enforce; keys
    # outside it (`a#b`) break references, and the validator with them.
    for key in component_schemas(document):
        if not COMPONENT_KEY.fullmatch(key):
            raise InvalidContract(
                f"component name {key[:80]!r} must match {COMPONENT_KEY.pattern}",
                pointer=f"{SCHEMAS_POINTER}/{escape(key)}",
            )


def _check_semantics(document: dict[str, Any], version: Version) -> None:
    """Schema objects against their dialect, `default` values against their schemas, paths and tags.

    Checking a `default` runs the patterns of its schema: a pattern that could not be evaluated refuses the
    contract at the pattern (even when a `not` or an `anyOf` swallowed its error), not at the default.
    """
    validator = _OfflineV30(document) if version == "3.0" else _OfflineV31(document)
    with regex_budget() as budget:
        try:
            for pointer, error in _semantic_errors(validator, document):
                _refuse_unsafe_patterns(document, budget)
                raise InvalidContract(
                    f"not a valid OpenAPI {version} document: {shorten(error.message)}", pointer=pointer
                )
        except ValidationTooSlow as exc:
            raise ContractTooComplex(f"checking the contract's default values: {exc}", pointer="") from exc
    _refuse_unsafe_patterns(document, budget)


def _refuse_unsafe_patterns(document: dict[str, Any], budget: RegexBudget) -> None:
    if budget.failures:
        failure = budget.failures[0]
        raise refusal(failure, pointer_of_pattern(document, failure.pattern), " against a default value")


def _semantic_errors(validator: Any, document: dict[str, Any]) -> Iterator[tuple[str, ValidationError]]:
    # The library follows `$ref`s and checks each schema once, reporting paths relative to the schema it
    # started from. Starting from the referenced components first lets an error name the component it is in.
    check_schema = validator.keyword_validators_registry["schema"]
    schemas = component_schemas(document)
    for name in _dependencies_first(schemas):
        at = f"{SCHEMAS_POINTER}/{escape(name)}"
        for error in check_schema(validator.schema_path / "components" / "schemas" / name):
            # errors in a `default` value have paths into that value, not into the schema
            yield (at + pointer_of(error) if _is_schema_error(error) else at), error
    for error in validator.root_validator(validator.schema_path):
        yield pointer_of(error), error


def _is_schema_error(error: ValidationError) -> bool:
    return type(error).__module__.startswith("openapi_spec_validator")


def _dependencies_first(schemas: dict[str, Any]) -> list[str]:
    """Component names, each after the components it references (a cycle is entered anywhere)."""
    order: list[str] = []
    seen: set[str] = set()
    for start in schemas:
        if start in seen:
            continue
        seen.add(start)
        stack = [(start, iter(_referenced(schemas[start])))]
        while stack:  # iterative depth-first post-order: chains of references can be long
            name, pending = stack[-1]
            child = next((ref for ref in pending if ref in schemas and ref not in seen), None)
            if child is None:
                stack.pop()
                order.append(name)
            else:
                seen.add(child)
                stack.append((child, iter(_referenced(schemas[child]))))
    return order


def _referenced(schema: Any) -> Iterator[str]:
    for _, node, _ in walk(schema) if isinstance(schema, dict | list) else ():
        ref = node.get("$ref") if isinstance(node, dict) else None
        if isinstance(ref, str) and ref.startswith(_SCHEMA_REF_PREFIX):
            yield unescape(unquote(ref.removeprefix(_SCHEMA_REF_PREFIX)).split("/")[0])

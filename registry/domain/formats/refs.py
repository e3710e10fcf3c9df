"""The `$ref` policy: references stay inside the document, and nothing is ever fetched.

Every reference is checked before any validator sees the document, because validators (jsonschema's default
registry, openapi-spec-validator's resolver) would otherwise fetch http(s) and file URIs themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import urldefrag, urljoin

from referencing import Registry
from referencing.exceptions import NoSuchResource, Unresolvable

from registry.domain.errors import ExternalRefNotAllowed, UnresolvableRef
from registry.domain.formats.document import walk
from registry.domain.formats.patterns import NAMED_MAPS
from registry.domain.formats.pointers import Path, PointerNotFound, pointer_of, resolve_fragment

REFERENCE_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
ANCHOR_KEYWORDS = ("$anchor", "$dynamicAnchor")

Resolve = Callable[[str, str], object]
"""Resolve a reference (second argument) written in the object at a JSON pointer (first argument) to what
it points to; raise PointerNotFound or referencing's Unresolvable when it points nowhere."""

DATA_KEYWORDS = frozenset({"default", "enum", "const", "example"})
"""Keywords whose values are instances, not schemas: a `"$ref"` member inside them is data (so is one in a
JSON Schema `examples` array)."""
_LIBRARY_FAILURES = (TypeError, AttributeError, ValueError, LookupError, RecursionError)
"""What a resolver may raise on a document of unexpected shapes, beside its own Unresolvable."""


@dataclass(frozen=True)
class Target:
    """What one reference points to."""

    pointer: str  # the reference's own place: <holder>/$ref
    ref: str
    node: Any  # an object, or a boolean schema


def check_refs(
    document: dict[str, Any],
    base_uri: str = "",
    resolve: Resolve | None = None,
    *,
    data_keywords: frozenset[str] = frozenset(),
) -> list[Target]:
    """Refuse references that leave the document (ExternalRefNotAllowed), point nowhere or at something
    that cannot be a schema (UnresolvableRef); return what each points to.

    `base_uri` is the document's own id (draft 4 `id`, later `$id`): a reference to it is still local.
    `resolve` defaults to resolving against the document root, which is right when nothing inside the
    document declares its own base URI (OpenAPI 3.0). Values of `data_keywords` are not searched for
    references: there they are data.
    """
    resolve = resolve or _in_document(document)
    return [
        _target(holder, keyword, ref, base_uri, resolve)
        for holder, keyword, ref in references_in(document, data_keywords)
    ]


def _target(holder: str, keyword: str, ref: str, base_uri: str, resolve: Resolve) -> Target:
    pointer = f"{holder}/{keyword}"
    if _is_external(ref, base_uri):
        uri = urldefrag(ref).url
        raise ExternalRefNotAllowed(
            f"{keyword} {ref!r} points outside this document, and nothing is fetched: to resolve {uri!r} "
            "to a stored version, name it in the registration's `references` "
            f'([{{"name": "{uri}", "registry": ..., "schema": ..., "version": ...}}])',
            pointer=pointer,
            uri=uri,
        )
    try:
        node = resolve(holder, ref)
    except (PointerNotFound, Unresolvable) as exc:
        raise UnresolvableRef(
            f"{keyword} {ref!r} points to nothing in this document", pointer=pointer
        ) from exc
    except _LIBRARY_FAILURES as exc:  # a shape the resolver could not follow: still the contract's fault
        raise UnresolvableRef(f"{keyword} {ref!r} cannot be resolved: {exc}", pointer=pointer) from exc
    if not isinstance(node, dict | bool):
        raise UnresolvableRef(
            f"{keyword} {ref!r} points to {_kind(node)}, which cannot be a schema", pointer=pointer
        )
    return Target(pointer, ref, node)


def _kind(value: Any) -> str:
    kinds = {str: "a string", list: "an array", int: "a number", float: "a number"}
    return "null" if value is None else kinds.get(type(value), type(value).__name__)


def references_in(document: Any, data_keywords: frozenset[str]) -> Iterator[tuple[str, str, str]]:
    """(holder, keyword, reference) for every reference. Inside a map of names (`properties`, ...) a key is a
    name: a property *named* "$ref" holds a schema, not a reference, and one named "default" no data."""
    stack: list[tuple[Path, Any, bool]] = [(None, document, False)]
    while stack:  # iterative: the depth is bounded, but a walk must never be the thing that recurses
        path, node, named = stack.pop()
        if isinstance(node, list):
            stack.extend(((path, index), item, False) for index, item in reversed(list(enumerate(node))))
            continue
        if not isinstance(node, dict):
            continue
        for keyword in () if named else REFERENCE_KEYWORDS:
            if isinstance(node.get(keyword), str):
                yield pointer_of(path), keyword, node[keyword]
        for key, child in reversed(list(node.items())):
            if isinstance(child, dict | list) and (named or not _is_data(key, child, data_keywords)):
                stack.append(((path, key), child, not named and key in NAMED_MAPS))


def _is_data(key: str, value: Any, data_keywords: frozenset[str]) -> bool:
    return key in data_keywords or (bool(data_keywords) and key == "examples" and isinstance(value, list))


def _is_external(ref: str, base_uri: str) -> bool:
    uri = urldefrag(ref).url
    own = urldefrag(base_uri).url
    return bool(uri) and not (own and urljoin(own, uri) == own)


def _in_document(document: dict[str, Any]) -> Resolve:
    anchors: dict[str, Any] | None = None

    def resolve(_holder: str, ref: str) -> object:
        nonlocal anchors
        fragment = urldefrag(ref).fragment
        if fragment == "" or fragment.startswith("/"):
            return resolve_fragment(document, fragment)
        anchors = _anchors(document) if anchors is None else anchors
        if fragment not in anchors:
            raise PointerNotFound(fragment)
        return anchors[fragment]

    return resolve


def _anchors(document: dict[str, Any]) -> dict[str, Any]:
    """Plain-name fragments the document defines, and the objects defining them: `$anchor`s, and ids of the
    form "#name" (draft 4 to 7)."""
    found: dict[str, Any] = {}
    for _, node, _ in walk(document):
        if not isinstance(node, dict):
            continue
        for keyword in (*ANCHOR_KEYWORDS, "id", "$id"):
            value = node.get(keyword)
            if isinstance(value, str) and (keyword in ANCHOR_KEYWORDS or value.startswith("#")):
                found.setdefault(value.removeprefix("#"), node)
    return found


def _refuse_retrieval(uri: str) -> NoReturn:
    # NoSuchResource is an attrs class; mypy does not see its generated __init__
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


OFFLINE_REGISTRY: Registry[Any] = Registry(retrieve=_refuse_retrieval)  # type: ignore[call-arg]  # attrs, as above
"""A `referencing` registry that never retrieves: any reference outside the document stays unresolved."""

"""The `$ref` policy: references stay inside the document, and nothing is ever fetched.

Every reference is checked before any validator sees the document, because validators (jsonschema's default
registry, openapi-spec-validator's resolver) would otherwise fetch http(s) and file URIs themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NoReturn
from urllib.parse import urldefrag, urljoin

from referencing import Registry
from referencing.exceptions import NoSuchResource, Unresolvable

from registry.domain.errors import ExternalRefNotAllowed, UnresolvableRef
from registry.domain.formats.document import walk
from registry.domain.formats.pointers import PointerNotFound, resolve_fragment

REFERENCE_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
ANCHOR_KEYWORDS = ("$anchor", "$dynamicAnchor")

Resolve = Callable[[str, str], object]
"""Resolve a reference (second argument) written in the object at a JSON pointer (first argument);
raise PointerNotFound or referencing's Unresolvable when it points nowhere."""


def check_refs(document: dict[str, Any], base_uri: str = "", resolve: Resolve | None = None) -> None:
    """Refuse references that leave the document (ExternalRefNotAllowed) or point nowhere (UnresolvableRef).

    `base_uri` is the document's own id (draft 4 `id`, later `$id`): a reference to it is still local.
    `resolve` defaults to resolving against the document root, which is right when nothing inside the
    document declares its own base URI (OpenAPI 3.0).
    """
    resolve = resolve or _in_document(document)
    for holder, keyword, ref in _references(document):
        pointer = f"{holder}/{keyword}"
        if _is_external(ref, base_uri):
            raise ExternalRefNotAllowed(
                f"{keyword} {ref!r} points outside this document; only local references (starting with '#') "
                "are allowed, and nothing is fetched",
                pointer=pointer,
            )
        try:
            resolve(holder, ref)
        except (PointerNotFound, Unresolvable) as exc:
            raise UnresolvableRef(
                f"{keyword} {ref!r} points to nothing in this document", pointer=pointer
            ) from exc


def _references(document: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    for pointer, node, _ in walk(document):
        for keyword in REFERENCE_KEYWORDS if isinstance(node, dict) else ():
            # a property *named* "$ref" has an object as its value: that is data, not a reference
            if isinstance(node.get(keyword), str):
                yield pointer, keyword, node[keyword]


def _is_external(ref: str, base_uri: str) -> bool:
    uri = urldefrag(ref).url
    own = urldefrag(base_uri).url
    return bool(uri) and not (own and urljoin(own, uri) == own)


def _in_document(document: dict[str, Any]) -> Resolve:
    anchors: set[str] | None = None

    def resolve(_holder: str, ref: str) -> object:
        nonlocal anchors
        fragment = urldefrag(ref).fragment
        if fragment == "" or fragment.startswith("/"):
            return resolve_fragment(document, fragment)
        anchors = _anchors(document) if anchors is None else anchors
        if fragment not in anchors:
            raise PointerNotFound(fragment)
        return fragment

    return resolve


def _anchors(document: dict[str, Any]) -> set[str]:
    """Plain-name fragments the document defines: `$anchor`s, and ids of the form "#name" (draft 4 to 7)."""
    found: set[str] = set()
    for _, node, _ in walk(document):
        if not isinstance(node, dict):
            continue
        for keyword in (*ANCHOR_KEYWORDS, "id", "$id"):
            value = node.get(keyword)
            if isinstance(value, str) and (keyword in ANCHOR_KEYWORDS or value.startswith("#")):
                found.add(value.removeprefix("#"))
    return found


def _refuse_retrieval(uri: str) -> NoReturn:
    # NoSuchResource is an attrs class; mypy does not see its generated __init__
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


OFFLINE_REGISTRY: Registry[Any] = Registry(retrieve=_refuse_retrieval)  # type: ignore[call-arg]  # attrs, as above
"""A `referencing` registry that never retrieves: any reference outside the document stays unresolved."""

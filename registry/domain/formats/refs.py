"""The `$ref` policy: references stay inside the document, and nothing is ever fetched.

Every reference is checked before any validator sees the document, because validators (jsonschema's default
registry, openapi-spec-validator's resolver) would otherwise fetch http(s) and file URIs themselves.
"""

from __future__ import annotations

from typing import Any, NoReturn
from urllib.parse import urldefrag, urljoin

from referencing import Registry
from referencing.exceptions import NoSuchResource

from registry.domain.errors import ExternalRefNotAllowed, UnresolvableRef
from registry.domain.formats.document import walk
from registry.domain.formats.pointers import PointerNotFound, resolve_fragment

REFERENCE_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
ANCHOR_KEYWORDS = ("$anchor", "$dynamicAnchor")


def check_refs(document: dict[str, Any], base_uri: str = "") -> None:
    """Refuse references that leave the document (ExternalRefNotAllowed) or point nowhere (UnresolvableRef).

    `base_uri` is the document's own id (draft 4 `id`, later `$id`); a reference to it is still local.
    """
    anchors = _anchors(document)
    for pointer, node, _ in walk(document):
        if not isinstance(node, dict):
            continue
        for keyword in REFERENCE_KEYWORDS:
            ref = node.get(keyword)
            # a property *named* "$ref" has an object as its value: that is data, not a reference
            if isinstance(ref, str):
                _check_ref(document, ref, base_uri, anchors, f"{pointer}/{keyword}")


def _check_ref(document: dict[str, Any], ref: str, base_uri: str, anchors: set[str], pointer: str) -> None:
    uri, fragment = urldefrag(ref)
    if uri and not _is_own_uri(uri, base_uri):
        raise ExternalRefNotAllowed(
            f"$ref {ref!r} points outside this document; only local references (starting with '#') "
            "are allowed, and nothing is fetched",
            pointer=pointer,
        )
    if fragment.startswith("/") or fragment == "":
        try:
            resolve_fragment(document, fragment)
        except PointerNotFound as exc:
            raise UnresolvableRef(
                f"$ref {ref!r} points to nothing in this document", pointer=pointer
            ) from exc
    elif fragment not in anchors:
        raise UnresolvableRef(f"$ref {ref!r} names an anchor this document does not define", pointer=pointer)


def _is_own_uri(uri: str, base_uri: str) -> bool:
    own = urldefrag(base_uri).url
    return bool(own) and urljoin(own, uri) == own


def _anchors(document: dict[str, Any]) -> set[str]:
    """Plain-name fragments the document defines: `$anchor`s, and ids of the form "#name" (draft 4 to 7)."""
    found: set[str] = set()
    for _, node, _ in walk(document):
        if not isinstance(node, dict):
            continue
        for keyword in ANCHOR_KEYWORDS:
            if isinstance(node.get(keyword), str):
                found.add(node[keyword])
        for keyword in ("id", "$id"):
            value = node.get(keyword)
            if isinstance(value, str) and value.startswith("#"):
                found.add(value[1:])
    return found


def _refuse_retrieval(uri: str) -> NoReturn:
    # NoSuchResource is an attrs class; mypy does not see its generated __init__
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


OFFLINE_REGISTRY: Registry[Any] = Registry(retrieve=_refuse_retrieval)  # type: ignore[call-arg]  # attrs, as above
"""A `referencing` registry that never retrieves: any reference outside the document stays unresolved."""

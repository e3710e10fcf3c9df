"""JSON pointers (RFC 6901): building them from paths and resolving them in a document."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote


class PointerNotFound(LookupError):
    """The pointer names no place in the document."""


def escape(token: str | int) -> str:
    text = str(token)
    if "~" not in text and "/" not in text:  # most names: no copies made
        return text
    return text.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    # order matters: "~01" must become "~1", not "/"
    return token.replace("~1", "/").replace("~0", "~")


def to_pointer(path: Iterable[str | int]) -> str:
    return "".join("/" + escape(token) for token in path)


Path = tuple[Any, str | int] | None
"""A place in a document as a chain (parent path, key), the root None: walks build these, which is cheap,
and spell out a JSON pointer only for the few places they report."""


def pointer_of(path: Path) -> str:
    tokens: list[str] = []
    while path is not None:
        path, token = path
        tokens.append("/" + escape(token))
    return "".join(reversed(tokens))


def quote_pointer(pointer: str) -> str:
    """A JSON pointer made safe for a URI fragment (a key may hold "%", "#" or spaces)."""
    return quote(pointer, safe="/~")


def resolve_fragment(document: Any, fragment: str) -> Any:
    """Resolve a URI fragment holding a JSON pointer ("" or "/a/b"), percent-decoding it first."""
    if fragment == "":
        return document
    node = document
    for token in unquote(fragment[1:]).split("/"):
        node = _step(node, unescape(token))
    return node


def _step(node: Any, token: str) -> Any:
    if isinstance(node, dict) and token in node:
        return node[token]
    if isinstance(node, list) and token.isdigit() and int(token) < len(node):
        return node[int(token)]
    raise PointerNotFound(token)

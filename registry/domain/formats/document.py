"""Reading a contract's content into a JSON object, and bounding its nesting depth.

Everything here is iterative: documents come from clients, and a recursive walk over a hostile document
would end in RecursionError instead of a clear error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from registry.domain.errors import (
    ContentNotJson,
    DocumentTooDeep,
    InvalidContract,
    JsonTooDeep,
    MalformedJson,
)
from registry.domain.formats.pointers import escape
from registry.domain.json_input import parse_json

MAX_DEPTH = 64
"""Nesting levels (objects and arrays) a contract may have; real contracts stay far below this."""


def read_document(content: Any) -> dict[str, Any]:
    """The contract as a JSON object, from an object or from a string holding one."""
    if isinstance(content, str):
        content = _loads(content)
    if not isinstance(content, dict):
        raise InvalidContract(
            f"the contract content must be a JSON object (or a string holding one), not {_json_kind(content)}"
        )
    return content


def _loads(text: str) -> Any:
    """The one JSON parser of the registry (duplicate keys, NaN and oversized numbers refused as in
    bodies), with a contract's own codes for text that is no JSON and for nesting."""
    try:
        return parse_json(text, where="the contract content")
    except MalformedJson as exc:
        raise ContentNotJson(f"the contract content is a string but not JSON: {exc.message}") from exc
    except JsonTooDeep as exc:
        raise DocumentTooDeep(f"the contract content nests deeper than {MAX_DEPTH} levels") from exc


def _json_kind(value: Any) -> str:
    kinds = {str: "a string", list: "an array", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else kinds.get(type(value), type(value).__name__)


def walk(document: Any) -> Iterator[tuple[str, Any, int]]:
    """Every object and array in the document as (JSON pointer, node, depth), depth-first; the root is 1."""
    stack: list[tuple[str, Any, int]] = [("", document, 1)]
    while stack:
        pointer, node, depth = stack.pop()
        yield pointer, node, depth
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in reversed(list(items)):
            if isinstance(child, dict | list):
                stack.append((f"{pointer}/{escape(key)}", child, depth + 1))


def first_too_deep(document: Any, limit: int) -> str | None:
    """The pointer of the first object or array nested deeper than `limit`, or None."""
    if not isinstance(document, dict | list) or _within(document, limit):
        return None
    for pointer, _, depth in walk(document):
        # the walk is lazy, so a 10,000-deep document is abandoned once the limit is crossed
        if depth > limit:
            return pointer
    return None


def _within(document: dict[str, Any] | list[Any], limit: int) -> bool:
    """Whether nothing nests deeper than `limit`: the walk of every contract and event, without the
    pointers that only a refusal needs (and abandoned as soon as the limit is crossed)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return False
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return True


def check_depth(document: Any, limit: int = MAX_DEPTH) -> None:
    pointer = first_too_deep(document, limit)
    if pointer is not None:
        raise DocumentTooDeep(f"the contract nests deeper than {limit} levels", pointer=pointer)

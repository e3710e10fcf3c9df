"""Reading JSON that clients send: request bodies, contracts sent as strings, sample events.

One parser for all of it, stricter than `json.loads` where that one accepts what is not JSON or what
parsers disagree on:

- `NaN`, `Infinity` and `-Infinity` are not JSON (RFC 8259), nor is a number too large for a double
  (`1e999` would become Infinity): refused.
- A key repeated in one object: RFC 8259 leaves the meaning to the parser (Python keeps the last value, others
  the first or fail), so a contract or an event holding one could mean one thing to the registry and another
  to a producer or consumer. Refused with the pointer, for events as for contracts: a validation verdict on a
  document whose meaning depends on the reader would be worthless.
- Numbers of more than MAX_NUMBER_CHARS characters and nesting deeper than MAX_DEPTH levels are valid JSON
  but past what the registry reads: refused with a code naming that limit, rather than failing somewhere
  inside the parser (Python's 4,300-digit integer limit, its recursion limit).
"""

from __future__ import annotations

import json
import math
from typing import Any, NoReturn

from registry.domain.errors import (
    DuplicateKey,
    JsonTooDeep,
    MalformedJson,
    NumberOutOfRange,
    NumberTooLong,
)

MAX_DEPTH = 256
"""Nesting levels of a request body: above every limit of what bodies carry (contracts 64, events 128, each
wrapped in a level or two), so those limits keep their own, more precise errors; far below the depth at which
Python's parser would run out of stack."""

MAX_NUMBER_CHARS = 1000
"""Characters of one number: real contracts and events stay under 30; Python itself stops at 4,300 digits."""


def parse_json(text: str | bytes, *, where: str = "the request body") -> Any:
    """The JSON value of `text`. `where` names the text in error messages ("the request body", "event 2").

    Raises MalformedJson (not JSON at all, or NaN/Infinity), DuplicateKey, NumberTooLong, NumberOutOfRange
    or JsonTooDeep."""
    try:
        value = _plain_parse(text)
    except Exception:  # anything the strict parse may refuse: it decides, and names the error
        return _strict_parse(text, where)
    if may_nest_deeper(text, MAX_DEPTH) and _deeper_than(value, MAX_DEPTH):
        raise JsonTooDeep(where=where, limit=MAX_DEPTH)
    return value


class _NotPlain(Exception):
    """Raised by the plain parse's hooks at what only the strict parse may judge."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    built = dict(pairs)
    if len(built) != len(pairs):
        raise _NotPlain
    return built


def _finite(literal: str) -> float:
    value = float(literal)
    if len(literal) > MAX_NUMBER_CHARS or not math.isfinite(value):
        raise _NotPlain
    return value


def _short_int(literal: str) -> int:
    if len(literal) > MAX_NUMBER_CHARS:
        raise _NotPlain
    return int(literal)


def _not_plain(_name: str) -> NoReturn:
    raise _NotPlain


# Built once (a decoder per call costs more than the parse of a small body), without state: thread-safe.
_SHORT_TEXT = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_float=_finite, parse_constant=_not_plain)
_LONG_TEXT = json.JSONDecoder(
    object_pairs_hook=_unique_keys, parse_float=_finite, parse_int=_short_int, parse_constant=_not_plain
)


def _plain_parse(text: str | bytes) -> Any:
    """The value of `text` when it holds nothing the strict parse refuses (no repeated key, no NaN or
    Infinity, no number too long or out of range), read as `json.loads` reads it; raises at anything else.
    Its value is then the strict parse's: the same reading, hooks that only differ by raising. A text no
    longer than MAX_NUMBER_CHARS cannot hold a number that long: its integers need no hook."""
    if isinstance(text, bytes):
        text = text.decode(json.detect_encoding(text), "surrogatepass")  # as json.loads decodes bytes
    elif text.startswith("\ufeff"):
        raise _NotPlain  # json.loads refuses a BOM in a str
    return (_SHORT_TEXT if len(text) <= MAX_NUMBER_CHARS else _LONG_TEXT).decode(text)


def _strict_parse(text: str | bytes, where: str) -> Any:
    """parse_json's reading of any text, which names what it refuses (a new decoder for each call)."""
    duplicates = False

    def object_of(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal duplicates
        built = dict(pairs)
        if len(built) == len(pairs):
            return built
        duplicates = True
        return _Duplicated(built, _first_repeated(pairs))

    def number(literal: str) -> float:
        _check_length(literal, where)
        value = float(literal)
        if not math.isfinite(value):
            raise NumberOutOfRange(where=where, number=literal)
        return value

    def integer(literal: str) -> int:
        _check_length(literal, where)
        return int(literal)

    def constant(name: str) -> NoReturn:
        raise MalformedJson(f"{where} holds {name}, which is not JSON", details={"constant": name})

    try:
        value = json.loads(
            text, object_pairs_hook=object_of, parse_float=number, parse_int=integer, parse_constant=constant
        )
    except RecursionError as exc:  # only far past MAX_DEPTH
        raise JsonTooDeep(where=where, limit=MAX_DEPTH) from exc
    except ValueError as exc:  # json.JSONDecodeError, or bytes that are not UTF-8 (nor UTF-16/32)
        raise MalformedJson(f"{where} is not valid JSON: {exc}") from exc
    if duplicates:
        pointer, key = _first_duplicate(value)
        raise DuplicateKey(where=where, pointer=pointer, key=key)
    if may_nest_deeper(text, MAX_DEPTH) and _deeper_than(value, MAX_DEPTH):
        raise JsonTooDeep(where=where, limit=MAX_DEPTH)
    return value


class _Duplicated(dict[str, Any]):
    """An object that repeated `key`: marked while parsing, located (by pointer) once the parse is done."""

    def __init__(self, items: dict[str, Any], key: str) -> None:
        super().__init__(items)
        self.key = key


def _first_repeated(pairs: list[tuple[str, Any]]) -> str:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return key
        seen.add(key)
    raise AssertionError("no key repeats")


def _check_length(literal: str, where: str) -> None:
    if len(literal) > MAX_NUMBER_CHARS:
        raise NumberTooLong(where=where, length=len(literal), limit=MAX_NUMBER_CHARS)


def _first_duplicate(value: Any) -> tuple[str, str]:
    """The pointer and key of a repeated key: the first met walking from the root, in document order."""
    stack: list[tuple[str, Any]] = [("", value)] if isinstance(value, dict | list) else []
    while stack:
        pointer, node = stack.pop()
        if isinstance(node, _Duplicated):
            return f"{pointer}/{_escape(node.key)}", node.key
        items = node.items() if isinstance(node, dict) else enumerate(node)
        children = [(f"{pointer}/{_escape(key)}", child) for key, child in items]
        stack.extend(child for child in reversed(children) if isinstance(child[1], dict | list))
    raise AssertionError("no object repeated a key")


def may_nest_deeper(text: str | bytes, limit: int) -> bool:
    """False when `text`, a JSON text `json.loads` reads (bytes in any encoding it reads), has too few
    brackets to nest deeper than `limit` levels: most texts need no walk of their value at all. A bracket is
    at least its byte in UTF-8, -16 and -32 alike, and brackets inside strings only add to the count, so
    False is sure; True says only "walk to know"."""
    if isinstance(text, bytes):
        return text.count(b"[") + text.count(b"{") > limit
    return text.count("[") + text.count("{") > limit


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether objects and arrays nest deeper than `limit` (the value itself is level 1); iterative."""
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _escape(token: str | int) -> str:
    """A JSON pointer token (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")

"""Opaque keyset cursors: a page resumes after the last key it returned, so inserts never shift pages."""

from __future__ import annotations

import base64
import binascii
import json

from registry.domain.errors import InvalidCursor

DEFAULT_LIMIT = 100
MAX_LIMIT = 500


def encode_cursor(key: str | int) -> str:
    return base64.urlsafe_b64encode(json.dumps([key]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, kind: type[str] | type[int]) -> str | int | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        (key,) = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, TypeError, UnicodeError, binascii.Error) as exc:
        raise InvalidCursor() from exc
    if type(key) is not kind:
        raise InvalidCursor()
    return key


def decode_text_cursor(cursor: str | None) -> str | None:
    key = decode_cursor(cursor, str)
    return None if key is None else str(key)


def decode_int_cursor(cursor: str | None) -> int | None:
    key = decode_cursor(cursor, int)
    return None if key is None else int(key)

"""Turning library validation errors into short messages with a JSON pointer."""

from __future__ import annotations

from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped, unused-ignore]

from registry.domain.formats.pointers import to_pointer

MAX_MESSAGE = 400
"""jsonschema quotes whole instances in some messages; a client needs the gist, not the document back."""


def shorten(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"


def pointer_of(error: ValidationError) -> str:
    return to_pointer(error.absolute_path)

"""The identity of an EventBridge event: the `detail-type` and `source` a contract describes.

EventBridge contracts name them on the envelope schema (`x-amazon-events-detail-type` and
`x-amazon-events-source`: on the event root of an OpenAPI contract, at the top of a JSON Schema contract,
where ExportSchema puts them). They are annotations to JSON Schema, so an `OrderCancelled` event that fits
the `OrderCreated` envelope would pass as valid; `identity_errors` reports it instead."""

from __future__ import annotations

from typing import Any

from registry.domain.formats.events import IDENTITY_MISMATCH, EventError
from registry.domain.formats.openapi import DETAIL_TYPE_MARKER, SOURCE_MARKER
from registry.domain.formats.pointers import escape

# (the member of the event, the marker on the envelope schema that gives its value)
MEMBERS = (("detail-type", DETAIL_TYPE_MARKER), ("source", SOURCE_MARKER))


def expected_identity(envelope: Any) -> dict[str, str]:
    """The members the envelope schema fixes, with their values (none for a contract without markers)."""
    if not isinstance(envelope, dict):
        return {}
    return {member: envelope[marker] for member, marker in MEMBERS if isinstance(envelope.get(marker), str)}


def identity_errors(expected: dict[str, str], event: Any, reported: set[str]) -> list[EventError]:
    """An error for each member of `event` whose value differs from the contract's. A member that is
    absent is the schema's business (`required`), and one at a place in `reported` (a pointer the schema's
    own errors name) already has its error."""
    if not isinstance(event, dict):
        return []
    found = []
    for member, value in expected.items():
        pointer = "/" + escape(member)
        if member in event and event[member] != value and pointer not in reported:
            message = (
                f"{member} is {_shown(event[member])}, but this contract describes events whose {member} "
                f"is {_shown(value)}"
            )
            found.append(EventError(pointer, message, IDENTITY_MISMATCH))
    return found


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."

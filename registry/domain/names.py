"""Registry and schema names, version selectors and the limits the API promises."""

from __future__ import annotations

import re

from registry.domain.errors import InvalidName, InvalidVersionSelector

# EventBridge names such as `aws.partner-mongodb.com/1234567-tickets@Ticket.Created` must fit.
NAME_PATTERN = r"^[A-Za-z0-9._\-@/]+$"
_NAME = re.compile(NAME_PATTERN)
MAX_REGISTRY_NAME = 64
MAX_SCHEMA_NAME = 385
LATEST = "latest"
MAX_VERSION_NUMBER = 999_999_999  # nine digits, as a version selector may have


def check_name(kind: str, name: str, max_length: int) -> str:
    if not name or len(name) > max_length:
        raise InvalidName(kind=kind, name=name[:80], reason=f"length must be 1 to {max_length} characters")
    if not _NAME.fullmatch(name):
        raise InvalidName(
            kind=kind, name=name[:80], reason="use letters, digits and the characters . - _ @ / only"
        )
    # Clients that normalise URLs rewrite `.` and `..` segments, so such a name would not round trip.
    if any(segment in {"", ".", ".."} for segment in name.split("/")):
        raise InvalidName(kind=kind, name=name, reason="'/'-separated parts must not be empty, '.' or '..'")
    return name


def registry_name(name: str) -> str:
    return check_name("registry", name, MAX_REGISTRY_NAME)


def schema_name(name: str) -> str:
    return check_name("schema", name, MAX_SCHEMA_NAME)


def version_selector(given: str) -> int | None:
    """A version number, or None for `latest`."""
    if given == LATEST:
        return None
    if given.isascii() and given.isdigit() and 0 < len(given) <= 9 and int(given) > 0:
        return int(given)
    raise InvalidVersionSelector(given=given[:40])

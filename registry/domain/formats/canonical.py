"""Canonical JSON text and the fingerprint derived from it: the identity of a contract's content."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    """Serialise `value` so that equal JSON values give equal text (sorted keys, no insignificant space).

    NaN and infinities are refused (ValueError): they are not JSON, and other clients could not read them.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def fingerprint_of(canonical: str) -> str:
    """The sha256 hex digest of the canonical text's UTF-8 bytes."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

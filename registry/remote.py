"""Calls from the command line to a running registry's REST API, for CI steps that have nothing but the
registry's URL and, once tokens exist, a token (`registry can-i-deploy`, `registry environment create`)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlencode


class Unanswered(RuntimeError):
    """The registry refused the call (its error code and message), or could not be reached."""


def path_of(*segments: str) -> str:
    """`/registries/{r}/...` with each name percent-encoded (`/` inside a name becomes `%2F`)."""
    return "".join(f"/{quote(segment, safe='')}" for segment in segments)


def call(
    url: str,
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
    token: str | None,
    timeout: float = 30.0,
) -> tuple[int, dict[str, Any]]:
    """(status, JSON answer) of a successful call; raises Unanswered with the registry's own message."""
    target = f"{url.rstrip('/')}{path}" + (f"?{urlencode(query)}" if query else "")
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(target, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer: dict[str, Any] = json.load(response)
            return response.status, answer
    except urllib.error.HTTPError as exc:
        raise Unanswered(f"HTTP {exc.code}: {_error_message(exc.read())}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise Unanswered(f"cannot reach the registry at {url}: {exc}") from None


def _error_message(body: bytes) -> str:
    try:
        error = json.loads(body)["error"]
        return f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return body.decode(errors="replace")[:500]

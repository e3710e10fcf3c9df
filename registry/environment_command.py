"""`registry environment create`: create an environment in a running registry from a CI step, so that the
first release to a new environment can ask can-i-deploy there. Idempotent: an existing environment is left
as it is (its description changes only when one is given)."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from registry.remote import Unanswered, call, path_of

DONE, FAILED = 0, 2
EXIT_CODES = "exit status: 0 the environment exists (created now, or already), 2 it could not be created"


def create(
    url: str,
    *,
    registry: str,
    environment: str,
    description: str | None,
    token: str | None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    body: dict[str, Any] | None = None if description is None else {"description": description}
    path = path_of("registries", registry, "environments", environment)
    try:
        status, answer = call(url, "PUT", path, body=body, token=token)
    except Unanswered as exc:
        print(f"environment create: {exc}", file=err)
        return FAILED
    state = "created" if status == 201 else "already exists"
    print(f"environment {answer['environment']} of registry {registry}: {state}", file=out)
    return DONE

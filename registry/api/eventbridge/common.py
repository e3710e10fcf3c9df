"""What every EventBridge route shares: the caller's role on the registry in the path, ARNs, version
strings, pagination parameters and the error responses documented in /openapi.json."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request

from registry.api.deps import role_on_registry
from registry.api.eventbridge.models import ErrorResponse
from registry.api.eventbridge_auth import eventbridge_caller
from registry.api.models import Text
from registry.domain.auth import Principal, Role
from registry.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT
from registry.eventbridge import Arns
from registry.settings import Settings

TAGS: list[str | Enum] = ["eventbridge"]  # the group of these operations in /docs

_MEANING = {
    400: "BadRequestException: invalid input (names, content, parameters, pagination token)",
    401: "UnauthorizedException: missing, unknown or revoked credentials",
    403: "ForbiddenException: the credentials lack the role, or are limited to another registry",
    404: "NotFoundException: no such registry, schema, version, code binding or resource",
    409: "ConflictException: exists already, or the new version breaks the schema's compatibility mode",
    503: "ServiceUnavailableException: too busy right now; retry after the Retry-After header's seconds",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the errors an operation answers, all `{"Code", "Message"}` as on AWS."""
    return {status: {"model": ErrorResponse, "description": _MEANING[status]} for status in statuses}


READ_ERRORS = errors(400, 401, 403, 404)
WRITE_ERRORS = errors(400, 401, 403, 404, 409)


ReaderOfRegistry = Annotated[Principal, Depends(role_on_registry(Role.READER, eventbridge_caller))]
WriterOfRegistry = Annotated[Principal, Depends(role_on_registry(Role.WRITER, eventbridge_caller))]
AdminOfRegistry = Annotated[Principal, Depends(role_on_registry(Role.ADMIN, eventbridge_caller))]


async def _arns(request: Request) -> Arns:
    settings: Settings = request.app.state.settings
    return Arns(region=settings.aws_region, account=settings.aws_account_id)


ServiceArns = Annotated[Arns, Depends(_arns)]

VERSION_PATTERN = "^[1-9][0-9]{0,8}$"


def optional_version(given: str | None) -> int | None:
    """Versions are positive integers sent as strings (the pattern is enforced where they arrive)."""
    return None if given is None else int(given)


PathVersion = Annotated[str, Path(description="a version number", pattern=VERSION_PATTERN)]
QueryVersion = Annotated[
    str | None,
    Query(
        alias="schemaVersion", description="a version number; default: the latest", pattern=VERSION_PATTERN
    ),
]
Limit = Annotated[
    int | None, Query(alias="limit", ge=1, description=f"page size (at most {MAX_LIMIT} are returned)")
]
NextToken = Annotated[
    Text | None, Query(alias="nextToken", max_length=1024, description="`NextToken` of the previous page")
]


def page_size(limit: int | None) -> int:
    """Any positive Limit is accepted, as on AWS; a page holds at most MAX_LIMIT items and says so with
    its NextToken."""
    return DEFAULT_LIMIT if limit is None else min(limit, MAX_LIMIT)

"""One handler per error family: domain errors and request validation become the documented error body.

On the EventBridge API (paths under `/v1/` and `/tags/`) errors take EventBridge's form instead:
`{"Code": "NotFoundException", "Message": "..."}` with the status botocore's model gives that exception and
the `x-amzn-ErrorType` header, which botocore reads first."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from registry.domain import errors

# The package indexes: the service-wide one and each registry's own (names hold `%2F`, never `/`).
INDEX_PATH = re.compile(r"^(/simple|/registries/[^/]+/simple)(/|$)")
EVENTBRIDGE_PREFIXES = ("/v1/", "/tags/")

# Most specific first: the first family an error belongs to decides its status.
STATUS_BY_FAMILY: list[tuple[type[errors.RegistryError], int]] = [
    (errors.MalformedJson, 400),
    (errors.Unauthenticated, 401),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.NotAcceptable, 406),
    (errors.Conflict, 409),
    (errors.PayloadTooLarge, 413),
    (errors.UnsupportedMediaType, 415),
    (errors.InvalidInput, 422),
    (errors.Unavailable, 503),
]


def status_for(error: errors.RegistryError) -> int:
    for family, status in STATUS_BY_FAMILY:
        if isinstance(error, family):
            return status
    raise LookupError(f"{type(error).__name__} belongs to no family with an HTTP status")


# EventBridge has no 406, 413 or 422: whatever is not listed is a BadRequestException.
EVENTBRIDGE_BY_FAMILY: list[tuple[type[errors.RegistryError], int, str]] = [
    (errors.Unauthenticated, 401, "UnauthorizedException"),
    (errors.Forbidden, 403, "ForbiddenException"),
    (errors.NotFound, 404, "NotFoundException"),
    (errors.Conflict, 409, "ConflictException"),
    (errors.Unavailable, 503, "ServiceUnavailableException"),
]
EVENTBRIDGE_BAD_REQUEST = (400, "BadRequestException")
EVENTBRIDGE_BY_STATUS = {404: (404, "NotFoundException"), 405: (405, "MethodNotAllowedException")}


def is_eventbridge(request: Request) -> bool:
    path = request.url.path
    return path.startswith(EVENTBRIDGE_PREFIXES) or path in {"/v1", "/tags"}


def retry_after(seconds: float) -> dict[str, str]:
    """The `Retry-After` header of a 503 or 429: whole seconds, at least one."""
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def error_headers(error: errors.RegistryError) -> dict[str, str]:
    """Headers an error of this family carries whatever the API's form."""
    if isinstance(error, errors.Unavailable):
        return retry_after(error.retry_after_seconds)
    return {}


def eventbridge_status_for(error: errors.RegistryError) -> tuple[int, str]:
    for family, status, code in EVENTBRIDGE_BY_FAMILY:
        if isinstance(error, family):
            return status, code
    return EVENTBRIDGE_BAD_REQUEST


def eventbridge_error(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"Code": code, "Message": message},
        status_code=status,
        headers={**(headers or {}), "x-amzn-ErrorType": code},
    )


def _eventbridge_message(exc: errors.RegistryError) -> str:
    """EventBridge errors carry no details: a refused version's message names its first findings."""
    if not isinstance(exc, errors.IncompatibleVersion):
        return exc.message
    findings = [
        f"{item.get('rule')} at {item.get('consumer_path') or '/'}: {item.get('message')}"
        for item in exc.details.get("incompatibilities", [])[:3]
    ]
    return "; ".join([exc.message, *findings])


def error_response(status: int, code: str, message: str, details: Any = None, **kwargs: Any) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": jsonable_encoder(details or {})}}
    return JSONResponse(body, status_code=status, **kwargs)


async def _registry_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.RegistryError)
    if is_eventbridge(request):
        return eventbridge_error(*eventbridge_status_for(exc), _eventbridge_message(exc), error_headers(exc))
    return native_error(exc, request.url.path)


def native_error(exc: errors.RegistryError, path: str) -> JSONResponse:
    """The native API's answer to an error of a request for `path` (also what the front answers with
    for the registrations it handles, api.front_registrations)."""
    headers = error_headers(exc)
    if isinstance(exc, errors.Unauthenticated):
        # pip answers a Basic challenge with the index URL's credentials, .netrc or keyring; a browser
        # would pop up a login dialog for it, so only the package index asks that way.
        basic = INDEX_PATH.match(path) is not None
        headers["WWW-Authenticate"] = 'Basic realm="package index"' if basic else "Bearer"
    return error_response(status_for(exc), exc.code, exc.message, exc.details, headers=headers)


async def _request_invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [_problem(error) for error in exc.errors()]
    if is_eventbridge(request):
        listed = "; ".join(f"{problem['location']}: {problem['message']}" for problem in problems[:5])
        return eventbridge_error(*EVENTBRIDGE_BAD_REQUEST, f"the request does not match the API: {listed}")
    if any(error.get("type") == "json_invalid" for error in exc.errors()):
        return error_response(
            400, errors.MalformedJson.code, "the request body is not valid JSON", {"errors": problems}
        )
    for error in exc.errors():
        if error.get("type") == errors.ContractNotWrapped.code:  # raised by RegisterVersionIn
            hint = errors.ContractNotWrapped(**error["ctx"])
            return error_response(422, hint.code, hint.message, hint.details)
    return error_response(422, "invalid_request", "the request does not match the API", {"errors": problems})


def _problem(error: Any) -> dict[str, Any]:
    location = "/".join(str(part) for part in error.get("loc", ()))
    return {"location": location, "message": str(error.get("msg", ""))}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if is_eventbridge(request):
        status, code = EVENTBRIDGE_BY_STATUS.get(exc.status_code, EVENTBRIDGE_BAD_REQUEST)
        message = {404: "no EventBridge operation has this path"}.get(exc.status_code, str(exc.detail))
        return eventbridge_error(status, code, message, exc.headers)
    # FastAPI answers 400 itself when it cannot read a body at all (e.g. nesting too deep for the parser).
    code = {400: errors.MalformedJson.code, 404: "route_not_found", 405: "method_not_allowed"}.get(
        exc.status_code, "http_error"
    )
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.RegistryError, _registry_error)
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)

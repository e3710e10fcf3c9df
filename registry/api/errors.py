"""One handler per error family: domain errors and request validation become the documented error body."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from registry.domain import errors

INDEX_PREFIX = "/simple"

# Most specific first: the first family an error belongs to decides its status.
STATUS_BY_FAMILY: list[tuple[type[errors.RegistryError], int]] = [
    (errors.MalformedJson, 400),
    (errors.Unauthenticated, 401),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.NotAcceptable, 406),
    (errors.Conflict, 409),
    (errors.PayloadTooLarge, 413),
    (errors.InvalidInput, 422),
]


def status_for(error: errors.RegistryError) -> int:
    for family, status in STATUS_BY_FAMILY:
        if isinstance(error, family):
            return status
    raise LookupError(f"{type(error).__name__} belongs to no family with an HTTP status")


def error_response(status: int, code: str, message: str, details: Any = None, **kwargs: Any) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": jsonable_encoder(details or {})}}
    return JSONResponse(body, status_code=status, **kwargs)


async def _registry_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.RegistryError)
    headers = None
    if isinstance(exc, errors.Unauthenticated):
        # pip answers a Basic challenge with the index URL's credentials, .netrc or keyring; a browser
        # would pop up a login dialog for it, so only the package index asks that way.
        basic = request.url.path.startswith(INDEX_PREFIX)
        headers = {"WWW-Authenticate": 'Basic realm="package index"' if basic else "Bearer"}
    return error_response(status_for(exc), exc.code, exc.message, exc.details, headers=headers)


async def _request_invalid(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [_problem(error) for error in exc.errors()]
    if any(error.get("type") == "json_invalid" for error in exc.errors()):
        return error_response(
            400, errors.MalformedJson.code, "the request body is not valid JSON", {"errors": problems}
        )
    return error_response(422, "invalid_request", "the request does not match the API", {"errors": problems})


def _problem(error: Any) -> dict[str, Any]:
    location = "/".join(str(part) for part in error.get("loc", ()))
    return {"location": location, "message": str(error.get("msg", ""))}


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    # FastAPI answers 400 itself when it cannot read a body at all (e.g. nesting too deep for the parser).
    code = {400: errors.MalformedJson.code, 404: "route_not_found", 405: "method_not_allowed"}.get(
        exc.status_code, "http_error"
    )
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.RegistryError, _registry_error)
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)

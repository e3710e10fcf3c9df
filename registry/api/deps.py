"""Shared request concerns as `Annotated` aliases: the unit of work, the caller, decoded names.

Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency in a worker thread, and
a dozen thread hand-offs per request cost more than the work itself. `_principal` hands the occasional
re-read of the token table to a worker thread."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool

from registry.access import Authenticator
from registry.api.fast_reads import ReadCaches
from registry.api.version_cache import VersionCache
from registry.bindings import Bindings
from registry.domain import names
from registry.domain.auth import Principal, Role, authorize, refuse_metrics_only
from registry.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT
from registry.observability.logs import noted_caller
from registry.storage.unit_of_work import UnitOfWork


async def _uow(request: Request) -> UnitOfWork:
    uow: UnitOfWork = request.app.state.uow
    return uow


def _name_in_path(max_length: int) -> Any:
    # Documented, not enforced here: the value still holds `%2F` for `/`, and `domain.names` gives the
    # errors their stable code once it is decoded.
    schema = {"pattern": names.NAME_PATTERN, "maxLength": max_length}
    return Path(description="percent-encode `/` as %2F", json_schema_extra=schema)


async def _registry_name(registry: Annotated[str, _name_in_path(names.MAX_REGISTRY_NAME)]) -> str:
    return names.registry_name(unquote(registry))


async def _schema_name(schema: Annotated[str, _name_in_path(names.MAX_SCHEMA_NAME)]) -> str:
    return names.schema_name(unquote(schema))


async def _version(
    version: Annotated[
        str,
        Path(
            description="a version number, or `latest`",
            json_schema_extra={"pattern": "^(latest|[1-9][0-9]{0,8})$"},
        ),
    ],
) -> int | None:
    return names.version_selector(version)


async def _bindings(request: Request) -> Bindings:
    bindings: Bindings = request.app.state.bindings
    return bindings


async def _version_cache(request: Request) -> VersionCache:
    cache: VersionCache = request.app.state.version_cache
    return cache


async def _read_caches(request: Request) -> ReadCaches:
    caches: ReadCaches = request.app.state.read_caches
    return caches


# Declares the scheme in /openapi.json (Swagger UI's "Authorize" button); the header is read below, so
# that a missing token in the open quickstart is not an error.
bearer_scheme = HTTPBearer(auto_error=False, description="a token from `registry token create`")


async def _principal(request: Request, _scheme: Annotated[object, Depends(bearer_scheme)]) -> Principal:
    authenticator: Authenticator = request.app.state.authenticator
    header = request.headers.get("authorization")
    known = authenticator.principal_if_fresh(header)
    # A stale copy of the token table means a database read: that one goes to a worker thread.
    found = known if known is not None else await run_in_threadpool(authenticator.principal_for, header)
    return noted_caller(refuse_metrics_only(found))


Uow = Annotated[UnitOfWork, Depends(_uow)]
RegistryName = Annotated[str, Depends(_registry_name)]
SchemaName = Annotated[str, Depends(_schema_name)]
VersionSelector = Annotated[int | None, Depends(_version)]
Caller = Annotated[Principal, Depends(_principal)]
RenderedVersions = Annotated[VersionCache, Depends(_version_cache)]
FastReadCaches = Annotated[ReadCaches, Depends(_read_caches)]
PythonBindings = Annotated[Bindings, Depends(_bindings)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]
Cursor = Annotated[str | None, Query(max_length=1024, description="`next_cursor` of the previous page")]
DEFAULT_PAGE = DEFAULT_LIMIT


def role_on_registry(
    role: Role, caller: Callable[..., Awaitable[Principal]] = _principal
) -> Callable[[Principal, str], Awaitable[Principal]]:
    """A dependency: the caller (found by `caller`: bearer token, or SigV4 on the EventBridge API), once
    it is known to hold `role` on the registry in the path."""

    async def check(found: Principal, registry: RegistryName) -> Principal:
        authorize(found, role, registry)
        return found

    # a real object rather than the postponed string: FastAPI could not resolve `caller`, a closure variable
    check.__annotations__["found"] = Annotated[Principal, Depends(caller)]
    return check


ReaderOfRegistry = Annotated[Principal, Depends(role_on_registry(Role.READER))]
WriterOfRegistry = Annotated[Principal, Depends(role_on_registry(Role.WRITER))]
AdminOfRegistry = Annotated[Principal, Depends(role_on_registry(Role.ADMIN))]

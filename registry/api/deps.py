"""Shared request concerns as `Annotated` aliases: the unit of work, the caller, decoded names.

Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency in a worker thread, and
a dozen thread hand-offs per request cost more than the work itself. `_principal` hands the occasional
re-read of the token table to a worker thread.

Each dependency costs FastAPI a resolution of its own on every request (its cache key, its kind, its
parameters), more than most of them do: a route on a schema had eight to resolve, about a third of what the
application added to a registration around the service. `OnSchema` and `OnRegistry` resolve the names, the
caller and its role, and the unit of work in one, checked in the order the separate ones had (the
registry's name, the schema's, the token, the role)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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


def _version_in_path() -> Any:
    return Path(
        description="a version number, or `latest`",
        json_schema_extra={"pattern": "^(latest|[1-9][0-9]{0,8})$"},
    )


async def _version(version: Annotated[str, _version_in_path()]) -> int | None:
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
    return await _caller_of(request)


async def _caller_of(request: Request) -> Principal:
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


@dataclass(frozen=True, slots=True)
class OnRegistry:
    """A request on a registry: its decoded name, the caller (holding the route's role on it), the unit of
    work."""

    registry: str
    caller: Principal
    uow: UnitOfWork


@dataclass(frozen=True, slots=True)
class OnSchema:
    """A request on a schema: the decoded names, the caller (holding the route's role on the registry), the
    unit of work."""

    registry: str
    schema: str
    caller: Principal
    uow: UnitOfWork


def on_registry(role: Role) -> Callable[..., Awaitable[OnRegistry]]:
    """One dependency for RegistryName, the caller holding `role` on it, and Uow (the bearer scheme stays a
    dependency of its own: it is what declares the token in /openapi.json)."""

    async def resolve(
        request: Request,
        registry: Annotated[str, _name_in_path(names.MAX_REGISTRY_NAME)],
        _scheme: Annotated[object, Depends(bearer_scheme)],
    ) -> OnRegistry:
        name = names.registry_name(unquote(registry))
        caller = await _caller_of(request)
        authorize(caller, role, name)
        return OnRegistry(name, caller, request.app.state.uow)

    return resolve


def on_schema(role: Role) -> Callable[..., Awaitable[OnSchema]]:
    """One dependency for RegistryName, SchemaName, the caller holding `role` on the registry, and Uow."""

    async def resolve(
        request: Request,
        registry: Annotated[str, _name_in_path(names.MAX_REGISTRY_NAME)],
        schema: Annotated[str, _name_in_path(names.MAX_SCHEMA_NAME)],
        _scheme: Annotated[object, Depends(bearer_scheme)],
    ) -> OnSchema:
        registry_name = names.registry_name(unquote(registry))
        schema_name = names.schema_name(unquote(schema))
        caller = await _caller_of(request)
        authorize(caller, role, registry_name)
        return OnSchema(registry_name, schema_name, caller, request.app.state.uow)

    return resolve


@dataclass(frozen=True, slots=True)
class OnVersion:
    """A request on a version: the decoded names, the version (None: `latest`), the caller (holding the
    route's role on the registry), the unit of work."""

    registry: str
    schema: str
    version: int | None
    caller: Principal
    uow: UnitOfWork


def on_version(role: Role) -> Callable[..., Awaitable[OnVersion]]:
    """One dependency for RegistryName, SchemaName, VersionSelector, the caller holding `role` on the
    registry, and Uow."""

    async def resolve(
        request: Request,
        registry: Annotated[str, _name_in_path(names.MAX_REGISTRY_NAME)],
        schema: Annotated[str, _name_in_path(names.MAX_SCHEMA_NAME)],
        version: Annotated[str, _version_in_path()],
        _scheme: Annotated[object, Depends(bearer_scheme)],
    ) -> OnVersion:
        registry_name = names.registry_name(unquote(registry))
        schema_name = names.schema_name(unquote(schema))
        number = names.version_selector(version)
        caller = await _caller_of(request)
        authorize(caller, role, registry_name)
        return OnVersion(registry_name, schema_name, number, caller, request.app.state.uow)

    return resolve


RegistryReader = Annotated[OnRegistry, Depends(on_registry(Role.READER))]
RegistryWriter = Annotated[OnRegistry, Depends(on_registry(Role.WRITER))]
RegistryAdmin = Annotated[OnRegistry, Depends(on_registry(Role.ADMIN))]
SchemaReader = Annotated[OnSchema, Depends(on_schema(Role.READER))]
SchemaWriter = Annotated[OnSchema, Depends(on_schema(Role.WRITER))]
VersionReader = Annotated[OnVersion, Depends(on_version(Role.READER))]
VersionWriter = Annotated[OnVersion, Depends(on_version(Role.WRITER))]

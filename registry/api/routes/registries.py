"""Registries: create or update, read, list, delete."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Response, status

from registry import services
from registry.api.deps import (
    DEFAULT_PAGE,
    AdminOfRegistry,
    Caller,
    Cursor,
    Limit,
    ReaderOfRegistry,
    RegistryName,
    RenderedVersions,
    Uow,
)
from registry.api.middleware import ParsedJsonRoute
from registry.api.models import (
    READ_ERRORS,
    WRITE_ERRORS,
    MirroredVersionOut,
    MirrorOut,
    MirrorStatusOut,
    PageOut,
    RegistryIn,
    RegistryOut,
)
from registry.domain.audit import actor_of
from registry.domain.model import RegistryInfo

router = APIRouter(
    prefix="/registries", tags=["registries"], responses=READ_ERRORS, route_class=ParsedJsonRoute
)


def _out(info: RegistryInfo) -> RegistryOut:
    return RegistryOut.model_validate(info, from_attributes=True)


@router.put(
    "/{registry}", response_model=RegistryOut, responses={201: {"model": RegistryOut}, **WRITE_ERRORS}
)
def put_registry(
    body: RegistryIn, registry: RegistryName, caller: AdminOfRegistry, uow: Uow, response: Response
) -> RegistryOut:
    """Create the registry, or update the fields given (200 updated, 201 created). `mirror` turns mirroring
    to an EventBridge Schema Registry on (every existing version is queued, in order), changes its target
    (the same), or off (`null`: what was not delivered yet is dropped)."""
    given = body.model_dump(exclude_unset=True)
    fields = {name: value for name, value in given.items() if value is not None or name == "mirror"}
    changes = services.RegistryChanges(**fields)
    info, created = services.put_registry(uow, registry, changes, actor=actor_of(caller))
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return _out(info)


@router.get("", response_model=PageOut[RegistryOut])
def list_registries(
    caller: Caller, uow: Uow, limit: Limit = DEFAULT_PAGE, cursor: Cursor = None
) -> PageOut[RegistryOut]:
    page = services.list_registries(uow, limit=limit, cursor=cursor, only=caller.registry)
    return PageOut[RegistryOut](items=[_out(info) for info in page.items], next_cursor=page.next_cursor)


@router.get("/{registry}", response_model=RegistryOut)
def get_registry(registry: RegistryName, _caller: ReaderOfRegistry, uow: Uow) -> RegistryOut:
    return _out(services.get_registry(uow, registry))


@router.get("/{registry}/mirror", response_model=MirrorStatusOut)
def mirror_status(
    registry: RegistryName,
    _caller: ReaderOfRegistry,
    uow: Uow,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> MirrorStatusOut:
    """Where mirroring stands: the target, deliveries by status, and each version's delivery in order."""
    found = services.mirror_status(uow, registry, limit=limit, cursor=cursor)
    items = [
        MirroredVersionOut.model_validate({"schema": schema, "version": version, **asdict(state)})
        for schema, version, state in found.items.items
    ]
    return MirrorStatusOut(
        registry=registry,
        target=MirrorOut.model_validate(found.target) if found.target else None,
        counts=found.counts,
        items=items,
        next_cursor=found.items.next_cursor,
    )


@router.delete("/{registry}", status_code=status.HTTP_204_NO_CONTENT)
def delete_registry(
    registry: RegistryName, caller: AdminOfRegistry, uow: Uow, rendered: RenderedVersions
) -> Response:
    """Delete the registry with all its schemas and versions, unless versions of other registries
    reference them (409 `version_referenced`)."""
    services.delete_registry(uow, registry, actor=actor_of(caller), may_read=caller.may_see)
    rendered.clear()
    return Response(status_code=status.HTTP_204_NO_CONTENT)

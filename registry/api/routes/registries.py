"""Registries: create or update, read, list, delete."""

from __future__ import annotations

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
from registry.api.models import READ_ERRORS, WRITE_ERRORS, PageOut, RegistryIn, RegistryOut
from registry.domain.model import RegistryInfo

router = APIRouter(prefix="/registries", tags=["registries"], responses=READ_ERRORS)


def _out(info: RegistryInfo) -> RegistryOut:
    return RegistryOut.model_validate(info, from_attributes=True)


@router.put(
    "/{registry}", response_model=RegistryOut, responses={201: {"model": RegistryOut}, **WRITE_ERRORS}
)
def put_registry(
    body: RegistryIn, registry: RegistryName, _caller: AdminOfRegistry, uow: Uow, response: Response
) -> RegistryOut:
    """Create the registry, or update the fields given (200 updated, 201 created)."""
    changes = services.RegistryChanges(**body.model_dump(exclude_unset=True, exclude_none=True))
    info, created = services.put_registry(uow, registry, changes)
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


@router.delete("/{registry}", status_code=status.HTTP_204_NO_CONTENT)
def delete_registry(
    registry: RegistryName, _caller: AdminOfRegistry, uow: Uow, rendered: RenderedVersions
) -> Response:
    """Delete the registry with all its schemas and versions."""
    services.delete_registry(uow, registry)
    rendered.clear()
    return Response(status_code=status.HTTP_204_NO_CONTENT)

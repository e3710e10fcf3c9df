"""CreateRegistry, DescribeRegistry, UpdateRegistry, DeleteRegistry, ListRegistries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from registry import eventbridge, services
from registry.api.deps import RegistryName, RenderedVersions, Uow
from registry.api.eventbridge.common import (
    READ_ERRORS,
    TAGS,
    WRITE_ERRORS,
    AdminOfRegistry,
    Limit,
    NextToken,
    ReaderOfRegistry,
    ServiceArns,
    errors,
    page_size,
)
from registry.api.eventbridge.models import (
    CreateRegistryRequest,
    ListRegistriesResponse,
    RegistryResponse,
    RegistrySummary,
    UpdateRegistryRequest,
)
from registry.api.eventbridge_auth import EventBridgeCaller
from registry.api.models import Text
from registry.domain.audit import actor_of
from registry.domain.model import Page

router = APIRouter(prefix="/v1/registries", tags=TAGS)
NAMED = "/name/{registry}"


def _out(registry: eventbridge.Registry, arns: eventbridge.Arns) -> RegistryResponse:
    return RegistryResponse(
        Description=registry.info.description,
        RegistryArn=arns.registry(registry.info.name),
        RegistryName=registry.info.name,
        tags=registry.tags,
    )


@router.post(
    NAMED,
    operation_id="CreateRegistry",
    status_code=status.HTTP_201_CREATED,
    response_model=RegistryResponse,
    responses=WRITE_ERRORS,
)
def create_registry(
    registry: RegistryName,
    caller: AdminOfRegistry,
    uow: Uow,
    arns: ServiceArns,
    body: CreateRegistryRequest | None = None,
) -> RegistryResponse:
    """A new registry (409 ConflictException if it exists). Its schemas get the registry's default
    compatibility mode, BACKWARD: UpdateSchema refuses a version that breaks it."""
    body = body or CreateRegistryRequest()
    created = eventbridge.create_registry(
        uow, registry, description=body.Description, tags=body.tags or {}, actor=actor_of(caller)
    )
    return _out(created, arns)


@router.get(NAMED, operation_id="DescribeRegistry", response_model=RegistryResponse, responses=READ_ERRORS)
def describe_registry(
    registry: RegistryName, _caller: ReaderOfRegistry, uow: Uow, arns: ServiceArns
) -> RegistryResponse:
    return _out(eventbridge.describe_registry(uow, registry), arns)


@router.put(NAMED, operation_id="UpdateRegistry", response_model=RegistryResponse, responses=READ_ERRORS)
def update_registry(
    registry: RegistryName,
    caller: AdminOfRegistry,
    uow: Uow,
    arns: ServiceArns,
    body: UpdateRegistryRequest | None = None,
) -> RegistryResponse:
    """Change the description (the registry must exist)."""
    description = body.Description if body is not None else None
    return _out(
        eventbridge.update_registry(uow, registry, description=description, actor=actor_of(caller)), arns
    )


@router.delete(
    NAMED, operation_id="DeleteRegistry", status_code=status.HTTP_204_NO_CONTENT, responses=READ_ERRORS
)
def delete_registry(
    registry: RegistryName, caller: AdminOfRegistry, uow: Uow, rendered: RenderedVersions
) -> Response:
    """Delete the registry with all its schemas and versions."""
    services.delete_registry(uow, registry, actor=actor_of(caller))
    rendered.clear()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "", operation_id="ListRegistries", response_model=ListRegistriesResponse, responses=errors(400, 401)
)
def list_registries(
    caller: EventBridgeCaller,
    uow: Uow,
    arns: ServiceArns,
    limit: Limit = None,
    next_token: NextToken = None,
    prefix: Annotated[
        Text | None, Query(alias="registryNamePrefix", max_length=64, description="only names starting so")
    ] = None,
    scope: Annotated[
        Text | None,
        Query(max_length=32, description="LOCAL: the registries created here (all of them); AWS: none"),
    ] = None,
) -> ListRegistriesResponse:
    """Registries by name. Every registry here is a custom one: `scope=AWS` lists none. A token limited
    to one registry sees that one only."""
    if scope is not None and scope.upper() == "AWS":
        page: Page[eventbridge.Registry] = Page(items=[], next_cursor=None)
    else:
        page = eventbridge.list_registries(
            uow, prefix=prefix, limit=page_size(limit), cursor=next_token, only=caller.registry
        )
    summaries = [
        RegistrySummary(
            RegistryArn=arns.registry(each.info.name), RegistryName=each.info.name, tags=each.tags
        )
        for each in page.items
    ]
    return ListRegistriesResponse(NextToken=page.next_cursor, Registries=summaries)

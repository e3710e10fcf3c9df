"""Schemas: list, read metadata, change settings, delete."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Response, status

from codegen.names import eventbridge_package, import_name
from registry import services
from registry.api.deps import (
    DEFAULT_PAGE,
    Cursor,
    Limit,
    RegistryReader,
    RenderedVersions,
    SchemaReader,
    SchemaWriter,
)
from registry.api.middleware import ParsedJsonRoute
from registry.api.models import READ_ERRORS, WRITE_ERRORS, PageOut, PythonPackageOut, SchemaOut, SchemaPatch
from registry.domain.audit import actor_of
from registry.domain.model import SchemaInfo

router = APIRouter(
    prefix="/registries/{registry}/schemas",
    tags=["schemas"],
    responses=READ_ERRORS,
    route_class=ParsedJsonRoute,
)


def _out(info: SchemaInfo) -> SchemaOut:
    index_url = f"/registries/{quote(info.registry, safe='')}/simple/"
    python = PythonPackageOut(
        distribution=info.package_name,
        import_name=import_name(info.package_name),
        eventbridge_package=eventbridge_package(info.name),
        index_url=index_url,
        index_page=f"{index_url}{info.package_name}/",
    )
    return SchemaOut.model_validate({**asdict(info), "python": python})


@router.get("", response_model=PageOut[SchemaOut])
def list_schemas(
    on: RegistryReader,
    prefix: Annotated[str | None, Query(max_length=385, description="only names starting with this")] = None,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> PageOut[SchemaOut]:
    page = services.list_schemas(on.uow, on.registry, prefix=prefix, limit=limit, cursor=cursor)
    return PageOut[SchemaOut](items=[_out(info) for info in page.items], next_cursor=page.next_cursor)


@router.get("/{schema}", response_model=SchemaOut)
def get_schema(on: SchemaReader) -> SchemaOut:
    return _out(services.get_schema(on.uow, on.registry, on.schema))


@router.patch("/{schema}", response_model=SchemaOut, responses=WRITE_ERRORS)
def patch_schema(body: SchemaPatch, on: SchemaWriter) -> SchemaOut:
    """Change the description or the compatibility override (null clears an override)."""
    changes = services.SchemaChanges(**body.model_dump(exclude_unset=True))
    return _out(services.update_schema(on.uow, on.registry, on.schema, changes, actor=actor_of(on.caller)))


@router.delete("/{schema}", status_code=status.HTTP_204_NO_CONTENT)
def delete_schema(on: SchemaWriter, rendered: RenderedVersions) -> Response:
    """Delete the schema with its versions, unless versions of other schemas reference them (409
    `version_referenced`)."""
    services.delete_schema(
        on.uow, on.registry, on.schema, actor=actor_of(on.caller), may_read=on.caller.may_see
    )
    rendered.clear()
    return Response(status_code=status.HTTP_204_NO_CONTENT)

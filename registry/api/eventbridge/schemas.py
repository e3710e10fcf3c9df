"""Schemas and their versions: Create, Describe, Update, Delete, DeleteSchemaVersion, List, ListVersions,
Search and Export. Versions are written through `services.register_version`, so the registry's
compatibility mode and mirroring apply to them as to versions registered on the native API."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from registry import eventbridge, services
from registry.api.deps import RegistryName, RenderedVersions, SchemaName, Uow
from registry.api.eventbridge.common import (
    READ_ERRORS,
    TAGS,
    WRITE_ERRORS,
    Limit,
    NextToken,
    PathVersion,
    QueryVersion,
    ReaderOfRegistry,
    ServiceArns,
    WriterOfRegistry,
    optional_version,
    page_size,
)
from registry.api.eventbridge.models import (
    CreateSchemaRequest,
    DescribeSchemaResponse,
    ExportSchemaResponse,
    ListSchemasResponse,
    ListSchemaVersionsResponse,
    SchemaResponse,
    SchemaSummary,
    SchemaVersionSummary,
    SearchSchemasResponse,
    SearchSchemaSummary,
    SearchSchemaVersionSummary,
    UpdateSchemaRequest,
)
from registry.api.models import Text
from registry.domain import errors
from registry.domain.audit import actor_of
from registry.domain.formats import load_contract
from registry.domain.model import VersionInfo

router = APIRouter(prefix="/v1/registries/name/{registry}/schemas", tags=TAGS)
NAMED = "/name/{schema}"


def _out(schema: eventbridge.Schema, version: VersionInfo, arns: eventbridge.Arns) -> SchemaResponse:
    info = schema.info
    return SchemaResponse(
        Description=info.description,
        LastModified=info.updated_at,
        SchemaArn=arns.schema(info.registry, info.name),
        SchemaName=info.name,
        SchemaVersion=str(version.version),
        tags=schema.tags,
        Type=info.type,
        VersionCreatedDate=version.created_at,
    )


@router.post(
    NAMED,
    operation_id="CreateSchema",
    status_code=status.HTTP_201_CREATED,
    response_model=SchemaResponse,
    responses=WRITE_ERRORS,
)
def create_schema(
    body: CreateSchemaRequest,
    registry: RegistryName,
    schema: SchemaName,
    caller: WriterOfRegistry,
    uow: Uow,
    arns: ServiceArns,
) -> SchemaResponse:
    """The schema with its version 1 (409 ConflictException if the schema exists)."""
    eventbridge.require_new_schema(uow, registry, schema)
    new = services.NewVersion(type=body.Type, content=body.Content, description=body.Description)
    version, created = services.register_version(uow, registry, schema, new, actor=actor_of(caller))
    if not created or version.version != 1:  # another CreateSchema won the race since the check above
        raise errors.SchemaAlreadyExists(registry=registry, schema=schema)
    created_schema = eventbridge.annotate_schema(
        uow, registry, schema, description=body.Description, tags=body.tags or {}, actor=actor_of(caller)
    )
    return _out(created_schema, version, arns)


@router.put(NAMED, operation_id="UpdateSchema", response_model=SchemaResponse, responses=WRITE_ERRORS)
def update_schema(
    registry: RegistryName,
    schema: SchemaName,
    caller: WriterOfRegistry,
    uow: Uow,
    arns: ServiceArns,
    body: UpdateSchemaRequest | None = None,
) -> SchemaResponse:
    """With `Content`: the next version (identical content answers the version that holds it; content
    breaking the schema's compatibility mode is a 409 ConflictException). `Description` describes the
    schema. `ClientTokenId` needs no bookkeeping: a retried request carries identical content."""
    body = body or UpdateSchemaRequest()
    current = services.get_schema(uow, registry, schema)  # UpdateSchema never creates a schema
    if body.Content is not None:
        new = services.NewVersion(
            type=body.Type or current.type, content=body.Content, description=body.Description
        )
        version, _created = services.register_version(uow, registry, schema, new, actor=actor_of(caller))
    else:
        version = services.get_version(uow, registry, schema, None)
    updated = eventbridge.annotate_schema(
        uow, registry, schema, description=body.Description, tags={}, actor=actor_of(caller)
    )
    return _out(updated, version, arns)


@router.get(
    NAMED, operation_id="DescribeSchema", response_model=DescribeSchemaResponse, responses=READ_ERRORS
)
def describe_schema(
    registry: RegistryName,
    schema: SchemaName,
    _caller: ReaderOfRegistry,
    uow: Uow,
    arns: ServiceArns,
    schema_version: QueryVersion = None,
) -> DescribeSchemaResponse:
    """The schema with the content of one version (default: the latest)."""
    found, version = eventbridge.describe_schema(uow, registry, schema, optional_version(schema_version))
    shaped = _out(found, version, arns)
    return DescribeSchemaResponse(
        **shaped.model_dump(), Content=version.resolved_content
    )  # EventBridge has no references


@router.delete(
    NAMED, operation_id="DeleteSchema", status_code=status.HTTP_204_NO_CONTENT, responses=READ_ERRORS
)
def delete_schema(
    registry: RegistryName,
    schema: SchemaName,
    caller: WriterOfRegistry,
    uow: Uow,
    rendered: RenderedVersions,
) -> Response:
    """Delete the schema with all its versions."""
    services.delete_schema(uow, registry, schema, actor=actor_of(caller))
    rendered.clear()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    NAMED + "/version/{version}",
    operation_id="DeleteSchemaVersion",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=WRITE_ERRORS,  # 409: the version is recorded as deployed
)
def delete_schema_version(
    registry: RegistryName,
    schema: SchemaName,
    version: PathVersion,
    caller: WriterOfRegistry,
    uow: Uow,
    rendered: RenderedVersions,
) -> Response:
    """Delete one version; its number is never given to another."""
    services.delete_version(uow, registry, schema, int(version), actor=actor_of(caller))
    rendered.clear()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("", operation_id="ListSchemas", response_model=ListSchemasResponse, responses=READ_ERRORS)
def list_schemas(
    registry: RegistryName,
    _caller: ReaderOfRegistry,
    uow: Uow,
    arns: ServiceArns,
    limit: Limit = None,
    next_token: NextToken = None,
    prefix: Annotated[
        Text | None, Query(alias="schemaNamePrefix", max_length=385, description="only names starting so")
    ] = None,
) -> ListSchemasResponse:
    page = eventbridge.list_schemas(uow, registry, prefix=prefix, limit=page_size(limit), cursor=next_token)
    summaries = [
        SchemaSummary(
            LastModified=each.info.updated_at,
            SchemaArn=arns.schema(registry, each.info.name),
            SchemaName=each.info.name,
            tags=each.tags,
            VersionCount=each.info.version_count,
        )
        for each in page.items
    ]
    return ListSchemasResponse(NextToken=page.next_cursor, Schemas=summaries)


@router.get(
    NAMED + "/versions",
    operation_id="ListSchemaVersions",
    response_model=ListSchemaVersionsResponse,
    responses=READ_ERRORS,
)
def list_schema_versions(
    registry: RegistryName,
    schema: SchemaName,
    _caller: ReaderOfRegistry,
    uow: Uow,
    arns: ServiceArns,
    limit: Limit = None,
    next_token: NextToken = None,
) -> ListSchemaVersionsResponse:
    """Versions, oldest first."""
    found = eventbridge.list_versions(uow, registry, schema, limit=page_size(limit), cursor=next_token)
    arn = arns.schema(registry, schema)
    summaries = [
        SchemaVersionSummary(
            SchemaArn=arn, SchemaName=schema, SchemaVersion=str(each.version), Type=found.type
        )
        for each in found.page.items
    ]
    return ListSchemaVersionsResponse(NextToken=found.page.next_cursor, SchemaVersions=summaries)


@router.get(
    "/search", operation_id="SearchSchemas", response_model=SearchSchemasResponse, responses=READ_ERRORS
)
def search_schemas(
    registry: RegistryName,
    keywords: Annotated[
        Text,
        Query(min_length=1, max_length=200, description="space-separated; every one must match"),
    ],
    _caller: ReaderOfRegistry,
    uow: Uow,
    arns: ServiceArns,
    limit: Limit = None,
    next_token: NextToken = None,
) -> SearchSchemasResponse:
    """Schemas whose name, description or content (any version) holds every keyword, ignoring case."""
    page = eventbridge.search(uow, registry, keywords, limit=page_size(limit), cursor=next_token)
    summaries = [
        SearchSchemaSummary(
            RegistryName=hit.registry,
            SchemaArn=arns.schema(hit.registry, hit.schema),
            SchemaName=hit.schema,
            SchemaVersions=[
                SearchSchemaVersionSummary(
                    CreatedDate=entry.created_at, SchemaVersion=str(entry.version), Type=hit.type
                )
                for entry in hit.versions
            ],
        )
        for hit in page.items
    ]
    return SearchSchemasResponse(NextToken=page.next_cursor, Schemas=summaries)


@router.get(
    NAMED + "/export",
    operation_id="ExportSchema",
    response_model=ExportSchemaResponse,
    responses=READ_ERRORS,
)
def export_schema(
    registry: RegistryName,
    schema: SchemaName,
    type_: Annotated[Text, Query(alias="type", max_length=64, description="JSONSchemaDraft4")],
    _caller: ReaderOfRegistry,
    uow: Uow,
    arns: ServiceArns,
    schema_version: QueryVersion = None,
) -> ExportSchemaResponse:
    """A version as one JSON Schema draft 4 document (OpenAPI contracts are converted; AWS exports only
    AWS and discovered schemas, this service exports every one)."""
    if type_ != eventbridge.EXPORT_TYPE:
        raise errors.UnsupportedExportType(supported=eventbridge.EXPORT_TYPE, type_=type_)
    # imported here: the module is written alongside this API
    from registry.domain.formats.export import export_draft4

    version = services.get_version(uow, registry, schema, optional_version(schema_version))
    contract = load_contract(version.type, version.resolved_content, version.event_root)
    return ExportSchemaResponse(
        Content=json.dumps(export_draft4(contract), ensure_ascii=False),
        SchemaArn=arns.schema(registry, schema),
        SchemaName=schema,
        SchemaVersion=str(version.version),
        Type=eventbridge.EXPORT_TYPE,
    )

"""Request and response bodies of the EventBridge `schemas` API, named and shaped as botocore's model
(`schemas` 2019-12-02) has them: member names as modelled, `tags` in lower case, versions as strings,
timestamps as ISO-8601 strings. Absent values are sent as null, which botocore reads as absent."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from registry.api.models import Description as DescriptionText
from registry.api.models import Text
from registry.domain.formats import ContractType

# AWS limits: tag keys 1-128 characters, values up to 256; schema content 1-100000; up to 10 sample events.
TagKey = Annotated[Text, Field(min_length=1, max_length=128)]
TagValue = Annotated[Text, Field(max_length=256)]
Tags = dict[TagKey, TagValue]
SchemaContent = Annotated[
    Text, Field(min_length=1, max_length=100_000, description="the schema, a JSON string")
]
CodeGenerationStatus = Literal["CREATE_IN_PROGRESS", "CREATE_COMPLETE", "CREATE_FAILED"]


class ErrorResponse(BaseModel):
    """Every EventBridge error: botocore reads `Code` (and the `x-amzn-ErrorType` header)."""

    Code: str = Field(description="BadRequestException, NotFoundException, ConflictException, ...")
    Message: str


# --- requests --------------------------------------------------------------------------------------------


class CreateRegistryRequest(BaseModel):
    Description: DescriptionText | None = None
    tags: Tags | None = None


class UpdateRegistryRequest(BaseModel):
    Description: DescriptionText | None = None


class CreateSchemaRequest(BaseModel):
    Content: SchemaContent
    Description: DescriptionText | None = None
    tags: Tags | None = None
    Type: ContractType


class UpdateSchemaRequest(BaseModel):
    ClientTokenId: Annotated[Text, Field(max_length=36)] | None = Field(
        default=None, description="idempotency token; identical content returns its version anyway"
    )
    Content: SchemaContent | None = None
    Description: DescriptionText | None = None
    Type: ContractType | None = Field(default=None, description="default: the schema's type")


class TagResourceRequest(BaseModel):
    tags: Tags


class GetDiscoveredSchemaRequest(BaseModel):
    Events: list[Annotated[Text, Field(min_length=1, max_length=100_000)]] = Field(
        min_length=1, max_length=10, description="sample events, each a JSON string"
    )
    Type: ContractType


# --- responses -------------------------------------------------------------------------------------------


class RegistryResponse(BaseModel):
    """CreateRegistry, DescribeRegistry and UpdateRegistry."""

    Description: str | None
    RegistryArn: str
    RegistryName: str
    tags: dict[str, str]


class RegistrySummary(BaseModel):
    RegistryArn: str
    RegistryName: str
    tags: dict[str, str]


class ListRegistriesResponse(BaseModel):
    NextToken: str | None
    Registries: list[RegistrySummary]


class SchemaResponse(BaseModel):
    """CreateSchema and UpdateSchema: the schema with the version written (or found, for known content)."""

    Description: str | None
    LastModified: datetime
    SchemaArn: str
    SchemaName: str
    SchemaVersion: str
    tags: dict[str, str]
    Type: str
    VersionCreatedDate: datetime


class DescribeSchemaResponse(SchemaResponse):
    Content: str = Field(description="the version's content as stored: canonical JSON")


class SchemaSummary(BaseModel):
    LastModified: datetime
    SchemaArn: str
    SchemaName: str
    tags: dict[str, str]
    VersionCount: int


class ListSchemasResponse(BaseModel):
    NextToken: str | None
    Schemas: list[SchemaSummary]


class SchemaVersionSummary(BaseModel):
    SchemaArn: str
    SchemaName: str
    SchemaVersion: str
    Type: str


class ListSchemaVersionsResponse(BaseModel):
    NextToken: str | None
    SchemaVersions: list[SchemaVersionSummary]


class SearchSchemaVersionSummary(BaseModel):
    CreatedDate: datetime
    SchemaVersion: str
    Type: str


class SearchSchemaSummary(BaseModel):
    RegistryName: str
    SchemaArn: str
    SchemaName: str
    SchemaVersions: list[SearchSchemaVersionSummary]


class SearchSchemasResponse(BaseModel):
    NextToken: str | None
    Schemas: list[SearchSchemaSummary]


class ExportSchemaResponse(BaseModel):
    Content: str = Field(description="the version as a JSON Schema draft 4 document, a JSON string")
    SchemaArn: str
    SchemaName: str
    SchemaVersion: str
    Type: str


class CodeBindingResponse(BaseModel):
    """PutCodeBinding and DescribeCodeBinding."""

    CreationDate: datetime
    LastModified: datetime
    SchemaVersion: str
    Status: CodeGenerationStatus


class GetDiscoveredSchemaResponse(BaseModel):
    Content: str = Field(description="the schema inferred from the events, a JSON string")


class ListTagsForResourceResponse(BaseModel):
    tags: dict[str, str]

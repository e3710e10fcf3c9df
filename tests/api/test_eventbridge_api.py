"""The EventBridge `schemas` API through boto3, on SQLite and PostgreSQL: a real uvicorn server on a free
port and a real `boto3.client("schemas", endpoint_url=...)`, so botocore serialises every request from its
model (percent-encoded names, query members, `tags`) and its parser checks every answer's shape, status
and error code. The waiter and paginators are botocore's own."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, WaiterError
from sqlalchemy import Engine

from codegen import GeneratorPool
from registry import access
from registry.api.app import create_app
from registry.domain.auth import Role
from registry.settings import Settings
from registry.storage.database import make_session_factory
from registry.storage.unit_of_work import UnitOfWork
from tests.conftest import load_example, uvicorn_in_thread

REGION = "us-east-1"
ACCOUNT = "123456789012"
REGISTRY = "partners"
# `/` and `@` travel percent-encoded (%2F, %40) in every path botocore builds.
SCHEMA = "aws.partner-x.com/123@Ticket.Created"
SCHEMA_ARN = f"arn:aws:schemas:{REGION}:{ACCOUNT}:schema/{REGISTRY}/{SCHEMA}"
REGISTRY_ARN = f"arn:aws:schemas:{REGION}:{ACCOUNT}:registry/{REGISTRY}"
# The folder EventBridge (and the SAM CLI) give this schema's Python code binding.
PACKAGE_FOLDER = "schema/aws/partner/x_com_123/ticket_created"
OPENAPI = load_example("openapi3/custom-order-created.json")
DRAFT4 = load_example("draft4/custom-invoice-issued.json")
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def with_statuses(*extra: str) -> dict[str, Any]:
    """The OpenAPI example accepting more order statuses: each is BACKWARD compatible with the last."""
    changed: dict[str, Any] = copy.deepcopy(OPENAPI)
    changed["components"]["schemas"]["OrderCreated"]["properties"]["status"]["enum"] += list(extra)
    return changed


def without_status(status: str) -> dict[str, Any]:
    """The example refusing one status old events may carry: incompatible under BACKWARD."""
    changed: dict[str, Any] = copy.deepcopy(OPENAPI)
    enum = changed["components"]["schemas"]["OrderCreated"]["properties"]["status"]["enum"]
    enum.remove(status)
    return changed


@dataclass
class Service:
    url: str
    client: Any  # botocore's generated client has no static type


@contextmanager
def running(settings: Settings, engine: Engine, generator: GeneratorPool) -> Iterator[Service]:
    """The app under uvicorn in a background thread, and a boto3 client pointed at it. The service is open
    (no token exists), so any credentials do; the mirror worker stays off, nothing here mirrors."""
    configured = settings.model_copy(update={"aws_account_id": ACCOUNT, "mirror_worker": False})
    app = create_app(configured, engine=engine, generator=generator)
    with uvicorn_in_thread(app) as url:
        client = boto3.client(
            "schemas",
            endpoint_url=url,
            region_name=REGION,
            aws_access_key_id="x",
            aws_secret_access_key="y",
            config=NO_RETRIES,
        )
        yield Service(url=url, client=client)


@pytest.fixture
def service(settings: Settings, engine: Engine, generator_pool: GeneratorPool) -> Iterator[Service]:
    with running(settings, engine, generator_pool) as started:
        yield started


@pytest.fixture
def with_schema(service: Service) -> Any:
    """The registry, with the schema at version 1."""
    service.client.create_registry(RegistryName=REGISTRY, Description="partner events", Tags={"team": "a"})
    service.client.create_schema(
        RegistryName=REGISTRY,
        SchemaName=SCHEMA,
        Type="OpenApi3",
        Content=json.dumps(OPENAPI),
        Description="a ticket was created",
        Tags={"source": "partner"},
    )
    return service.client


def error_of(call: Callable[[], object]) -> tuple[int, str]:
    """The HTTP status and error code of a call that must fail."""
    with pytest.raises(ClientError) as failure:
        call()
    response = failure.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


# --- registries ------------------------------------------------------------------------------------------


def test_a_registry_is_created_described_updated_and_deleted(service: Service) -> None:
    client = service.client
    created = client.create_registry(RegistryName=REGISTRY, Description="partner events", Tags={"team": "a"})
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["RegistryName"] == REGISTRY
    assert created["RegistryArn"] == REGISTRY_ARN
    assert created["Description"] == "partner events"
    assert created["Tags"] == {"team": "a"}

    updated = client.update_registry(RegistryName=REGISTRY, Description="events of partners")
    assert updated["Description"] == "events of partners"
    assert updated["Tags"] == {"team": "a"}
    described = client.describe_registry(RegistryName=REGISTRY)
    assert (described["RegistryName"], described["Description"]) == (REGISTRY, "events of partners")

    deleted = client.delete_registry(RegistryName=REGISTRY)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(client.exceptions.NotFoundException):
        client.describe_registry(RegistryName=REGISTRY)


def test_registry_errors_have_eventbridge_codes(service: Service) -> None:
    client = service.client
    client.create_registry(RegistryName=REGISTRY)
    with pytest.raises(client.exceptions.ConflictException):
        client.create_registry(RegistryName=REGISTRY)
    assert error_of(lambda: client.update_registry(RegistryName="missing", Description="d")) == (
        404,
        "NotFoundException",
    )
    assert error_of(lambda: client.delete_registry(RegistryName="missing")) == (404, "NotFoundException")
    assert error_of(lambda: client.describe_registry(RegistryName="bad name!")) == (
        400,
        "BadRequestException",
    )
    assert error_of(lambda: client.create_registry(RegistryName="r", Description="d" * 257)) == (
        400,
        "BadRequestException",
    )


def test_registries_are_listed_by_prefix_and_scope_over_pages(service: Service) -> None:
    client = service.client
    for name in ("team-a", "team-b", "team-c", "team-d", "other"):
        client.create_registry(RegistryName=name)
    pages = list(
        client.get_paginator("list_registries").paginate(
            RegistryNamePrefix="team-", PaginationConfig={"PageSize": 2}
        )
    )
    assert [len(page["Registries"]) for page in pages] == [2, 2]
    listed = [item["RegistryName"] for page in pages for item in page["Registries"]]
    assert listed == ["team-a", "team-b", "team-c", "team-d"]
    assert pages[0]["Registries"][0]["RegistryArn"] == f"arn:aws:schemas:{REGION}:{ACCOUNT}:registry/team-a"
    # every registry here is a custom one
    assert len(client.list_registries(Scope="LOCAL")["Registries"]) == 5
    assert client.list_registries(Scope="AWS")["Registries"] == []
    assert error_of(lambda: client.list_registries(NextToken="not-a-token")) == (400, "BadRequestException")


# --- schemas ---------------------------------------------------------------------------------------------


def test_a_schema_is_created_with_version_1_and_its_name_round_trips(with_schema: Any) -> None:
    client = with_schema
    described = client.describe_schema(RegistryName=REGISTRY, SchemaName=SCHEMA)
    assert described["SchemaName"] == SCHEMA
    assert described["SchemaArn"] == SCHEMA_ARN
    assert described["SchemaVersion"] == "1"
    assert described["Type"] == "OpenApi3"
    assert described["Description"] == "a ticket was created"
    assert described["Tags"] == {"source": "partner"}
    assert json.loads(described["Content"]) == OPENAPI
    assert described["VersionCreatedDate"].tzinfo is not None  # botocore parsed an ISO-8601 timestamp

    listed = client.list_schemas(RegistryName=REGISTRY)["Schemas"]
    assert [(item["SchemaName"], item["VersionCount"], item["Tags"]) for item in listed] == [
        (SCHEMA, 1, {"source": "partner"})
    ]
    assert listed[0]["SchemaArn"] == SCHEMA_ARN


def test_create_schema_answers_201_and_refuses_an_existing_schema(service: Service) -> None:
    client = service.client
    client.create_registry(RegistryName=REGISTRY)
    created = client.create_schema(
        RegistryName=REGISTRY, SchemaName="invoice", Type="JSONSchemaDraft4", Content=json.dumps(DRAFT4)
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (created["SchemaVersion"], created["Type"], created["Tags"]) == ("1", "JSONSchemaDraft4", {})
    again = {"RegistryName": REGISTRY, "SchemaName": "invoice", "Type": "JSONSchemaDraft4"}
    assert error_of(lambda: client.create_schema(**again, Content=json.dumps(DRAFT4))) == (
        409,
        "ConflictException",
    )
    with pytest.raises(client.exceptions.NotFoundException):
        client.create_schema(RegistryName="missing", SchemaName="s", Type="OpenApi3", Content="{}")
    with pytest.raises(client.exceptions.BadRequestException):
        client.create_schema(RegistryName=REGISTRY, SchemaName="s", Type="OpenApi3", Content="not json")
    with pytest.raises(client.exceptions.BadRequestException):
        client.create_schema(RegistryName=REGISTRY, SchemaName="s", Type="OpenApi3", Content='{"openapi": 3}')


def test_update_schema_adds_versions_under_the_compatibility_mode(with_schema: Any) -> None:
    client = with_schema
    schema = {"RegistryName": REGISTRY, "SchemaName": SCHEMA}
    updated = client.update_schema(**schema, Type="OpenApi3", Content=json.dumps(with_statuses("CANCELLED")))
    assert updated["SchemaVersion"] == "2"
    assert updated["SchemaName"] == SCHEMA
    # identical content (a retried request, say) answers the version holding it
    again = client.update_schema(**schema, Content=json.dumps(with_statuses("CANCELLED")))
    assert again["SchemaVersion"] == "2"
    # the registry's default mode is BACKWARD: a version that old events break is refused
    with pytest.raises(client.exceptions.ConflictException) as refused:
        client.update_schema(**schema, Content=json.dumps(without_status("ON_HOLD")))
    assert "BACKWARD" in refused.value.response["Error"]["Message"]
    # a description alone changes no version
    described = client.update_schema(**schema, Description="tickets, version 2")
    assert (described["SchemaVersion"], described["Description"]) == ("2", "tickets, version 2")

    assert json.loads(client.describe_schema(**schema, SchemaVersion="1")["Content"]) == OPENAPI
    assert client.describe_schema(**schema)["SchemaVersion"] == "2"
    assert error_of(lambda: client.describe_schema(**schema, SchemaVersion="9")) == (404, "NotFoundException")
    assert error_of(lambda: client.describe_schema(**schema, SchemaVersion="x")) == (
        400,
        "BadRequestException",
    )
    with pytest.raises(client.exceptions.NotFoundException):  # UpdateSchema never creates a schema
        client.update_schema(RegistryName=REGISTRY, SchemaName="missing", Content=json.dumps(OPENAPI))
    with pytest.raises(client.exceptions.ConflictException):  # a schema holds one type
        client.update_schema(**schema, Type="JSONSchemaDraft4", Content=json.dumps(DRAFT4))


def test_versions_are_listed_over_pages_and_deleted(with_schema: Any) -> None:
    client = with_schema
    schema = {"RegistryName": REGISTRY, "SchemaName": SCHEMA}
    client.update_schema(**schema, Content=json.dumps(with_statuses("CANCELLED")))
    client.update_schema(**schema, Content=json.dumps(with_statuses("CANCELLED", "SHIPPED")))
    pages = list(
        client.get_paginator("list_schema_versions").paginate(**schema, PaginationConfig={"PageSize": 2})
    )
    assert [len(page["SchemaVersions"]) for page in pages] == [2, 1]
    versions = [item for page in pages for item in page["SchemaVersions"]]
    assert [item["SchemaVersion"] for item in versions] == ["1", "2", "3"]
    assert {(item["SchemaName"], item["SchemaArn"], item["Type"]) for item in versions} == {
        (SCHEMA, SCHEMA_ARN, "OpenApi3")
    }

    deleted = client.delete_schema_version(**schema, SchemaVersion="3")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert client.describe_schema(**schema)["SchemaVersion"] == "2"
    assert error_of(lambda: client.delete_schema_version(**schema, SchemaVersion="3")) == (
        404,
        "NotFoundException",
    )
    assert client.list_schemas(RegistryName=REGISTRY)["Schemas"][0]["VersionCount"] == 2

    assert client.delete_schema(**schema)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(client.exceptions.NotFoundException):
        client.describe_schema(**schema)
    with pytest.raises(client.exceptions.NotFoundException):
        client.list_schema_versions(**schema)


def test_schemas_are_listed_by_prefix_and_searched_over_pages(service: Service) -> None:
    client = service.client
    client.create_registry(RegistryName=REGISTRY)
    for name in ("com.acme@A", "com.acme@B", "com.acme@C", "org.other@D"):
        client.create_schema(
            RegistryName=REGISTRY, SchemaName=name, Type="OpenApi3", Content=json.dumps(OPENAPI)
        )
    pages = list(
        client.get_paginator("list_schemas").paginate(
            RegistryName=REGISTRY, SchemaNamePrefix="com.acme@", PaginationConfig={"PageSize": 2}
        )
    )
    assert [[item["SchemaName"] for item in page["Schemas"]] for page in pages] == [
        ["com.acme@A", "com.acme@B"],
        ["com.acme@C"],
    ]

    # every schema holds the keywords in its content; `acme` narrows the hits by name
    found = list(
        client.get_paginator("search_schemas").paginate(
            RegistryName=REGISTRY, Keywords="acme orderId", PaginationConfig={"PageSize": 2}
        )
    )
    assert [len(page["Schemas"]) for page in found] == [2, 1]
    hits = [item for page in found for item in page["Schemas"]]
    assert [hit["SchemaName"] for hit in hits] == ["com.acme@A", "com.acme@B", "com.acme@C"]
    assert hits[0]["RegistryName"] == REGISTRY
    assert hits[0]["SchemaArn"] == f"arn:aws:schemas:{REGION}:{ACCOUNT}:schema/{REGISTRY}/com.acme@A"
    assert [(v["SchemaVersion"], v["Type"]) for v in hits[0]["SchemaVersions"]] == [("1", "OpenApi3")]
    assert client.search_schemas(RegistryName=REGISTRY, Keywords="nothing-matches")["Schemas"] == []
    with pytest.raises(client.exceptions.NotFoundException):
        client.list_schemas(RegistryName="missing")


def test_export_schema_converts_to_json_schema_draft_4(with_schema: Any) -> None:
    client = with_schema
    exported = client.export_schema(RegistryName=REGISTRY, SchemaName=SCHEMA, Type="JSONSchemaDraft4")
    assert (exported["SchemaName"], exported["SchemaArn"]) == (SCHEMA, SCHEMA_ARN)
    assert (exported["SchemaVersion"], exported["Type"]) == ("1", "JSONSchemaDraft4")
    document = json.loads(exported["Content"])
    assert isinstance(document, dict)
    assert "openapi" not in document and "components" not in document
    assert error_of(
        lambda: client.export_schema(RegistryName=REGISTRY, SchemaName=SCHEMA, Type="OpenApi3")
    ) == (400, "BadRequestException")
    assert error_of(
        lambda: client.export_schema(RegistryName=REGISTRY, SchemaName="missing", Type="JSONSchemaDraft4")
    ) == (404, "NotFoundException")


def test_get_discovered_schema_infers_a_schema_from_events(service: Service) -> None:
    client = service.client
    event = json.dumps(load_example("openapi3/custom-order-created.event.json"))
    discovered = client.get_discovered_schema(Events=[event], Type="OpenApi3")
    document = json.loads(discovered["Content"])
    assert str(document["openapi"]).startswith("3")
    drafted = client.get_discovered_schema(Events=[event, event], Type="JSONSchemaDraft4")
    assert isinstance(json.loads(drafted["Content"]), dict)
    assert error_of(lambda: client.get_discovered_schema(Events=["not json"], Type="OpenApi3")) == (
        400,
        "BadRequestException",
    )


# --- code bindings ---------------------------------------------------------------------------------------


def test_code_bindings_follow_the_clients_flow(with_schema: Any) -> None:
    """As SAM CLI and the toolkits do: source (404), put, wait, describe, source."""
    client = with_schema
    binding = {"RegistryName": REGISTRY, "SchemaName": SCHEMA, "Language": "Python36"}
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_code_binding_source(**binding)
    with pytest.raises(client.exceptions.NotFoundException):
        client.describe_code_binding(**binding)

    put = client.put_code_binding(**binding)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert (put["Status"], put["SchemaVersion"]) == ("CREATE_COMPLETE", "1")
    client.get_waiter("code_binding_exists").wait(**binding, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    described = client.describe_code_binding(**binding, SchemaVersion="1")
    assert (described["Status"], described["SchemaVersion"]) == ("CREATE_COMPLETE", "1")
    assert described["CreationDate"] == described["LastModified"]

    source = client.get_code_binding_source(**binding)["Body"].read()
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        files = set(archive.namelist())
    assert f"{PACKAGE_FOLDER}/marshaller.py" in files
    assert f"{PACKAGE_FOLDER}/__init__.py" in files


def test_code_bindings_refuse_other_languages_and_missing_versions(with_schema: Any) -> None:
    client = with_schema
    binding = {"RegistryName": REGISTRY, "SchemaName": SCHEMA}
    assert error_of(lambda: client.put_code_binding(**binding, Language="Java8")) == (
        400,
        "BadRequestException",
    )
    assert error_of(lambda: client.put_code_binding(**binding, Language="Python36", SchemaVersion="7")) == (
        404,
        "NotFoundException",
    )
    # the waiter gives up on NotFoundException, as its model says
    with pytest.raises(WaiterError):
        client.get_waiter("code_binding_exists").wait(
            **binding, Language="Python36", WaiterConfig={"Delay": 1, "MaxAttempts": 2}
        )


def slow_contract() -> dict[str, Any]:
    """About 80 KB (CreateSchema takes up to 100000 characters), 30 classes: far longer to generate than the
    time limit of the pool below."""
    fields = {
        f"q{j}": {"type": "string", "maxLength": 20, "enum": [f"v{x}" for x in range(5)]} for j in range(30)
    }
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {f"p{i}": {"$ref": f"#/definitions/D{i}"} for i in range(30)},
        "definitions": {f"D{i}": {"type": "object", "properties": fields} for i in range(30)},
    }


def test_a_failed_generation_is_create_failed_and_its_source_a_bad_request(
    settings: Settings, engine: Engine
) -> None:
    pool = GeneratorPool(workers=1, timeout=0.1)
    try:
        with running(settings, engine, pool) as started:
            client = started.client
            client.create_registry(RegistryName=REGISTRY)
            content = json.dumps(slow_contract())
            assert len(content) < 100_000
            client.create_schema(
                RegistryName=REGISTRY, SchemaName="Slow", Type="JSONSchemaDraft4", Content=content
            )
            binding = {"RegistryName": REGISTRY, "SchemaName": "Slow", "Language": "Python36"}
            put = client.put_code_binding(**binding)
            assert (put["ResponseMetadata"]["HTTPStatusCode"], put["Status"]) == (202, "CREATE_FAILED")
            assert client.describe_code_binding(**binding)["Status"] == "CREATE_FAILED"
            with pytest.raises(WaiterError, match="failure state"):
                client.get_waiter("code_binding_exists").wait(**binding, WaiterConfig={"Delay": 1})
            with pytest.raises(client.exceptions.BadRequestException) as refused:
                client.get_code_binding_source(**binding)
            assert "could not be generated" in refused.value.response["Error"]["Message"]
    finally:
        pool.close()


# --- tags ------------------------------------------------------------------------------------------------


def test_tags_are_kept_on_registry_and_schema_arns(with_schema: Any) -> None:
    client = with_schema
    assert client.list_tags_for_resource(ResourceArn=REGISTRY_ARN)["Tags"] == {"team": "a"}
    assert client.list_tags_for_resource(ResourceArn=SCHEMA_ARN)["Tags"] == {"source": "partner"}

    tagged = client.tag_resource(ResourceArn=SCHEMA_ARN, Tags={"tier": "gold", "source": "x"})
    assert tagged["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert client.list_tags_for_resource(ResourceArn=SCHEMA_ARN)["Tags"] == {"source": "x", "tier": "gold"}
    client.untag_resource(ResourceArn=SCHEMA_ARN, TagKeys=["source", "never-set"])
    assert client.list_tags_for_resource(ResourceArn=SCHEMA_ARN)["Tags"] == {"tier": "gold"}
    assert client.describe_schema(RegistryName=REGISTRY, SchemaName=SCHEMA)["Tags"] == {"tier": "gold"}

    client.tag_resource(ResourceArn=REGISTRY_ARN, Tags={"cost-centre": "42"})
    client.untag_resource(ResourceArn=REGISTRY_ARN, TagKeys=["team"])
    assert client.describe_registry(RegistryName=REGISTRY)["Tags"] == {"cost-centre": "42"}
    listed = client.list_registries()["Registries"]
    assert [(item["RegistryName"], item["Tags"]) for item in listed] == [(REGISTRY, {"cost-centre": "42"})]


def test_tag_errors_have_eventbridge_codes(with_schema: Any) -> None:
    client = with_schema
    missing_schema = f"arn:aws:schemas:{REGION}:{ACCOUNT}:schema/{REGISTRY}/missing"
    other_account = f"arn:aws:schemas:{REGION}:999999999999:registry/{REGISTRY}"
    assert error_of(lambda: client.list_tags_for_resource(ResourceArn=missing_schema)) == (
        404,
        "NotFoundException",
    )
    assert error_of(lambda: client.tag_resource(ResourceArn=other_account, Tags={"a": "b"})) == (
        404,
        "NotFoundException",
    )
    assert error_of(lambda: client.list_tags_for_resource(ResourceArn="arn:aws:sqs:x")) == (
        400,
        "BadRequestException",
    )
    too_many = {f"k{index}": "v" for index in range(50)}
    assert error_of(lambda: client.tag_resource(ResourceArn=REGISTRY_ARN, Tags=too_many)) == (
        400,
        "BadRequestException",
    )


# --- authorisation --------------------------------------------------------------------------------------


def test_a_token_limited_to_one_registry_sees_and_changes_that_one_only(
    with_schema: Any, service: Service, engine: Engine
) -> None:
    """Signed with the token's AWS credentials (SigV4): roles and scopes hold as on the native API."""
    with_schema.create_registry(RegistryName="elsewhere")
    uow = UnitOfWork(make_session_factory(engine))
    _info, _bearer, reader = access.create_token(uow, Role.READER, registry=REGISTRY, aws=True, actor="test")
    client = boto3.client(
        "schemas",
        endpoint_url=service.url,
        region_name=REGION,
        aws_access_key_id=reader.access_key_id,
        aws_secret_access_key=reader.secret_access_key,
        config=NO_RETRIES,
    )
    assert [item["RegistryName"] for item in client.list_registries()["Registries"]] == [REGISTRY]
    assert client.describe_schema(RegistryName=REGISTRY, SchemaName=SCHEMA)["SchemaVersion"] == "1"
    assert client.list_tags_for_resource(ResourceArn=SCHEMA_ARN)["Tags"] == {"source": "partner"}
    # a reader may have bindings generated: they derive from what it may read
    binding = {"RegistryName": REGISTRY, "SchemaName": SCHEMA, "Language": "Python36"}
    assert client.put_code_binding(**binding)["Status"] == "CREATE_COMPLETE"

    forbidden = (403, "ForbiddenException")
    assert error_of(lambda: client.describe_registry(RegistryName="elsewhere")) == forbidden
    assert error_of(
        lambda: client.update_schema(RegistryName=REGISTRY, SchemaName=SCHEMA, Description="d")
    ) == (forbidden)
    assert error_of(lambda: client.tag_resource(ResourceArn=SCHEMA_ARN, Tags={"a": "b"})) == forbidden
    elsewhere = f"arn:aws:schemas:{REGION}:{ACCOUNT}:registry/elsewhere"
    assert error_of(lambda: client.list_tags_for_resource(ResourceArn=elsewhere)) == forbidden
    # the service is no longer open: unknown credentials are refused
    assert error_of(lambda: with_schema.list_registries()) == (401, "UnauthorizedException")


# --- the wire --------------------------------------------------------------------------------------------


def test_errors_carry_the_code_in_body_and_header(with_schema: Any, service: Service) -> None:
    """What botocore reads (and what other SDKs read): `x-amzn-ErrorType` and `{"Code", "Message"}`."""
    name = quote(SCHEMA, safe="")
    assert name == "aws.partner-x.com%2F123%40Ticket.Created"
    with httpx.Client(base_url=service.url) as http:
        found = http.get(f"/v1/registries/name/{REGISTRY}/schemas/name/{name}")
        assert found.status_code == 200
        assert found.json()["SchemaName"] == SCHEMA
        missing = http.get(f"/v1/registries/name/{REGISTRY}/schemas/name/missing")
        assert missing.status_code == 404
        assert missing.headers["x-amzn-ErrorType"] == "NotFoundException"
        assert set(missing.json()) == {"Code", "Message"}
        assert missing.json()["Code"] == "NotFoundException"
        invalid = http.post(f"/v1/registries/name/{REGISTRY}/schemas/name/x", json={"Type": "Avro"})
        assert (invalid.status_code, invalid.json()["Code"]) == (400, "BadRequestException")
        no_route = http.get("/v1/nothing/here")
        assert (no_route.status_code, no_route.json()["Code"]) == (404, "NotFoundException")
        wrong_method = http.patch(f"/v1/registries/name/{REGISTRY}")
        assert wrong_method.status_code == 405
        assert set(wrong_method.json()) == {"Code", "Message"}
        # the native API keeps its own error form
        native = http.get("/registries/missing")
        assert native.json()["error"]["code"] == "registry_not_found"

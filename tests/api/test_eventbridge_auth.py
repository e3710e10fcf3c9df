"""SigV4 on the EventBridge `schemas` API, end to end: a real uvicorn server and a real boto3 client, signing
with credentials from `create_token(..., aws=True)`. Nothing is faked: the signature botocore computes is
the one the server verifies, over the bytes that crossed the socket."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch
from urllib.parse import quote

import boto3
import httpx
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from sqlalchemy import Engine

from codegen import GeneratorPool
from registry import access
from registry.access import AwsCredentials
from registry.api.app import create_app
from registry.domain.auth import Role
from registry.settings import Settings
from registry.storage.database import make_session_factory
from registry.storage.unit_of_work import UnitOfWork
from tests.conftest import load_example, uvicorn_in_thread

REGION = "us-east-1"
# An EventBridge-style name: `/` and `@` travel percent-encoded, and are signed encoded twice.
SCHEMA = "aws.partner-mongodb.com/1234567-tickets@Ticket.Created"
DRAFT4 = load_example("draft4/custom-order-created.json")
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@dataclass
class Server:
    url: str
    uow: UnitOfWork

    def token(self, role: Role, registry: str | None = None) -> tuple[str, str, AwsCredentials]:
        """A token with AWS credentials: (id, bearer secret, credentials)."""
        info, bearer, credentials = access.create_token(
            self.uow, role, registry=registry, aws=True, actor="test"
        )
        return info.id, bearer, credentials

    def client(self, credentials: AwsCredentials | None, *, secret: str | None = None) -> Any:
        """boto3's `schemas` client on this server; `secret` overrides the credentials' secret."""
        if credentials is None:
            return boto3.client(
                "schemas",
                endpoint_url=self.url,
                region_name=REGION,
                config=NO_RETRIES.merge(Config(signature_version=UNSIGNED)),
            )
        return boto3.client(
            "schemas",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=secret or credentials.secret_access_key,
            config=NO_RETRIES,
        )


@pytest.fixture
def server(settings: Settings, engine: Engine, generator_pool: GeneratorPool) -> Iterator[Server]:
    """The app under uvicorn on a free port, in a background thread (settings: no token cache)."""
    app = create_app(settings, engine=engine, generator=generator_pool)
    with uvicorn_in_thread(app) as url:
        yield Server(url=url, uow=UnitOfWork(make_session_factory(engine)))


def status_of(call: Callable[[], object]) -> tuple[int, str, str]:
    """The HTTP status, error code and message of a call that must fail."""
    with pytest.raises(ClientError) as failure:
        call()
    response = failure.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"].get("Code", ""),
        response["Error"].get("Message", ""),
    )


def registry_names(client: Any) -> list[str]:
    return [item["RegistryName"] for item in client.list_registries()["Registries"]]


def test_while_no_token_exists_the_api_is_open_even_unsigned(server: Server) -> None:
    anonymous = server.client(None)
    anonymous.create_registry(RegistryName="open")
    assert registry_names(anonymous) == ["open"]


def test_valid_credentials_succeed(server: Server) -> None:
    _, _, credentials = server.token(Role.ADMIN)
    client = server.client(credentials)
    created = client.create_registry(RegistryName="orders", Description="signed with SigV4")
    assert created["RegistryName"] == "orders"
    assert registry_names(client) == ["orders"]
    assert client.describe_registry(RegistryName="orders")["Description"] == "signed with SigV4"


def test_names_with_encoded_slashes_and_at_signs_verify(server: Server) -> None:
    """The path travels as `...%2F...%40...` and is signed double-encoded: both sides must agree."""
    _, bearer, credentials = server.token(Role.ADMIN)
    client = server.client(credentials)
    client.create_registry(RegistryName="partners")
    registered = httpx.post(
        f"{server.url}/registries/partners/schemas/{quote(SCHEMA, safe='')}/versions",
        json={"type": "JSONSchemaDraft4", "content": DRAFT4},
        headers={"Authorization": f"Bearer {bearer}"},
    )
    assert registered.status_code == 201, registered.text
    described = client.describe_schema(RegistryName="partners", SchemaName=SCHEMA)
    assert described["SchemaName"] == SCHEMA
    listed = client.list_schemas(RegistryName="partners", SchemaNamePrefix="aws.partner", Limit=10)
    assert [item["SchemaName"] for item in listed["Schemas"]] == [SCHEMA]


def test_a_wrong_secret_gets_401(server: Server) -> None:
    _, _, credentials = server.token(Role.ADMIN)
    last = credentials.secret_access_key[-1]
    # a different last character: the alphabet holds "x", so putting "x" there may change nothing
    wrong = server.client(
        credentials, secret=credentials.secret_access_key[:-1] + ("y" if last == "x" else "x")
    )
    status, _, message = status_of(wrong.list_registries)
    assert status == 401
    assert "signature does not match" in message


def test_an_unknown_access_key_gets_401(server: Server) -> None:
    server.token(Role.ADMIN)
    stranger = AwsCredentials(access_key_id="AKIAUNKNOWN000000000", secret_access_key="s" * 40)
    status, _, message = status_of(server.client(stranger).list_registries)
    assert status == 401
    assert "unknown or revoked" in message


def test_unsigned_requests_get_401_once_a_token_exists(server: Server) -> None:
    server.token(Role.ADMIN)
    status, _, message = status_of(server.client(None).list_registries)
    assert status == 401
    assert "Signature Version 4" in message


def test_a_revoked_token_gets_401(server: Server) -> None:
    token_id, _, credentials = server.token(Role.ADMIN)
    client = server.client(credentials)
    assert registry_names(client) == []
    access.revoke_token(server.uow, token_id, actor="test")
    # The settings fixture caches the token table for 0 seconds: the revocation shows at once.
    status, _, _ = status_of(client.list_registries)
    assert status == 401


def test_a_reader_cannot_create_a_registry(server: Server) -> None:
    _, _, admin = server.token(Role.ADMIN)
    server.client(admin).create_registry(RegistryName="a")
    _, _, reader = server.token(Role.READER)
    client = server.client(reader)
    assert client.describe_registry(RegistryName="a")["RegistryName"] == "a"
    status, _, _ = status_of(lambda: client.create_registry(RegistryName="b"))
    assert status == 403


def test_a_token_scoped_to_another_registry_gets_403(server: Server) -> None:
    _, _, admin = server.token(Role.ADMIN)
    for name in ("a", "b"):
        server.client(admin).create_registry(RegistryName=name)
    _, _, scoped = server.token(Role.ADMIN, registry="b")
    client = server.client(scoped)
    assert client.describe_registry(RegistryName="b")["RegistryName"] == "b"
    status, _, _ = status_of(lambda: client.describe_registry(RegistryName="a"))
    assert status == 403


def test_a_request_signed_too_long_ago_gets_401(server: Server) -> None:
    _, _, credentials = server.token(Role.ADMIN)
    client = server.client(credentials)
    twenty_minutes_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=20)
    # botocore's own clock, moved back: the signature is valid but dated outside the 15 minutes allowed.
    with patch("botocore.auth.get_current_datetime", return_value=twenty_minutes_ago):
        status, _, message = status_of(client.list_registries)
    assert status == 401
    assert "more than 15 minutes" in message


def test_a_bearer_token_also_works(server: Server) -> None:
    _, bearer, _ = server.token(Role.READER)
    listed = httpx.get(f"{server.url}/v1/registries", headers={"Authorization": f"Bearer {bearer}"})
    assert listed.status_code == 200, listed.text
    refused = httpx.get(f"{server.url}/v1/registries", headers={"Authorization": "Bearer ecr_wrong"})
    assert refused.status_code == 401


def test_tagging_by_arn_with_repeated_tag_keys_verifies(server: Server) -> None:
    """TagResource and UntagResource: the ARN travels in the path (`:` and `/` encoded) and UntagResource
    repeats `tagKeys` in the query, which must be signed sorted."""
    _, _, credentials = server.token(Role.ADMIN)
    client = server.client(credentials)
    arn = client.create_registry(RegistryName="tagged")["RegistryArn"]
    client.tag_resource(ResourceArn=arn, Tags={"team": "orders", "env": "prod", "tier": "1"})
    client.untag_resource(ResourceArn=arn, TagKeys=["tier", "env"])
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "orders"}

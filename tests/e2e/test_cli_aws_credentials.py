"""`registry token create --aws`: AWS credentials printed in the ~/.aws/credentials form, listed without
their secret, and usable as written by boto3 against `registry serve`."""

from __future__ import annotations

import re
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.e2e.conftest import run_registry, serve, sqlite_url

CREDENTIALS = re.compile(
    r"aws_access_key_id = (AKIA[A-Z0-9]{16})\naws_secret_access_key = ([A-Za-z0-9]{40})\n"
)
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def create_aws_token(database: str, *args: str) -> tuple[str, str, str]:
    """`registry token create --aws ...`: returns (token id, access key id, secret access key)."""
    done = run_registry(database, "token", "create", "--aws", *args)
    assert done.returncode == 0, done.stderr
    printed = CREDENTIALS.fullmatch(done.stdout)
    assert printed, f"stdout must hold the two credentials-file lines alone: {done.stdout!r}"
    token_id = done.stderr.split("created token ", 1)[1].split()[0]
    return token_id, printed[1], printed[2]


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = sqlite_url(tmp_path)
    migrated = run_registry(url, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    return url


def test_create_prints_credentials_file_lines_and_the_id_on_stderr(database: str) -> None:
    token_id, access_key_id, secret = create_aws_token(database, "--role", "writer", "--registry", "orders")
    assert re.fullmatch(r"[0-9a-f]{16}", token_id)
    again = create_aws_token(database, "--role", "reader")
    assert again[1] != access_key_id and again[2] != secret


def test_list_shows_the_access_key_id_never_the_secret(database: str) -> None:
    token_id, access_key_id, secret = create_aws_token(database, "--role", "admin", "--description", "ci")
    plain = run_registry(database, "token", "create", "--role", "reader")
    assert plain.returncode == 0, plain.stderr
    plain_id = plain.stderr.split("created token ", 1)[1].split()[0]

    listed = run_registry(database, "token", "list")
    assert listed.returncode == 0, listed.stderr
    rows = {line.split("\t")[0]: line.split("\t") for line in listed.stdout.splitlines()}
    assert rows[token_id] == [token_id, "admin", "*", "active", "ci", access_key_id]
    assert rows[plain_id][-1] == ""
    assert secret not in listed.stdout + listed.stderr
    assert "ecr_" not in listed.stdout


def test_the_printed_lines_work_as_a_boto3_profile_against_registry_serve(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the docs tell users to do: append the output under a profile, point boto3 at the server."""
    done = run_registry(database, "token", "create", "--aws", "--role", "admin")
    assert done.returncode == 0, done.stderr
    credentials_file = tmp_path / "credentials"
    credentials_file.write_text("[registry]\n" + done.stdout)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials_file))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    session = boto3.Session(profile_name="registry", region_name="us-east-1")
    with serve(tmp_path, database) as server:
        client = session.client("schemas", endpoint_url=server.url, config=NO_RETRIES)
        client.create_registry(RegistryName="orders")
        assert [item["RegistryName"] for item in client.list_registries()["Registries"]] == ["orders"]
        stranger = boto3.Session(
            aws_access_key_id="AKIAUNKNOWN000000000", aws_secret_access_key="x" * 40, region_name="us-east-1"
        ).client("schemas", endpoint_url=server.url, config=NO_RETRIES)
        with pytest.raises(ClientError) as refused:
            stranger.list_registries()
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401

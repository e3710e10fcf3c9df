"""The AWS CLI (`aws schemas ...`, awscli from PyPI) against `registry serve`, as a user would point it at the
registry with `--endpoint-url`. The service is open (no token exists), so any credentials do."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import load_example
from tests.e2e.conftest import COMMAND_SECONDS, Served, serve, sqlite_url

AWS = Path(sys.executable).parent / "aws"
SCHEMA = "aws.partner-x.com/123@Ticket.Created"


@dataclass
class Cli:
    server: Served
    env: dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(AWS), "schemas", *args, "--endpoint-url", self.server.url, "--output", "json"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=COMMAND_SECONDS,
            check=False,
        )

    def json(self, *args: str) -> Any:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    # Dummy credentials, and no configuration of the machine's user: nothing here may reach AWS.
    env = {
        "PATH": str(AWS.parent),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "y",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "1",
    }
    with serve(tmp_path, sqlite_url(tmp_path)) as server:
        yield Cli(server, env)


def test_the_aws_cli_creates_and_describes_a_registry_and_lists_its_schemas(cli: Cli, tmp_path: Path) -> None:
    created = cli.json("create-registry", "--registry-name", "r", "--description", "from the CLI")
    assert created["RegistryName"] == "r"
    assert created["RegistryArn"] == "arn:aws:schemas:us-east-1:000000000000:registry/r"

    described = cli.json("describe-registry", "--registry-name", "r")
    assert (described["RegistryName"], described["Description"]) == ("r", "from the CLI")

    content = tmp_path / "ticket-created.json"
    content.write_text(json.dumps(load_example("openapi3/custom-order-created.json")))
    schema = cli.json(
        "create-schema",
        *("--registry-name", "r", "--schema-name", SCHEMA, "--type", "OpenApi3"),
        *("--content", f"file://{content}"),
    )
    assert (schema["SchemaName"], schema["SchemaVersion"]) == (SCHEMA, "1")

    listed = cli.json("list-schemas", "--registry-name", "r")
    assert [(item["SchemaName"], item["VersionCount"]) for item in listed["Schemas"]] == [(SCHEMA, 1)]


def test_the_aws_cli_reports_eventbridge_errors(cli: Cli) -> None:
    missing = cli.run("describe-registry", "--registry-name", "missing")
    assert missing.returncode != 0
    assert "NotFoundException" in missing.stderr
    assert "'missing' does not exist" in missing.stderr

    cli.json("create-registry", "--registry-name", "r")
    again = cli.run("create-registry", "--registry-name", "r")
    assert again.returncode != 0
    assert "ConflictException" in again.stderr

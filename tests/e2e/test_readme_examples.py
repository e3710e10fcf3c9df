"""The README's examples work as written, against a running `registry serve`: the boto3 snippet in a Python
with no AWS configuration at all, and the curl command that gates CI on the dry run. And no curl example
uses `-f`, which would swallow the registry's error report."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REPO
from tests.e2e.conftest import COMMAND_SECONDS, SCRIPT, Served, serve, sqlite_url

README = (REPO / "README.md").read_text()
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LOCAL = "http://127.0.0.1:8080"


def block_after(marker: str, language: str) -> str:
    """The first fenced code block of `language` after `marker` in the README."""
    found = re.search(rf"```{language}\n(.*?)```", README[README.index(marker) :], re.DOTALL)
    assert found is not None, f"no {language} block after {marker!r}"
    return found.group(1)


def order_created(*statuses: str) -> dict[str, Any]:
    return {
        "openapi": "3.0.0",
        "info": {"title": "OrderCreated", "version": "1.0.0"},
        "paths": {},
        "components": {
            "schemas": {
                "AWSEvent": {
                    "type": "object",
                    "x-amazon-events-detail-type": "OrderCreated",
                    "properties": {"detail": {"$ref": "#/components/schemas/OrderCreated"}},
                },
                "OrderCreated": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {"status": {"type": "string", "enum": list(statuses)}},
                },
            }
        },
    }


def without_aws_configuration(tmp_path: Path) -> dict[str, str]:
    """No credentials anywhere boto3 looks: environment, files, instance metadata."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    missing = str(tmp_path / "nothing")
    env.update(AWS_CONFIG_FILE=missing, AWS_SHARED_CREDENTIALS_FILE=missing, AWS_EC2_METADATA_DISABLED="true")
    return env


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("readme")
    with serve(workdir, sqlite_url(workdir)) as running:
        yield running


def test_the_boto3_snippet_runs_without_any_aws_configuration(served: Served, tmp_path: Path) -> None:
    snippet = block_after("## EventBridge", "python")
    assert LOCAL in snippet

    def run(code: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", code.replace(LOCAL, served.url)],
            env=without_aws_configuration(tmp_path),
            capture_output=True,
            text=True,
            timeout=COMMAND_SECONDS,
            check=False,
        )

    done = run(snippet)
    assert done.returncode == 0, done.stderr
    assert httpx.get(f"{served.url}/registries/orders").status_code == 200
    # the placeholders are what makes it work: without them boto3 stops before sending anything
    bare = "\n".join(line for line in snippet.splitlines() if "aws_" not in line)
    assert "NoCredentialsError" in run(bare.replace('"orders"', '"other"')).stderr


def test_the_dry_run_gate_fails_the_ci_step_with_the_report(served: Served, tmp_path: Path) -> None:
    gate = block_after("**The dry run as a CI gate.**", "sh")
    httpx.put(f"{served.url}/registries/gated", json={})
    schema = f"{served.url}/registries/gated/schemas/OrderCreated"
    first = {"type": "OpenApi3", "content": order_created("NEW", "PAID")}
    assert httpx.post(f"{schema}/versions", json=first).status_code == 201
    script = gate.replace("/registries/orders/", "/registries/gated/")

    def run_gate(candidate: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        (tmp_path / "order-created.openapi.json").write_text(json.dumps(candidate))
        return subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env={**os.environ, "R": served.url},
            capture_output=True,
            text=True,
            timeout=COMMAND_SECONDS,
            check=False,
        )

    accepted = run_gate(order_created("NEW", "PAID", "SHIPPED"))  # BACKWARD: reads every old event
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert json.loads(accepted.stdout)["compatible"] is True
    refused = run_gate(order_created("NEW"))  # cannot read a PAID order
    assert refused.returncode == 22, refused.stdout + refused.stderr
    error = json.loads(refused.stdout)["error"]
    assert error["code"] == "incompatible_version"
    assert error["details"]["incompatibilities"][0]["witness"]["detail"]["status"] == "PAID"
    assert [each["version"] for each in httpx.get(f"{schema}/versions").json()["items"]] == [1]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_no_curl_example_swallows_the_error_report(document: Path) -> None:
    silent_failures = re.findall(r"curl\s+(?:-\w*f\w*|--fail)\s", document.read_text())
    assert silent_failures == [], f"use --fail-with-body in {document.name}: {silent_failures}"


def test_the_shared_types_example_registers_a_referencing_contract_and_shows_its_bundle(
    served: Served,
) -> None:
    script = block_after("## Shared types", "sh")
    done = subprocess.run(
        ["bash", "-c", script.replace(LOCAL, served.url)],
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    answers = [json.loads(line) for line in done.stdout.replace("}{", "}\n{").splitlines() if line.strip()]
    written, bundled, dependents = answers[-3:]
    assert [each["name"] for each in written["references"]] == [
        "https://schemas.acme.example/money.json",
        "money.json",
    ]
    assert bundled["content"]["properties"]["total"] == {"$ref": "#/definitions/Money"}
    assert [each["schema"] for each in dependents["items"]] == ["OrderPlaced", "OrderPlaced"]
    event = {"total": {"amount": 3, "currency": "eur"}}
    checked = httpx.post(
        f"{served.url}/registries/orders/schemas/OrderPlaced/versions/1/validate", json=event
    )
    assert checked.json()["valid"] is False


def test_the_impact_example_names_the_dependent_a_narrower_money_breaks(
    served: Served, tmp_path: Path
) -> None:
    """Continues the shared types example (run first when this test runs alone)."""
    scripts = [block_after("### Impact analysis", "sh")]
    if httpx.get(f"{served.url}/registries/common/schemas/Money").status_code == 404:
        scripts.insert(0, block_after("## Shared types", "sh"))
    script = "\n".join(scripts).replace(LOCAL, served.url).replace(".venv/bin/registry", str(SCRIPT))
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env={key: value for key, value in os.environ.items() if not key.startswith("REGISTRY_")},
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr  # the CLI's: something breaks
    answers, position = [], 0  # curl's answers (no newline between them), then the CLI's summary
    while done.stdout[position:].lstrip().startswith("{"):
        position += len(done.stdout[position:]) - len(done.stdout[position:].lstrip())
        found, position = json.JSONDecoder().raw_decode(done.stdout, position)
        answers.append(found)
    answer, summary = answers[-1], done.stdout[position:]
    assert answer["breaking"] == 1
    assert [each["schema"] for each in answer["dependents"]] == ["OrderPlaced"]
    assert "a new version of common/Money breaks 1 of 1 dependent (scope default)" in summary
    assert "[enum_narrowed]" in summary

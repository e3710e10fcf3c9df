"""`registry can-i-deploy` as a CI pipeline runs it: against a running registry, exit 0, 1 or 2, and a
summary a person can act on."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import load_example
from tests.e2e.conftest import COMMAND_SECONDS, SCRIPT, free_port, script_env, serve, sqlite_url

SCHEMA_PATH = "/registries/orders/schemas/OrderCreated"
BASE = load_example("draft4/custom-order-created.json")


def with_status(*values: str) -> dict[str, Any]:
    """The contract with these order statuses: a producer that emits more than its consumers know breaks
    them (STRICT), one that emits fewer does not."""
    contract = copy.deepcopy(BASE)
    contract["definitions"]["OrderCreated"]["properties"]["status"]["enum"] = list(values)
    return dict(contract)


def registry_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args],
        env=script_env("sqlite:///unused.db"),
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
        check=False,
    )


def can_i_deploy(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return registry_command(
        "can-i-deploy", "--url", url, "--registry", "orders", "--schema", "OrderCreated", *args
    )


def create_environment(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return registry_command("environment", "create", "--url", url, *args)


@pytest.fixture(scope="module")
def registry_url(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Versions 1 (three statuses), 2 (two of them), 3 (a fourth status); billing consumes version 1 in
    prod, checkout produces version 1 there."""
    workdir = tmp_path_factory.mktemp("can-i-deploy")
    with serve(workdir, sqlite_url(workdir)) as served, httpx.Client(base_url=served.url) as http:
        assert http.put("/registries/orders", json={"compatibility": "NONE"}).status_code == 201
        for statuses in (
            ["PENDING_PAYMENT", "CONFIRMED", "ON_HOLD"],
            ["PENDING_PAYMENT", "CONFIRMED"],
            ["PENDING_PAYMENT", "CONFIRMED", "ON_HOLD", "SHIPPED"],
        ):
            body = {"type": "JSONSchemaDraft4", "content": with_status(*statuses)}
            assert http.post(f"{SCHEMA_PATH}/versions", json=body).status_code == 201
        for service, role in (("billing", "consumer"), ("checkout", "producer")):
            recorded = http.put(
                f"{SCHEMA_PATH}/participants/{service}",
                json={"role": role, "version": 1, "environment": "prod"},
            )
            assert recorded.status_code == 201, recorded.text
        yield served.url


def test_a_compatible_deployment_exits_0(registry_url: str) -> None:
    done = can_i_deploy(
        registry_url, "--service", "checkout", "--role", "producer", "--version", "2", "--environment", "prod"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "checkout (producer) at version 2 of orders/OrderCreated in prod: deployable (STRICT)\n"
        in done.stdout
    )
    assert "ok    consumer billing at version 1 reads producer version 2" in done.stdout


def test_an_incompatible_deployment_exits_1_and_says_why(registry_url: str) -> None:
    done = can_i_deploy(
        registry_url, "--service", "checkout", "--role", "producer", "--version", "3", "--environment", "prod"
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "NOT deployable" in done.stdout
    assert "FAIL  consumer billing at version 1 reads producer version 3: no" in done.stdout
    assert "SHIPPED" in done.stdout  # the witness event shows the value billing cannot read


def test_a_consumer_moving_to_an_older_version_is_checked_against_the_producers(registry_url: str) -> None:
    done = can_i_deploy(
        registry_url, "--service", "billing", "--role", "consumer", "--version", "2", "--environment", "prod",
        "--json",
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr  # checkout emits ON_HOLD, version 2 lacks it
    assert '"deployable": false' in done.stdout


def test_questions_that_cannot_be_answered_exit_2(registry_url: str, tmp_path: Path) -> None:
    typo = can_i_deploy(
        registry_url, "--service", "checkout", "--role", "producer", "--version", "2", "--environment", "prdo"
    )
    assert typo.returncode == 2
    assert "environment_not_found" in typo.stderr
    missing = can_i_deploy(
        registry_url, "--service", "checkout", "--role", "producer", "--version", "9", "--environment", "prod"
    )
    assert missing.returncode == 2
    assert "version_not_found" in missing.stderr
    nobody = can_i_deploy(
        f"http://127.0.0.1:{free_port()}",
        "--service", "checkout", "--role", "producer", "--version", "2", "--environment", "prod",
    )  # fmt: skip
    assert nobody.returncode == 2
    assert "cannot reach the registry" in nobody.stderr


def test_a_consumer_asking_sees_its_counterpart_named_as_the_producer(registry_url: str) -> None:
    done = can_i_deploy(
        registry_url, "--service", "billing", "--role", "consumer", "--version", "2", "--environment", "prod"
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        "billing (consumer) at version 2 of orders/OrderCreated in prod: NOT deployable (STRICT)"
        in done.stdout
    )
    assert "FAIL  consumer version 2 reads producer checkout at version 1: no" in done.stdout


def test_latest_is_resolved_and_reported(registry_url: str) -> None:
    done = can_i_deploy(
        registry_url,
        "--service",
        "billing",
        "--role",
        "consumer",
        "--version",
        "latest",
        "--environment",
        "prod",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "billing (consumer) at version 3 (latest) of orders/OrderCreated in prod: deployable" in done.stdout
    )
    assert "ok    consumer version 3 reads producer checkout at version 1" in done.stdout
    bad = can_i_deploy(
        registry_url,
        "--service",
        "billing",
        "--role",
        "consumer",
        "--version",
        "newest",
        "--environment",
        "prod",
    )
    assert (bad.returncode, "invalid_request" in bad.stderr) == (2, True)


def test_help_names_every_exit_status() -> None:
    for command in (["can-i-deploy"], ["environment", "create"], ["impact"]):
        done = registry_command(*command, "--help")
        assert done.returncode == 0
        assert "exit status: 0" in done.stdout and ", 2 " in done.stdout, done.stdout


def test_a_first_release_to_a_new_environment_creates_it_then_asks(registry_url: str) -> None:
    created = create_environment(
        registry_url, "--registry", "orders", "--name", "staging", "--description", "QA"
    )
    assert created.returncode == 0, created.stdout + created.stderr
    assert created.stdout == "environment staging of registry orders: created\n"
    again = create_environment(registry_url, "--registry", "orders", "--name", "staging")
    assert again.returncode == 0, again.stdout + again.stderr  # a CI step may run on every release
    assert again.stdout == "environment staging of registry orders: already exists\n"
    assert httpx.get(f"{registry_url}/registries/orders/environments/staging").status_code == 200
    asked = can_i_deploy(
        registry_url,
        "--service",
        "checkout",
        "--role",
        "producer",
        "--version",
        "3",
        "--environment",
        "staging",
    )
    assert asked.returncode == 0, asked.stdout + asked.stderr
    assert "no counterpart is recorded in that environment" in asked.stdout


def test_environments_that_cannot_be_created_exit_2(registry_url: str) -> None:
    bad_name = create_environment(registry_url, "--registry", "orders", "--name", "stag ing")
    assert (bad_name.returncode, "invalid_name" in bad_name.stderr) == (2, True)
    no_registry = create_environment(registry_url, "--registry", "nope", "--name", "staging")
    assert (no_registry.returncode, "registry_not_found" in no_registry.stderr) == (2, True)
    nobody = create_environment(f"http://127.0.0.1:{free_port()}", "--registry", "orders", "--name", "x")
    assert (nobody.returncode, "cannot reach the registry" in nobody.stderr) == (2, True)

"""`registry impact` as a CI pipeline runs it: against a running registry, exit 0, 1 or 2, and a summary
that names each breaking dependent, its rule, places and witness."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry import impact_command
from tests.api.test_impact import INVOICE, MONEY, MONEY_REF, NARROWER, PAYMENT, WIDER
from tests.e2e.conftest import COMMAND_SECONDS, SCRIPT, script_env, serve, sqlite_url


def impact(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "impact", "--url", url, "--registry", "common", "--schema", "Money", *args],
        env=script_env("sqlite:///unused.db"),
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
        check=False,
    )


def written(directory: Path, name: str, content: Any) -> str:
    path = directory / name
    path.write_text(json.dumps(content))
    return str(path)


@pytest.fixture(scope="module")
def registry_url(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """common/Money/1, billing/Payment/1 → Money, billing/Invoice/1 → Payment."""
    workdir = tmp_path_factory.mktemp("impact")
    with serve(workdir, sqlite_url(workdir)) as served, httpx.Client(base_url=served.url) as http:
        for name in ("common", "billing"):
            assert http.put(f"/registries/{name}", json={}).status_code == 201
        for path, content, references in (
            ("common/schemas/Money", MONEY, []),
            ("billing/schemas/Payment", PAYMENT, [MONEY_REF]),
            (
                "billing/schemas/Invoice",
                INVOICE,
                [{"name": "payment.json", "schema": "Payment", "version": 1}],
            ),
        ):
            body = {"type": "JSONSchemaDraft4", "content": content, "references": references}
            created = http.post(f"/registries/{path}/versions", json=body)
            assert created.status_code == 201, created.text
        yield served.url


def test_a_harmless_candidate_exits_0(registry_url: str, tmp_path: Path) -> None:
    done = impact(registry_url, "--file", written(tmp_path, "money.json", WIDER))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("a new version of common/Money breaks none of 2 dependents (scope default)")
    assert (
        "  ok    billing/Invoice version 1 (depth 2, via billing/Payment/1 -> common/Money/1)" in done.stdout
    )


def test_a_breaking_candidate_exits_1_naming_each_dependent_rule_place_and_witness(
    registry_url: str, tmp_path: Path
) -> None:
    done = impact(registry_url, "--file", written(tmp_path, "money.json", NARROWER))
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "a new version of common/Money breaks 2 of 2 dependents (scope default)"
    assert "  FAIL  billing/Payment version 1 (depth 1, via common/Money/1)" in lines
    assert "        as the next version of its schema (BACKWARD, STRICT): 1 incompatibility" in lines
    assert "        [enum_narrowed] the consumer allows only listed values" in lines
    assert "          producer /definitions/Currency  consumer /definitions/Currency" in lines
    assert '          e.g. this event: {"payment": {"amount": {"amount": 0, "currency": "AAA"}}}' in lines

    # the same answer as JSON, in process (the command's own function, no second interpreter start)
    out = io.StringIO()
    code = impact_command.run(
        registry_url,
        registry="common",
        schema="Money",
        content_file=Path(written(tmp_path, "money.json", NARROWER)),
        references_file=None,
        contract_type=None,
        event_root=None,
        scope="all",
        token=None,
        as_json=True,
        out=out,
    )
    assert (code, json.loads(out.getvalue())["breaking"]) == (1, 2)


def test_a_question_that_cannot_be_answered_exits_2(registry_url: str, tmp_path: Path) -> None:
    refs = written(tmp_path, "refs.json", [{**MONEY_REF, "version": 7}])
    invalid = impact(registry_url, "--file", written(tmp_path, "m.json", MONEY), "--references", refs)
    assert (invalid.returncode, invalid.stdout) == (2, "")
    assert "HTTP 422: reference_not_found" in invalid.stderr
    for files, expected in (
        ((tmp_path / "nothing.json", None), "cannot read the candidate"),
        ((Path(written(tmp_path, "m.json", MONEY)), Path(written(tmp_path, "r.json", {}))), "JSON list"),
    ):
        err = io.StringIO()
        code = impact_command.run(
            registry_url,
            registry="common",
            schema="Money",
            content_file=files[0],
            references_file=files[1],
            contract_type=None,
            event_root=None,
            scope="default",
            token=None,
            as_json=False,
            err=err,
        )
        assert (code, expected in err.getvalue()) == (2, True), err.getvalue()

"""Several worker processes behind one /metrics: with PROMETHEUS_MULTIPROC_DIR set, every process writes its
values there and whichever answers the scrape adds them all up (here two `registry serve` processes on one
database stand for a replica's workers)."""

from __future__ import annotations

import subprocess
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import load_example
from tests.e2e.conftest import serve, sqlite_url

VERSIONS = "/registries/orders/schemas/OrderCreated/versions"
CONTRACT = load_example("draft4/custom-order-created.json")


def test_two_processes_writing_are_added_up_in_one_scrape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "prometheus"
    shared.mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(shared))
    database = sqlite_url(tmp_path)  # `serve` migrates an SQLite database: the first one does it here
    with ExitStack() as running:
        first, second = (running.enter_context(serve(tmp_path, database)) for _ in range(2))
        with httpx.Client(base_url=first.url) as one, httpx.Client(base_url=second.url) as other:
            assert one.put("/registries/orders", json={}).status_code == 201
            content = {
                "type": "JSONSchemaDraft4",
                "content": load_example("draft4/custom-order-created.json"),
            }
            assert one.post(VERSIONS, json=content).status_code == 201
            assert other.post(VERSIONS, json=content).status_code == 200  # identical
            for _ in range(2):
                assert other.get("/healthz").status_code == 200
            assert one.get("/healthz").status_code == 200
            scraped = other.get("/metrics")
    assert scraped.status_code == 200
    found = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(scraped.text)
        for sample in family.samples
    }
    healthz = (("method", "GET"), ("route", "/healthz"), ("status", "200"))
    # each process's own start-up probe, plus the three above
    assert found[("registry_http_requests_total", healthz)] == 5
    assert found[("registry_registrations_total", (("outcome", "created"),))] == 1
    assert found[("registry_registrations_total", (("outcome", "identical"),))] == 1
    assert ("registry_build_info", ()) not in found  # it has labels: the versions
    assert any(name == "registry_build_info" for name, _ in found)
    checked = subprocess.run(
        ["promtool", "check", "metrics"], input=scraped.text, capture_output=True, text=True, timeout=30
    )
    assert (checked.returncode, checked.stdout, checked.stderr) == (0, "", "")

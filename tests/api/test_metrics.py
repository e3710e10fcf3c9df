"""GET /metrics: who may read it, what it counts and under which labels, and that Prometheus's own checker
(`promtool check metrics`, Debian's prometheus package) finds nothing to say about it.

Counters live in the test process for the whole session, so every test compares before and after."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, create_engine

from codegen import GeneratorPool
from registry import access, cli
from registry.api.app import create_app
from registry.domain.auth import Role
from registry.mirroring import MirrorWorker
from registry.settings import Settings
from registry.storage.database import make_session_factory
from registry.storage.pool_metrics import observe_pool
from registry.storage.unit_of_work import UnitOfWork
from tests.conftest import REPO, load_example

DRAFT4 = load_example("draft4/custom-order-created.json")
EVENT = load_example("draft4/custom-order-created.event.json")
VERSIONS = "/registries/orders/schemas/OrderCreated/versions"
VERSION_ROUTE = "/registries/{registry}/schemas/{schema}/versions/{version}"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"

# Most of what is measured here does not depend on the database: those tests run on SQLite only.
SQLITE_ONLY = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def scrape(client: httpx.AsyncClient, **headers: str) -> Samples:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return samples(response.text)


def token(engine: Engine, role: Role, registry: str | None = None) -> dict[str, str]:
    _, secret = access.create_token(
        UnitOfWork(make_session_factory(engine)), role, registry=registry, actor="anonymous"
    )
    return {"Authorization": f"Bearer {secret}"}


def incompatible_change() -> dict[str, Any]:
    changed = copy.deepcopy(DRAFT4)
    changed["definitions"]["OrderCreated"]["properties"]["orderId"] = {"type": "integer"}
    return changed


@pytest.fixture
async def orders(client: httpx.AsyncClient) -> httpx.AsyncClient:
    assert (await client.put("/registries/orders", json={})).status_code == 201
    return client


@SQLITE_ONLY
async def test_promtool_finds_nothing_to_say_about_the_output_after_traffic(
    orders: httpx.AsyncClient,
) -> None:
    client = orders
    await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": DRAFT4})
    await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": incompatible_change()})
    await client.post(f"{VERSIONS}/1/validate", json=EVENT)
    for _ in range(2):
        await client.get(f"{VERSIONS}/1")
    await client.get("/no/such/page")
    response = await client.get("/metrics")
    checked = subprocess.run(
        [PROMTOOL, "check", "metrics"], input=response.text, capture_output=True, text=True, timeout=30
    )
    assert (checked.returncode, checked.stdout, checked.stderr) == (0, "", "")
    names = {name for name, _ in samples(response.text)}
    expected = {
        "registry_http_requests_total",
        "registry_http_request_duration_seconds_bucket",
        "registry_registrations_total",
        "registry_compatibility_checks_total",
        "registry_compatibility_check_duration_seconds_count",
        "registry_event_validations_total",
        "registry_codegen_duration_seconds_count",
        "registry_codegen_queue_wait_seconds_count",
        "registry_codegen_queue_length",
        "registry_codegen_workers_alive",
        "registry_package_downloads_total",
        "registry_mirror_outbox_pending",
        "registry_mirror_oldest_pending_age_seconds",
        "registry_mirror_deliveries_total",
        "registry_mirror_retries_total",
        "registry_db_pool_connections_in_use",
        "registry_db_pool_waiting",
        "registry_build_info",
    }
    assert expected <= names
    assert "# TYPE registry_codegen_failures_total counter" in response.text


@SQLITE_ONLY
async def test_requests_are_labelled_by_route_template_and_cache_hits_count_as_the_route(
    orders: httpx.AsyncClient,
) -> None:
    client = orders
    await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": DRAFT4})
    before = await scrape(client)
    for _ in range(3):  # the first is read from the database, the others from the replica's memory
        assert (await client.get(f"{VERSIONS}/1")).status_code == 200
    assert (await client.get("/registries/orders/schemas/a%2Fb/versions/1")).status_code == 404
    assert (await client.get("/no/such/page")).status_code == 404
    assert (await client.request("BREW", "/healthz")).status_code == 405
    after = await scrape(client)

    def grown(**labels: str) -> float:
        name = "registry_http_requests_total"
        return value(after, name, **labels) - value(before, name, **labels)

    assert grown(method="GET", route=VERSION_ROUTE, status="200") == 3
    assert grown(method="GET", route=VERSION_ROUTE, status="404") == 1
    assert grown(method="GET", route="unmatched", status="404") == 1
    assert grown(method="other", route="/healthz", status="405") == 1
    routes = {dict(labels).get("route", "") for name, labels in after if name.startswith("registry_http")}
    assert not any("orders" in route or "such" in route for route in routes)
    latency = "registry_http_request_duration_seconds_count"
    labels = {"method": "GET", "route": VERSION_ROUTE}
    assert value(after, latency, **labels) - value(before, latency, **labels) == 4


@SQLITE_ONLY
async def test_registrations_are_counted_by_outcome(
    settings: Settings, engine: Engine, generator_pool: GeneratorPool
) -> None:
    small = settings.model_copy(update={"max_content_bytes": 200_000})
    app = create_app(small, engine=engine, generator=generator_pool)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r.test") as client:
        await client.put("/registries/orders", json={})
        before = await scrape(client)
        register = {"type": "JSONSchemaDraft4", "content": DRAFT4}
        assert (await client.post(VERSIONS, json=register)).status_code == 201
        assert (await client.post(VERSIONS, json=register)).status_code == 200
        changed = {"type": "JSONSchemaDraft4", "content": incompatible_change()}
        assert (await client.post(VERSIONS, json=changed)).status_code == 409
        invalid = {"type": "JSONSchemaDraft4", "content": {"type": "no such type"}}
        assert (await client.post(VERSIONS, json=invalid)).status_code in (400, 422)
        huge = {"type": "JSONSchemaDraft4", "content": {**DRAFT4, "description": "x" * 300_000}}
        assert (await client.post(VERSIONS, json=huge)).status_code == 413
        assert (await client.post(f"{VERSIONS}/1/validate", json=EVENT)).json()["valid"] is True
        assert (await client.post(f"{VERSIONS}/1/validate", json={"detail": 1})).json()["valid"] is False
        after = await scrape(client)

    def grown(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    for outcome in ("created", "identical", "incompatible", "invalid", "too_large"):
        assert grown("registry_registrations_total", outcome=outcome) == 1, outcome
    assert grown("registry_compatibility_checks_total", verdict="incompatible", policy="STRICT") == 1
    assert grown("registry_compatibility_check_duration_seconds_count") >= 1
    assert grown("registry_event_validations_total", result="valid") == 1
    assert grown("registry_event_validations_total", result="invalid") == 1


@SQLITE_ONLY
async def test_bindings_downloads_are_counted_by_kind(orders: httpx.AsyncClient) -> None:
    client = orders
    await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": DRAFT4})
    before = await scrape(client)
    assert (await client.get(f"{VERSIONS}/1/bindings/python")).status_code == 200
    after = await scrape(client)
    kind = {"kind": "zip"}
    assert (
        value(after, "registry_package_downloads_total", **kind)
        - value(before, "registry_package_downloads_total", **kind)
        == 1
    )


async def test_the_mirror_outbox_and_deliveries_are_measured(
    orders: httpx.AsyncClient, settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATESTTESTTESTTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    client = orders
    nowhere = {"region": "eu-west-1", "registry_name": "m", "endpoint_url": "http://127.0.0.1:9"}
    assert (await client.put("/registries/orders", json={"mirror": nowhere})).is_success
    await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": DRAFT4})
    before = await scrape(client)
    assert value(before, "registry_mirror_outbox_pending") == 1
    assert value(before, "registry_mirror_oldest_pending_age_seconds") >= 0
    quick = settings.model_copy(update={"mirror_backoff_seconds": 0.01, "mirror_backoff_cap_seconds": 0.02})
    worker = MirrorWorker(UnitOfWork(make_session_factory(engine)), quick)
    assert worker.run_once()
    time.sleep(0.05)
    assert worker.run_once()  # the retry
    after = await scrape(client)
    failed = {"outcome": "failed"}
    name = "registry_mirror_deliveries_total"
    assert value(after, name, **failed) - value(before, name, **failed) == 2
    assert value(after, "registry_mirror_retries_total") - value(before, "registry_mirror_retries_total") == 1
    assert value(after, "registry_mirror_outbox_pending") == 1  # failed, to be tried again
    assert value(after, "registry_mirror_oldest_pending_age_seconds") > 0


def test_the_pool_gauges_count_connections_in_use_and_callers_waiting(tmp_path: Any) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'pool.db'}", pool_size=1, max_overflow=0, pool_timeout=10)
    observe_pool(engine)
    observe_pool(engine)  # a second app on the same engine: still counted once

    def gauges() -> tuple[float | None, float | None]:
        read = REGISTRY.get_sample_value
        return read("registry_db_pool_connections_in_use"), read("registry_db_pool_waiting")

    in_use, waiting = gauges()
    assert in_use is not None and waiting is not None
    held = engine.connect()
    assert gauges() == (in_use + 1, waiting)
    queued = threading.Thread(target=lambda: engine.connect().close())
    queued.start()
    deadline = time.monotonic() + 5
    while gauges()[1] != waiting + 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert gauges() == (in_use + 1, waiting + 1)
    held.close()
    queued.join(timeout=5)
    assert gauges() == (in_use, waiting)
    engine.dispose()


# --- who may read it ---------------------------------------------------------------------------------


@pytest.fixture
async def closed(client: httpx.AsyncClient, engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    """The registry once an admin token exists: no longer open to anonymous callers."""
    token(engine, Role.ADMIN)
    yield client


@SQLITE_ONLY
async def test_without_tokens_anyone_reads_metrics_as_anything_else(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 200


async def test_once_tokens_exist_metrics_need_the_metrics_role_or_a_service_wide_admin(
    closed: httpx.AsyncClient, engine: Engine
) -> None:
    client = closed
    assert (await client.get("/metrics")).status_code == 401
    refused = await client.get("/metrics", headers=token(engine, Role.READER))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert "REGISTRY_METRICS_PUBLIC" in refused.json()["error"]["message"]
    assert (await client.get("/metrics", headers=token(engine, Role.ADMIN, "orders"))).status_code == 403
    assert (await client.get("/metrics", headers=token(engine, Role.ADMIN))).status_code == 200
    assert (await client.get("/metrics", headers=token(engine, Role.METRICS))).status_code == 200


@SQLITE_ONLY
async def test_a_metrics_token_reads_nothing_else(closed: httpx.AsyncClient, engine: Engine) -> None:
    client, metrics_only = closed, token(engine, Role.METRICS)
    admin = token(engine, Role.ADMIN)
    await client.put("/registries/orders", json={}, headers=admin)
    await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": DRAFT4}, headers=admin)
    await client.get(f"{VERSIONS}/1", headers=admin)  # now in the replica's memory too
    for path in ("/registries", "/search?q=order", "/simple/", f"{VERSIONS}/1", "/v1/registries"):
        response = await client.get(path, headers=metrics_only)
        assert response.status_code == 403, path


@SQLITE_ONLY
async def test_public_metrics_need_no_token(settings: Settings, engine: Engine) -> None:
    token(engine, Role.ADMIN)
    app = create_app(settings.model_copy(update={"metrics_public": True}), engine=engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r.test") as client:
        assert (await client.get("/metrics")).status_code == 200
        assert (await client.get("/registries")).status_code == 401


@SQLITE_ONLY
async def test_with_metrics_disabled_there_is_no_endpoint_and_nothing_counted(
    settings: Settings, engine: Engine
) -> None:
    app = create_app(settings.model_copy(update={"metrics_enabled": False}), engine=engine)
    before = samples(generate_latest(REGISTRY).decode())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r.test") as client:
        assert (await client.get("/metrics")).status_code == 404
        assert "/metrics" not in (await client.get("/openapi.json")).json()["paths"]
        assert (await client.get("/healthz")).status_code == 200
    after = samples(generate_latest(REGISTRY).decode())
    requests = {key: count for key, count in after.items() if key[0] == "registry_http_requests_total"}
    assert requests == {
        key: count for key, count in before.items() if key[0] == "registry_http_requests_total"
    }


@SQLITE_ONLY
def test_the_cli_creates_a_metrics_token_for_no_registry(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REGISTRY_DATABASE_URL", settings.database_url)
    assert cli.main(["token", "create", "--role", "metrics"]) == 0
    assert capsys.readouterr().out.startswith("ecr_")
    assert cli.main(["token", "create", "--role", "metrics", "--registry", "orders"]) == 1
    assert "metrics token" in capsys.readouterr().err


@SQLITE_ONLY
async def test_the_grafana_dashboard_queries_parse_and_name_only_exported_metrics(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    dashboard = json.loads((REPO / "docs" / "grafana-dashboard.json").read_text())
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    assert len(queries) >= 15
    # Grafana's variables, as Grafana would fill them in
    filled = [
        query.replace("$__rate_interval", "1m").replace("$job", ".*").replace("$instance", ".*")
        for query in queries
    ]
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query{n}", "expr": query} for n, query in enumerate(filled)
    ]}]}  # fmt: skip
    (tmp_path / "rules.yml").write_text(json.dumps(rules))  # JSON is YAML
    checked = subprocess.run(
        [PROMTOOL, "check", "rules", str(tmp_path / "rules.yml")], capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    exported = (await client.get("/metrics")).text
    used = {
        re.sub(r"_(bucket|count|sum)$", "", name) for name in re.findall(r"registry_\w+", " ".join(queries))
    }
    families = {family.name for family in text_string_to_metric_families(exported)}
    missing = {name for name in used if name not in families and name.removesuffix("_total") not in families}
    assert not missing

"""`registry serve --workers 2` as a user runs it: one port, two serving processes behind it, one replica.

Both workers answer (each response names its worker), what one writes the other reads, a mirrored version
is delivered once, a worker killed is replaced, /metrics on either reports both (and what the killed one
had counted), and SIGTERM to the parent stops every process it started with exit 0. The refusals at start
happen once, in the parent, before any worker starts."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from registry.storage.database import make_engine
from registry.storage.migrations import upgrade
from tests.conftest import fresh_postgres_database, load_example
from tests.e2e.conftest import free_port, run_registry, serve, sqlite_url

WORKER = "x-registry-worker"
ORDERS = "/registries/orders/schemas/com.acme%40OrderCreated"
MIRRORED = "/registries/orders-mirror/schemas/com.acme%40OrderCreated"
FAST_MIRROR = {"mirror_poll_seconds": "0.1", "mirror_backoff_seconds": "0.2", "access_log": "false"}
# For boto3 in the worker that mirrors (the registry it mirrors to is itself, open: any credentials do).
AWS = {"AWS_ACCESS_KEY_ID": "AKIAWORKERSTEST00000", "AWS_SECRET_ACCESS_KEY": "workers-test-secret"}


def variant(number: int) -> dict[str, object]:
    contract = load_example("draft4/custom-order-created.json")
    contract["description"] = f"variant {number}"
    return dict(contract)


@contextmanager
def migrated_database(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield sqlite_url(tmp_path)  # serve migrates SQLite itself, in the parent
        return
    with fresh_postgres_database() as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


def one_client_per_worker(url: str, stack: ExitStack) -> dict[str, httpx.Client]:
    """Keep-alive connections, opened until each worker holds one (the kernel picks the worker)."""
    clients: dict[str, httpx.Client] = {}
    for _ in range(100):
        client = httpx.Client(base_url=url, timeout=30)
        worker = client.get("/healthz").headers[WORKER]
        if worker in clients:
            client.close()
            continue
        clients[worker] = client
        stack.callback(client.close)
        if len(clients) == 2:
            return clients
    raise AssertionError(f"100 connections all reached worker(s) {sorted(clients)}")


def descendants(pid: int) -> set[int]:
    """Every process under `pid`, from /proc."""
    children: dict[int, set[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = _parent(int(entry.name))
            except (OSError, IndexError, ValueError):  # gone meanwhile
                continue
            children.setdefault(parent, set()).add(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), set()) - found:
            found.add(child)
            todo.append(child)
    return found


def serving_workers(pid: int) -> set[int]:
    """The worker processes (the parent's children: their own children generate code)."""
    return {child for child in descendants(pid) if _parent(child) == pid}


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def alive(pids: set[int]) -> set[int]:
    return {pid for pid in pids if Path(f"/proc/{pid}").exists() and not _zombie(pid)}


def _zombie(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) == "Z"
    except OSError:
        return False


def scrape(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def wait_until_mirrored(client: httpx.Client, count: int) -> None:
    deadline = time.monotonic() + 20
    while (counts := client.get("/registries/orders/mirror").json()["counts"])["mirrored"] < count:
        assert time.monotonic() < deadline, f"not mirrored in 20 s: {counts}"
        time.sleep(0.1)


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_workers_serve_one_replica_and_stop_together_on_sigterm(database: str, tmp_path: Path) -> None:
    with (
        migrated_database(database, tmp_path) as url,
        serve(tmp_path, url, "--workers", "2", settings=FAST_MIRROR, environment=AWS) as served,
        ExitStack() as stack,
    ):
        clients = one_client_per_worker(served.url, stack)
        first, second = clients["1"], clients["2"]
        mirror = {"region": "us-east-1", "registry_name": "orders-mirror", "endpoint_url": served.url}
        created = first.put("/registries/orders", json={"compatibility": "NONE", "mirror": mirror})
        assert created.status_code == 201, created.text

        # written through one worker, read through the other (nothing read there before: no cache)
        registered = first.post(
            f"{ORDERS}/versions", json={"type": "JSONSchemaDraft4", "content": variant(1)}
        )
        assert registered.status_code == 201, registered.text
        read = second.get(f"{ORDERS}/versions/1")
        assert (read.status_code, read.headers[WORKER]) == (200, "2")
        assert read.json()["fingerprint"] == registered.json()["fingerprint"]
        # `latest` kept in worker 1's memory, then a version acknowledged by worker 2: worker 1 answers it at
        # once (one replica), not after its cache's lifetime (which is how other replicas learn it)
        assert first.get(f"{ORDERS}/versions/latest").json()["version"] == 1
        second_version = second.post(
            f"{ORDERS}/versions", json={"type": "JSONSchemaDraft4", "content": variant(2)}
        )
        assert second_version.status_code == 201, second_version.text
        latest = first.get(f"{ORDERS}/versions/latest")
        assert (latest.headers[WORKER], latest.json()["version"]) == ("1", 2)

        # mirrored to the registry's own EventBridge API: each version arrives once
        wait_until_mirrored(first, 2)
        remote = first.get(f"{MIRRORED}/versions").json()["items"]
        assert [item["version"] for item in remote] == [1, 2]

        # /metrics on either worker adds up both, also what a worker killed since had counted
        for _ in range(3):
            assert first.get("/registries/orders").status_code == 200
        assert second.get("/registries/orders").status_code == 200
        killed = max(serving_workers(served.process.pid))
        os.kill(killed, signal.SIGKILL)
        assert "killed by SIGKILL: starting another" in served.wait_for_output("starting another")
        route = (("method", "GET"), ("route", "/registries/{registry}"), ("status", "200"))
        for client in one_client_per_worker(served.url, stack).values():  # the new worker among them
            found = scrape(client)
            assert found[("registry_http_requests_total", route)] == 4
            assert found[("registry_registrations_total", (("outcome", "created"),))] == 4  # 2 + 2 mirrored
            assert found[("registry_mirror_deliveries_total", (("outcome", "delivered"),))] == 2
            assert found[("registry_mirror_deliveries_total", (("outcome", "failed"),))] == 0
        assert killed not in serving_workers(served.process.pid)

        started = descendants(served.process.pid)
        assert len(started) >= 2, started
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(timeout=30) == 0, served.output()
    deadline = time.monotonic() + 10
    while alive(started) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(started), f"left running after the parent exited: {alive(started)}"
    assert served.output().count("Application shutdown complete") == 2, served.output()  # not the killed


def serve_refused(tmp_path: Path, url: str, *args: str) -> tuple[int, str]:
    done = run_registry(url, "serve", "--port", str(free_port()), "--workers", "2", *args, timeout=20)
    return done.returncode, done.stdout + done.stderr


def test_serving_open_off_loopback_is_refused_once_before_any_worker_starts(tmp_path: Path) -> None:
    code, output = serve_refused(tmp_path, sqlite_url(tmp_path), "--host", "0.0.0.0")
    assert code == 2
    assert output.count("refusing to serve on 0.0.0.0 without authentication") == 1, output
    assert "Started server process" not in output


def test_an_unusable_database_url_is_refused_before_any_worker_starts(tmp_path: Path) -> None:
    code, output = serve_refused(tmp_path, "mysql://root@db/registry")
    assert code == 2
    assert output.count("unsupported database URL") == 1, output
    assert "Started server process" not in output

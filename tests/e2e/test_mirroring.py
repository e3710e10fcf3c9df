"""Mirroring between two running registries: A mirrors its registry to B's EventBridge API over real HTTP,
through boto3, and nothing is lost, reordered or delivered twice when B is down, when A is killed in the
middle of delivery, or when B throttles.

B is a second `registry serve` (open: no tokens). Faults that B cannot make itself (latency, 429s) come from
a small HTTP proxy between A and B, run by the test."""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx
import jsonschema
import pytest

from tests.api.shared_types import MONEY, MONEY_REF, ORDER
from tests.conftest import load_example
from tests.e2e.conftest import SCRIPT, Served, _wait_until_healthy, free_port, script_env, serve, sqlite_url

SCHEMA = "com.acme@OrderCreated"
VERSIONS = "/registries/orders/schemas/com.acme%40OrderCreated/versions"
REMOTE_REGISTRY = "orders-mirror"
# A delivers quickly and retries soon, so that the faults below play out in seconds.
FAST = {
    "mirror_poll_seconds": "0.1",
    "mirror_backoff_seconds": "0.2",
    "mirror_backoff_cap_seconds": "1",
    "mirror_lease_seconds": "3",
    "access_log": "false",
}


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """For A's boto3 (the standard credential chain reads the environment); B is open, so any will do."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAMIRRORTESTKEY000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "mirror-test-secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def variant(number: int) -> dict[str, Any]:
    contract = load_example("draft4/custom-order-created.json")
    contract["description"] = f"variant {number}"
    return dict(contract)


def remote_versions(b_url: str) -> list[dict[str, Any]]:
    """Every version of the mirrored schema in B, oldest first, through B's EventBridge API."""
    client = boto3.client("schemas", endpoint_url=b_url, region_name="us-east-1")
    listed: list[str] = []
    for page in client.get_paginator("list_schema_versions").paginate(
        RegistryName=REMOTE_REGISTRY, SchemaName=SCHEMA
    ):
        listed += [item["SchemaVersion"] for item in page["SchemaVersions"]]
    described = [
        client.describe_schema(RegistryName=REMOTE_REGISTRY, SchemaName=SCHEMA, SchemaVersion=version)
        for version in sorted(listed, key=int)
    ]
    return [{"version": item["SchemaVersion"], "content": json.loads(item["Content"])} for item in described]


def start_mirroring(a: httpx.Client, endpoint: str) -> None:
    target = {"region": "us-east-1", "registry_name": REMOTE_REGISTRY, "endpoint_url": endpoint}
    response = a.put("/registries/orders", json={"compatibility": "NONE", "mirror": target})
    assert response.status_code == 201, response.text


def register(a: httpx.Client, count: int) -> None:
    for number in range(1, count + 1):
        response = a.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": variant(number)})
        assert response.status_code == 201, response.text


def mirror_status(a: httpx.Client) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = a.get("/registries/orders/mirror", params={"cursor": cursor} if cursor else {}).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return {**page, "items": items}


def wait_until_mirrored(a: httpx.Client, count: int, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = mirror_status(a)
        if status["counts"]["mirrored"] == count:
            return status
        time.sleep(0.2)
    raise AssertionError(f"not all {count} versions were mirrored in {timeout} s: {status['counts']}")


def assert_mirrored_in_order(a: httpx.Client, b_url: str, count: int) -> None:
    """B holds exactly A's versions, in A's order, each once; A shows each one's remote version."""
    status = wait_until_mirrored(a, count)
    remote = remote_versions(b_url)
    assert [item["content"] for item in remote] == [variant(number) for number in range(1, count + 1)]
    assert [item["version"] for item in remote] == [str(number) for number in range(1, count + 1)]
    assert [(item["version"], item["remote_version"]) for item in status["items"]] == [
        (number, str(number)) for number in range(1, count + 1)
    ]
    version = a.get(f"{VERSIONS}/{count}").json()
    assert version["mirror"]["status"] == "mirrored"
    assert version["mirror"]["remote_version"] == str(count)


HOP_BY_HOP = {"content-length", "transfer-encoding", "connection", "date", "server"}


class FaultyProxy:
    """Forwards to B as it is, or slower (`latency`), or answers 429 TooManyRequestsException while
    `throttled` is set."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.latency = 0.0
        self.throttled = threading.Event()
        self.throttled_answers = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if proxy.throttled.is_set():
                    proxy.throttled_answers += 1
                    payload = json.dumps(
                        {"Code": "TooManyRequestsException", "Message": "slow down"}
                    ).encode()
                    self.send_response(429)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("x-amzn-ErrorType", "TooManyRequestsException")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                time.sleep(proxy.latency)
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=30)
                try:
                    headers = {name: value for name, value in self.headers.items() if name.lower() != "host"}
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    payload = answer.read()
                finally:
                    upstream.close()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the client (A) may have been killed meanwhile
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client killed mid-request (the point of one test) is not an error here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FaultyProxy:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def killable_registry(workdir: Path, database_url: str, settings: dict[str, str]) -> Iterator[Served]:
    """`registry serve` that the test may SIGKILL (no cleanup, as a crash); stopped afterwards if alive."""
    workdir.mkdir(exist_ok=True)
    port = free_port()
    stdout, stderr = workdir / f"serve-{port}.out", workdir / f"serve-{port}.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [str(SCRIPT), "serve", "--port", str(port)],
            env=script_env(database_url, **settings),
            stdout=out,
            stderr=err,
            start_new_session=True,  # SIGKILL the whole group: the server and its generator workers
        )
    served = Served(url=f"http://127.0.0.1:{port}", process=process, stdout=stdout, stderr=stderr)
    try:
        _wait_until_healthy(served)
        yield served
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)


def test_versions_registered_while_the_mirror_is_down_all_arrive_in_order_once(tmp_path: Path) -> None:
    b_port = free_port()
    (tmp_path / "a").mkdir()
    with (
        serve(tmp_path / "a", sqlite_url(tmp_path / "a"), settings=FAST) as a,
        httpx.Client(base_url=a.url, timeout=30) as client,
    ):
        start_mirroring(client, f"http://127.0.0.1:{b_port}")
        register(client, 20)
        time.sleep(1.0)  # A tries, fails, backs off
        down = mirror_status(client)
        assert down["counts"]["mirrored"] == 0
        first = down["items"][0]
        assert first["status"] == "failed" and "Could not connect" in first["last_error"]
        assert first["next_attempt_at"] is not None
        # only the first of the schema is tried: the others wait for it, so the order holds
        assert all(item["attempts"] == 0 for item in down["items"][1:])
        (tmp_path / "b").mkdir()
        with serve(tmp_path / "b", sqlite_url(tmp_path / "b"), port=b_port) as b:
            assert_mirrored_in_order(client, b.url, 20)


def test_a_mirror_killed_in_the_middle_of_delivery_delivers_the_rest_after_a_restart(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    a_database = sqlite_url(tmp_path)
    with (
        serve(tmp_path / "b", sqlite_url(tmp_path / "b")) as b,
        FaultyProxy(int(b.url.rsplit(":", 1)[1])) as proxy,
    ):
        proxy.latency = 0.05  # ~0.2 s per delivery (describe registry, describe schema, update)
        with killable_registry(tmp_path / "a1", a_database, FAST) as a:
            with httpx.Client(base_url=a.url, timeout=30) as client:
                start_mirroring(client, proxy.url)
                register(client, 20)
                deadline = time.monotonic() + 30
                while mirror_status(client)["counts"]["mirrored"] < 5 and time.monotonic() < deadline:
                    time.sleep(0.05)
            os.killpg(a.process.pid, signal.SIGKILL)
            a.process.wait(timeout=10)
        delivered_before = len(remote_versions(b.url))
        assert 5 <= delivered_before < 20, "the kill must come in the middle of delivery"
        with (
            killable_registry(tmp_path / "a2", a_database, FAST) as again,
            httpx.Client(base_url=again.url, timeout=30) as client,
        ):
            assert_mirrored_in_order(client, b.url, 20)


def test_a_throttling_mirror_is_backed_off_from_and_then_delivered_to(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        serve(tmp_path / "b", sqlite_url(tmp_path / "b")) as b,
        FaultyProxy(int(b.url.rsplit(":", 1)[1])) as proxy,
        serve(tmp_path / "a", sqlite_url(tmp_path / "a"), settings=FAST) as a,
        httpx.Client(base_url=a.url, timeout=30) as client,
    ):
        proxy.throttled.set()
        start_mirroring(client, proxy.url)
        register(client, 5)
        time.sleep(2.0)
        throttled = mirror_status(client)
        first = throttled["items"][0]
        assert first["status"] == "failed"
        assert "TooManyRequestsException" in first["last_error"] and "429" in first["last_error"]
        assert 2 <= first["attempts"] <= 8, "backing off: a few attempts in 2 s, not one per poll"
        assert proxy.throttled_answers == first["attempts"]  # one request per attempt: no hidden retries
        proxy.throttled.clear()
        assert_mirrored_in_order(client, b.url, 5)


def test_a_contract_with_references_reaches_boto3_and_the_mirror_self_contained(tmp_path: Path) -> None:
    """EventBridge has no references: A's DescribeSchema and ExportSchema, and what A mirrors to B, are the
    bundle, which accepts and refuses what the contract with its references does."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        serve(tmp_path / "b", sqlite_url(tmp_path / "b")) as b,
        serve(tmp_path / "a", sqlite_url(tmp_path / "a"), settings=FAST) as a,
        httpx.Client(base_url=a.url, timeout=30) as client,
    ):
        assert client.put("/registries/common", json={"compatibility": "NONE"}).status_code == 201
        money = client.post(
            "/registries/common/schemas/Money/versions", json={"type": "JSONSchemaDraft4", "content": MONEY}
        )
        assert money.status_code == 201, money.text
        start_mirroring(client, b.url)
        order = {"type": "JSONSchemaDraft4", "content": ORDER, "references": [MONEY_REF]}
        created = client.post("/registries/orders/schemas/OrderPlaced/versions", json=order)
        assert created.status_code == 201, created.text
        bundle = client.get(
            "/registries/orders/schemas/OrderPlaced/versions/1", params={"resolve": "bundle"}
        ).json()["content"]
        refs = json.dumps(bundle).split('"$ref": ')[1:]
        assert refs and all(ref.startswith('"#') for ref in refs)  # only local references are left
        validator = jsonschema.Draft4Validator(bundle)
        good = {"total": {"amount": 12.5, "currency": "EUR"}, "currency": "USD"}
        assert validator.is_valid(good)
        assert not validator.is_valid({**good, "total": {"amount": 1, "currency": "euro"}})

        eventbridge = boto3.client("schemas", endpoint_url=a.url, region_name="us-east-1")
        described = eventbridge.describe_schema(RegistryName="orders", SchemaName="OrderPlaced")
        assert json.loads(described["Content"]) == bundle
        exported = eventbridge.export_schema(
            RegistryName="orders", SchemaName="OrderPlaced", Type="JSONSchemaDraft4"
        )
        assert '"$ref": "https://' not in exported["Content"]

        wait_until_mirrored(client, 1)
        mirrored = boto3.client("schemas", endpoint_url=b.url, region_name="us-east-1").describe_schema(
            RegistryName=REMOTE_REGISTRY, SchemaName="OrderPlaced"
        )
        assert json.loads(mirrored["Content"]) == bundle

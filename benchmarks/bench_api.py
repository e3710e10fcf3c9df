"""Throughput and latency of the registry's HTTP API against uvicorn on this machine.

Run from the repository root (this is what `make bench` does):

    .venv/bin/python benchmarks/bench_api.py            # 1 s warm-up + 5 s per scenario
    .venv/bin/python benchmarks/bench_api.py --quick    # 0.3 s + 1.5 s, a smoke run
    .venv/bin/python benchmarks/bench_api.py --databases sqlite --seconds 10
    .venv/bin/python benchmarks/bench_api.py --scenarios reads --connections 32   # issue 13's read paths

Every server is a real `uvicorn` subprocess (one worker, no access log) on a free 127.0.0.1 port:

* the baseline, `benchmarks/bare_app.py`: a bare Starlette app returning a static 2 KB JSON body;
* `registry serve` on a fresh temporary SQLite file, and on a freshly created PostgreSQL database
  (dropped afterwards), each migrated first with `registry migrate`.

The scenarios that send one fixed request (the bare app, the GETs, the validations) are driven by wrk (a C
load generator, one thread, `--connections` keep-alive connections) when it is installed (Debian's package
`wrk`), else, like the scenarios whose every request differs (registrations, first reads), by a raw
asyncio-streams HTTP/1.1 client with the same connections, each sending its next request as soon as the
previous response is read. Client and server share a small machine's cores, so the client has to be cheap:
wrk costs a few µs of CPU per request, the asyncio client 35-60 µs, httpx's about 1.4 ms
(`--compare-clients` measures the last two). The table says which client measured each row, the server's
CPU per answer and its ratio to the bare app's ("CPU ratio": what the throughput ratio would be with the
server alone on its core, a steadier figure than the rates on a loaded machine). Scenarios:

* `GET version`: GET /registries/bench/schemas/S/versions/1 of a 30-property JSON Schema draft-04
  contract, without `If-None-Match` (200 with the body);
* `GET version, If-None-Match`: the same with the version's ETag (304, no body);
* `GET latest`: GET .../versions/latest of that schema (its only version);
* `POST validate version`, `POST validate latest`: POST .../versions/1/validate and .../latest/validate
  with a valid event of about 1 KB (every one of the 30 properties set);
* `POST new version`: register contracts of independent schemas, one schema per request (no two requests
  contend for one schema's lock), each a distinct 30-property draft-04 contract; throughput counts 201s;
* `GET version, first read`: each version the POST scenario registered, read once: no read is served from
  the replica's memory (numbered versions are kept there for REGISTRY_VERSION_CACHE_SECONDS after a read),
  so this is the database path, which the two GET scenarios above measure only on their first request;
* `POST next version, BACKWARD`: the next version of the schemas the POST scenario created, in turn, each a
  compatible revision (a looser bound, new descriptions) checked against the version before under the
  registry's BACKWARD rule (a narrowing revision is refused with 409 first, to show that it is checked).

Each scenario runs for a fixed duration after a warm-up, and also stops at `--max-requests`. Statuses
other than the expected one are counted and printed; the run aborts if they are more than half.
The read paths' targets (ratio to the bare app, p99) are printed as PASS / MISS lines under the table.
This is not a test: it prints a table, and exits 1 only when a scenario's answers were wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import itertools
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # the load generator never talks to anything else
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
PG_URL_TEMPLATE = "postgresql+psycopg://postgres@127.0.0.1:5432/{db}"
REGISTRY = "bench"
GET_SCHEMA = "orders.OrderPlaced"
BARE = "bare Starlette, static 2 KB JSON"
REGISTRATIONS_TARGET = {"sqlite": 500.0, "postgresql": 300.0}  # issue 13, for each registration scenario
NEW_SCHEMA = "POST new version"
NEXT_VERSION = "POST next version, BACKWARD"
# Issue 13: the read paths, as a ratio to the bare app measured in the same run, and their p99.
READ_TARGETS = {
    "GET version": 0.8,
    "GET latest": 0.5,
    "POST validate version": 0.3,
    "POST validate latest": 0.3,
}
P99_TARGET_MS = 20.0
SCENARIOS = ("reads", "writes")

# --------------------------------------------------------------------------------------------- payloads


def contract(seed: int, revision: int = 0) -> dict[str, object]:
    """A realistic 30-property JSON Schema draft-04 event contract; `seed` makes its content distinct.
    Each `revision` of a seed reads every event of the one before (BACKWARD compatible): its first
    property's `maxLength` grows and its descriptions change."""
    kinds: list[dict[str, object]] = [
        {"type": "string", "maxLength": 64},
        {"type": "integer", "minimum": 0},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "string", "format": "date-time"},
        {"type": "string", "enum": ["NEW", "PAID", "SHIPPED", "CANCELLED"]},
        {"type": "array", "items": {"type": "string"}},
        {"type": "object", "properties": {"id": {"type": "string"}, "qty": {"type": "integer"}}},
    ]
    properties = {}
    for i in range(30):
        spec = dict(kinds[i % len(kinds)])
        spec["description"] = f"field {i} of the order event (variant {seed})"
        if revision:
            spec["description"] += f", revision {revision}"
        properties[f"field_{i:02d}"] = spec
    properties["field_00"]["maxLength"] = 64 + revision
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": f"OrderPlaced{seed}",
        "type": "object",
        "properties": properties,
        "required": [f"field_{i:02d}" for i in range(0, 30, 3)],
    }


def valid_event() -> dict[str, object]:
    """An event of about 1 KB that `contract(0)` accepts, every one of its 30 properties set."""
    values: list[object] = [
        "order-2026-000123-EU-west-warehouse-7-dock-B",
        42,
        1234.5,
        True,
        "2026-12-06T10:15:30Z",
        "PAID",
        ["sku-1001-blue", "sku-1002-red", "sku-1003-green"],
        {"id": "line-7-of-order-123-EU", "qty": 3},
    ]
    return {f"field_{i:02d}": values[i % len(values)] for i in range(30)}


def register_body(seed: int, revision: int = 0) -> bytes:
    body = {"type": "JSONSchemaDraft4", "content": contract(seed, revision)}
    return json.dumps(body, separators=(",", ":")).encode()


# ------------------------------------------------------------------------------------------- the client


def request_bytes(
    method: str, path: str, port: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Accept: application/json"]
    if body or method in ("POST", "PUT"):
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[bytes, bytes], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if status in (204, 304) or 100 <= status < 200:
        return status, headers, b""
    if b"content-length" in headers:
        return status, headers, await reader.readexactly(int(headers[b"content-length"]))
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            chunks.append(chunk[:-2])
        return status, headers, b"".join(chunks)
    raise RuntimeError("a response without length: the benchmark client does not read to end of stream")


@dataclass
class Result:
    latencies_ns: list[int] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0
    client_cpu: float = 0.0  # seconds of the load generator's CPU while measuring
    server_cpu: float = 0.0  # seconds of the server process's CPU while measuring
    client: str = "asyncio"  # which load generator measured it
    quantiles_ms: dict[float, float] = field(default_factory=dict)  # as wrk reports them (no latency list)
    # the warm-up's answers (not measured, but a registration refused there leaves a gap the first reads meet)
    warmup_statuses: Counter[int] = field(default_factory=Counter)
    warmup_errors: Counter[str] = field(default_factory=Counter)

    def ok(self, expected: int) -> int:
        return self.statuses[expected]

    def percentile_ms(self, q: float) -> float:
        if q in self.quantiles_ms:
            return self.quantiles_ms[q]
        if not self.latencies_ns:
            return float("nan")
        ordered = sorted(self.latencies_ns)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6


RequestFactory = Callable[[int], bytes]  # request number -> raw HTTP request
# (raw request, status, body) -> whether the answer is right; a wrong one is counted under status WRONG
AnswerCheck = Callable[[bytes, int, bytes], bool]


async def _request_loop(
    send: Callable[[bytes], Awaitable[int]],
    make: RequestFactory,
    counter: Iterator[int],
    deadline: float,
    limit: int,
    result: Result | None,
) -> None:
    """One connection's loop, whatever the client: next request as soon as the previous answer is in."""
    while time.perf_counter() < deadline:
        n = next(counter)
        if n >= limit:
            return
        data = make(n)
        start = time.perf_counter_ns()
        status = await send(data)
        if result is not None:
            result.latencies_ns.append(time.perf_counter_ns() - start)
            result.statuses[status] += 1


async def _raw_worker(
    port: int,
    make: RequestFactory,
    counter: Iterator[int],
    deadline: float,
    limit: int,
    result: Result | None,
    verify: AnswerCheck | None = None,
) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)

    async def send(data: bytes) -> int:
        writer.write(data)
        status, _headers, body = await read_response(reader)
        if verify is not None and not verify(data, status, body):
            return WRONG
        return status

    try:
        await _request_loop(send, make, counter, deadline, limit, result)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def _httpx_worker(
    port: int,
    make: RequestFactory,
    counter: Iterator[int],
    deadline: float,
    limit: int,
    result: Result | None,
    client: object,
) -> None:
    import httpx

    assert isinstance(client, httpx.AsyncClient)

    async def send(raw: bytes) -> int:
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ")
        headers = dict(
            line.split(": ", 1)
            for line in lines[1:]
            if not line.lower().startswith(("host", "content-length"))
        )
        response = await client.request(method, path, content=body or None, headers=headers)
        return response.status_code

    await _request_loop(send, make, counter, deadline, limit, result)


def _proc_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


async def _drive(
    port: int,
    make: RequestFactory,
    counter: Iterator[int],
    seconds: float,
    connections: int,
    limit: int,
    result: Result | None,
    client_kind: str,
    verify: AnswerCheck | None = None,
) -> None:
    deadline = time.perf_counter() + seconds
    if client_kind == "raw":
        workers = [
            _raw_worker(port, make, counter, deadline, limit, result, verify) for _ in range(connections)
        ]
        outcomes = await asyncio.gather(*workers, return_exceptions=True)
    else:
        import httpx

        assert verify is None, "only the raw client checks answers"
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", limits=limits, timeout=60) as client:
            workers = [
                _httpx_worker(port, make, counter, deadline, limit, result, client)
                for _ in range(connections)
            ]
            outcomes = await asyncio.gather(*workers, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and result is not None:
            result.errors[f"{type(outcome).__name__}: {outcome}"[:120]] += 1


def run_load(
    port: int,
    server_pid: int,
    make: RequestFactory,
    *,
    warmup: float,
    seconds: float,
    connections: int,
    max_requests: int,
    client_kind: str = "raw",
    verify: AnswerCheck | None = None,
) -> Result:
    """Warm up (results discarded), then measure for `seconds`; request numbers never repeat across both.
    `verify` (raw client only): answers it finds wrong are counted under status WRONG."""
    counter = iter(range(10**12))

    async def main() -> Result:
        warm = Result()
        if warmup > 0:
            await _drive(port, make, counter, warmup, connections, 10**12, warm, client_kind, verify)
        result = Result(warmup_statuses=warm.statuses, warmup_errors=warm.errors)
        # (the first number of the measured run is put back: taken and never sent, it was a version the
        # first reads after the registrations met as a 404)
        first = next(counter)
        limit = first + max_requests
        measured = itertools.chain([first], counter)
        cpu0, server0, t0 = time.process_time(), _proc_cpu_seconds(server_pid), time.perf_counter()
        await _drive(port, make, measured, seconds, connections, limit, result, client_kind, verify)
        result.elapsed = time.perf_counter() - t0
        result.client_cpu = time.process_time() - cpu0
        result.server_cpu = _proc_cpu_seconds(server_pid) - server0
        return result

    return asyncio.run(main())


# ---------------------------------------------------------------------------------------- wrk, when present

WRK = shutil.which("wrk")
"""wrk (Debian's package `wrk`): a C load generator, one thread here. It costs the machine a few µs of CPU
per request where the Python clients cost 35-60 µs, which leaves the server(s) the cores they would share
with the client. It drives the scenarios that send one fixed request; the others (each request different)
keep the asyncio client."""
CLIENTS = ("wrk", "asyncio")
WRONG = -1  # wrk counts answers outside 2xx and 3xx, without their status: they are counted under this key

_WRK_SCRIPT = """wrk.method = {method}
wrk.body = {body}
{headers}
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "WRK-RESULT %d %d %d %d %d %d %d %d %d\\n",
    summary.requests, summary.duration, errors.status, errors.connect, errors.read, errors.write,
    errors.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


def _lua_string(text: str) -> str:
    level = "=" * 4
    assert f"]{level}]" not in text
    return f"[{level}[{text}]{level}]"


def wrk_script(request: bytes) -> str:
    """The Lua script that makes wrk send `request` (as request_bytes built it), and report in one line."""
    head, _, body = request.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method = lines[0].split(" ", 1)[0]
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(": ")
        if name.lower() not in ("host", "content-length"):  # wrk writes both itself
            headers.append(f"wrk.headers[ {_lua_string(name)} ] = {_lua_string(value)}")
    return _WRK_SCRIPT.format(
        method=_lua_string(method),
        body=_lua_string(body.decode("latin-1")) if body else "nil",
        headers="\n".join(headers),
    )


def wrk_load(
    port: int,
    server_pid: int,
    request: bytes,
    *,
    warmup: float,
    seconds: float,
    connections: int,
    cpu_of: Callable[[int], float] = _proc_cpu_seconds,
) -> Result:
    """`request` again and again on `connections` keep-alive connections, by wrk (one thread). wrk runs
    whole seconds: the durations are rounded (at least 1 s). `cpu_of(server_pid)`: the server's CPU
    seconds so far (of its process tree, for several workers)."""
    assert WRK is not None
    path = request.split(b" ", 2)[1].decode("latin-1")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(wrk_script(request))
        script.flush()

        def run(duration: float) -> str:
            argv = [WRK, "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "10s"]
            argv += ["-s", script.name, f"http://{HOST}:{port}{path}"]
            done = subprocess.run(argv, capture_output=True, text=True, check=True)
            if done.stderr.strip():  # wrk goes on when its script fails: the figures would be wrong
                raise RuntimeError(f"wrk: {done.stderr.strip()}")
            return done.stdout

        if warmup > 0:
            run(warmup)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        server0 = cpu_of(server_pid)
        output = run(seconds)
        server_cpu = cpu_of(server_pid) - server0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(line for line in output.splitlines() if line.startswith("WRK-RESULT "))
    requests, duration_us, wrong, *failures, p50_us, p99_us = (int(x) for x in line.split()[1:])
    # the server's CPU over the whole run of wrk (its start and end are a few ms): all went to these answers
    result = Result(client="wrk", elapsed=duration_us / 1e6, server_cpu=server_cpu)
    result.client_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    expected = 304 if b"\r\nIf-None-Match:" in request else 200  # the fixed requests expect one of these
    result.statuses[expected] = requests - wrong
    if wrong:
        result.statuses[WRONG] = wrong
    for kind, count in zip(("connect", "read", "write", "timeout"), failures, strict=True):
        if count:
            result.errors[f"wrk {kind} errors"] = count
    result.quantiles_ms = {0.50: p50_us / 1000, 0.99: p99_us / 1000}
    return result


def fixed_load(port: int, server_pid: int, request: bytes, *, client: str, **load: Any) -> Result:
    """The same request again and again, by the client chosen (wrk or the asyncio client)."""
    if client == "wrk":
        return wrk_load(
            port,
            server_pid,
            request,
            warmup=load["warmup"],
            seconds=load["seconds"],
            connections=load["connections"],
        )
    return run_load(port, server_pid, lambda _n: request, **load)


# ------------------------------------------------------------------------------------------- the servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Server:
    """A uvicorn subprocess, stopped on exit whatever happens."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int) -> None:
        self.name, self.argv, self.env, self.port = name, argv, env, port
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __exit__

    def __enter__(self) -> Server:
        self.proc = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not answer /healthz within 30 s:\n{self.output()}")
            time.sleep(0.1)

    def __exit__(self, *_exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]


def bare_server() -> Server:
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "bare_app:app",
        "--app-dir",
        str(ROOT / "benchmarks"),
        "--host",
        HOST,
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return Server("bare Starlette app", argv, dict(os.environ), port)


def registry_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env.update(REGISTRY_DATABASE_URL=database_url, REGISTRY_ACCESS_LOG="false")
    return env


def registry_server(
    database_url: str, *, extra_env: dict[str, str] | None = None, name: str | None = None
) -> Server:
    """`registry serve` on a free port, the database migrated first; `extra_env` on top of registry_env."""
    env = {**registry_env(database_url), **(extra_env or {})}
    migrate = subprocess.run(
        [sys.executable, "-m", "registry", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if migrate.returncode != 0:
        raise RuntimeError(f"registry migrate failed:\n{migrate.stdout}{migrate.stderr}")
    port = free_port()
    argv = [sys.executable, "-m", "registry", "serve", "--host", HOST, "--port", str(port)]
    return Server(name or f"registry ({database_url.split(':')[0]})", argv, env, port)


@contextlib.contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="registry-bench-") as tmp:
        yield f"sqlite:///{tmp}/registry.db"


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    import psycopg

    name = f"registry_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL_TEMPLATE.format(db=name)
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ----------------------------------------------------------------------------------------- the scenarios


@dataclass
class Row:
    scenario: str
    database: str
    expected: int
    result: Result
    baseline: Row | None = None  # the bare app's row this one is compared with

    @property
    def rate(self) -> float:
        return self.result.ok(self.expected) / self.result.elapsed if self.result.elapsed else 0.0


def http(
    method: str, port: int, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[bytes, bytes], bytes]:
    async def once() -> tuple[int, dict[bytes, bytes], bytes]:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            writer.write(request_bytes(method, path, port, body, headers))
            return await read_response(reader)
        finally:
            writer.close()

    return asyncio.run(once())


def check(row: Row) -> None:
    """Print unexpected statuses and errors; abort when they dominate."""
    result = row.result
    total = sum(result.statuses.values())
    wrong = total - result.ok(row.expected)
    if wrong or result.errors:
        print(
            f"  !! {row.scenario} on {row.database}: {wrong} of {total} answers were not {row.expected}: "
            f"{dict(result.statuses)}; connection errors: {dict(result.errors)}",
            file=sys.stderr,
        )
    warm_wrong = sum(result.warmup_statuses.values()) - result.warmup_statuses[row.expected]
    if warm_wrong or result.warmup_errors:
        print(
            f"  !! {row.scenario} on {row.database}, warm-up: {warm_wrong} answers were not {row.expected}: "
            f"{dict(result.warmup_statuses)}; connection errors: {dict(result.warmup_errors)}",
            file=sys.stderr,
        )
    if total == 0 or wrong * 2 > total:
        raise SystemExit(
            f"ABORT: {row.scenario} on {row.database} mostly got unexpected answers "
            f"{dict(result.statuses)} {dict(result.errors)}; the numbers would be meaningless"
        )


def bench_registry(database: str, url: str, args: argparse.Namespace) -> list[Row]:
    load: dict[str, float] = dict(
        warmup=args.warmup, seconds=args.seconds, connections=args.connections, max_requests=args.max_requests
    )
    fixed = {**load, "client": args.client}
    rows = []
    with registry_server(url) as server:
        port = server.port
        settings = b'{"description":"benchmark","compatibility":"BACKWARD"}'
        status, _, body = http("PUT", port, f"/registries/{REGISTRY}", settings)
        assert status in (200, 201), (status, body)
        status, _, body = http(
            "POST", port, f"/registries/{REGISTRY}/schemas/{GET_SCHEMA}/versions", register_body(0)
        )
        assert status == 201, (status, body)
        path = f"/registries/{REGISTRY}/schemas/{GET_SCHEMA}/versions/1"
        status, headers, body = http("GET", port, path)
        assert status == 200, (status, body)
        etag = headers[b"etag"].decode()
        status, _, _ = http("GET", port, path, headers={"If-None-Match": etag})
        assert status == 304, f"If-None-Match with the version's own ETag answered {status}, not 304"
        print(f"  {database}: version body {len(body)} bytes, ETag {etag}", file=sys.stderr)

        plain = request_bytes("GET", path, port)
        rows.append(Row("GET version", database, 200, fixed_load(port, server.pid, plain, **fixed)))
        check(rows[-1])
        print(f"  {database}: GET version done ({rows[-1].rate:.0f}/s)", file=sys.stderr)

        conditional = request_bytes("GET", path, port, headers={"If-None-Match": etag})
        rows.append(
            Row(
                "GET version, If-None-Match",
                database,
                304,
                fixed_load(port, server.pid, conditional, **fixed),
            )
        )
        check(rows[-1])
        print(f"  {database}: GET version, If-None-Match done ({rows[-1].rate:.0f}/s)", file=sys.stderr)

        rows += read_paths(database, server, fixed, args.scenarios)
        if "writes" in args.scenarios:
            rows += write_paths(database, server, load, args)
    return rows


def read_paths(database: str, server: Server, load: dict[str, Any], scenarios: str) -> list[Row]:
    """`latest` and validation of a valid 1 KB event, against the version the setup registered (its only
    one, so `latest` is 1)."""
    if "reads" not in scenarios:
        return []
    port, rows = server.port, []
    versions = f"/registries/{REGISTRY}/schemas/{GET_SCHEMA}/versions"
    event = json.dumps(valid_event(), separators=(",", ":")).encode()
    scenarios_of = {
        "GET latest": ("GET", f"{versions}/latest", b""),
        "POST validate version": ("POST", f"{versions}/1/validate", event),
        "POST validate latest": ("POST", f"{versions}/latest/validate", event),
    }
    for scenario, (method, path, body) in scenarios_of.items():
        # The first request of each path, right before its load: the database's answer, which the replica
        # then keeps (and renews under load), as it does for the numbered version above.
        status, _, answer = http(method, port, path, body)
        assert status == 200 and (method == "GET" or json.loads(answer)["valid"] is True), (status, answer)
        request = request_bytes(method, path, port, body)
        rows.append(Row(scenario, database, 200, fixed_load(port, server.pid, request, **load)))
        check(rows[-1])
        print(f"  {database}: {scenario} done ({rows[-1].rate:.0f}/s)", file=sys.stderr)
    return rows


def write_paths(database: str, server: Server, load: dict[str, float], args: argparse.Namespace) -> list[Row]:
    """Registrations, each to its own schema, then the first read of each version they registered."""
    port, rows = server.port, []

    def registration(n: int) -> bytes:
        # Request n registers to its own schema, with content no other request sends.
        path = f"/registries/{REGISTRY}/schemas/events.Independent{n}/versions"
        return request_bytes("POST", path, port, register_body(n + 1))

    rows.append(Row(NEW_SCHEMA, database, 201, run_load(port, server.pid, registration, **load)))
    check(rows[-1])
    print(f"  {database}: {NEW_SCHEMA} done ({rows[-1].rate:.0f}/s)", file=sys.stderr)

    def first_read(n: int) -> bytes:
        # The versions just registered, each read once: every read misses the replica's memory cache
        # and goes to the database, as the first read of a version does.
        return request_bytes("GET", f"/registries/{REGISTRY}/schemas/events.Independent{n}/versions/1", port)

    registered = rows[-1].result.ok(201)  # numbers below this were all registered (warm-up ones too)
    cold = {**load, "warmup": min(args.warmup, 0.1), "max_requests": min(registered, args.max_requests)}
    rows.append(Row("GET version, first read", database, 200, run_load(port, server.pid, first_read, **cold)))
    check(rows[-1])
    print(f"  {database}: GET version, first read done ({rows[-1].rate:.0f}/s)", file=sys.stderr)

    rows.append(Row(NEXT_VERSION, database, 201, next_versions(port, server.pid, registered, load)))
    check(rows[-1])
    print(f"  {database}: {NEXT_VERSION} done ({rows[-1].rate:.0f}/s)", file=sys.stderr)
    return rows


def next_versions(port: int, server_pid: int, schemas: int, load: dict[str, Any]) -> Result:
    """The realistic registration: the next version of an existing schema, checked against the one before
    under the registry's BACKWARD rule. Request n goes to one of the `schemas` the POST scenario created,
    in turn, each time with its next revision (so no two of the connections' requests wait for one lock)."""
    incompatible = json.loads(register_body(1, revision=1))
    incompatible["content"]["properties"]["field_00"]["maxLength"] = 8  # reads fewer events than version 1
    path = f"/registries/{REGISTRY}/schemas/events.Independent0/versions"
    status, _, body = http("POST", port, path, json.dumps(incompatible).encode())
    assert status == 409, (
        f"a narrowing version answered {status}, not 409: is BACKWARD checked? {body[:300]!r}"
    )

    def next_version(n: int) -> bytes:
        seed = n % schemas
        return request_bytes(
            "POST",
            f"/registries/{REGISTRY}/schemas/events.Independent{seed}/versions",
            port,
            register_body(seed + 1, revision=n // schemas + 1),
        )

    return run_load(port, server_pid, next_version, **load)


def bench_bare(
    server: Server, args: argparse.Namespace, database: str = "-", client_kind: str = "raw"
) -> Row:
    """`client_kind`: raw or httpx, for --compare-clients; else args.client decides."""
    """The baseline, measured right before each database's scenarios so a drift in the machine's speed
    (other processes, a noisy neighbour) shows in both sides of the ratio alike."""
    request = request_bytes("GET", "/static", server.port)
    status, _, body = http("GET", server.port, "/static")
    assert status == 200 and len(body) == 2048, (status, len(body))
    load: dict[str, Any] = dict(
        warmup=args.warmup, seconds=args.seconds, connections=args.connections, max_requests=args.max_requests
    )
    if client_kind == "raw" and args.client == "wrk":
        result = fixed_load(server.port, server.pid, request, client="wrk", **load)
    else:
        result = run_load(server.port, server.pid, lambda _n: request, client_kind=client_kind, **load)
    row = Row(BARE, database, 200, result)
    check(row)
    return row


# ------------------------------------------------------------------------------------------------ output


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def per_database(
    names: str, bench: Callable[[str, str], tuple[list[list[str]], list[str]]]
) -> tuple[list[list[str]], list[str]]:
    """`bench(database, url)` on each database named in `names` ("sqlite,postgres"): its rows and its
    mistakes, all together."""
    databases = {"sqlite": sqlite_database, "postgres": postgres_database}
    rows: list[list[str]] = []
    wrong: list[str] = []
    for database in [name.strip() for name in names.split(",") if name.strip()]:
        with databases[database]() as url:
            found, mistakes = bench(database, url)
            rows += found
            wrong += mistakes
    return rows, wrong


def machine_line() -> str:
    return (
        f"machine: {platform.platform()}; {len(os.sched_getaffinity(0))} CPUs, {cpu_model()}; "
        f"Python {platform.python_version()}"
    )


def machine() -> str:
    model = cpu_model()
    import starlette
    import uvicorn

    return (
        f"machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {model}; "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"uvicorn {uvicorn.__version__}, starlette {starlette.__version__}"
    )


CLIENT_NAMES = {
    "wrk": "wrk (C, 1 thread)",
    "asyncio": "raw asyncio HTTP/1.1 client (Python)",
}


def server_settings() -> str:
    """What uvicorn's `auto` choices pick in this environment, for the bare app and the registry alike:
    httptools and uvloop when installed (the `fast` extra), else h11 and asyncio."""
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return f"--http {http}, --loop {loop}"


def markdown_table(lines: list[list[str]]) -> str:
    """A Markdown table of a header and rows: the first two columns are names (left), the rest figures."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    out = []
    for index, line in enumerate(lines):
        cells = [
            cell.ljust(w) if i < 2 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ]
        out.append("| " + " | ".join(cells) + " |")
        if index == 0:
            out.append(
                "|" + "|".join("-" * (w + 1) + (":" if i >= 2 else "-") for i, w in enumerate(widths)) + "|"
            )
    return "\n".join(out)


def us_per_request(row: Row) -> float:
    """The server's CPU per answer: on a loaded machine, a steadier figure than the rate."""
    return row.result.server_cpu / max(1, row.result.ok(row.expected)) * 1e6


def table(rows: list[Row]) -> str:
    header = [
        "scenario",
        "database",
        "requests/s",
        "p50 ms",
        "p99 ms",
        "ratio to bare",
        "server CPU",
        "server µs/request",
        "CPU ratio",
        "client",
        "client CPU",
    ]
    lines = [header]
    for row in rows:
        r, base = row.result, row.baseline or row
        lines.append(
            [
                row.scenario,
                row.database,
                f"{row.rate:,.0f}",
                f"{r.percentile_ms(0.50):.2f}",
                f"{r.percentile_ms(0.99):.2f}",
                f"{row.rate / base.rate:.2f}" if base.rate else "-",
                f"{r.server_cpu / r.elapsed:.0%}",
                f"{us_per_request(row):.0f}",
                f"{us_per_request(base) / us_per_request(row):.2f}" if us_per_request(row) else "-",
                r.client,
                f"{r.client_cpu / r.elapsed:.0%}",
            ]
        )
    return markdown_table(lines)


def verdicts(rows: list[Row]) -> list[str]:
    out = []
    for row in rows:
        target = READ_TARGETS.get(row.scenario)
        if target is not None and row.baseline is not None:
            ratio = row.rate / row.baseline.rate
            p99 = row.result.percentile_ms(0.99)
            met = ratio >= target and p99 < P99_TARGET_MS
            out.append(
                f"target: {row.scenario} >= {target} of the bare app, p99 < {P99_TARGET_MS:g} ms, on "
                f"{row.database}: {ratio:.2f}, p99 {p99:.2f} ms {'PASS' if met else 'MISS'}"
            )
        if row.scenario in (NEW_SCHEMA, NEXT_VERSION):
            target = REGISTRATIONS_TARGET[row.database]
            out.append(
                f"target: >= {target:.0f} registrations/s on {row.database} ({row.scenario}): "
                f"{row.rate:.0f}/s {'PASS' if row.rate >= target else 'MISS'}"
            )
    return out


def compare_clients(args: argparse.Namespace) -> None:
    print("client comparison against the bare app (same connections and duration):")
    with bare_server() as server:
        for kind in ("raw", "httpx"):
            row = bench_bare(server, args, client_kind=kind)
            r = row.result
            print(
                f"  {kind:5}: {row.rate:8,.0f} requests/s, p50 {r.percentile_ms(0.5):.2f} ms, "
                f"client CPU {r.client_cpu / r.elapsed:.0%} = {r.client_cpu / max(1, r.ok(200)) * 1e6:.0f} "
                f"us/request, server CPU {r.server_cpu / r.elapsed:.0%}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured duration of each scenario")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured warm-up before each scenario")
    parser.add_argument("--quick", action="store_true", help="short smoke run: 0.3 s warm-up, 1.5 s measured")
    parser.add_argument("--connections", type=int, default=16, help="concurrent keep-alive connections")
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="stop a scenario after this many")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help="comma-separated: reads (GET version, latest, validate), writes (registrations, first reads)",
    )
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql"
    )
    parser.add_argument(
        "--client",
        choices=CLIENTS,
        default="wrk" if WRK else "asyncio",
        help="load generator of the scenarios with one fixed request: wrk (the default when installed) or "
        "the asyncio client (which the other scenarios always use)",
    )
    parser.add_argument(
        "--compare-clients",
        action="store_true",
        help="only measure the raw client against httpx on the bare app",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.warmup = 1.5, 0.3
    databases = {"sqlite": sqlite_database, "postgresql": postgres_database}
    chosen = [d.strip() for d in args.databases.split(",") if d.strip()]
    for database in chosen:
        if database not in databases:
            parser.error(f"unknown database {database!r}; choose from {', '.join(databases)}")

    if args.compare_clients:
        compare_clients(args)
        return 0

    print(
        f"benchmarking: {args.warmup:g} s warm-up + {args.seconds:g} s per scenario, "
        f"{args.connections} keep-alive connections",
        file=sys.stderr,
    )
    rows: list[Row] = []
    with bare_server() as bare_app:  # idle while the registry is measured
        for database in chosen:
            bare = bench_bare(bare_app, args, database)
            print(f"  {database}: bare app done ({bare.rate:.0f}/s)", file=sys.stderr)
            with databases[database]() as url:
                measured = bench_registry(database, url, args)
            for row in measured:
                row.baseline = bare
            rows += [bare, *measured]

    print()
    print(machine())
    print(
        f"load: uvicorn ({server_settings()}), 1 worker, no access log, 127.0.0.1; {args.connections} "
        f"keep-alive connections; {args.warmup:g} s warm-up + {args.seconds:g} s per scenario; the bare app "
        "is measured right before each database's scenarios, and their ratio is to that measurement; "
        f"client: {CLIENT_NAMES[args.client]} for the scenarios of one fixed request, "
        f"{CLIENT_NAMES['asyncio']} for the others"
    )
    print()
    print(table(rows))
    print()
    for line in verdicts(rows):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

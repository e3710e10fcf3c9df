"""The read paths with `registry serve --workers 2` against `--workers 1`, in one run, on this machine.

    .venv/bin/python benchmarks/bench_workers.py                 # 1 s warm-up + 5 s per scenario and side
    .venv/bin/python benchmarks/bench_workers.py --quick         # 0.3 s + 1.5 s, a smoke run
    .venv/bin/python benchmarks/bench_workers.py --databases sqlite --seconds 8

Both servers run at once on one database (a temporary SQLite file, or a fresh PostgreSQL database dropped
afterwards), holding one 30-property draft-04 contract. Each scenario is measured on the one-worker server,
then at once on the two-worker one, so that a change in what else the machine runs meanwhile touches both
sides of a ratio alike. Scenarios: GET of the numbered version, GET of `latest`, POST of a valid 1 KB event
to `.../versions/1/validate` and to `.../versions/latest/validate`.

The load generator (32 keep-alive connections by default) runs on the same 2 cores and takes CPU that the
second worker would otherwise have. It is made cheap: wrk (a C client, one thread, a few µs of CPU per
request) when it is installed (Debian's package `wrk`), else plain non-blocking sockets in one epoll loop
(`socket_load`, `--client sockets`), which costs less per request than bench_api's asyncio client
(`--client asyncio`). Its CPU time per request is measured and printed with each figure. So is the
server's (its process tree's CPU time over the answers), and from both the ratio they allow on an idle
2-core machine ("idle machine": one worker serves one core's worth, two workers and the client share two
cores). On a machine shared with other
sessions the measured ratio says little: Linux's autogroup scheduling gives each session an equal share of
the cores, so the server gets no more CPU with two processes than with one (see docs/benchmarks.md).
"server CPU" is the whole process tree's (parent, workers and their children), in cores. The memory of each
server's process tree is printed at the end (RSS, and PSS, which counts the pages workers share with their
parent once). Not a test: it prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import selectors
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_api import (
    HOST,
    REGISTRY,
    WRK,
    Result,
    Server,
    check,
    contract,
    free_port,
    http,
    machine,
    markdown_table,
    postgres_database,
    register_body,
    registry_env,
    request_bytes,
    run_load,
    server_settings,
    sqlite_database,
    wrk_load,
)
from bench_api import Row as LoadRow

SCHEMA = "orders.OrderPlaced"
VERSIONS = f"/registries/{REGISTRY}/schemas/{SCHEMA}/versions"
RATIO_TARGET = 1.6
CLIENTS = {
    "wrk": "wrk (C, 1 thread)",
    "sockets": "plain-socket epoll HTTP/1.1 client (socket_load)",
    "asyncio": "bench_api's raw asyncio HTTP/1.1 client",
}


def valid_event() -> bytes:
    """An event of about 1 KB that the bench contract accepts (every property present)."""
    samples: dict[str, object] = {
        "string": "a value of the order event, as long as a typical one",
        "integer": 42,
        "number": 12.5,
        "boolean": True,
        "array": ["the first entry", "the second entry"],
        "object": {"id": "item-1", "qty": 2},
    }
    event = {}
    properties = contract(0)["properties"]
    assert isinstance(properties, dict)
    for name, spec in properties.items():
        if "enum" in spec:
            event[name] = spec["enum"][1]
        elif spec.get("format") == "date-time":
            event[name] = "2026-12-06T03:00:00Z"
        else:
            event[name] = samples[spec["type"]]
    return json.dumps(event, separators=(",", ":")).encode()


SCENARIOS: list[tuple[str, str, str, bool]] = [
    # name, method, path, with the event as body
    ("GET version 1", "GET", f"{VERSIONS}/1", False),
    ("GET latest", "GET", f"{VERSIONS}/latest", False),
    ("POST validate 1", "POST", f"{VERSIONS}/1/validate", True),
    ("POST validate latest", "POST", f"{VERSIONS}/latest/validate", True),
]


def registry_server(database_url: str, workers: int) -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "registry", "serve", "--host", HOST, "--port", str(port)]
    argv += ["--workers", str(workers)]
    return Server(f"registry --workers {workers}", argv, registry_env(database_url), port)


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of `pid` and every process under it (alive now), from /proc."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for each in [pid, *descendants(pid)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def tree_memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MB of `pid` and every process under it. PSS counts a page shared by k processes as 1/k
    in each: the pages workers share with their parent (forked after the imports) count once."""
    rss = pss = 0.0
    for each in [pid, *descendants(pid)]:
        try:
            lines = Path(f"/proc/{each}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue
        fields = {line.split(":")[0]: line.split()[1] for line in lines[1:]}
        rss += int(fields.get("Rss", 0)) / 1024
        pss += int(fields.get("Pss", 0)) / 1024
    return rss, pss


def descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found += children
        todo += children
    return found


@dataclass
class Side:
    workers: int
    result: Result
    server_cores: float

    @property
    def rate(self) -> float:
        return self.result.ok(200) / self.result.elapsed

    @property
    def client_cores(self) -> float:
        return self.result.client_cpu / self.result.elapsed

    @property
    def client_us_per_request(self) -> float:
        return self.result.client_cpu / max(1, self.result.ok(200)) * 1e6


def socket_load(port: int, request: bytes, *, connections: int, seconds: float) -> Result:
    """The same request again and again on `connections` keep-alive connections, each sending the next
    one as soon as an answer is complete. Plain non-blocking sockets and one epoll loop, no asyncio: about
    a third of bench_api's asyncio client's CPU per request (the `client µs/request` column says what it
    was), which leaves more of the second core to the second worker. Answers must carry Content-Length
    (the registry's do) or be 304s."""
    result, selector = Result(), selectors.DefaultSelector()
    pending: dict[socket.socket, tuple[bytearray, list[int]]] = {}
    for _ in range(connections):
        client = socket.create_connection((HOST, port))
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.setblocking(False)
        selector.register(client, selectors.EVENT_READ)
        pending[client] = (bytearray(), [time.perf_counter_ns()])
        client.send(request)
    cpu, started = time.process_time(), time.perf_counter()
    deadline = started + seconds
    try:
        while time.perf_counter() < deadline:
            for key, _ in selector.select(timeout=1.0):
                client = key.fileobj
                assert isinstance(client, socket.socket)
                buffer, sent_at = pending[client]
                chunk = client.recv(262144)
                if not chunk:
                    raise ConnectionError("the server closed a connection")
                buffer += chunk
                while (answered := _complete_answer(buffer)) is not None:
                    now = time.perf_counter_ns()
                    result.latencies_ns.append(now - sent_at[0])
                    result.statuses[answered] += 1
                    sent_at[0] = now
                    client.send(request)
    finally:
        result.elapsed = time.perf_counter() - started
        result.client_cpu = time.process_time() - cpu
        for client in pending:
            selector.unregister(client)
            client.close()
    return result


_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)


def _complete_answer(buffer: bytearray) -> int | None:
    """The status of the first answer in `buffer` once it is complete (then removed from it), else None."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end])
    length = int(found[1]) if (found := _CONTENT_LENGTH.search(head)) else 0
    if len(buffer) < end + 4 + length:
        return None
    del buffer[: end + 4 + length]
    return int(head[9:12])


def measure(server: Server, request: bytes, args: argparse.Namespace) -> Side:
    if args.client == "wrk":
        load = {"warmup": args.warmup, "seconds": args.seconds, "connections": args.connections}
        result = wrk_load(server.port, server.pid, request, cpu_of=tree_cpu_seconds, **load)
        workers = int(server.name.rsplit(" ", 1)[1])
        return Side(workers, result, result.server_cpu / result.elapsed)
    if args.client == "asyncio":
        load = {"connections": args.connections, "max_requests": args.max_requests, "warmup": 0}
        run_load(server.port, server.pid, lambda _n: request, seconds=args.warmup, **load)
        before = tree_cpu_seconds(server.pid)
        result = run_load(server.port, server.pid, lambda _n: request, seconds=args.seconds, **load)
    else:
        socket_load(server.port, request, connections=args.connections, seconds=args.warmup)
        before = tree_cpu_seconds(server.pid)
        result = socket_load(server.port, request, connections=args.connections, seconds=args.seconds)
    workers = int(server.name.rsplit(" ", 1)[1])
    return Side(workers, result, (tree_cpu_seconds(server.pid) - before) / result.elapsed)


@dataclass
class Row:
    scenario: str
    database: str
    one: Side
    two: Side

    @property
    def ratio(self) -> float:
        return self.two.rate / self.one.rate

    @property
    def idle_ratio(self) -> float:
        """The ratio that this run's CPU costs allow on an otherwise idle 2-core machine: one worker serves
        at most one core's worth (1 / its server CPU per request), two workers and the client share two
        cores (2 / (their server CPU + the client's CPU per request)). A projection from measured costs,
        not a measurement: the machine was not idle."""
        one = self.one.server_cores / self.one.rate
        two = (self.two.server_cores + self.two.client_cores) / self.two.rate
        return 2 * one / two


def seed(port: int) -> bytes:
    status, _, body = http("PUT", port, f"/registries/{REGISTRY}", b'{"description":"benchmark"}')
    assert status in (200, 201), (status, body)
    status, _, body = http("POST", port, VERSIONS, register_body(0))
    assert status == 201, (status, body)
    event = valid_event()
    status, _, body = http("POST", port, f"{VERSIONS}/1/validate", event)
    assert status == 200 and json.loads(body)["valid"], (status, body)
    print(f"  event: {len(event)} bytes, valid", file=sys.stderr)
    return event


def bench_database(database: str, url: str, args: argparse.Namespace) -> list[Row]:
    rows = []
    migrate = subprocess.run(
        [sys.executable, "-m", "registry", "migrate"], env=registry_env(url), capture_output=True, text=True
    )
    if migrate.returncode != 0:
        raise RuntimeError(f"registry migrate failed:\n{migrate.stdout}{migrate.stderr}")
    with ExitStack() as servers:
        one = servers.enter_context(registry_server(url, 1))
        two = servers.enter_context(registry_server(url, 2))
        event = seed(one.port)
        for scenario, method, path, with_event in SCENARIOS:
            sides = []
            for server in (one, two):
                request = request_bytes(method, path, server.port, event if with_event else b"")
                side = measure(server, request, args)
                check(LoadRow(scenario, database, 200, side.result))  # aborts on wrong answers
                sides.append(side)
            rows.append(Row(scenario, database, *sides))
            print(f"  {database}: {scenario}: {rows[-1].ratio:.2f}x", file=sys.stderr)
        for server in (one, two):
            rss, pss = tree_memory_mb(server.pid)
            MEMORY.append(
                f"memory after the run, {server.name} on {database}: {pss:.0f} MB PSS, {rss:.0f} MB RSS"
            )
    return rows


MEMORY: list[str] = []  # lines for the end of the output


def table(rows: list[Row]) -> str:
    header = [
        "scenario",
        "database",
        "workers",
        "requests/s",
        "p50 ms",
        "p99 ms",
        "server CPU",
        "server µs/request",
    ]
    header += ["client CPU", "client µs/request", "2 workers / 1", "idle machine"]
    lines = [header]
    for row in rows:
        for side in (row.one, row.two):
            r = side.result
            last = side is row.two
            lines.append(
                [
                    row.scenario,
                    row.database,
                    str(side.workers),
                    f"{side.rate:,.0f}",
                    f"{r.percentile_ms(0.50):.2f}",
                    f"{r.percentile_ms(0.99):.2f}",
                    f"{side.server_cores:.2f}",
                    f"{side.server_cores / max(side.rate, 1e-9) * 1e6:.0f}",
                    f"{side.client_cores:.2f}",
                    f"{side.client_us_per_request:.0f}",
                    f"{row.ratio:.2f}" if last else "",
                    f"{row.idle_ratio:.2f}" if last else "",
                ]
            )
    return markdown_table(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured duration of each side")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured warm-up before each side")
    parser.add_argument("--quick", action="store_true", help="short smoke run: 0.3 s warm-up, 1.5 s measured")
    parser.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections")
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="stop a side after this many")
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql"
    )
    parser.add_argument(
        "--client",
        choices=list(CLIENTS),
        default="wrk" if WRK else "sockets",
        help="the load generator: wrk (the default when installed, the cheapest), plain sockets in "
        "Python, or bench_api's asyncio client",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.warmup = 1.5, 0.3
    names = [name.strip() for name in args.databases.split(",") if name.strip()]
    for name in names:
        if name not in ("sqlite", "postgresql"):
            parser.error(f"unknown database {name!r}; choose from sqlite, postgresql")

    databases = {"sqlite": sqlite_database, "postgresql": postgres_database}
    rows: list[Row] = []
    for name in names:
        with databases[name]() as url:
            rows += bench_database(name, url, args)

    print()
    print(machine())
    print(
        f"load: registry serve --workers 1 and --workers 2 side by side on one database, access log off, "
        f"uvicorn {server_settings()}, 127.0.0.1; {CLIENTS[args.client]}, {args.connections} keep-alive "
        "connections; "
        f"{args.warmup:g} s warm-up + {args.seconds:g} s per side; server CPU: the process tree's, in cores; "
        "idle machine: 2 x (server CPU per request, 1 worker) / (server + client CPU per request, 2 workers)"
    )
    print()
    print(table(rows))
    print()
    for line in MEMORY:
        print(line)
    for row in rows:
        verdict = "PASS" if row.ratio >= RATIO_TARGET else "MISS"
        print(
            f"target: {row.scenario} on {row.database} with 2 workers >= {RATIO_TARGET}x 1 worker: "
            f"{row.ratio:.2f} {verdict} (on an idle machine, by this run's CPU costs: {row.idle_ratio:.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

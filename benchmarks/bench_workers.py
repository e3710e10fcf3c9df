"""The read paths with `registry serve --workers 2` against `--workers 1`, in one run, on this machine.

    .venv/bin/python benchmarks/bench_workers.py                 # 1 s warm-up + 5 s per scenario and side
    .venv/bin/python benchmarks/bench_workers.py --quick         # 0.3 s + 1.5 s, a smoke run
    .venv/bin/python benchmarks/bench_workers.py --databases sqlite --seconds 8

Both servers run at once on one database (a temporary SQLite file, or a fresh PostgreSQL database dropped
afterwards), holding one 30-property draft-04 contract. Each scenario is measured on the one-worker server,
then at once on the two-worker one, so that a change in what else the machine runs meanwhile touches both
sides of a ratio alike. Scenarios: GET of the numbered version, GET of `latest`, POST of a valid 1 KB event
to `.../versions/1/validate` and to `.../versions/latest/validate`.

The load generator is bench_api's raw asyncio HTTP/1.1 client (32 keep-alive connections by default). On a
2-core machine it takes CPU that the second worker would otherwise have: its CPU time per request is
measured and printed with each figure, and so is the ceiling that leaves for the ratio (the two cores less
the client's share, over the one core that one worker can use). The table's "server CPU" is the whole
process tree's (parent, workers and their children), in cores. Not a test: it prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_api import (
    HOST,
    REGISTRY,
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
    sqlite_database,
)
from bench_api import Row as LoadRow

SCHEMA = "orders.OrderPlaced"
VERSIONS = f"/registries/{REGISTRY}/schemas/{SCHEMA}/versions"
RATIO_TARGET = 1.6


def valid_event() -> bytes:
    """An event of about 1 KB that the bench contract accepts (every property present)."""
    samples: dict[str, object] = {
        "string": "a value of the order event",
        "integer": 42,
        "number": 12.5,
        "boolean": True,
        "array": ["first", "second"],
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
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent, cpu seconds)
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += stats.get(current, (0, 0.0))[1]
        todo += [child for child, (parent, _) in stats.items() if parent == current]
    return total


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


def measure(server: Server, request: bytes, args: argparse.Namespace) -> Side:
    load = {"connections": args.connections, "max_requests": args.max_requests}
    run_load(server.port, server.pid, lambda _n: request, warmup=0, seconds=args.warmup, **load)
    before = tree_cpu_seconds(server.pid)
    result = run_load(server.port, server.pid, lambda _n: request, warmup=0, seconds=args.seconds, **load)
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
    def ceiling(self) -> float:
        """What the cores left by the client allow: two cores less the client's share at the two-worker
        rate, over what one worker used."""
        cores = len(os.sched_getaffinity(0))
        return (min(cores, 2) - self.two.client_cores) / max(self.one.server_cores, 1e-9)


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
    return rows


def table(rows: list[Row]) -> str:
    header = ["scenario", "database", "workers", "requests/s", "p50 ms", "p99 ms", "server CPU"]
    header += ["client CPU", "client µs/request", "2 workers / 1", "ceiling"]
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
                    f"{side.client_cores:.2f}",
                    f"{side.client_us_per_request:.0f}",
                    f"{row.ratio:.2f}" if last else "",
                    f"{row.ceiling:.2f}" if last else "",
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
        f"127.0.0.1; bench_api's raw asyncio HTTP/1.1 client, {args.connections} keep-alive connections; "
        f"{args.warmup:g} s warm-up + {args.seconds:g} s per side; server CPU: the process tree's, in cores; "
        "ceiling: (2 cores - the client's cores at 2 workers) / the cores 1 worker used"
    )
    print()
    print(table(rows))
    print()
    for row in rows:
        verdict = "PASS" if row.ratio >= RATIO_TARGET else "MISS"
        print(
            f"target: {row.scenario} on {row.database} with 2 workers >= {RATIO_TARGET}x 1 worker: "
            f"{row.ratio:.2f} {verdict} (ceiling {row.ceiling:.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

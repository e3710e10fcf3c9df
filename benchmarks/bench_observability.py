"""What metrics and tracing cost on the read paths: the same requests against three replicas at once.

Run from the repository root (this is what `make bench` does):

    .venv/bin/python benchmarks/bench_observability.py             # 3 rounds of 0.5 s warm-up + 3 s
    .venv/bin/python benchmarks/bench_observability.py --quick     # 1 round of 0.3 s + 1.5 s
    .venv/bin/python benchmarks/bench_observability.py --rounds 5 --seconds 5

Three `registry serve` subprocesses (uvicorn, one worker, no access log), each on its own fresh SQLite file
holding the same contract, differ only in their environment:

* `bare`: REGISTRY_METRICS_ENABLED=false and no OTEL_* variable (tracing off);
* `metrics`: REGISTRY_METRICS_ENABLED=true, tracing off;
* `metrics+tracing`: metrics on, and OTEL_TRACES_EXPORTER=otlp exporting every request's spans (the default
  sampler, parentbased_always_on: the worst case) over OTLP/HTTP to a receiver in a fourth process, which
  decodes each export and counts its spans.

The read paths of bench_api.py: `GET version` (a numbered version, answered from the replica's memory after
the first read), `GET latest` (through the framework and the database), and `validate` (POST of a valid
event to .../versions/1/validate). Each round measures every scenario on every configuration in turn (each
round in another order), so a drift of the machine's speed touches all three alike; the table shows each
one's median over the rounds.
The load generator is bench_api.py's (raw asyncio HTTP/1.1, keep-alive connections).

On a shared or small machine the figures are noisy (compare ratios within one run, not across runs). This is
not a test: it prints a table, and exits 1 only when a scenario's answers were wrong.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench_api import (
    GET_SCHEMA,
    HOST,
    REGISTRY,
    ROOT,
    Result,
    Row,
    Server,
    check,
    free_port,
    http,
    machine,
    markdown_table,
    register_body,
    registry_server,
    request_bytes,
    run_load,
)

METRICS_COST_TARGET = 0.05
CONFIGURATIONS = ("bare", "metrics", "metrics+tracing")
VERSION_PATH = f"/registries/{REGISTRY}/schemas/{GET_SCHEMA}/versions"


def valid_event() -> dict[str, object]:
    """An event that bench_api's contract (seed 0) accepts: every one of its 30 fields, well typed."""
    values: list[object] = ["abc", 1, 1.5, True, "2026-01-01T00:00:00Z", "NEW", ["a"], {"id": "x", "qty": 1}]
    return {f"field_{i:02d}": values[i % len(values)] for i in range(30)}


SCENARIOS = {
    "GET version": ("GET", f"{VERSION_PATH}/1", b""),
    "GET latest": ("GET", f"{VERSION_PATH}/latest", b""),
    "validate": ("POST", f"{VERSION_PATH}/1/validate", json.dumps(valid_event()).encode()),
}


# --------------------------------------------------------------------------------------- the receiver


def receive(port: int) -> None:
    """The OTLP/HTTP receiver (run as its own process): decodes each export, counts spans and bytes, and
    writes the counts to stdout when asked with GET."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
        ExportTraceServiceResponse,
    )

    counts = {"exports": 0, "spans": 0, "bytes": 0}
    answer = ExportTraceServiceResponse().SerializeToString()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            export = ExportTraceServiceRequest.FromString(body)
            counts["exports"] += 1
            counts["bytes"] += len(body)
            counts["spans"] += sum(
                len(scope.spans) for resource in export.resource_spans for scope in resource.scope_spans
            )
            self._answer(answer, "application/x-protobuf")

        def do_GET(self) -> None:
            self._answer(json.dumps(counts).encode(), "application/json")

        def _answer(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    ThreadingHTTPServer((HOST, port), Handler).serve_forever()


@contextlib.contextmanager
def receiver() -> Iterator[int]:
    port = free_port()
    process = subprocess.Popen([sys.executable, __file__, "--receive", str(port)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 15
        while received(port) is None:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the OTLP receiver did not start")
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def received(port: int) -> dict[str, int] | None:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/", timeout=1) as response:
            counts: dict[str, int] = json.loads(response.read())
            return counts
    except OSError:
        return None


# ------------------------------------------------------------------------------------------ the servers


def configured_server(name: str, database_url: str, receiver_port: int) -> Server:
    server = registry_server(database_url)  # migrated; its environment has no REGISTRY_* but these
    server.name = name
    server.env = {k: v for k, v in server.env.items() if not k.startswith("OTEL_")}
    server.env["REGISTRY_METRICS_ENABLED"] = "false" if name == "bare" else "true"
    if name == "metrics+tracing":
        server.env.update(
            OTEL_TRACES_EXPORTER="otlp",
            OTEL_EXPORTER_OTLP_ENDPOINT=f"http://{HOST}:{receiver_port}",
            OTEL_SERVICE_NAME="registry-bench",
        )
    return server


def prepare(server: Server) -> None:
    """The contract of bench_api.py, registered once; each scenario's request answered as expected."""
    status, _, body = http("PUT", server.port, f"/registries/{REGISTRY}", b'{"description":"benchmark"}')
    assert status in (200, 201), (status, body)
    status, _, body = http("POST", server.port, VERSION_PATH, register_body(0))
    assert status == 201, (status, body)
    for scenario, (method, path, payload) in SCENARIOS.items():
        status, _, body = http(method, server.port, path, payload)
        assert status == 200, (scenario, status, body)
        if scenario == "validate":
            assert json.loads(body)["valid"] is True, body


# ------------------------------------------------------------------------------------------ measuring


@dataclass
class Measured:
    scenario: str
    configuration: str
    results: list[Result] = field(default_factory=list)

    def rate(self, result: Result) -> float:
        return result.ok(200) / result.elapsed if result.elapsed else 0.0

    @property
    def median_rate(self) -> float:
        return statistics.median(self.rate(each) for each in self.results)

    def median_ms(self, q: float) -> float:
        return statistics.median(each.percentile_ms(q) for each in self.results)

    @property
    def server_cpu(self) -> float:
        return statistics.median(each.server_cpu / each.elapsed for each in self.results)

    @property
    def cpu_us_per_request(self) -> float:
        """The server's CPU time per answer: less sensitive than throughput to other processes taking the
        cores (the server then answers fewer requests, but each costs about the same)."""
        return statistics.median(each.server_cpu / max(1, each.ok(200)) * 1e6 for each in self.results)


def measure(servers: dict[str, Server], args: argparse.Namespace) -> dict[tuple[str, str], Measured]:
    table = {(scenario, name): Measured(scenario, name) for scenario in SCENARIOS for name in CONFIGURATIONS}
    for round_number in range(1, args.rounds + 1):
        # each round starts with another configuration, so that none is always measured first
        order = CONFIGURATIONS[round_number % 3 :] + CONFIGURATIONS[: round_number % 3]
        for scenario, (method, path, payload) in SCENARIOS.items():
            for name in order:
                server = servers[name]
                request = request_bytes(method, path, server.port, payload)
                result = run_load(
                    server.port,
                    server.pid,
                    lambda _n, request=request: request,
                    warmup=args.warmup,
                    seconds=args.seconds,
                    connections=args.connections,
                    max_requests=args.max_requests,
                )
                check(Row(scenario, name, 200, result))
                table[(scenario, name)].results.append(result)
                print(
                    f"  round {round_number}: {scenario}, {name}: "
                    f"{table[(scenario, name)].rate(result):,.0f}/s",
                    file=sys.stderr,
                )
    return table


# ------------------------------------------------------------------------------------------------ output


def render(table: dict[tuple[str, str], Measured]) -> str:
    header = [
        "scenario", "configuration", "requests/s", "p50 ms", "p99 ms", "ratio to bare", "server CPU",
        "CPU us/request", "CPU ratio to bare",
    ]  # fmt: skip
    lines = [header]
    for (scenario, name), measured in table.items():
        bare = table[(scenario, "bare")].median_rate
        bare_cpu = table[(scenario, "bare")].cpu_us_per_request
        lines.append(
            [
                scenario,
                name,
                f"{measured.median_rate:,.0f}",
                f"{measured.median_ms(0.50):.2f}",
                f"{measured.median_ms(0.99):.2f}",
                f"{measured.median_rate / bare:.3f}" if bare else "-",
                f"{measured.server_cpu:.0%}",
                f"{measured.cpu_us_per_request:,.0f}",
                f"{measured.cpu_us_per_request / bare_cpu:.3f}" if bare_cpu else "-",
            ]
        )
    return markdown_table(lines)


def verdicts(table: dict[tuple[str, str], Measured]) -> list[str]:
    out = []
    for scenario in SCENARIOS:
        bare, metrics, traced = (table[(scenario, name)] for name in CONFIGURATIONS)
        cost = 1 - metrics.median_rate / bare.median_rate
        cpu_cost = metrics.cpu_us_per_request / bare.cpu_us_per_request - 1
        out.append(
            f"{scenario}: metrics cost {cost:+.1%} of the throughput, {cpu_cost:+.1%} CPU per request "
            f"(target <= {METRICS_COST_TARGET:.0%}: {'PASS' if cost <= METRICS_COST_TARGET else 'MISS'}); "
            f"tracing on top of metrics costs {1 - traced.median_rate / metrics.median_rate:+.1%} of the "
            f"throughput, {traced.cpu_us_per_request / metrics.cpu_us_per_request - 1:+.1%} CPU per request"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measured duration of each scenario")
    parser.add_argument("--warmup", type=float, default=0.5, help="unmeasured warm-up before each scenario")
    parser.add_argument(
        "--rounds", type=int, default=3, help="measurements of each scenario per configuration"
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 round of 0.3 s warm-up + 1.5 s")
    parser.add_argument("--connections", type=int, default=16, help="concurrent keep-alive connections")
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="stop a scenario after this many")
    parser.add_argument("--receive", type=int, help=argparse.SUPPRESS)  # the receiver process
    args = parser.parse_args(argv)
    if args.receive:
        receive(args.receive)
        return 0
    if args.quick:
        args.rounds, args.seconds, args.warmup = 1, 1.5, 0.3
    print(
        f"benchmarking observability: {args.rounds} rounds of {args.warmup:g} s warm-up + {args.seconds:g} s "
        f"per scenario and configuration, {args.connections} keep-alive connections",
        file=sys.stderr,
    )
    with contextlib.ExitStack() as stack:
        port = stack.enter_context(receiver())
        servers = {}
        for name in CONFIGURATIONS:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="registry-bench-observability-"))
            servers[name] = stack.enter_context(configured_server(name, f"sqlite:///{folder}/r.db", port))
            prepare(servers[name])
        table = measure(servers, args)
        time.sleep(1.0)  # what the tracing replica still holds is exported within its 5 s schedule
        counts = received(port) or {}
    print()
    print(machine())
    print(
        f"load: uvicorn, 1 worker, no access log, SQLite, 127.0.0.1; raw asyncio HTTP/1.1 client, "
        f"{args.connections} keep-alive connections; median of {args.rounds} rounds of {args.warmup:g} s "
        f"warm-up + {args.seconds:g} s; configurations measured in turn within each round; tracing exports "
        f"to a receiver in its own process ({counts.get('spans', 0):,} spans in "
        f"{counts.get('exports', 0):,} exports, {counts.get('bytes', 0) / 1e6:.1f} MB received)"
    )
    print()
    print(render(table))
    print()
    for line in verdicts(table):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where one cold bindings generation spends its time inside the service, stage by stage.

Run from the repository root:

    .venv/bin/python benchmarks/bench_codegen_stages.py                # 5 samples per large contract
    .venv/bin/python benchmarks/bench_codegen_stages.py --samples 9 --databases sqlite

A real `registry serve` (as bench_codegen.py runs it) with OpenTelemetry's console exporter on: each sample
is one cold `GET /simple/<distribution>/<wheel>` of a version just registered (the large contracts of
bench_codegen.py, a fresh fingerprint each), and its trace says where the request's time went: the
database statements, the wait for a worker and the IPC, and in the worker process its stages
(`codegen.prepare`, `codegen.generator` (datamodel-code-generator), `codegen.proof`, `codegen.load`); the
rest of the request is building the wheel, HTTP and the service's own code. Medians in ms, and each stage's
share of the generator's own time in the same request. The spans cost a little themselves (the SDK
records ~40 per request), so the total is a little above bench_codegen.py's.

The same in CPU time, steadier than wall time on a shared machine: each stage's span carries the CPU time
of the worker's thread (`codegen.cpu_ms`); the request's is the CPU time of the server and every process
under it (its generator worker) during the request, from /proc (10 ms ticks); and before each sample,
datamodel-code-generator alone in this process (`bench_codegen.time_dcg`: its `generate()` on the same
prepared contract with the same options, warm) gives the baseline of the same minute. Medians in ms, and
each stage as a share of DCG alone.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_api import HOST, Server, postgres_database, registry_server, sqlite_database
from bench_codegen import (
    REGISTRY,
    SHAPES,
    VARIANTS,
    Service,
    contract_input,
    machine,
    markdown,
    postgres_reachable,
    time_dcg,
)

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("codegen.prepare", "codegen.generator", "codegen.proof", "codegen.load")
COLUMNS = (
    "request",
    "database",
    "wait, IPC",
    *STAGES,
    "wheel, HTTP, rest",
)
CPU_COLUMNS = ("DCG alone", "request", *STAGES, "rest")


def traced_server(url: str) -> Server:
    tracing = {
        "OTEL_TRACES_EXPORTER": "console",
        "OTEL_BSP_SCHEDULE_DELAY": "50",
        "OTEL_SERVICE_NAME": "bench",
    }
    return registry_server(url, extra_env=tracing, name="registry (traced)")


def spans_in(server: Server) -> list[dict[str, Any]]:
    """Every span the console exporter printed so far (JSON objects among the log lines)."""
    server.log.seek(0)
    text = server.log.read().decode(errors="replace")
    decoder, spans, at = json.JSONDecoder(), [], 0
    while (at := text.find('{\n    "name"', at)) >= 0:
        span, end = decoder.raw_decode(text, at)
        spans.append(span)
        at = end
    return spans


def ms(span: dict[str, Any]) -> float:
    start, end = (datetime.fromisoformat(span[k].replace("Z", "+00:00")) for k in ("start_time", "end_time"))
    return (end - start).total_seconds() * 1e3


def breakdown(spans: list[dict[str, Any]], trace_id: str) -> dict[str, float]:
    mine = [span for span in spans if span["context"]["trace_id"] == trace_id]
    by_name = {span["name"]: span for span in mine}
    [request] = [span for span in mine if span["kind"] == "SpanKind.SERVER"]
    database = sum(ms(span) for span in mine if "db.system" in span.get("attributes", {}))
    parts = {"request": ms(request), "database": database}
    parts["wait, IPC"] = ms(by_name["codegen.generate"]) - sum(ms(by_name[name]) for name in STAGES)
    for name in STAGES:
        parts[name] = ms(by_name[name])
    parts["wheel, HTTP, rest"] = parts["request"] - database - ms(by_name["codegen.generate"])
    for name in STAGES:  # the worker's CPU time in each stage
        parts[f"cpu {name}"] = float(by_name[name]["attributes"]["codegen.cpu_ms"])
    return parts


def run(database: str, url: str, samples: int) -> dict[str, dict[str, list[float]]]:
    found: dict[str, dict[str, list[float]]] = {}
    with (
        traced_server(url) as server,
        httpx.Client(base_url=f"http://{HOST}:{server.port}", timeout=120) as client,
    ):
        service = Service(client, [], server.pid)
        client.put(f"/registries/{REGISTRY}", json={})
        for shape in [shape for shape in SHAPES if shape.large]:
            for _ in range(2):  # warm-up: this shape generated in the worker, and by DCG alone here
                service.download(service.register(shape, next(VARIANTS)).wheel)
                time_dcg(contract_input(shape, next(VARIANTS)))
            parts: dict[str, list[float]] = defaultdict(list)
            for _ in range(samples):
                parts["cpu DCG alone"].append(time_dcg(contract_input(shape, next(VARIANTS)))[1] * 1e3)
                registered = service.register(shape, next(VARIANTS))
                cpu = service.cpu_seconds()
                service.download(registered.wheel)
                parts["cpu request"].append((service.cpu_seconds() - cpu) * 1e3)
                time.sleep(0.3)  # the batch processor exports every 50 ms
                spans = spans_in(server)
                for key, value in breakdown(spans, _latest_trace(spans)).items():
                    parts[key].append(value)
                parts["cpu rest"].append(
                    parts["cpu request"][-1] - sum(parts[f"cpu {n}"][-1] for n in STAGES)
                )
            found[f"{shape.label}|{database}"] = parts
    return found


def _latest_trace(spans: list[dict[str, Any]]) -> str:
    """The trace of the last generation (one request at a time: the sample just taken)."""
    generations = [span for span in spans if span["name"] == "codegen.generate"]
    return str(generations[-1]["context"]["trace_id"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=5, help="cold generations per large contract")
    parser.add_argument("--databases", help="comma-separated: sqlite, postgres (default: both if reachable)")
    args = parser.parse_args(argv)
    databases: dict[str, Callable[[], contextlib.AbstractContextManager[str]]] = {
        "sqlite": sqlite_database,
        "postgres": postgres_database,
    }
    chosen = (
        [d.strip() for d in args.databases.split(",")]
        if args.databases
        else ["sqlite"] + (["postgres"] if postgres_reachable() else [])
    )
    results: dict[str, dict[str, list[float]]] = {}
    for database in chosen:
        with databases[database]() as url:
            results.update(run(database, url, args.samples))
    print(machine())
    print()
    header = ["contract", "database", *COLUMNS, "proof + load / generator"]
    lines = []
    for key, parts in results.items():
        label, database = key.split("|")
        med = {name: statistics.median(values) for name, values in parts.items()}
        share = (med["codegen.proof"] + med["codegen.load"]) / med["codegen.generator"]
        lines.append([label, database, *(f"{med[name]:.1f}" for name in COLUMNS), f"{share:.0%}"])
    print(f"medians of {args.samples} cold generations, wall ms (the request; its parts)")
    print()
    print(markdown(header, lines))
    print()
    header = ["contract", "database", *CPU_COLUMNS, "request / DCG", "proof + load / DCG"]
    lines = []
    for key, parts in results.items():
        label, database = key.split("|")
        cpu = {name: statistics.median(parts[f"cpu {name}"]) for name in CPU_COLUMNS}
        dcg = cpu["DCG alone"]
        shares = [
            f"{cpu[name]:.1f}" if name == "DCG alone" else f"{cpu[name]:.1f} ({cpu[name] / dcg:.0%})"
            for name in CPU_COLUMNS
        ]
        checks = (cpu["codegen.proof"] + cpu["codegen.load"]) / dcg
        lines.append([label, database, *shares, f"{cpu['request'] / dcg:.2f}", f"{checks:.0%}"])
    print(
        f"the same {args.samples} generations in CPU ms (DCG alone: in this process, one before each sample; "
        "request: the server and its worker, /proc; stages: the worker's thread; rest: request minus the "
        "stages), and as shares of DCG alone"
    )
    print()
    print(markdown(header, lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

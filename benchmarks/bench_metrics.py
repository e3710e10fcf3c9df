"""The cost of Prometheus metrics on the hot read path: a cached GET of a numbered version.

    .venv/bin/python benchmarks/bench_metrics.py              # 3 rounds of 3 s per side
    .venv/bin/python benchmarks/bench_metrics.py --rounds 5 --seconds 5

Two `registry serve` processes on one SQLite file, one with REGISTRY_METRICS_ENABLED=false, driven in
turns (A B A B ...) by bench_api's load generator, so that a noisy neighbour weighs on both alike. Reports
throughput and the server's CPU time per request (the steadier figure on a shared machine); the issue's
budget is a cost of at most 5%.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_api import (
    GET_SCHEMA,
    HOST,
    REGISTRY,
    Server,
    free_port,
    http,
    register_body,
    registry_env,
    request_bytes,
    run_load,
)


def server(database_url: str, *, metrics: bool) -> Server:
    env = registry_env(database_url)
    env["REGISTRY_METRICS_ENABLED"] = "true" if metrics else "false"
    port = free_port()
    argv = [sys.executable, "-m", "registry", "serve", "--host", HOST, "--port", str(port)]
    return Server(f"registry (metrics {'on' if metrics else 'off'})", argv, env, port)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    path = f"/registries/{REGISTRY}/schemas/{GET_SCHEMA}/versions/1"
    with tempfile.TemporaryDirectory() as directory, contextlib.ExitStack() as stack:
        url = f"sqlite:///{directory}/bench.db"
        off = stack.enter_context(server(url, metrics=False))  # the first one migrates the file
        on = stack.enter_context(server(url, metrics=True))
        assert http("PUT", off.port, f"/registries/{REGISTRY}", b"{}")[0] in (200, 201)
        created = http(
            "POST", off.port, f"/registries/{REGISTRY}/schemas/{GET_SCHEMA}/versions", register_body(0)
        )
        assert created[0] == 201, created
        rates: dict[str, list[float]] = {"off": [], "on": []}
        cpu: dict[str, list[float]] = {"off": [], "on": []}
        for _ in range(args.rounds):
            for name, side in (("off", off), ("on", on)):
                request = request_bytes("GET", path, side.port)
                result = run_load(
                    side.port, side.pid, lambda _n, r=request: r,
                    warmup=0.5, seconds=args.seconds, connections=args.connections, max_requests=10**9,
                )  # fmt: skip
                assert result.ok(200) == sum(result.statuses.values()), result.statuses
                rates[name].append(result.ok(200) / result.elapsed)
                cpu[name].append(result.server_cpu / max(1, result.ok(200)) * 1e6)
    for name in ("off", "on"):
        print(
            f"metrics {name:3}: {statistics.median(rates[name]):7.0f} req/s, "
            f"{statistics.median(cpu[name]):6.1f} µs server CPU per request (medians of {args.rounds})"
        )
    throughput = statistics.median(rates["on"]) / statistics.median(rates["off"])
    cost = statistics.median(cpu["on"]) / statistics.median(cpu["off"]) - 1
    print(f"throughput with metrics: {throughput:.3f} of without; server CPU per request: {cost:+.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The cost of Prometheus metrics on the hot read path: a cached GET of a numbered version.

    .venv/bin/python benchmarks/bench_metrics.py              # 3 rounds of 3 s per side
    .venv/bin/python benchmarks/bench_metrics.py --rounds 5 --seconds 5

Two figures. End to end: two `registry serve` processes on one SQLite file, one with
REGISTRY_METRICS_ENABLED=false, driven in turns (A B A B ...) by bench_api's load generator; throughput and
the server's CPU time per request. On a shared machine these move by more than the cost itself, so also in
process: the application (every middleware, the cache hit) called directly, with and without metrics, in
turns, many thousand times; the difference in CPU time per request is what metrics add, and the estimated
cost is that difference over the server's whole CPU time per request (uvicorn's HTTP work included). The
issue's budget is 5%.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


def in_process_cost(database_url: str, path: str, rounds: int, calls: int = 20000) -> dict[str, float]:
    """Median CPU microseconds per cached GET through the ASGI application, without a server."""
    from registry.api.app import create_app
    from registry.settings import Settings

    apps = {
        name: create_app(Settings(database_url=database_url, mirror_worker=False, metrics_enabled=on))
        for name, on in (("off", False), ("on", True))
    }
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"bench"), (b"accept", b"application/json")],
        "client": (HOST, 1), "server": (HOST, 80),
    }  # fmt: skip
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def per_call(app: Any, n: int) -> float:
        started = time.process_time()
        for _ in range(n):
            await app(dict(scope), receive, send)
        return (time.process_time() - started) / n * 1e6

    async def measure() -> dict[str, float]:
        for app in apps.values():  # the first call reads the database and fills the cache
            await per_call(app, 1000)
        samples: dict[str, list[float]] = {"off": [], "on": []}
        for _ in range(rounds):
            for name, app in apps.items():
                samples[name].append(await per_call(app, calls))
        assert set(statuses) == {200}, set(statuses)
        return {name: statistics.median(values) for name, values in samples.items()}

    return asyncio.run(measure())


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
        inside = in_process_cost(url, path, rounds=max(5, args.rounds))
    for name in ("off", "on"):
        print(
            f"metrics {name:3}: {statistics.median(rates[name]):7.0f} req/s, "
            f"{statistics.median(cpu[name]):6.1f} µs server CPU per request (medians of {args.rounds}); "
            f"in process {inside[name]:5.2f} µs per request"
        )
    throughput = statistics.median(rates["on"]) / statistics.median(rates["off"])
    end_to_end = statistics.median(cpu["on"]) / statistics.median(cpu["off"]) - 1
    print(f"end to end: throughput with metrics {throughput:.3f} of without, server CPU {end_to_end:+.1%}")
    added = inside["on"] - inside["off"]
    print(
        f"in process: metrics add {added:.2f} µs per request, "
        f"{added / statistics.median(cpu['off']):.1%} of the server's CPU per request"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

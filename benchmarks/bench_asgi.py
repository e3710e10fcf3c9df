"""CPU per answer of the application alone (no server, no socket): the registry's read paths against the bare
Starlette app, each called as an ASGI application in this process.

    .venv/bin/python benchmarks/bench_asgi.py                  # 3 rounds of 5,000 calls per path
    .venv/bin/python benchmarks/bench_asgi.py --rounds 5 --calls 10000

The server's own work (uvicorn's HTTP parser, the socket) is the same for both apps under the same uvicorn
settings; what differs is this. Measured with the process's CPU clock, alternating the apps round by round, so
it moves little with what else the machine runs, unlike requests per second on a shared machine. The registry
app is built on a temporary SQLite file, with one 30-property contract registered and each path read once
(the database's answer, which the replica then keeps in memory). Not a test: it prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from bare_app import app as bare
from bench_api import BARE, GET_SCHEMA, REGISTRY, machine, markdown_table, register_body, valid_event

VERSIONS = f"/registries/{REGISTRY}/schemas/{GET_SCHEMA}/versions"
EVENT = json.dumps(valid_event(), separators=(",", ":")).encode()
PATHS = {
    "GET version": ("GET", f"{VERSIONS}/1", b""),
    "GET latest": ("GET", f"{VERSIONS}/latest", b""),
    "POST validate version": ("POST", f"{VERSIONS}/1/validate", EVENT),
    "POST validate latest": ("POST", f"{VERSIONS}/latest/validate", EVENT),
}
ASGI = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def registry_app(database: Path) -> Any:
    url = f"sqlite:///{database}"
    env = {**os.environ, "REGISTRY_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "registry", "migrate"], env=env, check=True, capture_output=True)
    from registry.api.app import create_app
    from registry.settings import Settings

    # as bench_api serves it: access log off, the token table and versions trusted as in production
    return create_app(Settings(database_url=url, access_log=False, mirror_worker=False))


async def seed(app: Any) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        created = await client.put(f"/registries/{REGISTRY}", content=b'{"description":"bench"}')
        assert created.status_code == 201, created.text
        assert (await client.post(VERSIONS, content=register_body(0))).status_code == 201
        for method, path, body in PATHS.values():
            answer = await client.request(method, path, content=body or None)
            assert answer.status_code == 200, answer.text


def scope(app: Any, method: str, path: str, body: bytes) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8000"), (b"accept", b"application/json")]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": method,
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "state": {},
        "app": app,
    }


async def cpu_per_call(app: ASGI, method: str, path: str, body: bytes, calls: int) -> float:
    """Microseconds of this process's CPU per answered call; every answer must be a 200."""
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.process_time()
    for _ in range(calls):
        await app(scope(app, method, path, body), receive, send)
    spent = time.process_time() - started
    assert set(statuses) == {200}, f"{method} {path}: {set(statuses)}"
    return spent / calls * 1e6


async def measure(app: Any, rounds: int, calls: int) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {BARE: []} | {name: [] for name in PATHS}
    for _ in range(rounds):  # alternating, so that a change in the machine's speed touches every path alike
        found[BARE].append(await cpu_per_call(bare, "GET", "/static", b"", calls))
        for name, (method, path, body) in PATHS.items():
            found[name].append(await cpu_per_call(app, method, path, body, calls))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=5000, help="calls per path and round")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        app = registry_app(Path(directory) / "registry.db")

        async def run() -> dict[str, list[float]]:
            await seed(app)
            await measure(app, 1, 500)  # warm-up
            return await measure(app, args.rounds, args.calls)

        found = asyncio.run(run())
    bare_us = sorted(found[BARE])[args.rounds // 2]
    lines = [["path", "app", "µs of CPU per answer (median)", "each round", "app-only ratio to bare"]]
    for name, values in found.items():
        median = sorted(values)[args.rounds // 2]
        each = " / ".join(f"{value:.1f}" for value in values)
        lines.append([name, "bare" if name.startswith("bare") else "registry", f"{median:.1f}", each,
                      f"{bare_us / median:.2f}"])  # fmt: skip
    print(machine())
    print(
        f"in process, no server: {args.rounds} rounds of {args.calls} calls per path, alternating; the ratio "
        "is of the apps alone: served, both answers also cost the server's own work"
    )
    print()
    print(markdown_table(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

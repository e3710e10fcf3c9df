"""How fast the web catalog's pages are rendered with 1,000 schemas and 10,000 versions.

Run from the repository root (`make bench` does):

    .venv/bin/python benchmarks/bench_catalog.py                 # SQLite and PostgreSQL
    .venv/bin/python benchmarks/bench_catalog.py --databases sqlite --requests 20

The data: one registry of 1,000 JSON Schema contracts with 10 versions each (rows written in bulk, each a real
contract with its fingerprint; the last versions of one schema registered through the use case, so that the
home page has an audit history to show), a producer and a consumer of that schema in `prod`; and a second
registry, `crowd`, of 40 of those schemas, each with two producers and two consumers in its `prod` (its
environments page draws 160 services and 80 incompatible pairs). The app runs
in-process (httpx's ASGI transport: no socket, no uvicorn), one request at a time; the time measured is the
request's round trip through the whole ASGI stack, which is the server's time. Baseline, measured in the same
run: the API's listing of 50 schemas, its read of a version and its search. Target: every page's p50 under
50 ms.
This is not a test: it prints a table and exits 1 only on wrong answers.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from bench_api import machine_line, per_database
from sqlalchemy import event

from registry.api.app import create_app
from registry.settings import Settings
from registry.storage.database import make_engine
from registry.storage.migrations import upgrade
from registry.storage.models import RegistryRow, SchemaRow, VersionRow

SCHEMAS, VERSIONS = 1_000, 10
LARGE = 40  # schemas of the registry `crowd`, each with participants in its `prod`: a graph of 40 rows
SHOP_ROW = {"name": "shop", "compatibility": "NONE", "compatibility_policy": "STRICT", "tags": {}}
CROWD_ROW = {"name": "crowd", "compatibility": "NONE", "compatibility_policy": "STRICT", "tags": {}}
TARGET_MS = 50.0
HOT = "/registries/shop/schemas/event-0500"


def contract(schema: int, version: int) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "id": {"type": "string", "pattern": "^[a-z0-9-]{8,40}$"},
        "amount": {"type": "number", "minimum": 0},
        "currency": {"type": "string", "enum": ["EUR", "USD", "GBP"]},
        "customer": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
    }
    for extra in range(version):
        properties[f"note{extra}"] = {"type": "string", "maxLength": 200, "description": f"note {extra}"}
    return {"title": f"Event{schema}", "type": "object", "required": ["id"], "properties": properties}


def seed(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            RegistryRow.__table__.insert(),
            [
                {**SHOP_ROW, "created_at": now, "updated_at": now},
                {**CROWD_ROW, "created_at": now, "updated_at": now},
            ],
        )
        schemas = [
            {
                "registry_id": 1,
                "name": f"event-{n:04d}",
                "type": "JSONSchemaDraft4",
                "description": f"event {n}",
                "last_version": VERSIONS - 2 if n == 500 else VERSIONS,
                "package_name": f"event-{n:04d}",
                "tags": {},
                "created_at": now,
                "updated_at": now,
            }
            for n in range(SCHEMAS)
        ]
        schemas += [  # the crowd's: the same contracts, numbered on
            {**each, "registry_id": 2, "last_version": VERSIONS} for each in schemas[:LARGE]
        ]
        connection.execute(SchemaRow.__table__.insert(), schemas)
        versions = []
        for n in range(SCHEMAS + LARGE):
            last = VERSIONS - 2 if n == 500 else VERSIONS  # two are registered through the use case below
            for v in range(1, last + 1):
                content = json.dumps(contract(n % SCHEMAS, v), sort_keys=True, separators=(",", ":"))
                versions.append(
                    {
                        "schema_id": n + 1,
                        "version": v,
                        "content": content,
                        "fingerprint": hashlib.sha256(content.encode()).hexdigest(),
                        "description": f"v{v}",
                        "created_at": now,
                        "created_by": "bench",
                    }
                )
        connection.execute(VersionRow.__table__.insert(), versions)
    engine.dispose()


CROWD_PARTICIPANTS = (
    ("p-a", "producer", 10),
    ("p-b", "producer", 1),
    ("c-a", "consumer", 10),
    ("c-b", "consumer", 9),
)


async def _large_environment(http: httpx.AsyncClient) -> None:
    """The crowd's `prod`: LARGE schemas with two producers and two consumers each; p-b's v1 events break
    both consumers (from v2 on, each version constrains a field v1 leaves open): two red arcs a schema."""
    for n in range(LARGE):
        for service, role, version in CROWD_PARTICIPANTS:
            body = {"role": role, "version": version, "environment": "prod"}
            await http.put(f"/registries/crowd/schemas/event-{n:04d}/participants/{service}", json=body)


async def measure(url: str, requests: int) -> tuple[list[list[str]], list[str]]:
    engine = make_engine(url)
    app = create_app(Settings(database_url=url, mirror_worker=False), engine=engine)
    wrong: list[str] = []
    rows: list[list[str]] = []
    transactions = [0]  # database transactions begun: a page's count is what its request added

    @event.listens_for(engine, "begin")
    def count(_connection: Any) -> None:
        transactions[0] += 1

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
        for v in (VERSIONS - 1, VERSIONS):
            body = {"type": "JSONSchemaDraft4", "content": contract(500, v)}
            if (await http.post(f"{HOT}/versions", json=body)).status_code != 201:
                wrong.append(f"registering v{v} failed")
        for service, role, version in (("checkout", "producer", 9), ("billing", "consumer", 10)):
            body = {"role": role, "version": version, "environment": "prod"}
            await http.put(f"{HOT}/participants/{service}", json=body)
        await _large_environment(http)
        scenarios = {
            "API: list 50 schemas (baseline)": "/registries/shop/schemas?limit=50",
            "API: read a version (baseline)": f"{HOT}/versions/10",
            "API: search, 50 hits (baseline)": "/search?q=event-05&limit=50",
            "home": "/ui",
            "search": "/ui/search?q=event-05",
            "registry (50 of 1,000 schemas)": "/ui/registries/shop",
            "schema": f"/ui{HOT}",
            "version": f"/ui{HOT}/versions/10",
            "compare": f"/ui{HOT}/compare?from=1&to=10",
            "matrix (10 x 10)": f"/ui{HOT}/matrix",
            "environments": "/ui/registries/shop/environments",
            f"environments ({LARGE} schemas, 160 services drawn)": "/ui/registries/crowd/environments",
        }
        for name, path in scenarios.items():
            first = await http.get(path)
            if first.status_code != 200:
                wrong.append(f"{path}: {first.status_code}")
                continue
            samples = []
            before = transactions[0]  # after the warm-up: what every request costs once caches are filled
            for _ in range(requests):
                started = time.perf_counter()
                answer = await http.get(path)
                samples.append((time.perf_counter() - started) * 1000)
                if answer.status_code != 200:
                    wrong.append(f"{path}: {answer.status_code}")
            per_request = (transactions[0] - before) / requests
            p50 = statistics.median(samples)
            p95 = sorted(samples)[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
            verdict = "" if name.startswith("API") else ("yes" if p50 < TARGET_MS else "NO")
            rows.append([name, f"{p50:.1f}", f"{p95:.1f}", f"{per_request:g}", verdict])
    engine.dispose()
    return rows, wrong


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--requests", type=int, default=30, help="timed requests per page (after one warm-up)"
    )
    args = parser.parse_args()

    def bench(database: str, url: str) -> tuple[list[list[str]], list[str]]:
        started = time.perf_counter()
        seed(url)
        print(
            f"{database}: seeded {SCHEMAS:,} schemas, {SCHEMAS * VERSIONS:,} versions in "
            f"{time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        found, wrong = asyncio.run(measure(url, args.requests))
        return [[row[0], database, *row[1:]] for row in found], wrong

    rows, wrong = per_database(args.databases, bench)
    print(
        f"Web catalog pages, {SCHEMAS:,} schemas / {SCHEMAS * VERSIONS:,} versions, in-process ASGI, "
        f"{args.requests} sequential requests each; target p50 < {TARGET_MS:.0f} ms"
    )
    print(machine_line())
    header = ["page", "database", "p50 ms", "p95 ms", "transactions", f"p50 < {TARGET_MS:.0f} ms"]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))
    for mistake in wrong:
        print("WRONG:", mistake)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())

"""How fast a running registry answers "can I deploy?" when many services use many schemas.

Run from the repository root (`make bench` does):

    .venv/bin/python benchmarks/bench_deployments.py            # SQLite and PostgreSQL
    .venv/bin/python benchmarks/bench_deployments.py --quick

The picture: 20 schemas with 5 versions each, 50 services and 3 environments. In every environment each
schema has 3 producers and 10 consumers (services chosen round-robin), each at some version of the schema:
1,800 participant records in all. A `registry serve` (uvicorn, one worker) on a fresh database, a keep-alive
httpx client, one request at a time. Measured:

* can-i-deploy of a producer moving to another version: 10 consumer pairs checked (with their reports);
* can-i-deploy of a consumer moving: 3 producer pairs;
* the environment picture (`GET /registries/r/environments/prod`): every schema, every producer/consumer pair.

Each is measured cold (the first question after the picture was recorded: contracts compiled, verdicts
computed) and warm (verdicts cached by content in the replica). Target: can-i-deploy within 100 ms.
This is not a test: it prints a table and exits 1 only on wrong answers.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
from bench_api import HOST, machine_line, per_database, registry_server

REGISTRY = "deploy"
SCHEMAS, VERSIONS, SERVICES, ENVIRONMENTS = 20, 5, 50, ("dev", "staging", "prod")
PRODUCERS, CONSUMERS = 3, 10
TARGET_MS = 100.0


def contract(schema: int, version: int) -> dict[str, Any]:
    """A 12-property event; each version widens one enum and adds an optional property, so that some
    producer/consumer pairs are compatible and some are not."""
    statuses = ["NEW", "PAID", "SHIPPED", "DELIVERED", "RETURNED", "LOST"][: 2 + version]
    properties: dict[str, Any] = {
        "id": {"type": "string", "pattern": "^[a-z0-9-]{8,40}$"},
        "status": {"type": "string", "enum": statuses},
        "amount": {"type": "number", "minimum": 0},
        "currency": {"type": "string", "enum": ["EUR", "USD", "GBP"]},
        "createdAt": {"type": "string", "format": "date-time"},
        "customer": {
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "string"}, "tier": {"type": "string", "enum": ["basic", "gold"]}},
        },
        "lines": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}}}},
    }
    for extra in range(version):
        properties[f"note{extra}"] = {"type": "string", "maxLength": 200}
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": f"Event{schema}",
        "type": "object",
        "required": ["id", "status", "amount"],
        "properties": properties,
    }


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


class Bench:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.wrong: list[str] = []

    def expect(self, response: httpx.Response, *statuses: int) -> httpx.Response:
        if response.status_code not in statuses:
            self.wrong.append(f"{response.request.method} {response.request.url}: {response.status_code} "
                              f"{response.text[:200]}")  # fmt: skip
        return response

    def record_picture(self) -> None:
        self.expect(self.client.put(f"/registries/{REGISTRY}", json={"compatibility": "NONE"}), 200, 201)
        for schema in range(SCHEMAS):
            for version in range(1, VERSIONS + 1):
                body = {"type": "JSONSchemaDraft4", "content": contract(schema, version)}
                self.expect(self.client.post(f"{self.path(schema)}/versions", json=body), 201)
        services = itertools.cycle(range(SERVICES))
        for environment in ENVIRONMENTS:
            for schema in range(SCHEMAS):
                for role, count in (("producer", PRODUCERS), ("consumer", CONSUMERS)):
                    for index in range(count):
                        version = 1 + (schema + index) % VERSIONS
                        body = {"role": role, "version": version, "environment": environment}
                        service = f"service-{next(services):02d}"
                        url = f"{self.path(schema)}/participants/{service}"
                        self.expect(self.client.put(url, json=body), 200, 201)

    @staticmethod
    def path(schema: int) -> str:
        return f"/registries/{REGISTRY}/schemas/Event{schema:02d}"

    def timed(self, url: str, params: dict[str, str] | None = None) -> tuple[float, dict[str, Any]]:
        start = time.perf_counter()
        response = self.client.get(url, params=params)
        elapsed = time.perf_counter() - start
        return elapsed, self.expect(response, 200).json()

    def can_i_deploy(self, schema: int, role: str, version: int) -> tuple[float, dict[str, Any]]:
        params = {"service": "newcomer", "role": role, "version": str(version), "environment": "prod"}
        return self.timed(f"{self.path(schema)}/can-i-deploy", params)


def bench(database: str, url: str, samples: int) -> tuple[list[list[str]], list[str]]:
    rows: list[list[str]] = []
    with (
        registry_server(url) as server,
        httpx.Client(base_url=f"http://{HOST}:{server.port}", timeout=60) as client,
    ):
        run = Bench(client)
        started = time.perf_counter()
        run.record_picture()
        print(f"  {database}: picture recorded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        scenarios: list[tuple[str, Callable[[int], tuple[float, dict[str, Any]]], int]] = [
            (
                "can-i-deploy, producer",
                lambda schema: run.can_i_deploy(schema, "producer", VERSIONS),
                CONSUMERS,
            ),
            ("can-i-deploy, consumer", lambda schema: run.can_i_deploy(schema, "consumer", 1), PRODUCERS),
            (
                "environment picture",
                lambda _schema: run.timed(f"/registries/{REGISTRY}/environments/prod"),
                0,
            ),
        ]
        for label, ask, pairs in scenarios:
            cold, answer = ask(0)
            if pairs and len(answer.get("pairs", [])) != pairs:
                run.wrong.append(f"{label}: {len(answer.get('pairs', []))} pairs, not {pairs}")
            warm = [ask(index % SCHEMAS)[0] for index in range(samples)]
            # the first round over the schemas is cold for each; report the later rounds as warm
            steady = warm[SCHEMAS:] or warm
            p50 = percentile(steady, 0.5)
            met = "target met" if p50 <= TARGET_MS or not pairs else "target missed"
            rows.append([
                database, label, str(pairs or "all"), f"{cold * 1000:.1f}",
                f"{percentile(warm[:SCHEMAS], 0.5):.1f}", f"{p50:.1f}", f"{percentile(steady, 0.9):.1f}",
                met if pairs else "-",
            ])  # fmt: skip
        return rows, run.wrong


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args(argv)
    samples = 60 if args.quick else 300
    rows, wrong = per_database(args.databases, lambda database, url: bench(database, url, samples))
    print(machine_line())
    print(
        f"picture: {SCHEMAS} schemas x {VERSIONS} versions, {SERVICES} services, {len(ENVIRONMENTS)} "
        f"environments, {PRODUCERS} producers and {CONSUMERS} consumers per schema and environment"
    )
    print()
    header = ["database", "question", "pairs", "cold ms", "first round p50 ms", "warm p50 ms", "warm p90 ms",
              f"target {TARGET_MS:g} ms"]  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if wrong:
        print(f"\n{len(wrong)} wrong answers:", file=sys.stderr)
        for message in wrong[:20]:
            print(f"  {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

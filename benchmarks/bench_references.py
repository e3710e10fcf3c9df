"""What shared types cost a running registry: registering a contract with many references, the impact
analysis of a shared type with many dependents, and reading the bundle of a reference chain.

Run from the repository root (`make bench` does):

    .venv/bin/python benchmarks/bench_references.py            # SQLite and PostgreSQL
    .venv/bin/python benchmarks/bench_references.py --quick

A `registry serve` (uvicorn, one worker) on a fresh database, a keep-alive httpx client, one request at a
time. Measured:

* registration of a contract with 20 references (20 shared types of 3 properties each, in another
  registry), one new schema per request; beside it the same contract with the 20 types written inline
  (what registering it cost before references existed);
* impact analysis (`POST .../impact`) of a shared Money with 200 dependents: 10 intermediate types that
  reference Money, 95 schemas that reference Money directly and 95 that reference an intermediate (depth
  2), each with 2 versions (so each dependent is judged against its previous one). Candidates: one that
  breaks every dependent (each answer carries 200 reports with witnesses) and one that breaks none.
  Cold is the first question (the stored versions compiled on the way); warm repeats it. Target: 2 s;
* `GET .../versions/1?resolve=bundle` of the top of a 3-level chain (Invoice → Payment → Money), beside
  the same version as written.

This is not a test: it prints a table and exits 1 only on wrong answers.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from typing import Any

import httpx
from bench_api import HOST, machine_line, per_database, registry_server

TYPES, INTERMEDIATES, DIRECT, INDIRECT = 20, 10, 94, 95  # and Invoice: 200 dependents
IMPACT_TARGET_S = 2.0
MONEY_URI = "https://schemas.acme.example/money.json"
MONEY: dict[str, Any] = {
    "type": "object",
    "properties": {"amount": {"type": "number"}, "currency": {"$ref": "#/definitions/Currency"}},
    "required": ["amount", "currency"],
    "definitions": {"Currency": {"type": "string", "pattern": "^[A-Z]{3}$"}},
}
NARROWER = copy.deepcopy(MONEY)
NARROWER["definitions"]["Currency"] = {"type": "string", "enum": ["EUR", "USD"]}
WIDER = {**copy.deepcopy(MONEY), "required": ["amount"]}


def shared_type(index: int) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [f"code{index}"],
        "properties": {
            f"code{index}": {"type": "string", "pattern": "^[A-Z]{2,8}$"},
            f"count{index}": {"type": "integer", "minimum": 0},
            f"note{index}": {"type": "string", "maxLength": 200},
        },
    }


def referencing(schema: int, inline: bool) -> dict[str, Any]:
    """A contract whose 20 properties are the 20 shared types, by reference or written inline."""
    properties = {
        f"part{index}": shared_type(index) if inline else {"$ref": f"https://types.example/t{index}.json"}
        for index in range(TYPES)
    }
    return {"title": f"Contract{schema}", "type": "object", "properties": properties}


def type_references() -> list[dict[str, Any]]:
    return [
        {
            "name": f"https://types.example/t{index}.json",
            "registry": "types",
            "schema": f"T{index}",
            "version": 1,
        }
        for index in range(TYPES)
    ]


def dependent(index: int, version: int, target: str) -> dict[str, Any]:
    """A dependent's content: its own property per index; a second version no longer requires `id`
    (BACKWARD compatible: it reads every event of the first)."""
    properties: dict[str, Any] = {"id": {"type": "string"}, f"field{index}": {"$ref": target}}
    required = ["id", f"field{index}"] if version == 1 else [f"field{index}"]
    return {"type": "object", "required": required, "properties": properties}


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
                              f"{response.text[:300]}")  # fmt: skip
        return response

    def register(self, registry: str, schema: str, content: Any, references: list[Any]) -> float:
        body = {"type": "JSONSchemaDraft4", "content": content, "references": references}
        start = time.perf_counter()
        response = self.client.post(f"/registries/{registry}/schemas/{schema}/versions", json=body)
        elapsed = time.perf_counter() - start
        self.expect(response, 201)
        return elapsed

    def timed(self, method: str, url: str, **kwargs: Any) -> tuple[float, dict[str, Any]]:
        start = time.perf_counter()
        response = self.client.request(method, url, **kwargs)
        elapsed = time.perf_counter() - start
        return elapsed, self.expect(response, 200).json()

    def setup(self) -> None:
        for name in ("types", "contracts", "common", "billing", "orders"):
            self.expect(self.client.put(f"/registries/{name}", json={}), 201)  # BACKWARD, STRICT
        for index in range(TYPES):
            self.register("types", f"T{index}", shared_type(index), [])
        self.register("common", "Money", MONEY, [])
        money = {"name": MONEY_URI, "registry": "common", "schema": "Money", "version": 1}
        for index in range(INTERMEDIATES):
            for version in (1, 2):
                self.register("billing", f"Payment{index}", dependent(index, version, MONEY_URI), [money])
        for index in range(DIRECT + INDIRECT):
            if index < DIRECT:
                target, reference = MONEY_URI, money
            else:
                middle = index % INTERMEDIATES
                target = "payment.json"
                reference = {
                    "name": target,
                    "registry": "billing",
                    "schema": f"Payment{middle}",
                    "version": 1,
                }
            for version in (1, 2):
                self.register("orders", f"Order{index:03d}", dependent(index, version, target), [reference])
        # the 3-level chain read as a bundle: Invoice -> Payment0 -> Money
        payment = [{"name": "payment.json", "schema": "Payment0", "version": 1}]
        for version in (1, 2):
            self.register("billing", "Invoice", dependent(999, version, "payment.json"), payment)


def bench(database: str, url: str, samples: int) -> tuple[list[list[str]], list[str]]:
    rows: list[list[str]] = []
    with (
        registry_server(url) as server,
        httpx.Client(base_url=f"http://{HOST}:{server.port}", timeout=120) as client,
    ):
        run = Bench(client)
        started = time.perf_counter()
        run.setup()
        print(f"  {database}: picture registered in {time.perf_counter() - started:.1f} s", file=sys.stderr)

        for label, inline in (
            ("registration, 20 references", False),
            ("registration, 20 types inline", True),
        ):
            refs = [] if inline else type_references()
            times = [
                run.register("contracts", f"{'In' if inline else 'Ref'}{n}", referencing(n, inline), refs)
                for n in range(samples)
            ]
            rows.append([database, label, "-", f"{times[0] * 1000:.1f}", f"{percentile(times, 0.5):.1f}",
                         f"{percentile(times, 0.9):.1f}", "-"])  # fmt: skip

        for label, content, breaking in (
            ("impact, 200 dependents, all break", NARROWER, 200),
            ("impact, 200 dependents, none breaks", WIDER, 0),
        ):
            body = {"type": "JSONSchemaDraft4", "content": content}

            def ask(body: dict[str, Any] = body) -> tuple[float, dict[str, Any]]:
                return run.timed("POST", "/registries/common/schemas/Money/impact", json=body)

            cold, answer = ask()
            found = (len(answer.get("dependents", [])), answer.get("breaking"))
            if found != (200, breaking):
                run.wrong.append(f"{label}: {found[0]} dependents, {found[1]} breaking")
            warm = [ask()[0] for _ in range(max(3, samples // 10))]
            p50 = percentile(warm, 0.5)
            met = "met" if max(cold, p50 / 1000) <= IMPACT_TARGET_S else "MISSED"
            rows.append([database, label, "200", f"{cold * 1000:.0f}", f"{p50:.0f}",
                         f"{percentile(warm, 0.9):.0f}", f"{met} ({IMPACT_TARGET_S:g} s)"])  # fmt: skip

        invoice = "/registries/billing/schemas/Invoice/versions/1"
        for label, params in (
            ("GET 3-level chain, bundle", {"resolve": "bundle"}),
            ("GET same, as written", {}),
        ):
            times = []
            for _ in range(samples):
                elapsed, answer = run.timed("GET", invoice, params=params)
                times.append(elapsed)
            if params and "Money" not in answer.get("content", {}).get("definitions", {}):
                run.wrong.append(f"{label}: the bundle has no Money: {answer.get('content')}")
            rows.append([database, label, "-", f"{times[0] * 1000:.1f}", f"{percentile(times, 0.5):.1f}",
                         f"{percentile(times, 0.9):.1f}", "-"])  # fmt: skip
        return rows, run.wrong


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args(argv)
    samples = 20 if args.quick else 100
    rows, wrong = per_database(args.databases, lambda database, url: bench(database, url, samples))
    print(machine_line())
    print()
    header = ["database", "scenario", "dependents", "first ms", "p50 ms", "p90 ms", "target"]
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

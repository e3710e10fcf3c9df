"""Where the time of validating an event against a large contract goes: checking the contract at
registration, loading and compiling it (once per replica), and validating each event (the only part the
1 s validation budget covers).

Run from the repository root (`make bench` does):

    .venv/bin/python benchmarks/bench_validation.py
    .venv/bin/python benchmarks/bench_validation.py --quick      # 300 KB contracts

Three shapes of about 1 MB each: draft-4 definitions referred to by JSON pointer, the same definitions
identified by anchors (`"id": "#D12"`, referred to as `#D12`), and an OpenAPI 3.0 document of as many
component schemas. Each event is a chain of 40 nested objects through the references. Then the same
through the HTTP API (SQLite, in process): the first validation of a version on a replica (the contract
read, loaded and compiled) and the following ones (compiled contract kept in memory).
This is not a test: it prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

import httpx

from codegen import GeneratorPool
from registry.api.app import create_app
from registry.domain.formats import load_contract, parse_contract
from registry.settings import Settings
from registry.storage.database import make_engine
from registry.storage.migrations import upgrade

DEPTH = 40
REPEATS = 20


def definition(index: int, count: int, ref: Callable[[int], str]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for field in range(12):
        kind = field % 4
        if kind == 0:
            properties[f"f{field}"] = {
                "type": "string",
                "pattern": "^[a-z0-9-]{1,40}$",
                "description": "x" * 20,
            }
        elif kind == 1:
            properties[f"f{field}"] = {"type": "integer", "minimum": 0, "maximum": 1000}
        elif kind == 2:
            properties[f"f{field}"] = {"enum": [f"v{value}" for value in range(6)]}
        else:
            properties[f"f{field}"] = {"$ref": ref((index * 7 + field) % count)}
    return {"type": "object", "properties": properties}


def by_pointer(count: int) -> tuple[str, dict[str, Any]]:
    definitions = {f"D{i}": definition(i, count, lambda k: f"#/definitions/D{k}") for i in range(count)}
    return "JSONSchemaDraft4", {"definitions": definitions, "$ref": "#/definitions/D0"}


def by_anchor(count: int) -> tuple[str, dict[str, Any]]:
    definitions = {
        f"D{i}": {"id": f"#D{i}", **definition(i, count, lambda k: f"#D{k}")} for i in range(count)
    }
    return "JSONSchemaDraft4", {"definitions": definitions, "$ref": "#D0"}


def openapi(count: int) -> tuple[str, dict[str, Any]]:
    schemas = {f"D{i}": definition(i, count, lambda k: f"#/components/schemas/D{k}") for i in range(count)}
    schemas["AWSEvent"] = {"$ref": "#/components/schemas/D0"}
    document = {"openapi": "3.0.3", "info": {"title": "big", "version": "1"}, "paths": {}}
    return "OpenApi3", {**document, "components": {"schemas": schemas}}


def event(count: int) -> dict[str, Any]:
    """A chain through f3 (D0 -> D3 -> D24 ...), each link with a value of every kind."""
    node: dict[str, Any] = {"f0": "leaf", "f1": 1, "f2": "v1"}
    chain = [0]
    for _ in range(DEPTH):
        chain.append((chain[-1] * 7 + 3) % count)
    for _ in chain[:-1]:
        node = {"f0": "abc", "f1": 3, "f2": "v2", "f3": node}
    return node


def seconds(call: Callable[[], object]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def in_process(kind: str, content: dict[str, Any], sample: dict[str, Any]) -> list[str]:
    text = json.dumps(content)
    register, contract = seconds(lambda: parse_contract(kind, content))
    load, loaded = seconds(lambda: load_contract(kind, contract.canonical, contract.event_root))
    compile_, _ = seconds(lambda: loaded._validator(False))
    first, errors = seconds(lambda: loaded.validate_event(sample))
    assert errors == [], errors
    warm = statistics.median(seconds(lambda: loaded.validate_event(sample))[0] for _ in range(REPEATS))
    return [
        f"{len(text) / 1e6:.2f} MB",
        f"{register:.2f} s",
        f"{load * 1000:.0f} ms",
        f"{compile_ * 1000:.0f} ms",
        f"{first * 1000:.1f} ms",
        f"{warm * 1000:.1f} ms",
    ]


async def over_http(kind: str, content: dict[str, Any], sample: dict[str, Any]) -> list[str]:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/bench.db"
        engine = make_engine(url)
        upgrade(engine)
        pool = GeneratorPool(workers=1, timeout=30)
        settings = Settings(database_url=url, max_content_bytes=4 * 1024 * 1024, mirror_worker=False)
        app = create_app(settings, engine=engine, generator=pool)
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=120
            ) as http:
                await http.put("/registries/bench", json={})
                path = "/registries/bench/schemas/big/versions"
                created = await http.post(path, json={"type": kind, "content": content})
                assert created.status_code == 201, created.text[:300]
                timings = []
                for _ in range(REPEATS + 1):
                    started = time.perf_counter()
                    answer = await http.post(f"{path}/1/validate", json=sample)
                    timings.append(time.perf_counter() - started)
                    assert answer.json()["valid"] is True, answer.text[:300]
            return [f"{timings[0] * 1000:.0f} ms", f"{statistics.median(timings[1:]) * 1000:.1f} ms"]
        finally:
            pool.close()
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="contracts of about 300 KB")
    count = 400 if parser.parse_args().quick else 1400
    sample = event(count)
    machine = f"Python {platform.python_version()}, {platform.machine()}"
    print(f"{machine}; {count} definitions, events {DEPTH} deep\n")
    head = [
        "contract",
        "size",
        "register",
        "load",
        "compile",
        "1st event",
        "event p50",
        "HTTP 1st",
        "HTTP p50",
    ]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name, build in (
        ("refs by pointer", by_pointer),
        ("refs by anchor", by_anchor),
        ("OpenAPI 3.0", openapi),
    ):
        kind, content = build(count)
        row = in_process(kind, content, sample) + asyncio.run(over_http(kind, content, sample))
        print(f"| {name} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()

"""The semantic diff (`GET .../diff`) beside the pair check it builds on (`GET .../compatibility`), SQLite.

    .venv/bin/python benchmarks/bench_diff.py

Three pairs of versions: the 1,000-property, depth-6 contract of benchmarks/compat_bench.py changed in one
place and in 168 places, and a large EventBridge OpenAPI contract shaped like real ones
(benchmarks/large_openapi.py: 148 components, 160 KB) and its next release (a property added, one made
required, an enum value swapped, a bound loosened, descriptions reworded, a component renamed). For each: the
first request of each route (a fresh schema, so no verdict is reused; the diff asks the checker both ways, the
pair check one way), then the median of repeats, all through the ASGI app in process, one request at a time.
Wall time and CPU time of the process (in process, the request is all it does: CPU time is the less sensitive
to a loaded machine). Prints a table; not a test.
"""

from __future__ import annotations

import asyncio
import copy
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_api import markdown_table
from compat_bench import wide_contract
from large_openapi import large_openapi, release

from registry.api.app import create_app
from registry.settings import Settings
from registry.storage.database import make_engine
from registry.storage.migrations import upgrade

REPEATS = 15


def one_change(base: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(base)
    changed["properties"]["nested0"]["properties"]["nested1"]["properties"]["f2_3"]["enum"] = ["a", "b"]
    return changed


def many_changes(base: dict[str, Any]) -> dict[str, Any]:
    """Every `maxLength` halved: 168 changes, each a tightening with its own finding."""
    changed = copy.deepcopy(base)
    todo = [changed]
    while todo:
        node = todo.pop()
        if "maxLength" in node:
            node["maxLength"] //= 2
        todo.extend(node.get("properties", {}).values())
    return changed


async def timed(client: httpx.AsyncClient, url: str) -> tuple[float, float]:
    """(wall ms, CPU ms) of one request."""
    started, cpu = time.perf_counter(), time.process_time()
    response = await client.get(url)
    assert response.status_code == 200, response.text[:300]
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


async def scenario(
    client: httpx.AsyncClient, name: str, kind: str, old: dict[str, Any], new: dict[str, Any]
) -> list[list[str]]:
    rows = []
    for route, query in (("compatibility", "producer=1&consumer=2"), ("diff", "from=1&to=2")):
        schema = f"/registries/bench/schemas/{name.replace(' ', '-')}-{route}"
        for content in (old, new):
            # a description of its own: no verdict or compiled contract of the other route's versions is
            # reused (each cache is keyed by content)
            body = {"type": kind, "content": _marked(content, route)}
            registered = await client.post(f"{schema}/versions", json=body)
            assert registered.status_code == 201, registered.text[:300]
        url = f"{schema}/{route}?{query}"
        first = await timed(client, url)
        repeats = [await timed(client, url) for _ in range(REPEATS)]
        wall = statistics.median(each[0] for each in repeats)
        cpu = statistics.median(each[1] for each in repeats)
        rows.append(
            [name, f"GET .../{route}", f"{first[0]:.1f}", f"{first[1]:.1f}", f"{wall:.1f}", f"{cpu:.1f}"]
        )
    return rows


def _marked(content: dict[str, Any], mark: str) -> dict[str, Any]:
    """The content with a mark in an annotation (the event schema's `description`): another content to
    every cache, the same events."""
    marked = copy.deepcopy(content)
    target = marked["components"]["schemas"]["AWSEvent"] if "components" in marked else marked
    target["description"] = f"{target.get('description', '')} ({mark})"
    return marked


async def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'bench.db'}")
        upgrade(engine)
        app = create_app(Settings(database_url=str(engine.url), mirror_worker=False), engine=engine)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=120) as client:
            assert (await client.put("/registries/bench", json={"compatibility": "NONE"})).status_code == 201
            base, openapi = wide_contract(), large_openapi()
            rows = [["contracts", "route", "first ms", "first CPU ms", "repeat p50 ms", "repeat p50 CPU ms"]]
            draft4, oas = "JSONSchemaDraft4", "OpenApi3"
            rows += await scenario(client, "one change", draft4, base, one_change(base))
            rows += await scenario(client, "168 changes", draft4, base, many_changes(base))
            rows += await scenario(client, "OpenAPI release", oas, openapi, release(openapi))
        engine.dispose()
    load = ", ".join(f"{each:.2f}" for each in os.getloadavg())
    python = platform.python_version()
    print(f"# the semantic diff beside the pair check (Python {python}, SQLite, load {load})\n")
    print(markdown_table(rows))


if __name__ == "__main__":
    asyncio.run(main())

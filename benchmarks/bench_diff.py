"""The semantic diff (`GET .../diff`) beside the pair check it builds on (`GET .../compatibility`), SQLite.

    .venv/bin/python benchmarks/bench_diff.py

Two versions of a 1,000-property, depth-6 contract (benchmarks/compat_bench.py) that differ in one place,
and in 168 places. For each: the first request of each route (a fresh schema, so no verdict is reused; the
diff asks the checker both ways, the pair check one way), then the median of repeats (verdicts on two contents
are kept per replica, so a repeat costs the structural walk, attribution and witness validation), all through
the ASGI app in process. Prints a table; not a test.
"""

from __future__ import annotations

import asyncio
import copy
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


async def timed(client: httpx.AsyncClient, url: str) -> float:
    started = time.perf_counter()
    response = await client.get(url)
    assert response.status_code == 200, response.text[:300]
    return (time.perf_counter() - started) * 1000


async def scenario(client: httpx.AsyncClient, name: str, new: dict[str, Any]) -> list[list[str]]:
    base = wide_contract()
    rows = []
    for route, query in (("compatibility", "producer=1&consumer=2"), ("diff", "from=1&to=2")):
        schema = f"/registries/bench/schemas/{name.replace(' ', '-')}-{route}"
        for content in (base, new):
            # a title of its own: no verdict or compiled contract of the other route's versions is reused
            body = {"type": "JSONSchemaDraft4", "content": {**content, "title": route}}
            registered = await client.post(f"{schema}/versions", json=body)
            assert registered.status_code == 201, registered.text[:300]
        url = f"{schema}/{route}?{query}"
        first = await timed(client, url)
        repeats = [await timed(client, url) for _ in range(REPEATS)]
        rows.append([name, f"GET .../{route}", f"{first:.1f}", f"{statistics.median(repeats):.1f}"])
    return rows


async def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'bench.db'}")
        upgrade(engine)
        app = create_app(Settings(database_url=str(engine.url), mirror_worker=False), engine=engine)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=120) as client:
            assert (await client.put("/registries/bench", json={"compatibility": "NONE"})).status_code == 201
            base = wide_contract()
            rows = [["contracts", "route", "first ms", f"median of {REPEATS} repeats, ms"]]
            rows += await scenario(client, "one change", one_change(base))
            rows += await scenario(client, "168 changes", many_changes(base))
        engine.dispose()
    print(f"# the semantic diff beside the pair check (Python {platform.python_version()}, SQLite)\n")
    print(markdown_table(rows))


if __name__ == "__main__":
    asyncio.run(main())

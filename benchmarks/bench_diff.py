"""The semantic diff (`GET .../diff`) beside the pair check it builds on (`GET .../compatibility`), SQLite.

    .venv/bin/python benchmarks/bench_diff.py

Three pairs of versions: the 1,000-property, depth-6 contract of benchmarks/compat_bench.py changed in one
place and in 168 places, and a large EventBridge OpenAPI contract shaped like real ones
(benchmarks/large_openapi.py: 148 components, 160 KB) and its next release (a property added, one made
required, an enum value swapped, a bound loosened, descriptions reworded, a component renamed).

For each route: the median of the first requests on 5 fresh schemas (contents of their own, so no verdict or
diff is reused; the diff asks the checker both ways, the pair check one way), then the median of 15 repeats
of the last one, all through the ASGI app in process, one request at a time. Wall time and CPU time of the
process (in process, the request is all it does: CPU time is the less sensitive to a loaded machine). Prints
a table; not a test. Then the diff's two checks alone, in process: each preparing its own documents, and both
reading the documents kept prepared (`registry.contracts.PreparedDocuments`), CPU time.
"""

from __future__ import annotations

import asyncio
import copy
import gc
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
from registry.contracts import Verdicts
from registry.domain.formats import parse_contract
from registry.domain.model import CompatibilityPolicy
from registry.settings import Settings
from registry.storage.database import make_engine
from registry.storage.migrations import upgrade

REPEATS = 15
FIRSTS = 5  # fresh pairs of versions per route: the first request's median


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
        firsts = []
        for sample in range(FIRSTS):
            schema = f"/registries/bench/schemas/{name.replace(' ', '-')}-{route}-{sample}"
            for content in (old, new):
                # a description of its own: no verdict, diff or compiled contract of another schema's
                # versions is reused (each cache is keyed by content)
                body = {"type": kind, "content": _marked(content, f"{route} {sample}")}
                registered = await client.post(f"{schema}/versions", json=body)
                assert registered.status_code == 201, registered.text[:300]
            url = f"{schema}/{route}?{query}"
            firsts.append(await timed(client, url))
        repeats = [await timed(client, url) for _ in range(REPEATS)]
        figures = [
            statistics.median(each[axis] for each in runs) for runs in (firsts, repeats) for axis in (0, 1)
        ]
        rows.append([name, f"GET .../{route}", *(f"{figure:.1f}" for figure in figures)])
    return rows


def checks_both_ways(kind: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """CPU ms (median of FIRSTS) of the diff's two checks without HTTP or database: each check preparing
    its own documents (a `Verdicts` each, each with its own kept documents), and both reading the same kept
    documents, as the diff does."""
    figures = []
    for shared in (False, True):
        spent = []
        for _ in range(FIRSTS):
            before, after = parse_contract(kind, old), parse_contract(kind, new)
            first = Verdicts()
            second = first if shared else Verdicts()
            gc.collect()
            started = time.process_time()
            first.get(before, after, CompatibilityPolicy.STRICT)
            second.get(after, before, CompatibilityPolicy.STRICT)
            spent.append((time.process_time() - started) * 1000)
        figures.append(f"{statistics.median(spent):.0f}")
    return figures


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
            rows = [
                [
                    "contracts",
                    "route",
                    "first p50 ms",
                    "first p50 CPU ms",
                    "repeat p50 ms",
                    "repeat p50 CPU ms",
                ]
            ]
            draft4, oas = "JSONSchemaDraft4", "OpenApi3"
            rows += await scenario(client, "one change", draft4, base, one_change(base))
            rows += await scenario(client, "168 changes", draft4, base, many_changes(base))
            rows += await scenario(client, "OpenAPI release", oas, openapi, release(openapi))
        engine.dispose()
    checks = [["contracts", "type", "apart, CPU ms", "sharing documents, CPU ms"]]
    for name, kind, old, new in (
        ("one change", draft4, base, one_change(base)),
        ("168 changes", draft4, base, many_changes(base)),
        ("OpenAPI release", oas, openapi, release(openapi)),
    ):
        checks.append([name, kind, *checks_both_ways(kind, old, new)])
    load = ", ".join(f"{each:.2f}" for each in os.getloadavg())
    python = platform.python_version()
    print(f"# the semantic diff beside the pair check (Python {python}, SQLite, load {load})\n")
    print(markdown_table(rows))
    print(f"\n# the diff's two checks in process (median of {FIRSTS}, STRICT)\n")
    print(markdown_table(checks))


if __name__ == "__main__":
    asyncio.run(main())

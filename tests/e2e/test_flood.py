"""A served replica flooded with validations that each use up their whole budget (an `anyOf` over recursive
references): the surplus is refused with 503 `server_busy`, and `/healthz` and cached version reads stay
fast. Over real HTTP to `registry serve`: the event loop's latency is what is measured.

Before the limit, eight such validations at once made `/healthz` take 339 ms and `latest` 625 ms."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from tests.api.test_capacity import deep_event, exponential_contract
from tests.e2e.conftest import serve, sqlite_url

FLOODERS = 8
LATENCY_LIMIT = 0.050  # p99, on an idle machine
PROBED = ("/healthz", "/registries/r/schemas/s/versions/1")


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def probe(http: httpx.Client, seconds: float) -> dict[str, list[float]]:
    """Each probed path in turn, one request at a time, for `seconds`: the latencies seen."""
    seen: dict[str, list[float]] = {path: [] for path in PROBED}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in PROBED:
            started = time.monotonic()
            response = http.get(path)
            seen[path].append(time.monotonic() - started)
            assert response.status_code == 200, response.text
        time.sleep(0.005)
    return seen


def flood(url: str, stop: threading.Event, outcomes: Counter[int], retry_after: list[str]) -> None:
    event = deep_event()
    with httpx.Client(base_url=url, timeout=30) as http:
        while not stop.is_set():
            response = http.post("/registries/r/schemas/s/versions/1/validate", json=event)
            outcomes[response.status_code] += 1
            if response.status_code == 503:
                assert response.json()["error"]["code"] == "server_busy"
                retry_after.append(response.headers["retry-after"])


def test_a_flood_of_expensive_requests_leaves_health_and_cached_reads_fast(tmp_path: Path) -> None:
    served_app = serve(
        tmp_path, sqlite_url(tmp_path), settings={"access_log": "false", "expensive_queue_seconds": "0.5"}
    )
    with served_app as served, httpx.Client(base_url=served.url, timeout=30) as http:
        assert http.put("/registries/r", json={"compatibility": "NONE"}).status_code == 201
        contract = {"type": "JSONSchemaDraft4", "content": exponential_contract()}
        assert http.post("/registries/r/schemas/s/versions", json=contract).status_code == 201
        calm = probe(http, seconds=0.5)  # also puts version 1 in the replica's cache

        stop, outcomes, retry_after = threading.Event(), Counter[int](), list[str]()
        flooders = [
            threading.Thread(target=flood, args=(served.url, stop, outcomes, retry_after))
            for _ in range(FLOODERS)
        ]
        for flooder in flooders:
            flooder.start()
        time.sleep(0.3)
        flooded = probe(http, seconds=2.5)
        stop.set()
        for flooder in flooders:
            flooder.join()

    assert outcomes[503] > 0 and set(retry_after) == {"1"}, outcomes
    assert outcomes[422] > 0, outcomes  # validation_budget_exceeded: those that ran
    for path in PROBED:
        # a loaded machine is slow even unflooded: the limit is then a multiple of what it gives calm
        limit = max(LATENCY_LIMIT, 3 * p99(calm[path]))
        assert p99(flooded[path]) < limit, (path, p99(flooded[path]), p99(calm[path]), outcomes)

"""`registry serve` over its life: started while its database refuses connections (one line says so,
/readyz is red, and it recovers when the database comes back, without a restart), then stopped with
SIGTERM under load: every request it had accepted succeeds, /readyz turns red, new requests get 503 with
`Connection: close`, and the process exits once the work in flight is done."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import make_url

from registry.storage.database import make_engine
from registry.storage.migrations import upgrade
from tests.conftest import POSTGRES_SERVER, fresh_postgres_database, load_example
from tests.e2e.conftest import serve
from tests.tcp_proxy import tcp_proxy

SCHEMA = "/registries/orders/schemas/com.acme%40OrderCreated"
GENERATIONS = 8  # distinct contracts: generating their bindings queues on the one generator worker


def variant(number: int) -> dict[str, object]:
    """A contract of its own (a property more), so that each needs its own generation."""
    content = load_example("draft4/custom-order-created.json")
    content["properties"][f"extra{number}"] = {"type": "string"}
    return dict(content)


@pytest.mark.postgres
def test_serve_waits_for_its_database_then_drains_on_sigterm(tmp_path: Path) -> None:
    server = urlsplit(POSTGRES_SERVER)
    with (
        fresh_postgres_database() as url,
        tcp_proxy((server.hostname or "", server.port or 5432)) as proxy,
    ):
        migrated = make_engine(url)
        upgrade(migrated)
        migrated.dispose()
        proxy.refuse()
        through_proxy = make_url(url).set(host="127.0.0.1", port=proxy.port)
        settings = {"shutdown_grace_seconds": "20", "codegen_workers": "1", "readiness_timeout_seconds": "1"}
        database_url = through_proxy.render_as_string(hide_password=False)
        with (
            serve(tmp_path, database_url, settings=settings) as served,
            httpx.Client(base_url=served.url, timeout=30) as http,
        ):
            said = [line for line in served.output().splitlines() if "database not ready" in line]
            assert len(said) == 1, served.output()
            assert http.get("/readyz").status_code == 503
            proxy.forward()
            assert http.get("/readyz").status_code == 200

            assert http.put("/registries/orders", json={"compatibility": "NONE"}).status_code == 201
            for number in range(GENERATIONS):
                body = {"type": "JSONSchemaDraft4", "content": variant(number)}
                assert http.post(f"{SCHEMA}/versions", json=body).status_code == 201
            finished: dict[int, tuple[int, str | None, float]] = {}

            def download(version: int) -> None:
                with httpx.Client(base_url=served.url, timeout=60) as own:
                    response = own.get(f"{SCHEMA}/versions/{version}/bindings/python")
                code = response.json()["error"]["code"] if response.status_code >= 400 else None
                finished[version] = (response.status_code, code, time.monotonic())

            loaders = [threading.Thread(target=download, args=(v,)) for v in range(1, GENERATIONS + 1)]
            for loader in loaders:
                loader.start()
            # SIGTERM once the first download is served, not after a fixed time: the others were sent with it
            # and queue behind it on the one worker, so they are under way; a fixed sleep found them all
            # finished when generation and the database were fast, and the drain then had nothing to wait for
            first_deadline = time.monotonic() + 30
            while not finished and time.monotonic() < first_deadline:
                time.sleep(0.01)
            sent_at = time.monotonic()
            served.process.send_signal(signal.SIGTERM)
            time.sleep(0.1)
            draining = http.get("/readyz")
            refused = httpx.get(f"{served.url}/registries")
            for loader in loaders:
                loader.join(60)
            served.process.wait(30)

    # Accepted before SIGTERM: served in full. Refused at the door while draining: 503 shutting_down.
    outcomes = {(status, code) for status, code, _ in finished.values()}
    assert len(finished) == GENERATIONS
    assert outcomes <= {(200, None), (503, "shutting_down")}, finished
    assert any(status == 200 and at > sent_at for status, _, at in finished.values()), (
        f"no download was still running at SIGTERM: {finished}"
    )
    assert (draining.status_code, draining.json()["code"]) == (503, "shutting_down")
    assert (refused.status_code, refused.json()["error"]["code"]) == (503, "shutting_down")
    assert refused.headers["connection"] == "close"
    assert served.process.returncode == 0
    log = served.output()
    assert (log.count("database unavailable"), log.count("database no longer unavailable")) == (0, 1), log

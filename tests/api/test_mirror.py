"""Mirroring as the registry records it, on SQLite and PostgreSQL: the configuration, the outbox rows
written with each version, states in the version's GET and in /registries/{r}/mirror, and failed
deliveries with their backoff. Delivery to a live EventBridge API is tested end to end in
tests/e2e/test_mirroring.py."""

from __future__ import annotations

import socket
from datetime import datetime

import httpx
import pytest
from sqlalchemy import Engine, text

from registry.domain.mirror import retry_delay
from registry.mirroring import MirrorWorker
from registry.settings import Settings
from registry.storage.database import make_session_factory
from registry.storage.unit_of_work import UnitOfWork
from tests.conftest import load_example

SCHEMA = "/registries/orders/schemas/com.acme%40OrderCreated"
CONTRACT = load_example("draft4/custom-order-created.json")


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The standard boto3 chain finds these (any will do: nothing listens at the mirror's endpoint)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATESTTESTTESTTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")


def closed_port() -> int:
    """A port nothing listens on: deliveries to it fail at once (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def mirror_to(port: int) -> dict[str, str]:
    return {
        "region": "eu-west-1",
        "registry_name": "orders-mirror",
        "endpoint_url": f"http://127.0.0.1:{port}",
    }


def variant(number: int) -> dict[str, object]:
    changed = load_example("draft4/custom-order-created.json")
    changed["description"] = f"variant {number}"
    return changed


async def register(client: httpx.AsyncClient, content: dict[str, object]) -> dict[str, object]:
    response = await client.post(f"{SCHEMA}/versions", json={"type": "JSONSchemaDraft4", "content": content})
    assert response.status_code == 201, response.text
    return dict(response.json())


def worker(settings: Settings, engine: Engine) -> MirrorWorker:
    fast = settings.model_copy(update={"mirror_backoff_seconds": 30.0, "mirror_backoff_cap_seconds": 60.0})
    return MirrorWorker(UnitOfWork(make_session_factory(engine)), fast)


async def test_a_registry_without_a_mirror_writes_no_outbox(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    assert (await client.put("/registries/orders", json={})).status_code == 201
    body = await register(client, CONTRACT)
    assert "mirror" not in body
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM mirror_outbox")).scalar() == 0
    status = (await client.get("/registries/orders/mirror")).json()
    assert status == {
        "registry": "orders",
        "target": None,
        "counts": {"pending": 0, "mirrored": 0, "failed": 0},
        "items": [],
        "next_cursor": None,
    }


async def test_turning_the_mirror_on_queues_every_version_in_order(client: httpx.AsyncClient) -> None:
    assert (await client.put("/registries/orders", json={"compatibility": "NONE"})).status_code == 201
    for number in range(3):
        await register(client, variant(number))
    target = mirror_to(closed_port())
    response = await client.put("/registries/orders", json={"mirror": target})
    assert response.status_code == 200
    assert response.json()["mirror"] == target
    status = (await client.get("/registries/orders/mirror")).json()
    assert status["target"] == target
    assert status["counts"] == {"pending": 3, "mirrored": 0, "failed": 0}
    assert [(item["schema"], item["version"], item["status"]) for item in status["items"]] == [
        ("com.acme@OrderCreated", number, "pending") for number in (1, 2, 3)
    ]
    # a new version joins the queue in the transaction that stores it
    fourth = await register(client, variant(3))
    assert fourth["mirror"]["status"] == "pending"
    assert fourth["mirror"]["remote_version"] is None
    page = (await client.get("/registries/orders/mirror", params={"limit": 2})).json()
    assert [item["version"] for item in page["items"]] == [1, 2]
    rest = (await client.get("/registries/orders/mirror", params={"cursor": page["next_cursor"]})).json()
    assert [item["version"] for item in rest["items"]] == [3, 4]


async def test_a_version_awaiting_delivery_is_not_served_as_immutable(client: httpx.AsyncClient) -> None:
    assert (await client.put("/registries/orders", json={"mirror": mirror_to(closed_port())})).is_success
    await register(client, CONTRACT)
    response = await client.get(f"{SCHEMA}/versions/1")
    assert response.json()["mirror"]["status"] == "pending"
    assert response.headers["cache-control"] == "no-cache"  # its mirror state still changes


async def test_a_failed_delivery_records_the_error_and_backs_off(
    client: httpx.AsyncClient, settings: Settings, engine: Engine
) -> None:
    assert (await client.put("/registries/orders", json={"mirror": mirror_to(closed_port())})).is_success
    await register(client, CONTRACT)
    deliverer = worker(settings, engine)
    before = datetime.now().astimezone()
    assert deliverer.run_once() is True
    after = datetime.now().astimezone()
    state = (await client.get(f"{SCHEMA}/versions/1")).json()["mirror"]
    assert state["status"] == "failed"
    assert state["attempts"] == 1
    assert "Could not connect to the endpoint URL" in state["last_error"]
    retry_at = datetime.fromisoformat(state["next_attempt_at"])
    # 30 s base, jitter 0.5 to 1, counted from the failure, which happened between `before` and `after` (the
    # client's own connection retries take a while on a loaded machine)
    assert (retry_at - before).total_seconds() >= 14 and (retry_at - after).total_seconds() <= 31
    assert deliverer.run_once() is False  # nothing is due before then
    status = (await client.get("/registries/orders/mirror")).json()
    assert status["counts"] == {"pending": 0, "mirrored": 0, "failed": 1}


async def test_turning_the_mirror_off_drops_what_was_not_delivered(client: httpx.AsyncClient) -> None:
    assert (await client.put("/registries/orders", json={"mirror": mirror_to(closed_port())})).is_success
    await register(client, CONTRACT)
    response = await client.put("/registries/orders", json={"mirror": None})
    assert response.status_code == 200
    assert response.json()["mirror"] is None
    assert (await client.get("/registries/orders/mirror")).json()["counts"]["pending"] == 0
    assert "mirror" not in (await client.get(f"{SCHEMA}/versions/1")).json()
    # other fields given as null keep their values, as before
    assert (await client.put("/registries/orders", json={"description": "d"})).json()["description"] == "d"
    assert (await client.put("/registries/orders", json={"description": None})).json()["description"] == "d"


@pytest.mark.parametrize(
    "mirror",
    [
        {"region": "nowhere", "registry_name": "r"},
        {"region": "eu-west-1", "registry_name": "a b"},
        {"region": "eu-west-1", "registry_name": "r", "endpoint_url": "ftp://x"},
        {"region": "eu-west-1"},
        {"region": "eu-west-1", "registry_name": "r", "extra": 1},
    ],
)
async def test_an_invalid_mirror_is_refused(client: httpx.AsyncClient, mirror: dict[str, object]) -> None:
    response = await client.put("/registries/orders", json={"mirror": mirror})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_backoff_doubles_up_to_its_cap_with_jitter() -> None:
    for attempts, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (20, 300.0)]:
        delays = [retry_delay(attempts, base=1.0, cap=300.0) for _ in range(200)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert max(delays) - min(delays) > ceiling / 10  # jittered, not one fixed delay

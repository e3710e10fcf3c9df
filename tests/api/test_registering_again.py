"""Registering content some version already holds answers that version, whichever it is, before any
compatibility check: the same content under the same schema is the same version (idempotent CI steps)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import load_example

DRAFT4 = load_example("draft4/custom-order-created.json")
VERSIONS = "/registries/orders/schemas/OrderCreated/versions"


def revision(number: int) -> dict[str, object]:
    """The contract again with another description: compatible both ways with every other revision."""
    return {**DRAFT4, "description": f"revision {number}"}


@pytest.mark.parametrize("mode", ["BACKWARD", "BACKWARD_TRANSITIVE", "NONE"])
async def test_an_older_versions_content_answers_that_version(client: httpx.AsyncClient, mode: str) -> None:
    assert (await client.put("/registries/orders", json={"compatibility": mode})).status_code == 201
    for number in (1, 2, 3):
        created = await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": revision(number)})
        assert created.status_code == 201, created.text
        assert created.json()["version"] == number

    older = await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": revision(1)})
    latest = await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": revision(3)})

    assert (older.status_code, older.json()["version"]) == (200, 1)
    assert (latest.status_code, latest.json()["version"]) == (200, 3)
    listed = (await client.get(VERSIONS)).json()
    assert [item["version"] for item in listed["items"]] == [1, 2, 3]
    params = {"registry": "orders", "action": "version.registered"}
    audit = (await client.get("/audit", params=params)).json()
    assert len(audit["items"]) == 3  # answering an existing version changes nothing

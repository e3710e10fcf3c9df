"""Issue 10, point 2: contracts whose patterns are ECMA-262 (named groups, `\\u{...}`, `\\p{...}`) register
and validate over the API; Python-only syntax is refused with a message that names ECMA-262."""

from __future__ import annotations

import httpx
import pytest

VERSIONS = "/registries/patterns/schemas/Ticket/versions"
CONTRACT = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": r"^(?<year>\d{4})-(?<seq>\d+)$"},
        "mood": {"type": "string", "pattern": r"^[\u{1F600}-\u{1F64F}]$"},
    },
    "patternProperties": {r"^label-\p{L}+$": {"type": "string"}},
}


@pytest.fixture(autouse=True)
async def patterns_registry(client: httpx.AsyncClient) -> None:
    assert (await client.put("/registries/patterns", json={})).status_code == 201


async def test_a_contract_with_ecma_262_named_groups_registers_and_validates(
    client: httpx.AsyncClient,
) -> None:
    registered = await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": CONTRACT})
    assert registered.status_code == 201, registered.text

    valid = {"id": "2024-17", "mood": "\U0001f600", "label-\u00e9t\u00e9": "summer"}
    answer = (await client.post(f"{VERSIONS}/1/validate", json=valid)).json()
    assert (answer["valid"], answer["errors"]) == (True, [])

    invalid = {"id": "\u0662\u0660\u0662\u0664-1", "label-x": 1}  # Arabic-Indic digits are not ECMA's \d
    errors = (await client.post(f"{VERSIONS}/1/validate", json=invalid)).json()["errors"]
    assert [error["path"] for error in errors] == ["/id", "/label-x"]


async def test_a_python_only_pattern_is_refused_naming_ecma_262_and_the_place(
    client: httpx.AsyncClient,
) -> None:
    content = {"properties": {"id": {"type": "string", "pattern": "(?P<year>\\d{4})"}}}

    response = await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": content})

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_contract"
    assert error["details"]["pointer"] == "/properties/id/pattern"
    assert "ECMA-262" in error["message"] and "(?<name>...)" in error["message"]

"""Every JSON body goes through one strict reader: events as contracts, the native API as EventBridge's."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from codegen import GeneratorPool
from registry.api.app import create_app
from registry.domain.json_input import MAX_DEPTH, MAX_NUMBER_CHARS
from registry.settings import Settings
from registry.storage.database import make_engine
from registry.storage.migrations import upgrade

SCHEMA = "/registries/orders/schemas/Order/versions"
VALIDATE = f"{SCHEMA}/1/validate"
CONTRACT = {"type": "object", "properties": {"n": {"type": "number"}, "tags": {"type": "array"}}}
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One SQLite database for the module, holding the contract: what is refused here is refused before any
    route or database is reached, and nothing here writes."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('json') / 'r.db'}")
    upgrade(engine)

    async def register() -> None:
        async with serving(engine) as http:
            await http.put("/registries/orders", json={})
            created = await http.post(SCHEMA, json={"type": "JSONSchemaDraft4", "content": CONTRACT})
            assert created.status_code == 201

    asyncio.run(register())
    yield engine
    engine.dispose()


@asynccontextmanager
async def serving(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=str(engine.url), mirror_worker=False, token_cache_seconds=0)
    app = create_app(settings, engine=engine, generator=GeneratorPool(workers=1, timeout=30))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r.test") as http:
        yield http


@pytest.fixture
async def client(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(engine) as http:
        yield http


def error_of(response: httpx.Response) -> tuple[int, str, dict[str, Any]]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["details"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
async def test_nan_and_infinity_are_refused_in_events(client: httpx.AsyncClient, constant: str) -> None:
    response = await client.post(VALIDATE, content=f'{{"n": {constant}}}', headers=JSON)
    assert error_of(response) == (400, "malformed_json", {"constant": constant})


async def test_nan_is_refused_in_contracts_sent_as_objects(client: httpx.AsyncClient) -> None:
    body = '{"type": "JSONSchemaDraft4", "content": {"type": "number", "maximum": NaN}}'
    response = await client.post(SCHEMA, content=body, headers=JSON)
    assert error_of(response)[:2] == (400, "malformed_json")


async def test_a_repeated_key_in_a_contract_is_refused_with_its_pointer(client: httpx.AsyncClient) -> None:
    content = '{"properties": {"n": {"type": "string", "type": "integer"}}}'
    body = '{"type": "JSONSchemaDraft4", "content": ' + content + "}"
    response = await client.post(SCHEMA, content=body, headers=JSON)
    assert error_of(response) == (
        422,
        "duplicate_key",
        {"pointer": "/content/properties/n/type", "key": "type"},
    )


async def test_a_repeated_key_in_contract_text_is_located_in_the_contract(client: httpx.AsyncClient) -> None:
    text = '{"type": "object", "required": ["a"], "required": []}'
    response = await client.post(SCHEMA, json={"type": "JSONSchemaDraft4", "content": text})
    assert error_of(response) == (422, "duplicate_key", {"pointer": "/required", "key": "required"})
    assert "the contract content" in response.json()["error"]["message"]


async def test_a_repeated_key_in_an_event_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(VALIDATE, content='{"n": "one", "n": 1}', headers=JSON)
    assert error_of(response) == (422, "duplicate_key", {"pointer": "/n", "key": "n"})


async def test_a_5000_digit_number_names_the_limit(client: httpx.AsyncClient) -> None:
    response = await client.post(VALIDATE, content='{"n": ' + "7" * 5000 + "}", headers=JSON)
    assert error_of(response) == (422, "number_too_long", {"length": 5000, "limit": MAX_NUMBER_CHARS})


async def test_a_number_beyond_a_double_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(VALIDATE, content='{"n": 1e999}', headers=JSON)
    assert error_of(response)[:2] == (422, "number_out_of_range")


async def test_a_1000_level_event_names_the_limit(client: httpx.AsyncClient) -> None:
    event = '{"tags": ' + "[" * 1000 + "]" * 1000 + "}"
    response = await client.post(VALIDATE, content=event, headers=JSON)
    assert error_of(response) == (422, "json_too_deep", {"limit": MAX_DEPTH})


async def test_events_within_the_limits_still_get_a_verdict(client: httpx.AsyncClient) -> None:
    deep = {"tags": json.loads("[" * 200 + "]" * 200)}  # deeper than an event may be, within the body limit
    verdict = (await client.post(VALIDATE, json=deep)).json()
    assert verdict["valid"] is False
    assert "nests deeper than 128 levels" in verdict["errors"][0]["message"]
    assert (await client.post(VALIDATE, json={"n": 1.5, "tags": [1]})).json()["valid"] is True


async def test_the_eventbridge_api_refuses_in_its_own_form(client: httpx.AsyncClient) -> None:
    body = '{"Description": "x", "Description": "y"}'
    response = await client.post("/v1/registries/name/elsewhere", content=body, headers=JSON)
    assert response.status_code == 400
    assert response.headers["x-amzn-errortype"] == "BadRequestException"
    assert "names the key 'Description' twice" in response.json()["Message"]


async def test_a_large_body_is_read_strictly_and_its_value_used(
    client: httpx.AsyncClient,
) -> None:
    """Past 64 KB the body is parsed in a worker thread, and the route takes that value as it is."""
    tags = json.dumps(["x" * 100] * 1000)
    response = await client.post(VALIDATE, content='{"n": 1, "tags": ' + tags + "}", headers=JSON)
    assert response.status_code == 200 and response.json()["valid"] is True
    response = await client.post(VALIDATE, content='{"n": "one", "tags": ' + tags + "}", headers=JSON)
    assert response.status_code == 200 and response.json()["valid"] is False
    response = await client.post(VALIDATE, content='{"n": 1, "n": 2, "tags": ' + tags + "}", headers=JSON)
    assert error_of(response) == (422, "duplicate_key", {"pointer": "/n", "key": "n"})

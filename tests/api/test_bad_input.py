"""Bad input gets a clear error with a stable code, and nothing is half-written."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import load_example

DRAFT4 = load_example("draft4/custom-order-created.json")
VERSIONS = "/registries/orders/schemas/OrderCreated/versions"


@pytest.fixture(autouse=True)
async def orders_registry(client: httpx.AsyncClient) -> None:
    await client.put("/registries/orders", json={})


async def assert_nothing_stored(client: httpx.AsyncClient) -> None:
    assert (await client.get("/registries/orders/schemas")).json()["items"] == []


async def test_malformed_json_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        VERSIONS,
        content=b'{"type": "JSONSchemaDraft4", "content": {',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    await assert_nothing_stored(client)


async def test_a_body_over_the_limit_is_a_413_before_parsing(client: httpx.AsyncClient) -> None:
    huge = b'{"type": "JSONSchemaDraft4", "content": "' + b"x" * (1024 * 1024) + b'"}'
    response = await client.post(VERSIONS, content=huge, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    await assert_nothing_stored(client)


async def test_a_chunked_body_over_the_limit_is_a_413(client: httpx.AsyncClient) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b" " * 65536

    response = await client.post(VERSIONS, content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


async def test_an_invalid_contract_is_a_422_with_code_and_pointer(client: httpx.AsyncClient) -> None:
    broken = {**DRAFT4, "properties": {**DRAFT4["properties"], "id": {"type": "strng"}}}
    response = await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": broken})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_contract"
    assert error["details"]["pointer"] == "/properties/id/type"
    assert error["message"]
    await assert_nothing_stored(client)


async def test_content_string_that_is_not_json_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": "{not json"})
    assert response.status_code == 422
    await assert_nothing_stored(client)


async def test_unknown_contract_type_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.post(VERSIONS, json={"type": "Avro", "content": DRAFT4})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize(
    "ref",
    ["http://example.com/schema.json", "other.json#/definitions/x", "file:///etc/passwd", "/etc/passwd"],
)
async def test_a_ref_outside_the_document_is_refused(client: httpx.AsyncClient, ref: str) -> None:
    content = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {"a": {"$ref": ref}},
    }
    response = await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": content})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "external_ref_not_allowed"
    assert response.json()["error"]["details"]["pointer"] == "/properties/a/$ref"


async def test_a_deeply_nested_contract_is_refused_quickly(client: httpx.AsyncClient) -> None:
    depth = 5000
    nested = '{"type": "object", "properties": {"a": ' * depth + "{}" + "}}" * depth
    body = json.dumps({"type": "JSONSchemaDraft4", "content": nested})
    response = await client.post(VERSIONS, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "document_too_deep"


async def test_a_pathologically_deep_body_is_not_a_500(client: httpx.AsyncClient) -> None:
    body = b'{"type": "JSONSchemaDraft4", "content": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = await client.post(VERSIONS, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "json_too_deep"


async def test_a_recursive_contract_registers_and_validates(client: httpx.AsyncClient) -> None:
    tree = load_example("draft4/order-tree.json")
    assert (
        await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": tree})
    ).status_code == 201
    event = load_example("draft4/order-tree.event.json")
    assert (await client.post(f"{VERSIONS}/1/validate", json=event)).json()["valid"] is True


async def test_text_the_database_cannot_store_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.put("/registries/orders", json={"description": "nul\u0000here"})
    assert response.status_code == 422
    body = '{"type": "JSONSchemaDraft4", "content": {"type": "object", "title": "\\ud800"}}'
    response = await client.post(VERSIONS, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    await assert_nothing_stored(client)


async def test_a_bad_cursor_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/registries", params={"cursor": "!!!"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_cursor"


async def test_unknown_fields_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.put("/registries/orders", json={"compatibilty": "FULL"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("key", ["a#b", "a b", "a/b", "ünï", ""])
async def test_openapi_component_names_outside_the_specification_are_refused(
    client: httpx.AsyncClient, key: str
) -> None:
    """OpenAPI allows ^[a-zA-Z0-9.\\-_]+$ only; `a#b` once escaped as a KeyError (a 500) from the
    validator."""
    contract = load_example("openapi3/custom-order-created.json")
    contract["components"]["schemas"][key] = {"type": "object"}
    response = await client.post(
        "/registries/orders/schemas/Odd/versions", json={"type": "OpenApi3", "content": contract}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_contract"
    assert error["details"]["pointer"].startswith("/components/schemas/")


async def test_the_size_limit_names_its_setting_and_value(client: httpx.AsyncClient) -> None:
    huge = b'{"type": "JSONSchemaDraft4", "content": "' + b"x" * (1024 * 1024) + b'"}'
    error = (await client.post(VERSIONS, content=huge, headers={"content-type": "application/json"})).json()
    assert "REGISTRY_MAX_CONTENT_BYTES" in error["error"]["message"]
    assert "1048576 bytes" in error["error"]["message"]
    assert error["error"]["details"] == {"limit": 1048576, "setting": "REGISTRY_MAX_CONTENT_BYTES"}


RAW_JSON_SCHEMA = {"type": "object", "properties": {"id": {"type": "string"}}}
WRAPPED = json.dumps({"type": "JSONSchemaDraft4", "content": RAW_JSON_SCHEMA}).encode()


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"]
)
async def test_a_body_that_is_not_sent_as_json_is_a_415_with_the_fix(
    client: httpx.AsyncClient, content_type: str
) -> None:
    refused = await client.post(VERSIONS, content=WRAPPED, headers={"content-type": content_type})
    assert refused.status_code == 415
    error = refused.json()["error"]
    assert error["code"] == "unsupported_media_type"
    assert "Content-Type: application/json" in error["message"] and "curl" in error["message"]
    assert error["details"]["content_type"] == content_type
    await assert_nothing_stored(client)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/vnd.api+json",
        None,
    ],
)
async def test_json_bodies_are_read_whatever_their_json_media_type_or_without_one(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    response = await client.post(VERSIONS, content=WRAPPED, headers=headers)
    assert response.status_code == 201, response.text


async def test_other_apis_keep_their_own_answer_to_a_body_that_is_not_json(client: httpx.AsyncClient) -> None:
    eventbridge = await client.post(
        "/v1/registries/name/elsewhere", content=b"description=x", headers={"content-type": "text/plain"}
    )
    assert eventbridge.status_code == 400  # the EventBridge API's own error form, as boto3 reads it
    assert eventbridge.json()["Code"] == "BadRequestException"
    # a PUT without a body (creating an environment, say) needs no Content-Type at all
    empty = await client.put("/registries/orders/environments/dev", headers={"content-type": "text/plain"})
    assert empty.status_code == 201


@pytest.mark.parametrize(
    ("contract", "suggested", "marker"),
    [
        ({"openapi": "3.0.0", "info": {}, "paths": {}}, "OpenApi3", "openapi"),
        (
            {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object"},
            "JSONSchemaDraft4",
            "$schema",
        ),
        (RAW_JSON_SCHEMA, "JSONSchemaDraft4", "properties"),
        ({"type": "object"}, "JSONSchemaDraft4", "type"),
    ],
)
@pytest.mark.parametrize("path", [VERSIONS, "/registries/orders/schemas/OrderCreated/compatibility"])
async def test_a_contract_posted_without_its_wrapper_gets_a_hint(
    client: httpx.AsyncClient, path: str, contract: dict[str, object], suggested: str, marker: str
) -> None:
    refused = await client.post(path, json=contract)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "contract_not_wrapped"
    assert f'{{"type": "{suggested}", "content": <your contract>}}' in error["message"]
    assert error["details"] == {
        "expected": {"type": suggested, "content": "<your contract>"},
        "found": marker,
    }
    await assert_nothing_stored(client)


async def test_a_wrapper_with_a_mistake_gets_the_usual_answer(client: httpx.AsyncClient) -> None:
    misspelt = await client.post(VERSIONS, json={"type": "JSONSchemaDraft4", "contents": RAW_JSON_SCHEMA})
    assert (misspelt.status_code, misspelt.json()["error"]["code"]) == (422, "invalid_request")
    mistyped = await client.post(VERSIONS, json={"type": "object", "content": RAW_JSON_SCHEMA})
    assert (mistyped.status_code, mistyped.json()["error"]["code"]) == (422, "invalid_request")

"""Contracts people bring as they are, over HTTP on SQLite and PostgreSQL: members named like keywords are
names, references to odd places are refused with a reason, and a validation that outruns its budget says
so instead of calling the event invalid."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from registry.domain.formats.regexes import VALIDATION_BUDGET

DRAFT4 = "http://json-schema.org/draft-04/schema#"
# issue 10, point 1: a definition named `id` meets draft 4's legacy `id` keyword (it crashed the $ref check)
ISSUE_CONTRACT = {
    "$schema": DRAFT4,
    "definitions": {
        "id": {"type": "string"},
        "props": {
            "type": "array",
            "items": {"type": "object", "properties": {"id": {"$ref": "#/definitions/id"}}},
        },
    },
    "properties": {"a": {"$ref": "#/definitions/props"}},
}


@pytest.fixture(autouse=True)
async def registry(client: httpx.AsyncClient) -> None:
    assert (await client.put("/registries/odd", json={"compatibility": "NONE"})).status_code == 201


async def register(client: httpx.AsyncClient, content: Any, schema: str = "s") -> httpx.Response:
    return await client.post(
        f"/registries/odd/schemas/{schema}/versions", json={"type": "JSONSchemaDraft4", "content": content}
    )


async def validate(client: httpx.AsyncClient, event: Any, schema: str = "s") -> httpx.Response:
    return await client.post(f"/registries/odd/schemas/{schema}/versions/1/validate", json=event)


async def test_a_definition_named_id_is_a_name_and_the_contract_registers(client: httpx.AsyncClient) -> None:
    registered = await register(client, ISSUE_CONTRACT)
    assert registered.status_code == 201, registered.text

    valid = await validate(client, {"a": [{"id": "x"}]})
    invalid = await validate(client, {"a": [{"id": 1}]})

    assert valid.json()["valid"] is True
    assert invalid.json()["valid"] is False
    assert invalid.json()["errors"][0]["path"] == "/a/0/id"


@pytest.mark.parametrize(
    ("dialect", "member"),
    [
        ("http://json-schema.org/draft-04/schema#", "id"),
        ("http://json-schema.org/draft-07/schema#", "$id"),
        ("https://json-schema.org/draft/2019-09/schema", "$id"),
    ],
)
async def test_a_reference_through_a_property_named_like_an_identifier_resolves(
    client: httpx.AsyncClient, dialect: str, member: str
) -> None:
    """`referencing` takes any path through `items` for a schema in these drafts, so the `properties` map
    below it for one, and its member named `id` (`$id`) for that schema's identifier: it crashed."""
    contract = {
        "$schema": dialect,
        "items": {"properties": {member: {"type": "string"}}},
        "properties": {"b": {"$ref": f"#/items/properties/{member}"}},
    }

    registered = await register(client, contract)
    assert registered.status_code == 201, registered.text
    assert (await validate(client, {"b": "text"})).json()["valid"] is True
    assert (await validate(client, {"b": 5})).json()["valid"] is False


@pytest.mark.parametrize(
    ("content", "code", "pointer"),
    [
        # a reference to an array, a number: nothing a validator could take for a schema
        (
            {"required": ["a"], "properties": {"a": {"$ref": "#/required"}}},
            "unresolvable_ref",
            "/properties/a/$ref",
        ),
        (
            {"properties": {"a": {"maxLength": 3}, "b": {"$ref": "#/properties/a/maxLength"}}},
            "unresolvable_ref",
            "/properties/b/$ref",
        ),
        # a map of names taken for a schema: there `type` is the keyword, and an object is no type
        (
            {"properties": {"type": {"type": "string"}, "b": {"$ref": "#/properties"}}},
            "invalid_contract",
            "/properties/type",
        ),
        # a boolean definition in draft 4, which has no boolean schemas
        (
            {"definitions": {"b": True}, "allOf": [{"$ref": "#/definitions/b"}]},
            "invalid_contract",
            "/definitions/b",
        ),
    ],
)
async def test_a_reference_to_what_cannot_be_a_schema_is_refused_at_the_reference(
    client: httpx.AsyncClient, content: dict[str, Any], code: str, pointer: str
) -> None:
    response = await register(client, content)

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["details"]["pointer"] == pointer


async def test_a_reference_inside_data_is_data(client: httpx.AsyncClient) -> None:
    """`enum`, `const` and `default` hold instances: a `$ref` member there is data, not a reference."""
    contract = {
        "properties": {
            "kind": {"enum": [{"$ref": "http://elsewhere.test/x.json"}], "default": {"$ref": "#/x"}}
        }
    }

    assert (await register(client, contract)).status_code == 201
    assert (await validate(client, {"kind": {"$ref": "http://elsewhere.test/x.json"}})).json()[
        "valid"
    ] is True


async def test_a_validation_that_outruns_its_budget_is_no_verdict(client: httpx.AsyncClient) -> None:
    """`anyOf` over recursive references doubles the work with each level of the event."""
    branches: list[dict[str, Any]] = [{"$ref": "#"} for _ in range(4)]
    contract = {"type": "object", "properties": {"a": {"anyOf": [*branches, {"type": "integer"}]}}}
    event: dict[str, Any] = {"a": "leaf"}
    for _ in range(20):
        event = {"a": event}
    assert (await register(client, contract)).status_code == 201

    response = await validate(client, event)

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_budget_exceeded"
    assert error["details"] == {"budget_seconds": VALIDATION_BUDGET}
    assert "no verdict" in error["message"]

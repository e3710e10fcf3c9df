"""Shared types over HTTP, on SQLite and PostgreSQL: contracts whose `$ref`s name other stored versions
(`references`), their bundles, dependents, refused deletions, and what every downstream use reads."""

from __future__ import annotations

import hashlib
import io
import json
import sys
import types
import zipfile
from typing import Any

import httpx
import pytest
from jsonschema import Draft4Validator
from openapi_spec_validator import validate as validate_openapi
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine, text

from registry.domain.auth import Role
from registry.domain.formats import canonical_json
from tests.api.shared_types import MONEY, MONEY_REF, MONEY_URI, ORDER
from tests.api.test_auth import bearer, new_token

GOOD = {"total": {"amount": 12.5, "currency": "EUR"}, "currency": "USD"}
BAD = {"total": {"amount": 12.5, "currency": "euro"}}
ORDERS = "/registries/orders/schemas/OrderPlaced/versions"
MONEY_VERSIONS = "/registries/common/schemas/Money/versions"


async def register(
    client: httpx.AsyncClient, path: str, content: dict[str, Any], references: list[Any], **more: Any
) -> httpx.Response:
    body = {"type": more.pop("type", "JSONSchemaDraft4"), "content": content, "references": references}
    return await client.post(path, json={**body, **more})


@pytest.fixture(autouse=True)
async def money(client: httpx.AsyncClient) -> None:
    for name in ("common", "orders"):
        assert (await client.put(f"/registries/{name}", json={})).status_code == 201
    assert (await register(client, MONEY_VERSIONS, MONEY, [])).status_code == 201


async def test_a_reference_resolves_to_the_stored_version_and_validation_enforces_it(
    client: httpx.AsyncClient,
) -> None:
    created = await register(client, ORDERS, ORDER, [MONEY_REF])
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["content"] == ORDER  # as written
    assert body["references"] == [MONEY_REF]
    assert (await client.get(f"{ORDERS}/1")).json()["references"] == [MONEY_REF]

    good = (await client.post(f"{ORDERS}/1/validate", json=GOOD)).json()
    bad = (await client.post(f"{ORDERS}/1/validate", json=BAD)).json()
    assert good["valid"] is True
    assert bad["valid"] is False
    assert [each["path"] for each in bad["errors"]] == ["/total/currency"]


async def test_a_version_without_references_keeps_its_plain_fingerprint(client: httpx.AsyncClient) -> None:
    stored = (await client.get(f"{MONEY_VERSIONS}/1")).json()
    assert stored["fingerprint"] == hashlib.sha256(canonical_json(MONEY).encode()).hexdigest()
    assert "references" not in stored


async def test_the_same_text_pointing_at_another_version_is_another_version(
    client: httpx.AsyncClient,
) -> None:
    for name in ("common", "orders"):
        await client.put(f"/registries/{name}", json={"compatibility": "NONE"})
    wider = {**MONEY, "properties": {**MONEY["properties"], "note": {"type": "string"}}}
    assert (await register(client, MONEY_VERSIONS, wider, [])).status_code == 201
    first = await register(client, ORDERS, ORDER, [MONEY_REF])
    again = await register(client, ORDERS, ORDER, [MONEY_REF])
    second = await register(client, ORDERS, ORDER, [{**MONEY_REF, "version": 2}])
    assert (first.status_code, again.status_code, second.status_code) == (201, 200, 201)
    assert second.json()["version"] == 2
    assert first.json()["fingerprint"] != second.json()["fingerprint"]


async def test_a_relative_name_in_the_same_registry_resolves(client: httpx.AsyncClient) -> None:
    shared = "/registries/orders/schemas/Address/versions"
    address = {"type": "object", "properties": {"city": {"type": "string", "minLength": 1}}}
    assert (await register(client, shared, address, [])).status_code == 201
    order = {"type": "object", "properties": {"ship_to": {"$ref": "address.json"}}}
    reference = {"name": "address.json", "schema": "Address", "version": 1}
    created = await register(client, ORDERS, order, [reference])
    assert created.status_code == 201, created.text
    assert created.json()["references"] == [{**reference, "registry": "orders"}]
    invalid = (await client.post(f"{ORDERS}/1/validate", json={"ship_to": {"city": ""}})).json()
    assert invalid["valid"] is False


async def test_an_unnamed_external_ref_is_refused_naming_the_uri_and_references(
    client: httpx.AsyncClient,
) -> None:
    order = {**ORDER, "properties": {**ORDER["properties"], "tax": {"$ref": "https://elsewhere.example/t"}}}
    refused = await register(client, ORDERS, order, [MONEY_REF])
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "external_ref_not_allowed"
    assert error["details"]["uri"] == "https://elsewhere.example/t"
    assert "references" in error["message"]


@pytest.mark.parametrize(
    "reference",
    [
        {**MONEY_REF, "version": 9},
        {**MONEY_REF, "schema": "Nothing"},
        {**MONEY_REF, "registry": "nowhere"},
    ],
)
async def test_a_missing_target_is_reference_not_found(
    client: httpx.AsyncClient, reference: dict[str, Any]
) -> None:
    refused = await register(client, ORDERS, ORDER, [reference])
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "reference_not_found"
    dry_run = await client.post(
        "/registries/orders/schemas/OrderPlaced/compatibility",
        json={"type": "JSONSchemaDraft4", "content": ORDER, "references": [reference]},
    )
    assert dry_run.json()["error"]["code"] == "reference_not_found"


@pytest.mark.parametrize(
    "references",
    [[MONEY_REF, MONEY_REF], [{**MONEY_REF, "name": f"{MONEY_URI}#/definitions/Currency"}]],
    ids=["given twice", "with a fragment"],
)
async def test_a_name_given_twice_or_with_a_fragment_is_refused(
    client: httpx.AsyncClient, references: list[Any]
) -> None:
    refused = await register(client, ORDERS, ORDER, references)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_reference"


async def test_the_bundle_is_self_contained_and_valid_under_draft_4(client: httpx.AsyncClient) -> None:
    assert (await register(client, ORDERS, ORDER, [MONEY_REF])).status_code == 201
    bundled = (await client.get(f"{ORDERS}/1", params={"resolve": "bundle"})).json()["content"]
    Draft4Validator.check_schema(bundled)
    assert "money.json" not in canonical_json(bundled)
    validator = Draft4Validator(bundled)
    assert validator.is_valid(GOOD)
    assert not validator.is_valid(BAD)
    as_written = (await client.get(f"{ORDERS}/1")).json()["content"]  # a kept rendering is not reused
    assert as_written == ORDER


def openapi(schemas: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": schemas},
    }


async def test_openapi_and_json_schema_reference_each_other(client: httpx.AsyncClient) -> None:
    event = openapi(
        {
            "AWSEvent": {
                "type": "object",
                "properties": {"detail": {"$ref": "money.json"}},
                "required": ["detail"],
            }
        }
    )
    reference = {"name": "money.json", "registry": "common", "schema": "Money", "version": 1}
    created = await register(client, ORDERS, event, [reference], type="OpenApi3")
    assert created.status_code == 201, created.text
    bundled = (await client.get(f"{ORDERS}/1", params={"resolve": "bundle"})).json()["content"]
    validate_openapi(bundled)
    bad = (await client.post(f"{ORDERS}/1/validate", json={"detail": BAD["total"]})).json()
    assert bad["valid"] is False

    wrapper = {"$ref": "orders.yaml#/components/schemas/AWSEvent"}
    back = {"name": "orders.yaml", "registry": "orders", "schema": "OrderPlaced", "version": 1}
    path = "/registries/orders/schemas/Wrapper/versions"
    assert (await register(client, path, wrapper, [back])).status_code == 201
    bundled = (await client.get(f"{path}/1", params={"resolve": "bundle"})).json()["content"]
    Draft4Validator.check_schema(bundled)
    assert not Draft4Validator(bundled).is_valid({"detail": BAD["total"]})
    assert (await client.post(f"{path}/1/validate", json={"detail": GOOD["total"]})).json()["valid"]


async def test_a_diamond_and_a_three_level_chain_resolve_with_one_copy_of_the_shared_type(
    client: httpx.AsyncClient,
) -> None:
    # Price -> Money and Tax -> Money; Line -> Price and Tax; Order -> Line: three levels, a diamond
    for name in ("Price", "Tax"):
        content = {"type": "object", "properties": {name.lower(): {"$ref": MONEY_URI}}}
        path = f"/registries/common/schemas/{name}/versions"
        assert (await register(client, path, content, [MONEY_REF])).status_code == 201
    line = {"type": "object", "allOf": [{"$ref": "price.json"}, {"$ref": "tax.json"}]}
    references = [
        {"name": f"{name.lower()}.json", "registry": "common", "schema": name, "version": 1}
        for name in ("Price", "Tax")
    ]
    assert (
        await register(client, "/registries/orders/schemas/Line/versions", line, references)
    ).status_code == 201
    order = {"type": "object", "properties": {"line": {"$ref": "line.json"}}}
    reference = {"name": "line.json", "schema": "Line", "version": 1}
    assert (await register(client, ORDERS, order, [reference])).status_code == 201

    bundled = (await client.get(f"{ORDERS}/1", params={"resolve": "bundle"})).json()["content"]
    Draft4Validator.check_schema(bundled)
    assert sorted(bundled["definitions"]) == ["Currency", "Line", "Money", "Price", "Tax"]
    bad = {"line": {"price": BAD["total"], "tax": GOOD["total"]}}
    good = {"line": {"price": GOOD["total"], "tax": GOOD["total"]}}
    assert (await client.post(f"{ORDERS}/1/validate", json=good)).json()["valid"] is True
    assert (await client.post(f"{ORDERS}/1/validate", json=bad)).json()["valid"] is False

    dependents = await client.get(f"{MONEY_VERSIONS}/1/referenced-by", params={"limit": 1})
    page = dependents.json()
    assert [(each["schema"], each["name"]) for each in page["items"]] == [("Price", MONEY_URI)]
    rest = await client.get(
        f"{MONEY_VERSIONS}/1/referenced-by", params={"limit": 1, "cursor": page["next_cursor"]}
    )
    assert [each["schema"] for each in rest.json()["items"]] == ["Tax"]
    assert rest.json()["next_cursor"] is None


async def test_a_referenced_version_or_schema_is_not_deleted(client: httpx.AsyncClient) -> None:
    assert (await register(client, ORDERS, ORDER, [MONEY_REF])).status_code == 201
    for path in (f"{MONEY_VERSIONS}/1", "/registries/common/schemas/Money", "/registries/common"):
        refused = await client.delete(path)
        assert refused.status_code == 409, path
        error = refused.json()["error"]
        assert error["code"] == "version_referenced"
        assert error["details"]["dependents"] == [
            {"registry": "orders", "schema": "OrderPlaced", "version": 1, "name": MONEY_URI}
        ]
    assert (await client.delete(f"{ORDERS}/1")).status_code == 204
    assert (await client.delete(f"{MONEY_VERSIONS}/1")).status_code == 204


async def test_a_change_in_a_referenced_type_shows_in_the_dependents_compatibility_check(
    client: httpx.AsyncClient,
) -> None:
    assert (await register(client, ORDERS, ORDER, [MONEY_REF])).status_code == 201
    narrower = {**MONEY, "required": ["amount", "currency", "note"]}  # BACKWARD: v1 events lack `note`
    assert (await client.put("/registries/common", json={"compatibility": "NONE"})).status_code == 200
    assert (await register(client, MONEY_VERSIONS, narrower, [])).status_code == 201
    candidate = {"type": "JSONSchemaDraft4", "content": ORDER, "references": [{**MONEY_REF, "version": 2}]}
    report = (
        await client.post("/registries/orders/schemas/OrderPlaced/compatibility", json=candidate)
    ).json()
    assert report["compatible"] is False
    witness = report["incompatibilities"][0]["witness"]
    assert (await client.post(f"{ORDERS}/1/validate", json=witness)).json()["valid"] is True
    refused = await client.post(ORDERS, json=candidate)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "incompatible_version"


async def test_a_reader_of_orders_validates_and_gets_bindings_but_cannot_read_common(
    engine: Engine, client: httpx.AsyncClient
) -> None:
    assert (await register(client, ORDERS, ORDER, [MONEY_REF])).status_code == 201
    _, admin = new_token(engine, Role.ADMIN)
    _, reader = new_token(engine, Role.READER, registry="orders")
    as_reader = bearer(reader)

    assert (await client.get(f"{MONEY_VERSIONS}/1", headers=as_reader)).status_code == 403
    assert (await client.get(f"{MONEY_VERSIONS}/1/referenced-by", headers=as_reader)).status_code == 403
    checked = await client.post(f"{ORDERS}/1/validate", json=BAD, headers=as_reader)
    assert checked.json()["valid"] is False

    package = await client.get(f"{ORDERS}/1/bindings/python", headers=as_reader)
    assert package.status_code == 200, package.text
    models = _models_module(package.content)
    root = next(
        value
        for value in vars(models).values()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value is not BaseModel
        and "total" in value.model_fields
    )
    root.model_validate(GOOD)
    with pytest.raises(ValidationError):
        root.model_validate(BAD)

    # a writer limited to orders cannot name what it cannot read: not found, not forbidden
    _, writer = new_token(engine, Role.WRITER, registry="orders")
    refused = await client.post(
        "/registries/orders/schemas/Other/versions",
        json={"type": "JSONSchemaDraft4", "content": ORDER, "references": [MONEY_REF]},
        headers=bearer(writer),
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "reference_not_found"
    # dependents in registries the caller cannot read are counted, never named
    _, common_writer = new_token(engine, Role.WRITER, registry="common")
    refused = await client.delete(f"{MONEY_VERSIONS}/1", headers=bearer(common_writer))
    assert refused.status_code == 409
    assert refused.json()["error"]["details"] == {"dependents": [], "hidden": 1}
    seen = await client.delete(f"{MONEY_VERSIONS}/1", headers=bearer(admin))
    assert seen.json()["error"]["details"]["dependents"][0]["schema"] == "OrderPlaced"


def _models_module(archive: bytes) -> types.ModuleType:
    files = zipfile.ZipFile(io.BytesIO(archive))
    source = next(name for name in files.namelist() if name.endswith("/models.py"))
    module = types.ModuleType("referencing_models")
    sys.modules[module.__name__] = module  # pydantic resolves postponed annotations through it
    try:
        exec(compile(files.read(source), source, "exec"), module.__dict__)  # our own generated code
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__ == module.__name__
            ):
                value.model_rebuild()
    finally:
        del sys.modules[module.__name__]
    return module


async def test_eventbridge_and_the_mirror_receive_the_bundle(
    engine: Engine, client: httpx.AsyncClient
) -> None:
    assert (await register(client, ORDERS, ORDER, [MONEY_REF])).status_code == 201
    bundled = (await client.get(f"{ORDERS}/1", params={"resolve": "bundle"})).json()["content"]

    described = await client.get("/v1/registries/name/orders/schemas/name/OrderPlaced")
    assert described.status_code == 200, described.text
    assert json.loads(described.json()["Content"]) == bundled

    target = {"region": "eu-west-1", "registry_name": "mirror", "endpoint_url": "http://127.0.0.1:9"}
    assert (await client.put("/registries/orders", json={"mirror": target})).status_code == 200  # back-fill
    with engine.connect() as connection:
        queued = connection.execute(text("SELECT content FROM mirror_outbox")).scalars().all()
    assert [json.loads(each) for each in queued] == [bundled]


async def test_references_inside_a_deleted_schema_or_registry_go_with_it(client: httpx.AsyncClient) -> None:
    await client.put("/registries/common", json={"compatibility": "NONE"})
    inside = {"name": "money.json", "schema": "Money", "version": 1}
    assert (await register(client, MONEY_VERSIONS, {"$ref": "money.json"}, [inside])).status_code == 201
    price = {"type": "object", "properties": {"p": {"$ref": "money.json"}}}
    assert (
        await register(client, "/registries/common/schemas/Price/versions", price, [inside])
    ).status_code == 201
    assert (await client.delete("/registries/common/schemas/Money")).json()["error"]["details"][
        "dependents"
    ] == [{"registry": "common", "schema": "Price", "version": 1, "name": "money.json"}]
    assert (await client.delete("/registries/common")).status_code == 204
    assert (await client.get(MONEY_VERSIONS)).status_code == 404


async def test_can_i_deploy_compares_what_the_references_resolve_to(client: httpx.AsyncClient) -> None:
    for name in ("common", "orders"):
        await client.put(f"/registries/{name}", json={"compatibility": "NONE"})
    looser = {**MONEY, "definitions": {"Currency": {"type": "string", "pattern": "^[A-Za-z]{3}$"}}}
    assert (await register(client, MONEY_VERSIONS, looser, [])).status_code == 201
    assert (await register(client, ORDERS, ORDER, [MONEY_REF])).status_code == 201
    assert (await register(client, ORDERS, ORDER, [{**MONEY_REF, "version": 2}])).status_code == 201
    consumer = {"role": "consumer", "version": 1, "environment": "prod"}
    participants = "/registries/orders/schemas/OrderPlaced/participants"
    assert (await client.put(f"{participants}/billing", json=consumer)).status_code == 201

    answer = await client.get(
        "/registries/orders/schemas/OrderPlaced/can-i-deploy",
        params={"service": "checkout", "role": "producer", "version": 2, "environment": "prod"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["deployable"] is False
    finding = answer.json()["pairs"][0]["report"]["incompatibilities"][0]
    # the referenced type changed, not the text of OrderPlaced: the finding is in the bundle's Currency
    assert (finding["rule"], finding["producer_path"]) == ("pattern_changed", "/definitions/Currency")

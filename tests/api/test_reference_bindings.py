"""Python bindings of contracts that reference others, on SQLite and PostgreSQL: the referenced types are
classes of the package named after the referenced schemas, and the models enforce their constraints, at
the end of a three-level chain and from an OpenAPI contract referencing a JSON Schema one."""

from __future__ import annotations

import types

import httpx
import pytest
from pydantic import BaseModel, ValidationError

from tests.api.test_impact import INVOICE, MONEY, MONEY_REF, MONEY_URI, PAYMENT, register
from tests.api.test_references import _models_module

GOOD_PAYMENT = {"amount": {"amount": 12.5, "currency": "EUR"}, "method": "card"}


async def bindings(client: httpx.AsyncClient, registry: str, schema: str) -> types.ModuleType:
    package = await client.get(f"/registries/{registry}/schemas/{schema}/versions/1/bindings/python")
    assert package.status_code == 200, package.text
    return _models_module(package.content)


def model_with(module: types.ModuleType, field: str) -> type[BaseModel]:
    """The module's model that declares `field` (the event's root, when the field is the root's)."""
    return next(
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, BaseModel) and field in value.model_fields
    )


@pytest.fixture(autouse=True)
async def chain(client: httpx.AsyncClient) -> None:
    for name in ("common", "billing"):
        assert (await client.put(f"/registries/{name}", json={})).status_code == 201
    await register(client, "common", "Money", MONEY, [])
    await register(client, "billing", "Payment", PAYMENT, [MONEY_REF])
    await register(
        client, "billing", "Invoice", INVOICE, [{"name": "payment.json", "schema": "Payment", "version": 1}]
    )


async def test_the_top_of_a_three_level_chain_has_a_class_per_referenced_schema_and_enforces_them(
    client: httpx.AsyncClient,
) -> None:
    module = await bindings(client, "billing", "Invoice")
    assert isinstance(getattr(module, "Money", None), type) and isinstance(
        getattr(module, "Payment", None), type
    )
    assert set(module.Money.model_fields) == {"amount", "currency"}
    invoice = model_with(module, "payment")
    parsed = invoice.model_validate({"payment": GOOD_PAYMENT})
    assert isinstance(parsed.payment, module.Payment)
    assert isinstance(parsed.payment.amount, module.Money)
    for broken in (
        {"payment": {**GOOD_PAYMENT, "amount": {"amount": 1, "currency": "euro"}}},  # Money's pattern
        {"payment": {**GOOD_PAYMENT, "amount": {"currency": "EUR"}}},  # Money's required amount
        {"payment": {"method": "card"}},  # Payment's required amount
    ):
        with pytest.raises(ValidationError):
            invoice.model_validate(broken)


async def test_a_referenced_name_already_taken_is_qualified_by_its_registry(
    client: httpx.AsyncClient,
) -> None:
    own_money = {"type": "object", "properties": {"cents": {"type": "integer"}}}
    ledger = {
        "type": "object",
        "properties": {"local": {"$ref": "#/definitions/Money"}, "shared": {"$ref": MONEY_URI}},
        "definitions": {"Money": own_money},
    }
    await register(client, "billing", "Ledger", ledger, [MONEY_REF])
    module = await bindings(client, "billing", "Ledger")
    assert set(module.Money.model_fields) == {"cents"}  # the contract's own Money keeps its name
    assert set(module.CommonMoney.model_fields) == {"amount", "currency"}
    root = model_with(module, "shared")
    parsed = root.model_validate({"shared": {"amount": 1, "currency": "EUR"}, "local": {"cents": 100}})
    assert isinstance(parsed.shared, module.CommonMoney)
    assert isinstance(parsed.local, module.Money)
    with pytest.raises(ValidationError):
        root.model_validate({"shared": {"amount": 1, "currency": "eu"}})


async def test_an_openapi_contract_referencing_a_json_schema_type_gets_its_class(
    client: httpx.AsyncClient,
) -> None:
    contract = {
        "openapi": "3.0.0",
        "info": {"title": "Refunded", "version": "1"},
        "paths": {},
        "components": {
            "schemas": {
                "AWSEvent": {
                    "type": "object",
                    "required": ["detail"],
                    "x-amazon-events-detail-type": "Refunded",
                    "x-amazon-events-source": "billing",
                    "properties": {
                        "detail-type": {"type": "string"},
                        "source": {"type": "string"},
                        "detail": {"$ref": "#/components/schemas/Refunded"},
                    },
                },
                "Refunded": {
                    "type": "object",
                    "required": ["amount"],
                    "properties": {"amount": {"$ref": MONEY_URI}},
                },
            }
        },
    }
    body = {"type": "OpenApi3", "content": contract, "references": [MONEY_REF]}
    created = await client.post("/registries/billing/schemas/Refunded/versions", json=body)
    assert created.status_code == 201, created.text
    module = await bindings(client, "billing", "Refunded")
    refunded = module.Refunded
    assert isinstance(
        refunded.model_validate({"amount": {"amount": 2, "currency": "USD"}}).amount, module.Money
    )
    with pytest.raises(ValidationError):
        refunded.model_validate({"amount": {"amount": 2, "currency": "usd"}})

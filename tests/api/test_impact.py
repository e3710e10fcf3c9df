"""Impact analysis over HTTP, on SQLite and PostgreSQL: what a candidate for a shared type does to every
version built from it, directly, through a chain, through a diamond; deployed versions; scoped tokens.

The graph every test starts from (all registries BACKWARD, STRICT):

    billing/Invoice/1 ──payment.json──▶ billing/Payment/1 ──money──▶ common/Money/1
    orders/OrderPlaced/1 ──money (and money#/definitions/Currency)──▶ common/Money/1
    orders/Refund/1 ──money──▶ common/Money/1, and ──payment──▶ billing/Payment/1   (a diamond)
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from jsonschema import Draft4Validator
from sqlalchemy import Engine

from registry.domain.auth import Role
from tests.api.shared_types import MONEY, MONEY_REF, MONEY_URI, ORDER
from tests.api.test_auth import bearer, new_token

PAYMENT_URI = "https://schemas.acme.example/payment.json"
PAYMENT = {
    "type": "object",
    "properties": {"amount": {"$ref": MONEY_URI}, "method": {"type": "string"}},
    "required": ["amount"],
}
INVOICE = {"type": "object", "properties": {"payment": {"$ref": "payment.json"}}, "required": ["payment"]}
REFUND = {"type": "object", "properties": {"amount": {"$ref": MONEY_URI}, "payment": {"$ref": PAYMENT_URI}}}
PAYMENT_REF = {"name": PAYMENT_URI, "registry": "billing", "schema": "Payment", "version": 1}
IMPACT = "/registries/common/schemas/Money/impact"

# Only two currencies: events of Money/1 in any other currency are refused (BACKWARD breaks).
NARROWER = copy.deepcopy(MONEY)
NARROWER["definitions"]["Currency"] = {"type": "string", "enum": ["EUR", "USD"]}
# The currency becomes optional: every event of Money/1 is still accepted.
WIDER = {**copy.deepcopy(MONEY), "required": ["amount"]}


def versions(registry: str, schema: str) -> str:
    return f"/registries/{registry}/schemas/{schema}/versions"


async def register(
    client: httpx.AsyncClient, registry: str, schema: str, content: Any, references: list[Any]
) -> dict[str, Any]:
    body = {"type": "JSONSchemaDraft4", "content": content, "references": references}
    created = await client.post(versions(registry, schema), json=body)
    assert created.status_code in (200, 201), created.text
    found: dict[str, Any] = created.json()
    return found


def candidate(content: Any, references: list[Any] | None = None) -> dict[str, Any]:
    return {"type": "JSONSchemaDraft4", "content": content, "references": references or []}


def by_name(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{each['registry']}/{each['schema']}/{each['version']}": each for each in answer["dependents"]}


@pytest.fixture(autouse=True)
async def graph(client: httpx.AsyncClient) -> None:
    for name in ("common", "orders", "billing"):
        assert (await client.put(f"/registries/{name}", json={})).status_code == 201
    await register(client, "common", "Money", MONEY, [])
    await register(client, "billing", "Payment", PAYMENT, [MONEY_REF])
    payment = {"name": "payment.json", "schema": "Payment", "version": 1}
    await register(client, "billing", "Invoice", INVOICE, [payment])
    await register(client, "orders", "OrderPlaced", ORDER, [MONEY_REF])
    await register(client, "orders", "Refund", REFUND, [MONEY_REF, PAYMENT_REF])


async def test_a_breaking_candidate_lists_direct_transitive_and_diamond_dependents_once(
    client: httpx.AsyncClient,
) -> None:
    answered = await client.post(IMPACT, json=candidate(NARROWER))
    assert answered.status_code == 200, answered.text
    answer = answered.json()
    assert answer["candidate"]["registry"] == "common" and answer["candidate"]["schema"] == "Money"
    names = [f"{each['registry']}/{each['schema']}/{each['version']}" for each in answer["dependents"]]
    assert names == [
        "billing/Payment/1",
        "orders/OrderPlaced/1",
        "orders/Refund/1",
        "billing/Invoice/1",
    ]  # nearest first; the diamond's Refund once, at its shortest distance
    found = by_name(answer)
    money = {"name": MONEY_URI, "registry": "common", "schema": "Money", "version": 1}
    assert (found["orders/Refund/1"]["depth"], found["orders/Refund/1"]["via"]) == (1, [money])
    invoice = found["billing/Invoice/1"]
    assert invoice["depth"] == 2
    assert invoice["via"] == [
        {"name": "payment.json", "registry": "billing", "schema": "Payment", "version": 1},
        money,
    ]
    assert answer["breaking"] == 4 and answer["hidden"] == 0
    for each in answer["dependents"]:
        assert each["compatible"] is False
        report = each["report"]["versions"]
        assert (report["mode"], report["policy"]) == ("BACKWARD", "STRICT")
        assert report["checked"] == [{"producer": each["version"], "consumer": "new"}]
        assert report["incompatibilities"][0]["proven"] is True


async def test_the_witness_is_an_event_of_the_dependent_that_its_moved_version_refuses(
    client: httpx.AsyncClient,
) -> None:
    """Checked against the real bundles: the dependent's stored one accepts the witness, and the bundle of
    the same content registered against the candidate (as Money/2) refuses it; the dependent's own dry run
    against Money/2 finds the same incompatibility."""
    answer = (await client.post(IMPACT, json=candidate(NARROWER))).json()
    finding = by_name(answer)["billing/Invoice/1"]["report"]["versions"]["incompatibilities"][0]
    witness = finding["witness"]

    stored = await client.get(f"{versions('billing', 'Invoice')}/1", params={"resolve": "bundle"})
    Draft4Validator.check_schema(stored.json()["content"])
    assert Draft4Validator(stored.json()["content"]).is_valid(witness)

    assert (await client.put("/registries/common", json={"compatibility": "NONE"})).status_code == 200
    await register(client, "common", "Money", NARROWER, [])
    await client.put("/registries/billing", json={"compatibility": "NONE"})
    await register(client, "billing", "Payment", PAYMENT, [{**MONEY_REF, "version": 2}])
    await client.put("/registries/billing", json={"compatibility": "BACKWARD"})
    refs = [{"name": "payment.json", "schema": "Payment", "version": 2}]
    dry_run = await client.post(
        "/registries/billing/schemas/Invoice/compatibility", json=candidate(INVOICE, refs)
    )
    assert dry_run.json()["compatible"] is False
    same = dry_run.json()["incompatibilities"][0]
    assert {k: same[k] for k in ("rule", "producer_path", "consumer_path", "witness")} == {
        k: finding[k] for k in ("rule", "producer_path", "consumer_path", "witness")
    }
    await client.put("/registries/billing", json={"compatibility": "NONE"})
    moved = await register(client, "billing", "Invoice", INVOICE, refs)
    bundle = await client.get(f"{versions('billing', 'Invoice')}/{moved['version']}?resolve=bundle")
    assert not Draft4Validator(bundle.json()["content"]).is_valid(witness)


async def test_a_harmless_candidate_breaks_nothing(client: httpx.AsyncClient) -> None:
    answer = (await client.post(IMPACT, json=candidate(WIDER))).json()
    assert answer["breaking"] == 0
    assert len(answer["dependents"]) == 4
    assert all(each["compatible"] for each in answer["dependents"])
    assert all(each["report"]["versions"]["incompatibilities"] == [] for each in answer["dependents"])


async def test_a_dependent_whose_refs_the_candidate_no_longer_resolves_breaks_outright(
    client: httpx.AsyncClient,
) -> None:
    """OrderPlaced points into Money's `#/definitions/Currency`; a Money without it leaves that `$ref`
    dangling, so OrderPlaced could not even be registered against it."""
    inlined = {**copy.deepcopy(MONEY), "properties": {"amount": {"type": "number"}}}
    del inlined["definitions"]
    answer = (await client.post(IMPACT, json=candidate(inlined))).json()
    order = by_name(answer)["orders/OrderPlaced/1"]
    assert order["compatible"] is False
    assert order["report"]["versions"] is None
    assert order["report"]["error"]["code"] == "unresolvable_ref"


async def test_scope_all_adds_every_referencing_version_and_default_keeps_the_deployed_one(
    client: httpx.AsyncClient,
) -> None:
    titled = {**ORDER, "title": "order placed"}
    await register(client, "orders", "OrderPlaced", titled, [MONEY_REF])
    await register(client, "orders", "OrderPlaced", {**titled, "description": "v3"}, [MONEY_REF])
    default = (await client.post(IMPACT, json=candidate(WIDER))).json()
    assert [k for k in by_name(default) if k.startswith("orders/OrderPlaced")] == ["orders/OrderPlaced/3"]

    recorded = await client.put(
        "/registries/orders/schemas/OrderPlaced/participants/checkout",
        json={"role": "producer", "version": 1, "environment": "prod"},
    )
    assert recorded.status_code == 201
    default = (await client.post(IMPACT, json=candidate(WIDER))).json()
    assert [k for k in by_name(default) if k.startswith("orders/OrderPlaced")] == [
        "orders/OrderPlaced/1",
        "orders/OrderPlaced/3",
    ]
    everything = (await client.post(IMPACT, params={"scope": "all"}, json=candidate(WIDER))).json()
    assert everything["scope"] == "all"
    assert [k for k in by_name(everything) if k.startswith("orders/OrderPlaced")] == [
        "orders/OrderPlaced/1",
        "orders/OrderPlaced/2",
        "orders/OrderPlaced/3",
    ]
    bad_scope = await client.post(IMPACT, params={"scope": "some"}, json=candidate(WIDER))
    assert bad_scope.status_code == 422


async def test_a_deployed_producer_moved_to_a_wider_type_breaks_its_consumers(
    client: httpx.AsyncClient,
) -> None:
    """WIDER is BACKWARD compatible for each dependent, but a producer emitting events without a currency
    breaks the consumer recorded beside it, which still requires one; the moved consumer reads fine."""
    participants = "/registries/orders/schemas/OrderPlaced/participants"
    for service, role in (("checkout", "producer"), ("ledger", "consumer")):
        body = {"role": role, "version": 1, "environment": "prod"}
        assert (await client.put(f"{participants}/{service}", json=body)).status_code == 201
    answer = (await client.post(IMPACT, json=candidate(WIDER))).json()
    order = by_name(answer)["orders/OrderPlaced/1"]
    assert order["report"]["versions"]["compatible"] is True
    assert order["compatible"] is False and answer["breaking"] == 1
    producer, consumer = sorted(order["report"]["deployments"], key=lambda each: each["role"] != "producer")
    assert (producer["service"], producer["environment"], producer["deployable"]) == (
        "checkout",
        "prod",
        False,
    )
    pair = producer["pairs"][0]
    assert pair["counterpart"] == {"service": "ledger", "role": "consumer", "version": 1}
    assert (pair["producer_version"], pair["consumer_version"], pair["compatible"]) == ("new", 1, False)
    witness = pair["report"]["incompatibilities"][0]["witness"]
    stored = await client.get(f"{versions('orders', 'OrderPlaced')}/1", params={"resolve": "bundle"})
    assert not Draft4Validator(stored.json()["content"]).is_valid(witness)  # the consumer refuses it
    assert (consumer["service"], consumer["deployable"]) == ("ledger", True)
    assert consumer["pairs"][0]["producer_version"] == 1


async def test_dependents_in_registries_the_caller_cannot_read_are_counted_never_named(
    engine: Engine, client: httpx.AsyncClient
) -> None:
    """common/Ledger reaches Money through billing/Payment: a reader of common sees Ledger (the billing
    step of its path masked) and only a count of the others."""
    await register(client, "common", "Ledger", {"properties": {"p": {"$ref": PAYMENT_URI}}}, [PAYMENT_REF])
    _, reader = new_token(engine, Role.READER, registry="common")
    answered = await client.post(IMPACT, json=candidate(NARROWER), headers=bearer(reader))
    assert answered.status_code == 200, answered.text
    answer = answered.json()
    assert list(by_name(answer)) == ["common/Ledger/1"]
    ledger = answer["dependents"][0]
    assert ledger["depth"] == 2
    assert ledger["via"][0] is None and ledger["via"][1]["schema"] == "Money"
    assert (answer["hidden"], answer["breaking"]) == (4, 1)
    assert "billing" not in answered.text and "orders" not in answered.text

    _, orders_reader = new_token(engine, Role.READER, registry="orders")
    refused = await client.post(IMPACT, json=candidate(NARROWER), headers=bearer(orders_reader))
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            candidate({"type": "object", "properties": {"x": {"$ref": "https://elsewhere.example/x"}}}),
            "external_ref_not_allowed",
        ),
        (candidate({"type": "nonsense"}), "invalid_contract"),
        (candidate(MONEY, [{**MONEY_REF, "version": 9}]), "reference_not_found"),
    ],
)
async def test_an_invalid_candidate_is_refused_as_its_registration_would_be(
    client: httpx.AsyncClient, body: dict[str, Any], code: str
) -> None:
    refused = await client.post(IMPACT, json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == code


async def test_nothing_is_written_and_unknown_schemas_are_not_found(client: httpx.AsyncClient) -> None:
    await client.post(IMPACT, json=candidate(NARROWER))
    listed = (await client.get(versions("common", "Money"))).json()
    assert [each["version"] for each in listed["items"]] == [1]
    missing = await client.post("/registries/common/schemas/Nothing/impact", json=candidate(MONEY))
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "schema_not_found")
    openapi = {
        "openapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": {"Money": {"type": "object"}}},
    }
    other_type = await client.post(IMPACT, json={"type": "OpenApi3", "content": openapi})
    assert (other_type.status_code, other_type.json()["error"]["code"]) == (409, "schema_type_mismatch")


async def test_a_candidate_with_references_of_its_own_is_resolved_with_them(
    client: httpx.AsyncClient,
) -> None:
    """The next Money takes its currency from a shared Currency type: the dependents see it through two
    references now, and the narrower currency breaks them as before."""
    currency = {"type": "string", "enum": ["EUR", "USD"]}
    await register(client, "common", "Currency", currency, [])
    content = {
        **copy.deepcopy(MONEY),
        "properties": {"amount": {"type": "number"}, "currency": {"$ref": "c.json"}},
    }
    reference = {"name": "c.json", "schema": "Currency", "version": 1}
    answered = await client.post(IMPACT, json=candidate(content, [reference]))
    assert answered.status_code == 200, answered.text
    answer = answered.json()
    assert answer["candidate"]["references"] == [{**reference, "registry": "common"}]
    payment = by_name(answer)["billing/Payment/1"]
    assert payment["compatible"] is False
    assert payment["report"]["versions"]["incompatibilities"][0]["rule"] == "enum_narrowed"
    missing = await client.post(IMPACT, json=candidate(content, []))
    assert (missing.status_code, missing.json()["error"]["code"]) == (422, "external_ref_not_allowed")


async def test_a_transitive_mode_judges_each_version_against_those_up_to_it(
    client: httpx.AsyncClient,
) -> None:
    await client.patch(
        "/registries/orders/schemas/OrderPlaced", json={"compatibility": "BACKWARD_TRANSITIVE"}
    )
    await register(client, "orders", "OrderPlaced", {**ORDER, "title": "order placed"}, [MONEY_REF])
    answer = (await client.post(IMPACT, params={"scope": "all"}, json=candidate(NARROWER))).json()
    found = by_name(answer)
    first, second = found["orders/OrderPlaced/1"], found["orders/OrderPlaced/2"]
    assert first["report"]["versions"]["mode"] == "BACKWARD_TRANSITIVE"
    assert first["report"]["versions"]["checked"] == [{"producer": 1, "consumer": "new"}]
    assert second["report"]["versions"]["checked"] == [
        {"producer": 2, "consumer": "new"},
        {"producer": 1, "consumer": "new"},
    ]
    assert not first["compatible"] and not second["compatible"]

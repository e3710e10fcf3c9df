"""Deployments: who produces and consumes which version where, can-i-deploy, the environment picture, the
DEPLOYED mode and the audit, on both databases.

The story: billing consumes orders/OrderCreated v3 in prod, checkout produces v4 there. v4 requires a
property v3 leaves optional (billing reads it); a version that adds a status value billing does not know
breaks billing, with the event that proves it."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from registry import access
from registry.domain.auth import Role
from registry.storage.database import make_session_factory
from registry.storage.unit_of_work import UnitOfWork
from tests.conftest import load_example

SCHEMA = "/registries/orders/schemas/OrderCreated"
VERSIONS = f"{SCHEMA}/versions"
PARTICIPANTS = f"{SCHEMA}/participants"
CAN_I_DEPLOY = f"{SCHEMA}/can-i-deploy"


def contract(*, title: str, required: tuple[str, ...] = (), statuses: tuple[str, ...] = ()) -> dict[str, Any]:
    """The example OrderCreated: `required` adds required properties to the detail (a narrower producer),
    `statuses` adds status values (a wider one). The title changes no event: only the version's content."""
    content = copy.deepcopy(load_example("draft4/custom-order-created.json"))
    content["title"] = title
    detail = content["definitions"]["OrderCreated"]
    detail["required"] = [*detail["required"], *required]
    detail["properties"]["status"]["enum"] = [*detail["properties"]["status"]["enum"], *statuses]
    return content


V3 = contract(title="v3")
V4 = contract(title="v4", required=("shippingAddress",))  # billing at v3 reads it
V5_COMPATIBLE = contract(title="v5", required=("shippingAddress", "tags"))
V5_INCOMPATIBLE = contract(title="v5", required=("shippingAddress",), statuses=("CANCELLED",))


async def register(
    client: httpx.AsyncClient, content: dict[str, Any], schema: str = SCHEMA
) -> httpx.Response:
    return await client.post(f"{schema}/versions", json={"type": "JSONSchemaDraft4", "content": content})


async def record(
    client: httpx.AsyncClient,
    service: str,
    role: str,
    version: int,
    environment: str = "prod",
    *,
    schema: str = SCHEMA,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body = {"role": role, "version": version, "environment": environment}
    return await client.put(f"{schema}/participants/{service}", json=body, headers=headers)


async def can_i_deploy(client: httpx.AsyncClient, **params: Any) -> httpx.Response:
    return await client.get(CAN_I_DEPLOY, params={"environment": "prod", **params})


async def audit(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/registries/orders/audit", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@pytest.fixture(autouse=True)
async def prod(client: httpx.AsyncClient) -> None:
    """Versions 1 to 4 (NONE: any content), billing consuming v3 and checkout producing v4 in prod."""
    assert (await client.put("/registries/orders", json={"compatibility": "NONE"})).status_code == 201
    for content in (contract(title="v1"), contract(title="v2"), V3, V4):
        assert (await register(client, content)).status_code == 201
    assert (await record(client, "billing", "consumer", 3)).status_code == 201
    assert (await record(client, "checkout", "producer", 4)).status_code == 201


# --- recording -------------------------------------------------------------------------------------------


async def test_recording_answers_the_record_and_201_then_200_when_the_version_moves(
    client: httpx.AsyncClient,
) -> None:
    created = await record(client, "billing", "consumer", 2, "staging")
    assert created.status_code == 201
    body = created.json()
    assert {key: body[key] for key in body if key != "updated_at"} == {
        "registry": "orders",
        "schema": "OrderCreated",
        "service": "billing",
        "role": "consumer",
        "version": 2,
        "environment": "staging",
        "updated_by": "anonymous",
    }
    moved = await record(client, "billing", "consumer", 3, "staging")
    assert moved.status_code == 200
    assert moved.json()["version"] == 3
    again = await record(client, "billing", "consumer", 3, "staging")
    assert again.status_code == 200
    assert again.json() == moved.json()  # nothing changed: same record, same time
    listed = (await client.get(PARTICIPANTS)).json()
    assert [(p["environment"], p["service"], p["role"], p["version"]) for p in listed["items"]] == [
        ("prod", "billing", "consumer", 3),
        ("prod", "checkout", "producer", 4),
        ("staging", "billing", "consumer", 3),
    ]
    assert listed["next_cursor"] is None


async def test_participants_are_filtered_and_paginated(client: httpx.AsyncClient) -> None:
    await record(client, "analytics", "consumer", 1)
    await record(client, "checkout", "producer", 2, "staging")
    only = await client.get(PARTICIPANTS, params={"environment": "prod", "role": "consumer"})
    assert [p["service"] for p in only.json()["items"]] == ["analytics", "billing"]
    seen: list[tuple[str, str]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(PARTICIPANTS, params=params)).json()
        seen += [(p["environment"], p["service"]) for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [("prod", "analytics"), ("prod", "billing"), ("prod", "checkout"), ("staging", "checkout")]
    bad = await client.get(PARTICIPANTS, params={"cursor": "bm9wZQ"})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid_cursor"


async def test_removing_a_record_keeps_its_audit(client: httpx.AsyncClient) -> None:
    removed = await client.delete(
        f"{PARTICIPANTS}/billing", params={"role": "consumer", "environment": "prod"}
    )
    assert removed.status_code == 204
    assert [p["service"] for p in (await client.get(PARTICIPANTS)).json()["items"]] == ["checkout"]
    again = await client.delete(f"{PARTICIPANTS}/billing", params={"role": "consumer", "environment": "prod"})
    assert again.status_code == 404
    error = again.json()["error"]
    assert error["code"] == "participant_not_found"
    assert error["details"] == {
        "registry": "orders",
        "schema": "OrderCreated",
        "service": "billing",
        "role": "consumer",
        "environment": "prod",
    }
    latest = (await audit(client, service="billing"))[0]
    assert latest["action"] == "removed"
    assert (latest["version"], latest["previous_version"]) == (None, 3)


# --- can I deploy? ---------------------------------------------------------------------------------------


async def test_a_producer_may_deploy_a_version_every_consumer_there_reads(client: httpx.AsyncClient) -> None:
    assert (await register(client, V5_COMPATIBLE)).json()["version"] == 5
    answer = await can_i_deploy(client, service="checkout", role="producer", version=5)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["deployable"] is True
    assert {key: body[key] for key in body if key != "pairs"} == {
        "deployable": True,
        "registry": "orders",
        "schema": "OrderCreated",
        "service": "checkout",
        "role": "producer",
        "version": 5,
        "environment": "prod",
        "policy": "STRICT",
    }
    (pair,) = body["pairs"]
    assert pair["counterpart"] == {"service": "billing", "role": "consumer", "version": 3}
    assert (pair["producer_version"], pair["consumer_version"], pair["compatible"]) == (5, 3, True)
    assert pair["report"] == {  # no `mode`: a pair is judged whatever the schema's mode
        "compatible": True,
        "policy": "STRICT",
        "checked": [{"producer": 5, "consumer": 3}],
        "incompatibilities": [],
    }


async def test_a_producer_may_not_deploy_a_version_a_consumer_cannot_read(client: httpx.AsyncClient) -> None:
    assert (await register(client, V5_INCOMPATIBLE)).json()["version"] == 5
    body = (await can_i_deploy(client, service="checkout", role="producer", version=5)).json()
    assert body["deployable"] is False
    (pair,) = body["pairs"]
    assert pair["counterpart"] == {"service": "billing", "role": "consumer", "version": 3}
    assert pair["compatible"] is False
    report = pair["report"]
    assert report["compatible"] is False
    assert report["checked"] == [{"producer": 5, "consumer": 3}]
    finding = report["incompatibilities"][0]
    assert (finding["producer"], finding["consumer"], finding["rule"]) == (5, 3, "enum_narrowed")
    assert finding["proven"] is True
    witness = finding["witness"]
    assert witness["detail"]["status"] == "CANCELLED"
    # the witness is an event v5 may emit and billing's v3 rejects, by the service's own validation
    assert (await client.post(f"{VERSIONS}/5/validate", json=witness)).json()["valid"] is True
    assert (await client.post(f"{VERSIONS}/3/validate", json=witness)).json()["valid"] is False
    # the same question through the compatibility route gives the same report
    same = await client.get(f"{SCHEMA}/compatibility", params={"producer": 5, "consumer": 3})
    assert same.json() == report
    # LENIENT changes nothing here: a status value is data, not an extra property
    lenient = (
        await can_i_deploy(client, service="checkout", role="producer", version=5, policy="LENIENT")
    ).json()
    assert (lenient["policy"], lenient["deployable"]) == ("LENIENT", False)


async def test_a_consumer_is_checked_against_every_producer_and_moves_to_a_new_version(
    client: httpx.AsyncClient,
) -> None:
    await record(client, "returns", "producer", 3)
    wider = contract(title="wider", statuses=("CANCELLED",))
    assert (await register(client, wider)).json()["version"] == 5  # reads v3 and v4 events
    narrowed = contract(title="v6", required=("shippingAddress",))
    narrowed["definitions"]["OrderCreated"]["properties"]["status"]["enum"].remove("ON_HOLD")
    assert (await register(client, narrowed)).json()["version"] == 6

    reads = (await can_i_deploy(client, service="billing", role="consumer", version=5)).json()
    assert reads["deployable"] is True
    assert [
        (p["counterpart"]["service"], p["producer_version"], p["consumer_version"]) for p in reads["pairs"]
    ] == [
        ("checkout", 4, 5),
        ("returns", 3, 5),
    ]
    blocked = (await can_i_deploy(client, service="billing", role="consumer", version=6)).json()
    assert blocked["deployable"] is False
    assert {p["counterpart"]["service"]: p["compatible"] for p in blocked["pairs"]} == {
        "checkout": False,
        "returns": False,
    }
    finding = blocked["pairs"][0]["report"]["incompatibilities"][0]
    assert (finding["producer"], finding["consumer"]) == (4, 6)
    assert finding["witness"]["detail"]["status"] == "ON_HOLD"

    assert (await record(client, "billing", "consumer", 5)).status_code == 200
    entry = (await audit(client, service="billing"))[0]
    assert (entry["action"], entry["version"], entry["previous_version"]) == ("changed", 5, 3)
    # now checkout may ship a status billing's v3 did not know
    assert (await register(client, V5_INCOMPATIBLE)).json()["version"] == 7
    before = (await can_i_deploy(client, service="checkout", role="producer", version=7)).json()
    assert before["deployable"] is True


async def test_a_service_never_recorded_may_ask_and_its_own_record_is_not_its_counterpart(
    client: httpx.AsyncClient,
) -> None:
    first = (await can_i_deploy(client, service="shipping", role="consumer", version=3)).json()
    assert first["deployable"] is True
    assert [p["counterpart"] for p in first["pairs"]] == [
        {"service": "checkout", "role": "producer", "version": 4}
    ]
    # checkout moving from v4 to v1: its v4 record is replaced, not a pair; billing v3 reads v1
    replacing = (await can_i_deploy(client, service="checkout", role="producer", version=1)).json()
    assert [p["counterpart"]["service"] for p in replacing["pairs"]] == ["billing"]
    # with no counterpart at all, there is nothing to break
    await client.delete(f"{PARTICIPANTS}/billing", params={"role": "consumer", "environment": "prod"})
    nobody = (await can_i_deploy(client, service="checkout", role="producer", version=1)).json()
    assert (nobody["deployable"], nobody["pairs"]) == (True, [])


async def test_can_i_deploy_errors(client: httpx.AsyncClient) -> None:
    typo = await can_i_deploy(client, service="checkout", role="producer", version=4, environment="prdo")
    assert typo.status_code == 404
    assert typo.json()["error"] == {
        "code": "environment_not_found",
        "message": "environment 'prdo' does not exist in registry 'orders'; create it first "
        "(PUT /registries/orders/environments/prdo, or `registry environment create`), or check the name",
        "details": {"registry": "orders", "environment": "prdo"},
    }
    missing = await can_i_deploy(client, service="checkout", role="producer", version=9)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "version_not_found")
    unknown_schema = await client.get(
        "/registries/orders/schemas/Nope/can-i-deploy",
        params={"service": "checkout", "role": "producer", "version": 1, "environment": "prod"},
    )
    assert (unknown_schema.status_code, unknown_schema.json()["error"]["code"]) == (404, "schema_not_found")
    bad_service = await can_i_deploy(client, service="-checkout", role="producer", version=4)
    assert (bad_service.status_code, bad_service.json()["error"]["code"]) == (422, "invalid_name")
    assert bad_service.json()["error"]["details"]["kind"] == "service"
    bad_role = await can_i_deploy(client, service="checkout", role="both", version=4)
    assert bad_role.status_code == 422


# --- the environment picture -----------------------------------------------------------------------------


async def test_an_environment_picture_flags_the_pairs_that_are_incompatible_now(
    client: httpx.AsyncClient,
) -> None:
    await register(client, V5_INCOMPATIBLE)
    await record(client, "analytics", "consumer", 5)  # reads what checkout sends
    await record(client, "checkout", "producer", 5)  # recorded without asking: billing v3 breaks
    await register(client, contract(title="other"), "/registries/orders/schemas/InvoiceIssued")
    await record(client, "invoicing", "producer", 1, schema="/registries/orders/schemas/InvoiceIssued")
    await record(client, "checkout", "producer", 4, "staging")

    picture = await client.get("/registries/orders/environments/prod")
    assert picture.status_code == 200
    body = picture.json()
    assert (body["registry"], body["environment"], body["compatible"]) == ("orders", "prod", False)
    invoice, order = body["schemas"]
    assert invoice == {
        "schema": "InvoiceIssued",
        "producers": [{"service": "invoicing", "version": 1}],
        "consumers": [],
        "incompatible_pairs": [],
    }
    assert order["schema"] == "OrderCreated"
    assert order["producers"] == [{"service": "checkout", "version": 5}]
    assert order["consumers"] == [
        {"service": "analytics", "version": 5},
        {"service": "billing", "version": 3},
    ]
    (flagged,) = order["incompatible_pairs"]
    assert (flagged["producer"], flagged["consumer"]) == (
        {"service": "checkout", "version": 5},
        {"service": "billing", "version": 3},
    )
    assert flagged["report"]["incompatibilities"][0]["witness"]["detail"]["status"] == "CANCELLED"

    staging = (await client.get("/registries/orders/environments/staging")).json()
    assert staging["compatible"] is True
    environments = (await client.get("/registries/orders/environments")).json()
    counted = ("environment", "schemas", "participants", "description", "created_by")
    assert [{key: each[key] for key in counted} for each in environments["items"]] == [
        {
            "environment": "prod",
            "schemas": 2,
            "participants": 4,
            "description": None,
            "created_by": "anonymous",
        },
        {
            "environment": "staging",
            "schemas": 1,
            "participants": 1,
            "description": None,
            "created_by": "anonymous",
        },
    ]
    assert environments["next_cursor"] is None
    first = (await client.get("/registries/orders/environments", params={"limit": 1})).json()
    assert [each["environment"] for each in first["items"]] == ["prod"]
    rest = await client.get("/registries/orders/environments", params={"cursor": first["next_cursor"]})
    assert [each["environment"] for each in rest.json()["items"]] == ["staging"]

    unknown = await client.get("/registries/orders/environments/prdo")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "environment_not_found")
    no_registry = await client.get("/registries/nope/environments/prod")
    assert (no_registry.status_code, no_registry.json()["error"]["code"]) == (404, "registry_not_found")
    bad = await client.get("/registries/orders/environments/bad!name")
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_name")


# --- DEPLOYED --------------------------------------------------------------------------------------------


async def test_deployed_mode_accepts_what_fits_every_deployment_and_refuses_the_rest(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.patch(SCHEMA, json={"compatibility": "DEPLOYED"})).json()[
        "compatibility"
    ] == "DEPLOYED"
    refused = await register(client, V5_INCOMPATIBLE)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "incompatible_version"
    assert "billing (consumer of version 3 in prod)" in error["message"]
    details = error["details"]
    assert (details["mode"], details["compatible"]) == ("DEPLOYED", False)
    # checkout's v4 must be readable by the new version, and billing's v3 must read it
    assert details["checked"] == [{"producer": 4, "consumer": "new"}, {"producer": "new", "consumer": 3}]
    assert {(each["producer"], each["consumer"]) for each in details["incompatibilities"]} == {("new", 3)}
    assert details["incompatibilities"][0]["witness"]["detail"]["status"] == "CANCELLED"
    assert details["deployments"] == [
        {"service": "billing", "role": "consumer", "version": 3, "environment": "prod"}
    ]
    assert [v["version"] for v in (await client.get(VERSIONS)).json()["items"]] == [1, 2, 3, 4]

    # the dry run applies the same check, and the matrix still answers
    dry = await client.post(
        f"{SCHEMA}/compatibility", json={"type": "JSONSchemaDraft4", "content": V5_INCOMPATIBLE}
    )
    assert dry.status_code == 200
    assert {key: dry.json()[key] for key in ("compatible", "mode", "checked")} == {
        "compatible": False,
        "mode": "DEPLOYED",
        "checked": details["checked"],
    }
    matrix = await client.get(f"{SCHEMA}/compatibility/matrix")
    assert matrix.status_code == 200 and matrix.json()["versions"] == [1, 2, 3, 4]

    # between checkout's v4 and billing's v3: accepted
    accepted = await register(client, contract(title="v5", required=("shippingAddress",)))
    assert accepted.status_code == 201, accepted.text
    # a stricter consumer-side version would not read checkout's v4 events (no tags required there)
    too_strict = await register(client, V5_COMPATIBLE)
    assert too_strict.status_code == 409
    assert too_strict.json()["error"]["details"]["deployments"] == [
        {"service": "checkout", "role": "producer", "version": 4, "environment": "prod"}
    ]


async def test_deployed_mode_with_nothing_recorded_accepts_anything(client: httpx.AsyncClient) -> None:
    other = "/registries/orders/schemas/Fresh"
    assert (await register(client, contract(title="a"), other)).status_code == 201
    await client.patch(other, json={"compatibility": "DEPLOYED"})
    assert (await register(client, V5_INCOMPATIBLE, other)).status_code == 201
    assert (await register(client, V5_COMPATIBLE, other)).status_code == 201
    # the registry's default may be DEPLOYED too
    updated = await client.put("/registries/orders", json={"compatibility": "DEPLOYED"})
    assert updated.json()["compatibility"] == "DEPLOYED"


# --- versions in use -------------------------------------------------------------------------------------


async def test_a_deployed_version_cannot_be_deleted_until_its_records_go(client: httpx.AsyncClient) -> None:
    await record(client, "billing", "consumer", 3, "staging")
    refused = await client.delete(f"{VERSIONS}/3")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "version_in_use"
    assert error["details"]["deployments"] == [
        {"service": "billing", "role": "consumer", "version": 3, "environment": "prod"},
        {"service": "billing", "role": "consumer", "version": 3, "environment": "staging"},
    ]
    assert (await client.get(f"{VERSIONS}/3")).status_code == 200
    await record(client, "billing", "consumer", 2)
    await client.delete(f"{PARTICIPANTS}/billing", params={"role": "consumer", "environment": "staging"})
    assert (await client.delete(f"{VERSIONS}/3")).status_code == 204
    assert (await client.delete(f"{VERSIONS}/latest")).status_code == 409  # v4: checkout runs it


# --- the audit -------------------------------------------------------------------------------------------


async def test_every_change_is_audited_with_its_actor_newest_first(
    engine: Engine, client: httpx.AsyncClient
) -> None:
    token, secret = access.create_token(
        UnitOfWork(make_session_factory(engine)), Role.WRITER, registry=None, actor="test"
    )
    headers = {"Authorization": f"Bearer {secret}"}
    # once a token exists the service is closed: anonymous writes are refused and leave no entry
    assert (await record(client, "billing", "consumer", 4)).status_code == 401
    assert (await record(client, "billing", "consumer", 4, headers=headers)).json()["updated_by"] == token.id
    await record(client, "billing", "consumer", 4, headers=headers)  # no change, no entry
    removed = await client.delete(
        f"{PARTICIPANTS}/checkout", params={"role": "producer", "environment": "prod"}, headers=headers
    )
    assert removed.status_code == 204

    page = await client.get("/registries/orders/audit", headers=headers)
    entries = page.json()["items"]
    assert [
        (e["action"], e["service"], e["version"], e["previous_version"], e["actor"]) for e in entries
    ] == [
        ("removed", "checkout", None, 4, token.id),
        ("changed", "billing", 4, 3, token.id),
        ("recorded", "checkout", 4, None, "anonymous"),
        ("recorded", "billing", 3, None, "anonymous"),
    ]
    first = entries[0]
    assert {key: first[key] for key in ("registry", "schema", "role", "environment")} == {
        "registry": "orders",
        "schema": "OrderCreated",
        "role": "producer",
        "environment": "prod",
    }
    assert first["at"] and isinstance(first["id"], int)
    older = await client.get("/registries/orders/audit", params={"limit": 3}, headers=headers)
    rest = await client.get(
        "/registries/orders/audit", params={"cursor": older.json()["next_cursor"]}, headers=headers
    )
    assert [e["id"] for e in older.json()["items"] + rest.json()["items"]] == [e["id"] for e in entries]
    filtered = await client.get(
        "/registries/orders/audit", params={"service": "billing", "environment": "prod"}, headers=headers
    )
    assert [e["action"] for e in filtered.json()["items"]] == ["changed", "recorded"]
    none = await client.get("/registries/orders/audit", params={"schema": "Other"}, headers=headers)
    assert none.json()["items"] == []


async def test_the_audit_outlives_the_schema_and_goes_with_the_registry(client: httpx.AsyncClient) -> None:
    assert (await client.delete(SCHEMA)).status_code == 204
    assert len(await audit(client)) == 2
    emptied = await client.get("/registries/orders/environments/prod")
    assert emptied.json()["schemas"] == []  # the records went with the schema; the environment stays
    assert (await client.delete("/registries/orders")).status_code == 204
    assert (await client.put("/registries/orders", json={})).status_code == 201
    assert await audit(client) == []


# --- refusals that write nothing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        (
            f"{PARTICIPANTS}/billing",
            {"role": "consumer", "version": 9, "environment": "prod"},
            404,
            "version_not_found",
        ),
        (
            "/registries/nope/schemas/OrderCreated/participants/billing",
            {"role": "consumer", "version": 1, "environment": "prod"},
            404,
            "registry_not_found",
        ),
        (
            "/registries/orders/schemas/Nope/participants/billing",
            {"role": "consumer", "version": 1, "environment": "prod"},
            404,
            "schema_not_found",
        ),
        (
            f"{PARTICIPANTS}/bad%20name",
            {"role": "consumer", "version": 1, "environment": "prod"},
            422,
            "invalid_name",
        ),
        (
            f"{PARTICIPANTS}/{'s' * 65}",
            {"role": "consumer", "version": 1, "environment": "prod"},
            422,
            "invalid_name",
        ),
        (
            f"{PARTICIPANTS}/billing",
            {"role": "consumer", "version": 1, "environment": "pr/od"},
            422,
            "invalid_name",
        ),
        (
            f"{PARTICIPANTS}/billing",
            {"role": "consumer", "version": 1, "environment": ""},
            422,
            "invalid_name",
        ),
        (
            f"{PARTICIPANTS}/billing",
            {"role": "owner", "version": 1, "environment": "prod"},
            422,
            "invalid_request",
        ),
        (
            f"{PARTICIPANTS}/billing",
            {"role": "consumer", "version": 0, "environment": "prod"},
            422,
            "invalid_request",
        ),
        (f"{PARTICIPANTS}/billing", {"role": "consumer", "version": 1}, 422, "invalid_request"),
    ],
)
async def test_refused_records_write_nothing(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], status: int, code: str
) -> None:
    before = ((await client.get(PARTICIPANTS)).json(), await audit(client))
    refused = await client.put(path, json=body)
    assert (refused.status_code, refused.json()["error"]["code"]) == (status, code)
    assert ((await client.get(PARTICIPANTS)).json(), await audit(client)) == before


async def test_the_other_listings_check_their_names(client: httpx.AsyncClient) -> None:
    for path, params in [
        (PARTICIPANTS, {"environment": "bad name"}),
        ("/registries/orders/audit", {"service": "-x"}),
        ("/registries/orders/audit", {"environment": "a" * 65}),
        (f"{PARTICIPANTS}/billing", {"role": "consumer", "environment": "bad name"}),
    ]:
        method = client.delete if path.endswith("/billing") else client.get
        refused = await method(path, params=params)
        assert (refused.status_code, refused.json()["error"]["code"]) == (422, "invalid_name"), path
    assert (await client.get("/registries/nope/audit")).status_code == 404
    assert (await client.get("/registries/nope/environments")).status_code == 404
    assert (await client.get("/registries/orders/schemas/Nope/participants")).status_code == 404

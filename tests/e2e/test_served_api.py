"""The CI flow a user drives with curl, over real HTTP against `registry serve` (uvicorn) on a SQLite file.

One server serves the whole module: `flow` registers the contracts once, and every test reads from it."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import load_example
from tests.e2e.conftest import Served, serve, sqlite_url

REGISTRY = "ci.e2e"
EC2 = "aws.ec2@EC2InstanceStateChangeNotification"
INVOICE = "aws.partner-x.com/123@Invoice.Issued"
EC2_PATH = f"/registries/{REGISTRY}/schemas/{quote(EC2, safe='')}"
INVOICE_PATH = f"/registries/{REGISTRY}/schemas/{quote(INVOICE, safe='')}"


def invoice_v2() -> dict[str, Any]:
    """A backward-compatible change: every invoice valid under version 1 stays valid."""
    contract: dict[str, Any] = load_example("draft4/custom-invoice-issued.json")
    detail = contract["definitions"]["InvoiceIssued"]["properties"]
    detail["currency"]["enum"].append("CHF")
    detail["dueInDays"]["maximum"] = 365
    return contract


@dataclass
class Flow:
    server: Served
    http: httpx.Client
    created: httpx.Response
    ec2_v1: httpx.Response
    invoice_v1: httpx.Response
    invoice_v1_again: httpx.Response
    invoice_v2: httpx.Response


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flow]:
    workdir = tmp_path_factory.mktemp("served")
    with serve(workdir, sqlite_url(workdir)) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        created = http.put(f"/registries/{REGISTRY}", json={"description": "contracts checked by CI"})
        ec2 = http.post(
            f"{EC2_PATH}/versions",
            json={"type": "OpenApi3", "content": load_example("openapi3/aws-ec2-instance-state-change.json")},
        )
        invoice = {"type": "JSONSchemaDraft4", "content": load_example("draft4/custom-invoice-issued.json")}
        invoice_v1 = http.post(f"{INVOICE_PATH}/versions", json=invoice)
        invoice_v1_again = http.post(f"{INVOICE_PATH}/versions", json=invoice)
        v2 = http.post(
            f"{INVOICE_PATH}/versions",
            json={"type": "JSONSchemaDraft4", "content": invoice_v2(), "description": "CHF, longer terms"},
        )
        yield Flow(server, http, created, ec2, invoice_v1, invoice_v1_again, v2)


def test_creating_a_registry_returns_201_with_its_defaults(flow: Flow) -> None:
    assert flow.created.status_code == 201, flow.created.text
    assert flow.created.json()["name"] == REGISTRY
    assert flow.created.json()["compatibility"] == "BACKWARD"
    assert flow.http.get(f"/registries/{REGISTRY}").json()["description"] == "contracts checked by CI"


def test_registering_both_contract_formats_creates_version_1(flow: Flow) -> None:
    for response, name, kind in (
        (flow.ec2_v1, EC2, "OpenApi3"),
        (flow.invoice_v1, INVOICE, "JSONSchemaDraft4"),
    ):
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["registry"], body["schema"], body["version"], body["type"]) == (REGISTRY, name, 1, kind)
        assert re.fullmatch(r"[0-9a-f]{64}", body["fingerprint"])


def test_registering_identical_content_again_returns_the_existing_version(flow: Flow) -> None:
    assert flow.invoice_v1_again.status_code == 200, flow.invoice_v1_again.text
    assert flow.invoice_v1_again.json()["version"] == 1
    assert flow.invoice_v1_again.json()["fingerprint"] == flow.invoice_v1.json()["fingerprint"]


def test_registering_changed_content_creates_version_2(flow: Flow) -> None:
    assert flow.invoice_v2.status_code == 201, flow.invoice_v2.text
    assert flow.invoice_v2.json()["version"] == 2
    assert flow.invoice_v2.json()["description"] == "CHF, longer terms"


def test_listing_versions_and_schemas_shows_what_was_registered(flow: Flow) -> None:
    versions = flow.http.get(f"{INVOICE_PATH}/versions")
    assert versions.status_code == 200, versions.text
    assert [item["version"] for item in versions.json()["items"]] == [1, 2]
    schemas = flow.http.get(f"/registries/{REGISTRY}/schemas")
    assert schemas.status_code == 200, schemas.text
    listed = {item["name"]: item for item in schemas.json()["items"]}
    assert set(listed) == {EC2, INVOICE}
    assert listed[INVOICE]["latest_version"] == 2
    assert listed[EC2]["type"] == "OpenApi3"


def test_schema_names_with_slash_and_at_round_trip_percent_encoded(flow: Flow) -> None:
    assert INVOICE_PATH.endswith("/aws.partner-x.com%2F123%40Invoice.Issued")
    schema = flow.http.get(INVOICE_PATH)
    assert schema.status_code == 200, schema.text
    assert schema.json()["name"] == INVOICE
    prefixed = flow.http.get(f"/registries/{REGISTRY}/schemas", params={"prefix": "aws.partner-x.com/"})
    assert [item["name"] for item in prefixed.json()["items"]] == [INVOICE]


def test_reading_version_1_returns_the_registered_content_as_immutable(flow: Flow) -> None:
    version = flow.http.get(f"{EC2_PATH}/versions/1")
    assert version.status_code == 200, version.text
    assert version.json()["content"] == load_example("openapi3/aws-ec2-instance-state-change.json")
    assert version.json()["fingerprint"] == flow.ec2_v1.json()["fingerprint"]
    assert "immutable" in version.headers["cache-control"]
    assert version.headers["etag"]


def test_reading_latest_returns_the_highest_version_to_revalidate(flow: Flow) -> None:
    latest = flow.http.get(f"{INVOICE_PATH}/versions/latest")
    assert latest.status_code == 200, latest.text
    assert latest.json()["version"] == 2
    assert latest.json()["content"] == invoice_v2()
    assert "immutable" not in latest.headers["cache-control"]


@pytest.mark.parametrize("version", ["1", "latest"])
def test_a_matching_if_none_match_gets_304_without_a_body(flow: Flow, version: str) -> None:
    first = flow.http.get(f"{INVOICE_PATH}/versions/{version}")
    again = flow.http.get(
        f"{INVOICE_PATH}/versions/{version}", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    stale = flow.http.get(f"{INVOICE_PATH}/versions/{version}", headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200


@pytest.mark.parametrize(
    ("path", "example"),
    [
        (EC2_PATH, "openapi3/aws-ec2-instance-state-change.event.json"),
        (INVOICE_PATH, "draft4/custom-invoice-issued.event.json"),
    ],
)
def test_the_example_events_validate(flow: Flow, path: str, example: str) -> None:
    result = flow.http.post(f"{path}/versions/1/validate", json=load_example(example))
    assert result.status_code == 200, result.text
    assert result.json()["valid"] is True, result.json()
    assert result.json()["errors"] == []


def test_a_mutated_invoice_is_invalid_with_json_pointers_to_each_problem(flow: Flow) -> None:
    event = load_example("draft4/custom-invoice-issued.event.json")
    event["detail"]["total"] = 0  # exclusiveMinimum: true
    event["detail"]["taxRate"] = 1  # exclusiveMaximum: true
    result = flow.http.post(f"{INVOICE_PATH}/versions/latest/validate", json=event)
    assert result.status_code == 200, result.text
    assert result.json()["valid"] is False
    assert result.json()["version"] == 2
    paths = {error["path"] for error in result.json()["errors"]}
    assert paths == {"/detail/total", "/detail/taxRate"}


def test_an_event_from_an_unknown_region_is_invalid_under_the_openapi_contract(flow: Flow) -> None:
    event = copy.deepcopy(load_example("openapi3/aws-ec2-instance-state-change.event.json"))
    event["region"] = "xx-nowhere-1"
    result = flow.http.post(f"{EC2_PATH}/versions/1/validate", json=event).json()
    assert result["valid"] is False
    assert [error["path"] for error in result["errors"]] == ["/region"]


def test_search_finds_a_schema_by_a_content_keyword(flow: Flow) -> None:
    hits = flow.http.get("/search", params={"q": "invoiceNumber"})
    assert hits.status_code == 200, hits.text
    assert [(hit["registry"], hit["schema"]) for hit in hits.json()["items"]] == [(REGISTRY, INVOICE)]
    by_name = flow.http.get("/search", params={"q": "ec2"}).json()["items"]
    assert [hit["schema"] for hit in by_name] == [EC2]


def test_requests_appear_in_the_access_log(flow: Flow) -> None:
    flow.http.get("/readyz")
    log = flow.server.wait_for_output('"GET /readyz HTTP/1.1" 200')
    assert f'"PUT /registries/{REGISTRY} HTTP/1.1" 201' in log
    assert '"GET /readyz HTTP/1.1" 200' in log
    assert re.search(r'"POST /registries/ci\.e2e/schemas/\S+/versions HTTP/1\.1" 201', log), log


def test_swagger_ui_and_its_script_are_served_locally(flow: Flow) -> None:
    page = flow.http.get("/docs")
    assert page.status_code == 200
    assert "http://" not in page.text and "https://" not in page.text
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    assert scripts, page.text
    for script in scripts:
        asset = flow.http.get(script)
        assert asset.status_code == 200, script
        assert "javascript" in asset.headers["content-type"]
        assert len(asset.content) > 100_000  # the Swagger UI bundle itself, not a stub
    assert flow.http.get("/openapi.json").json()["info"]["title"] == "Event Contract Registry"


def test_readyz_reports_ready_on_the_migrated_database(flow: Flow) -> None:
    ready = flow.http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"

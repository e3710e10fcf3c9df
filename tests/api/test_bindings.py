"""Python bindings over HTTP, on SQLite and PostgreSQL: the zip, the PEP 503/691 index, wheel downloads,
generation failures, and authentication as pip sends it."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import re
import zipfile

import httpx
import pytest
from sqlalchemy import Engine, text

from codegen import GENERATOR_VERSION, GeneratorPool
from registry import access
from registry.api.app import create_app
from registry.domain.auth import Role
from registry.settings import Settings
from registry.storage.database import make_engine, make_session_factory
from registry.storage.unit_of_work import UnitOfWork
from tests.conftest import load_example

OPENAPI = load_example("openapi3/custom-order-created.json")
SCHEMA = "com.acme@Order.Created"
PROJECT = "orders-com-acme-order-created"
VERSIONS = "/registries/orders/schemas/com.acme%40Order.Created/versions"
JSON_V1 = "application/vnd.pypi.simple.v1+json"
# pip 23 and later send exactly this
PIP_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
)


def wheel_name(version: int) -> str:
    return f"orders_com_acme_order_created-{version}+{GENERATOR_VERSION}-py3-none-any.whl"


def with_property(name: str) -> dict[str, object]:
    """The example contract with one more optional property on the detail: a distinct version."""
    changed = load_example("openapi3/custom-order-created.json")
    changed["components"]["schemas"]["OrderCreated"]["properties"][name] = {"type": "string"}
    return changed


@pytest.fixture(autouse=True)
async def orders_registry(client: httpx.AsyncClient) -> None:
    created = await client.put("/registries/orders", json={"compatibility": "NONE"})
    assert created.status_code == 201
    registered = await client.post(VERSIONS, json={"type": "OpenApi3", "content": OPENAPI})
    assert registered.status_code == 201


async def test_the_schema_names_its_python_package(client: httpx.AsyncClient) -> None:
    body = (await client.get("/registries/orders/schemas/com.acme%40Order.Created")).json()
    assert body["python"] == {
        "distribution": PROJECT,
        "import_name": "orders_com_acme_order_created",
        "eventbridge_package": "schema.com_acme.order_created",
        "index_url": "/registries/orders/simple/",
        "index_page": f"/registries/orders/simple/{PROJECT}/",
    }
    index = await client.get(body["python"]["index_page"], headers={"Accept": JSON_V1})
    assert index.status_code == 200
    assert index.json()["name"] == PROJECT


async def test_the_zip_is_laid_out_like_an_eventbridge_code_binding(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{VERSIONS}/1/bindings/python")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert f'filename="{PROJECT}-1-python.zip"' in response.headers["content-disposition"]
    names = set(zipfile.ZipFile(io.BytesIO(response.content)).namelist())
    folder = "schema/com_acme/order_created"
    assert names == {
        "README.md",
        *(f"{folder}/{name}" for name in ("__init__.py", "models.py", "marshaller.py", "py.typed")),
        f"{folder}/AWSEvent.py",
        f"{folder}/OrderCreated.py",
    }
    latest = await client.get(f"{VERSIONS}/latest/bindings/python")
    assert latest.content == response.content  # stored once, the same bytes for every request


async def test_bindings_of_missing_things_are_404s(client: httpx.AsyncClient) -> None:
    missing = {
        f"{VERSIONS}/9/bindings/python": "version_not_found",
        "/registries/orders/schemas/nope/versions/1/bindings/python": "schema_not_found",
        "/registries/nope/schemas/x/versions/1/bindings/python": "registry_not_found",
        "/simple/nope/": "package_not_found",
        f"/simple/{PROJECT}/{wheel_name(9)}": "package_not_found",
        f"/simple/{PROJECT}/other.whl": "package_not_found",
        "/simple/%2E%2E/": "package_not_found",
    }
    for path, code in missing.items():
        response = await client.get(path)
        assert (response.status_code, response.json()["error"]["code"]) == (404, code), path


async def test_the_index_lists_projects_in_html_and_json(client: httpx.AsyncClient) -> None:
    html = await client.get("/simple/")
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert html.headers["vary"] == "Accept"
    assert f'<a href="{PROJECT}/">{PROJECT}</a>' in html.text
    assert '<meta name="pypi:repository-version" content="1.0">' in html.text
    as_json = await client.get("/simple/", headers={"Accept": PIP_ACCEPT})
    assert as_json.headers["content-type"] == JSON_V1
    assert as_json.json() == {"meta": {"api-version": "1.0"}, "projects": [{"name": PROJECT}]}


async def test_accept_negotiation_follows_pep_691(client: httpx.AsyncClient) -> None:
    cases = {
        "text/html": "text/html",
        "application/vnd.pypi.simple.v1+html": "application/vnd.pypi.simple.v1+html",
        "application/vnd.pypi.simple.latest+json": JSON_V1,
        "text/html;q=0.5, application/vnd.pypi.simple.v1+json;q=0.9": JSON_V1,
        "*/*": "text/html",
        "application/*": "application/vnd.pypi.simple.v1+html",
    }
    for accept, expected in cases.items():
        response = await client.get("/simple/", headers={"Accept": accept})
        assert response.headers["content-type"].split(";")[0] == expected, accept
    refused = await client.get("/simple/", headers={"Accept": "application/vnd.pypi.simple.v2+json"})
    assert refused.status_code == 406
    assert refused.json()["error"]["code"] == "not_acceptable"


async def test_project_names_are_normalised_by_redirect(client: httpx.AsyncClient) -> None:
    response = await client.get("/simple/Orders_Com.Acme-Order-Created/")
    assert response.status_code == 301
    assert response.headers["location"] == f"../{PROJECT}/"
    no_slash = await client.get(f"/simple/{PROJECT}")
    assert no_slash.status_code in {307, 308}
    assert no_slash.headers["location"].endswith(f"/simple/{PROJECT}/")


async def wait_for_hashes(client: httpx.AsyncClient, count: int) -> list[dict[str, object]]:
    """A listing does not wait for generation; the wheels it lacked are built in the background."""
    for _ in range(400):
        files = (await client.get(f"/simple/{PROJECT}/", headers={"Accept": JSON_V1})).json()["files"]
        if len(files) == count and all(file["hashes"] for file in files):
            return list(files)
        await asyncio.sleep(0.05)
    raise AssertionError(f"the listing never showed every hash: {files}")


async def test_a_listing_gives_every_version_and_then_its_hash(client: httpx.AsyncClient) -> None:
    assert (await client.post(VERSIONS, json={"type": "OpenApi3", "content": with_property("a")})).is_success
    first = await client.get(f"/simple/{PROJECT}/")
    assert first.status_code == 200
    for version in (1, 2):
        assert f">{wheel_name(version)}</a>" in first.text
        assert 'data-requires-python="&gt;=3.10"' in first.text
    files = await wait_for_hashes(client, 2)
    assert [file["filename"] for file in files] == [wheel_name(1), wheel_name(2)]
    html = (await client.get(f"/simple/{PROJECT}/")).text
    for file in files:
        digest = file["hashes"]["sha256"]  # type: ignore[index]
        assert f'href="{file["url"]}#sha256={digest}"' in html
        download = await client.get(f"/simple/{PROJECT}/{file['filename']}")
        assert download.status_code == 200
        assert hashlib.sha256(download.content).hexdigest() == digest
        assert len(download.content) == file["size"]


async def test_a_wheel_is_built_on_first_download_and_cacheable(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/simple/{PROJECT}/{wheel_name(1)}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert "immutable" in response.headers["cache-control"]
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "orders_com_acme_order_created/__init__.py" in names
    assert names[-1].endswith(".dist-info/RECORD")
    again = await client.get(
        f"/simple/{PROJECT}/{wheel_name(1)}", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


async def test_a_deleted_version_leaves_the_index(client: httpx.AsyncClient) -> None:
    assert (await client.post(VERSIONS, json={"type": "OpenApi3", "content": with_property("b")})).is_success
    assert (await client.get(f"/simple/{PROJECT}/{wheel_name(2)}")).status_code == 200
    assert (await client.delete(f"{VERSIONS}/2")).status_code == 204
    listing = await client.get(f"/simple/{PROJECT}/")
    assert wheel_name(1) in listing.text
    assert wheel_name(2) not in listing.text
    assert (await client.get(f"/simple/{PROJECT}/{wheel_name(2)}")).status_code == 404


def slow_contract() -> dict[str, object]:
    """About 520 KB, 200 classes: several seconds of generation on a small machine, far past the test's
    0.5 s limit however the pool's manager thread is scheduled (with 100 classes, 1.8 s, one CI run got
    its bindings)."""
    fields = {
        f"q{j}": {"type": "string", "maxLength": 20, "enum": [f"v{x}" for x in range(5)]} for j in range(30)
    }
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {f"p{i}": {"$ref": f"#/definitions/D{i}"} for i in range(200)},
        "definitions": {f"D{i}": {"type": "object", "properties": fields} for i in range(200)},
    }


async def test_a_generation_over_its_time_limit_is_a_422_and_the_server_stays_up(
    settings: Settings, engine: Engine
) -> None:
    pool = GeneratorPool(workers=1, timeout=0.5)
    app = create_app(settings, engine=engine, generator=pool)
    path = "/registries/orders/schemas/Slow/versions"
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://r.test"
        ) as http:
            registered = await http.post(path, json={"type": "JSONSchemaDraft4", "content": slow_contract()})
            assert registered.status_code == 201
            download = asyncio.create_task(http.get(f"{path}/1/bindings/python"))
            await asyncio.sleep(0.2)
            assert (await http.get("/healthz")).status_code == 200  # generation is off the event loop
            response = await download
            assert response.status_code == 422
            error = response.json()["error"]
            assert error["code"] == "code_generation_failed"
            assert "longer than 0.5 s" in error["details"]["cause"]
            assert error["details"]["version"] == 1
            # the failure is kept for a while: asking again does not occupy a worker again (the claim's
            # attempt counter says so exactly; a time bound could not tell on a loaded machine)
            again = await http.get(f"{path}/1/bindings/python")
            assert again.status_code == 422
            assert again.json()["error"]["details"]["cause"] == error["details"]["cause"]
            with engine.connect() as connection:
                status = connection.execute(text("SELECT status, attempt FROM generated_code")).one()
            assert tuple(status) == ("failed", 1)
    finally:
        pool.close()


async def test_two_schemas_cannot_share_a_package_name(client: httpx.AsyncClient) -> None:
    clash = "/registries/orders/schemas/com.acme%40Order-Created/versions"
    response = await client.post(clash, json={"type": "OpenApi3", "content": OPENAPI})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "package_name_taken"
    assert error["details"]["package"] == PROJECT
    assert error["details"]["holder"] == SCHEMA  # of the same registry: the writer may read it
    assert f"{SCHEMA!r} of the same registry" in error["message"]
    listing = await client.get("/registries/orders/schemas")
    assert [item["name"] for item in listing.json()["items"]] == [SCHEMA]  # nothing half-written


def basic(secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"__token__:{secret}".encode()).decode()}


async def test_the_index_takes_tokens_as_pip_sends_them(client: httpx.AsyncClient, engine: Engine) -> None:
    uow = UnitOfWork(make_session_factory(engine))
    _, reader = access.create_token(uow, Role.READER, registry=None, actor="test")
    _, elsewhere = access.create_token(uow, Role.READER, registry="other", actor="test")
    for index in ("/simple/", "/registries/orders/simple/", f"/registries/orders/simple/{PROJECT}/"):
        anonymous = await client.get(index)
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == 'Basic realm="package index"'
    api = await client.get("/registries/orders")
    assert api.headers["www-authenticate"] == "Bearer"  # no login dialog in browsers for the API
    assert (await client.get("/simple/", headers=basic("wrong"))).status_code == 401
    listing = await client.get(f"/simple/{PROJECT}/", headers=basic(reader))
    assert listing.status_code == 200
    bearer = await client.get(f"/simple/{PROJECT}/", headers={"Authorization": f"Bearer {reader}"})
    assert bearer.status_code == 200
    # a token limited to another registry sees no project of this one, and cannot fetch its files
    scoped = await client.get("/simple/", headers={**basic(elsewhere), "Accept": JSON_V1})
    assert scoped.json()["projects"] == []
    assert (await client.get(f"/simple/{PROJECT}/", headers=basic(elsewhere))).status_code == 404
    assert (await client.get("/registries/orders/simple/", headers=basic(elsewhere))).status_code == 403
    assert (await client.get(f"{VERSIONS}/1/bindings/python", headers=basic(elsewhere))).status_code == 403


async def test_concurrent_requests_generate_once(client: httpx.AsyncClient, engine: Engine) -> None:
    responses = await asyncio.gather(
        *(client.get(f"{VERSIONS}/1/bindings/python") for _ in range(6)),
        *(client.get(f"/simple/{PROJECT}/{wheel_name(1)}") for _ in range(6)),
    )
    assert {response.status_code for response in responses} == {200}
    assert len({response.content for response in responses[:6]}) == 1
    assert len({response.content for response in responses[6:]}) == 1
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT status, attempt FROM generated_code")).all()
        files = connection.execute(text("SELECT kind FROM package_files ORDER BY kind")).scalars().all()
    assert [tuple(row) for row in rows] == [("ready", 1)]  # claimed once: one generation
    assert files == ["wheel", "zip"]


def test_wheel_names_carry_the_schema_version_first() -> None:
    """`==3` must match: the generator goes in the local label, after `+`."""
    assert re.fullmatch(
        r"orders_com_acme_order_created-3\+codegen\d+\.dcg[0-9.]+-py3-none-any\.whl", wheel_name(3)
    )


async def test_two_replicas_generate_once_and_serve_the_same_bytes(
    settings: Settings, engine: Engine, generator_pool: GeneratorPool
) -> None:
    """Two apps on two engines over one database (two replicas): each has its own in-process dedup, so
    only the claim in the database keeps them from generating twice."""
    other_engine = make_engine(settings.database_url)
    replicas = [
        create_app(settings, engine=engine, generator=generator_pool),
        create_app(settings, engine=other_engine, generator=generator_pool),
    ]
    try:
        clients = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r.test")
            for app in replicas
        ]
        responses = await asyncio.gather(
            *(http.get(f"/simple/{PROJECT}/{wheel_name(1)}") for http in clients for _ in range(4))
        )
        assert {response.status_code for response in responses} == {200}
        assert len({response.content for response in responses}) == 1
        with engine.connect() as connection:
            assert tuple(connection.execute(text("SELECT status, attempt FROM generated_code")).one()) == (
                "ready",
                1,
            )
        for http in clients:
            await http.aclose()
    finally:
        other_engine.dispose()

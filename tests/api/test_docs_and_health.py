"""Swagger UI works offline; liveness and readiness."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from registry.api.app import create_app
from registry.settings import Settings
from registry.storage.database import make_engine
from registry.storage.migrations import upgrade


async def test_docs_page_refers_to_no_external_url(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "swagger-ui" in page.text
    urls = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", page.text)
    assert urls, "the page should load its assets"
    assert all(url.startswith("/") for url in urls), urls
    assert "http://" not in page.text and "https://" not in page.text
    for asset in [url for url in urls if url.startswith("/static")]:
        assert (await client.get(asset)).status_code == 200, asset


async def test_openapi_document_describes_the_api(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert "/registries/{registry}/schemas/{schema}/versions/{version}" in spec["paths"]
    assert "/search" in spec["paths"]
    diff = spec["paths"]["/registries/{registry}/schemas/{schema}/diff"]["get"]
    assert {parameter["name"] for parameter in diff["parameters"]} >= {"from", "to", "policy"}


async def test_the_api_description_lists_each_operation_once_in_the_routers_order(
    client: httpx.AsyncClient,
) -> None:
    # The versions router is matched first through a copy left out of the description.
    spec = (await client.get("/openapi.json")).json()
    paths = list(spec["paths"])
    assert paths.index("/registries/{registry}") < paths.index(
        "/registries/{registry}/schemas/{schema}/versions"
    )
    ids = [each["operationId"] for operations in spec["paths"].values() for each in operations.values()]
    assert len(ids) == len(set(ids))


async def test_the_front_door_leads_to_the_web_catalog(client: httpx.AsyncClient) -> None:
    home = await client.get("/")
    assert (home.status_code, home.headers["location"]) == (307, "/ui")
    catalog = await client.get("/", follow_redirects=True)
    assert catalog.status_code == 200 and "Event catalog" in catalog.text


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json()["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


async def test_readyz_is_503_until_the_database_is_migrated(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    app = create_app(Settings(database_url=str(engine.url)), engine=engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r.test") as client:
        waiting = await client.get("/readyz")
        assert waiting.status_code == 503
        assert "registry migrate" in waiting.json()["detail"]
        upgrade(engine)
        assert (await client.get("/readyz")).status_code == 200
        assert (await client.get("/healthz")).status_code == 200
    engine.dispose()


async def test_readyz_is_503_when_the_database_is_unreachable() -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    engine = make_engine(url)
    app = create_app(Settings(database_url=url), engine=engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r.test") as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["detail"].startswith("database unreachable")
    engine.dispose()

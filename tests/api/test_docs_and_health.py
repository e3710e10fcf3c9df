"""Swagger UI works offline; liveness and readiness."""

from __future__ import annotations

import re

import httpx


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


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json()["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"

"""The web catalog in a real browser (Playwright driving Debian's chromium) through a real `registry serve`:
the pages render real data, the compare page shows a breaking change with its witness, the validate form
reports a JSON pointer, sign-in works, axe-core finds no serious or critical accessibility violation, and
no request leaves 127.0.0.1.

A missing chromium fails the test, never skips it. Set CATALOG_SCREENSHOTS to a directory to keep a
screenshot of each page there (docs/screenshots/ is made so)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, sync_playwright

from registry.access import create_token
from registry.domain.auth import Role
from registry.storage.database import make_engine, make_session_factory
from registry.storage.unit_of_work import UnitOfWork
from tests.e2e.conftest import serve, sqlite_url
from tests.e2e.test_docs_in_a_browser import chromium

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA, and axe's best practices (landmarks, headings); its experimental rules are left out
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
SCHEMA = "/registries/shop/schemas/order%2Fplaced"
PAGE = "/ui" + SCHEMA
V1 = {
    "type": "object",
    "description": "An order was placed",
    "properties": {"id": {"type": "string"}, "amount": {"type": "number", "maximum": 100}},
    "required": ["id"],
}
V2 = {
    **V1,
    "properties": {**V1["properties"], "currency": {"type": "string"}},
    "required": ["id", "currency"],
}
PAGES = {
    "home": "/ui",
    "registry": "/ui/registries/shop",
    "schema": PAGE,
    "version": f"{PAGE}/versions/2",
    "compare": f"{PAGE}/compare?from=1&to=2",
    "matrix": f"{PAGE}/matrix",
    "environments": "/ui/registries/shop/environments",
    "search": "/ui/search?q=order",
}


def _populate(url: str) -> None:
    with httpx.Client(base_url=url) as http:
        assert http.put("/registries/shop", json={"compatibility": "NONE"}).status_code == 201
        for content, text in ((V1, "first"), (V2, "currency required")):
            body = {"type": "JSONSchemaDraft4", "content": content, "description": text}
            assert http.post(f"{SCHEMA}/versions", json=body).status_code == 201
        for service, role, version in (("checkout", "producer", 1), ("billing", "consumer", 2)):
            body = {"role": role, "version": version, "environment": "prod"}
            assert http.put(f"{SCHEMA}/participants/{service}", json=body).status_code == 201


def _serious_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag', values: TAGS}})).violations.map(
               v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))""".replace(
            "TAGS", str(AXE_TAGS)
        )
    )
    return [each for each in found if each["impact"] in {"serious", "critical"}]


def test_the_catalog_in_a_browser(tmp_path: Path) -> None:
    database = sqlite_url(tmp_path)
    shots = os.environ.get("CATALOG_SCREENSHOTS")
    with (
        serve(tmp_path, database, settings={"token_cache_seconds": "0"}) as server,
        sync_playwright() as playwright,
    ):
        _populate(server.url)
        # from now on, pages need signing in (made in-process: the CLI would take seconds to start)
        _, secret = create_token(
            UnitOfWork(make_session_factory(make_engine(database))), Role.READER, registry="shop", actor="e2e"
        )
        browser = playwright.chromium.launch(
            executable_path=chromium(),
            args=["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--disable-quic"],
        )
        # the pages' Content-Security-Policy would refuse the injected axe-core script
        context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
        requested: list[str] = []
        context.on("request", lambda request: requested.append(request.url))
        page = context.new_page()

        page.goto(server.url + "/")
        assert page.url == f"{server.url}/ui/sign-in"
        page.get_by_label("Token").fill(secret)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{server.url}/ui")
        assert page.get_by_role("link", name="shop", exact=True).is_visible()

        problems = {}
        for name, path in PAGES.items():
            answer = page.goto(server.url + path)
            assert answer is not None and answer.status == 200, (name, answer and answer.status)
            if shots:
                page.screenshot(path=str(Path(shots) / f"catalog-{name}.png"), full_page=True)
            if found := _serious_violations(page):
                problems[name] = found
        assert not problems, problems

        page.goto(server.url + PAGES["compare"])
        breaking = page.locator("li.change.breaking")
        assert breaking.count() >= 1
        assert "became required" in breaking.first.inner_text() or "currency" in breaking.first.inner_text()
        witness = page.locator("li.change.breaking .witness pre").first
        assert witness.is_visible() and '"id"' in witness.inner_text()
        page.goto(server.url + f"{PAGE}/compare?from=1&to=1")
        assert page.get_by_text("No change: the two contracts say the same.").is_visible()
        assert page.locator(".witness").count() == 0

        page.goto(server.url + PAGE)
        page.get_by_label("Version", exact=True).select_option("2")
        page.get_by_label("Event (JSON)").fill('{"id": "o-1", "amount": 500}')
        page.get_by_role("button", name="Validate").click()
        assert page.locator("code.pointer", has_text="/amount").is_visible()

        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{server.url}/ui/sign-in")
        page.goto(server.url + "/ui")
        assert page.url == f"{server.url}/ui/sign-in"
        browser.close()
    assert requested and all(url.startswith(server.url + "/") for url in requested), [
        url for url in requested if not url.startswith(server.url + "/")
    ]

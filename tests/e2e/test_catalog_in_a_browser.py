"""The web catalog in a real browser (Playwright driving Debian's chromium) through a real `registry serve`:
the pages render real data, the compare page shows a breaking change with its witness, the validate form
reports a JSON pointer, sign-in works, axe-core finds no serious or critical accessibility violation, no
request leaves 127.0.0.1, and every page can be used with the keyboard alone.

A missing chromium fails the test, never skips it. Set CATALOG_SCREENSHOTS to a directory to keep a
screenshot of each page there (docs/screenshots/ is made so)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

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
V1: dict[str, Any] = {
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
            body: dict[str, Any] = {"type": "JSONSchemaDraft4", "content": content, "description": text}
            assert http.post(f"{SCHEMA}/versions", json=body).status_code == 201
        # a contract built on v2 of order/placed: the version page lists it as referencing v2
        audited = {"type": "object", "properties": {"order": {"$ref": "order-placed.json"}}}
        reference = {"name": "order-placed.json", "schema": "order/placed", "version": 2}
        body = {"type": "JSONSchemaDraft4", "content": audited, "references": [reference]}
        assert http.post("/registries/shop/schemas/order%2Faudited/versions", json=body).status_code == 201
        paid = "/registries/shop/schemas/payment%2Fsettled"
        body = {"type": "JSONSchemaDraft4", "content": V1, "description": "a payment settled"}
        assert http.post(f"{paid}/versions", json=body).status_code == 201
        for schema, service, role, version in (
            (SCHEMA, "checkout", "producer", 1),
            (SCHEMA, "billing", "consumer", 2),
            (SCHEMA, "ledger", "consumer", 1),
            (paid, "payments", "producer", 1),
            (paid, "checkout", "consumer", 1),
        ):
            body = {"role": role, "version": version, "environment": "prod"}
            assert http.put(f"{schema}/participants/{service}", json=body).status_code == 201


def _serious_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag', values: TAGS}})).violations.map(
               v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))""".replace(
            "TAGS", str(AXE_TAGS)
        )
    )
    return [each for each in found if each["impact"] in {"serious", "critical"}]


@dataclass
class Catalog:
    url: str
    secret: str  # a reader of shop
    browser: Browser


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    """One `registry serve` with the shop's events and one chromium for the tests of this file."""
    tmp_path = tmp_path_factory.mktemp("catalog")
    database = sqlite_url(tmp_path)
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
        yield Catalog(server.url, secret, browser)
        browser.close()


def test_the_catalog_in_a_browser(catalog: Catalog) -> None:
    shots = os.environ.get("CATALOG_SCREENSHOTS")
    server, secret = catalog, catalog.secret
    # the pages' Content-Security-Policy would refuse the injected axe-core script
    context = catalog.browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()

    page.goto(server.url + "/")
    assert page.url == f"{server.url}/ui/sign-in"
    if shots:
        page.screenshot(path=str(Path(shots) / "catalog-sign-in.png"), full_page=True)
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

    page.goto(server.url + PAGES["version"])
    referencing = page.get_by_role("list", name="What references v2").get_by_role("link")
    assert referencing.all_inner_texts() == ["shop / order/audited v1"]

    page.goto(server.url + PAGES["environments"])
    arc = page.locator("svg.graph a.pair")  # billing v2 cannot read checkout v1; ledger v1 can
    assert arc.count() == 1 and "billing (v2) cannot read" in str(arc.locator("title").text_content())
    # clicked halfway along, where it runs under the schema node (its box's middle is the node's)
    x, y = arc.locator(".arc").evaluate(
        """path => { const point = path.getPointAtLength(path.getTotalLength() / 2);
                     const to = path.getScreenCTM();
                     return [point.x * to.a + to.e, point.y * to.d + to.f]; }"""
    )
    page.mouse.click(x, y)
    page.wait_for_url(f"{server.url}{PAGE}/compare?from=1&to=2")

    page.goto(server.url + PAGE)
    page.get_by_label("Version", exact=True).select_option("2")
    page.get_by_label("Event (JSON)").fill('{"id": "o-1", "amount": 500}')
    page.get_by_role("button", name="Validate").click()
    assert page.locator("code.pointer", has_text="/amount").is_visible()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{server.url}/ui/sign-in")
    page.goto(server.url + "/ui")
    assert page.url == f"{server.url}/ui/sign-in"
    context.close()
    assert requested and all(url.startswith(server.url + "/") for url in requested), [
        url for url in requested if not url.startswith(server.url + "/")
    ]


# Marks every element the Tab key should reach, in document order, and answers how many there are.
MARK_FOCUSABLE = """() => {
  const wanted = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]';
  const found = [...document.querySelectorAll(wanted)].filter(
    e => !e.disabled && e.tabIndex >= 0 && e.getClientRects().length > 0);
  found.forEach((e, index) => e.setAttribute('data-tab', index));
  return found.length;
}"""
# Where the focus is, and whether it can be seen there: an outline, or (a link of the graph) a thicker stroke
FOCUSED = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  const shape = e.querySelector('rect, .arc');
  const stroked = shape !== null && parseFloat(getComputedStyle(shape).strokeWidth) >= 4;
  const box = e.getBoundingClientRect();
  return {tab: e.getAttribute('data-tab'), id: e.id, tag: e.tagName.toLowerCase(),
          name: (e.getAttribute('aria-label') || e.textContent || e.value || '').trim().slice(0, 60),
          shown: outlined || stroked, inside: box.right > 0 && box.bottom > 0 && box.left < innerWidth};
}"""


def _tab_through(page: Page) -> list[dict[str, Any]]:
    """Press Tab from the top of the page until the focus has been on everything it should reach."""
    count: int = page.evaluate(MARK_FOCUSABLE)
    visits = []
    for _ in range(count):
        page.keyboard.press("Tab")
        visits.append(page.evaluate(FOCUSED))
    return visits


def test_every_page_works_with_the_keyboard_alone(catalog: Catalog) -> None:
    """Tab reaches every link and control in document order, each one visibly focused; the first stop
    skips to the content; the field tree folds with Enter and Space; forms submit with Enter."""
    context = catalog.browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    url = catalog.url

    page.goto(f"{url}/ui/sign-in")
    page.keyboard.press("Tab")
    skip = page.evaluate(FOCUSED)
    assert (skip["name"], skip["shown"], skip["inside"]) == ("Skip to content", True, True)
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "token"  # the first control of the content
    page.keyboard.type(catalog.secret)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/ui")

    problems = {}
    for name, path in PAGES.items():
        page.goto(url + path)
        visits = _tab_through(page)
        order = [int(each["tab"]) for each in visits if each["tab"] is not None]
        unseen = [each for each in visits if not each["shown"]]
        if order != list(range(len(visits))) or unseen or visits[0]["name"] != "Skip to content":
            problems[name] = {"order": order, "unseen": unseen, "first": visits[0]}
    assert not problems, problems

    page.goto(url + PAGES["version"])
    summary = page.locator("details > summary").first
    summary.focus()  # reached by Tab above; folding is the keys' part
    is_open = "document.activeElement.parentElement.open"
    page.keyboard.press("Enter")
    assert page.evaluate(is_open) is False
    page.keyboard.press("Space")
    assert page.evaluate(is_open) is True

    # a text field submits its form with Enter: the search, the registry's filter, the matrix's range
    page.goto(url + "/ui")
    page.get_by_label("Search schemas").focus()
    page.keyboard.type("currency")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/ui/search?q=currency")
    assert page.get_by_role("link", name="shop / order/placed").is_visible()
    page.goto(url + PAGES["registry"])
    page.get_by_label("Names starting with").focus()
    page.keyboard.type("pay")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/ui/registries/shop?name=pay")
    assert page.get_by_role("link", name="payment/settled").is_visible()
    assert page.get_by_role("link", name="order/placed").count() == 0
    page.goto(url + PAGES["matrix"])
    page.get_by_label("to version").focus()
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    page.wait_for_url("**/matrix?from=&to=1")
    page.goto(url + PAGES["compare"])
    page.get_by_label("Policy").focus()
    page.keyboard.press("ArrowDown")  # the schema's policy, then STRICT
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/compare?from=1&to=2&policy=STRICT")
    # the validate form: a version picked with the arrows, the event typed, the button pressed with Enter
    page.goto(url + PAGE)
    page.get_by_label("Version", exact=True).focus()
    page.keyboard.press("ArrowUp")  # v2 is listed first, v1 under it: back up to v2 if not there
    page.keyboard.press("Tab")
    page.keyboard.type('{"id": "o-1", "amount": 500}')
    page.keyboard.press("Tab")  # the format checkbox
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Validate"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}{PAGE}/validate")
    assert page.locator("code.pointer", has_text="/amount").is_visible()
    context.close()

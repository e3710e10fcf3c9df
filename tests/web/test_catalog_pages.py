"""The web catalog's pages (registry.web), served in-process over real HTTP semantics (httpx's ASGI
transport) from a real database: what each page shows, that nothing reflects input unescaped, that no page
refers to anything but the registry itself, and the same authorization as the API (cookies, CSRF)."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event

from codegen import GeneratorPool
from registry.access import create_token
from registry.api.app import create_app
from registry.domain.auth import Role
from registry.settings import Settings
from registry.storage.database import make_engine
from registry.storage.migrations import upgrade
from registry.storage.models import utcnow
from registry.web.routes import MATRIX_VERSIONS
from tests.api.shared_types import MONEY, MONEY_REF, MONEY_URI
from tests.conftest import load_example

SCHEMA = "/registries/shop/schemas/order%2Fplaced"
PAGE = "/ui" + SCHEMA
V1 = {
    "type": "object",
    "description": "An order was placed",
    "properties": {"id": {"type": "string", "minLength": 1}, "amount": {"type": "number", "maximum": 100}},
    "required": ["id"],
}
V2 = {
    **V1,
    "properties": {**V1["properties"], "currency": {"type": "string", "enum": ["EUR", "USD"]}},
    "required": ["id", "currency"],
}
HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database built by the migrations once; each test gets a copy (the migrations take ~1 s)."""
    path = tmp_path_factory.mktemp("catalog") / "migrated.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def sqlite_engine(migrated: Path, tmp_path: Path) -> Iterator[Engine]:
    copy = tmp_path / "registry.db"
    shutil.copyfile(migrated, copy)
    engine = make_engine(f"sqlite:///{copy}")
    yield engine
    engine.dispose()


def _app(engine: Engine, generator_pool: GeneratorPool) -> Any:
    url = engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, token_cache_seconds=0, mirror_worker=False)
    return create_app(settings, engine=engine, generator=generator_pool)


@pytest.fixture
async def web(sqlite_engine: Engine, generator_pool: GeneratorPool) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app(sqlite_engine, generator_pool))
    async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
        yield http


async def _catalog(http: httpx.AsyncClient, *, description: str = "the shop's events") -> None:
    """A registry whose schema broke its consumers: v2 requires a field v1 never sent (mode NONE)."""
    ok = {200, 201}
    assert (
        await http.put("/registries/shop", json={"compatibility": "NONE", "description": description})
    ).status_code in ok
    for content, text in ((V1, "first"), (V2, "currency required")):
        body = {"type": "JSONSchemaDraft4", "content": content, "description": text}
        assert (await http.post(f"{SCHEMA}/versions", json=body)).status_code == 201
    for service, role, version in (("checkout", "producer", 1), ("billing", "consumer", 2)):
        body = {"role": role, "version": version, "environment": "prod"}
        assert (await http.put(f"{SCHEMA}/participants/{service}", json=body)).status_code in ok


async def _text(http: httpx.AsyncClient, url: str, status: int = 200) -> str:
    answer = await http.get(url)
    assert answer.status_code == status, (url, answer.text[-2000:])
    assert answer.headers["content-type"].startswith("text/html")
    return answer.text


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value or "" for name, value in attrs if name in {"href", "src", "action"}]


def _svg(page: str) -> str:
    """The environment graph's drawing, the first of the page."""
    assert page.count("<svg") == page.count("</svg>") >= 1
    return "<svg" + page.split("<svg", 1)[1].split("</svg>", 1)[0] + "</svg>"


def _urls(page: str) -> list[str]:
    parser = _Links()
    parser.feed(page)
    return parser.urls


PAGES = (
    "/ui",
    "/ui/search?q=order",
    "/ui/registries/shop",
    "/ui/registries/shop/environments",
    PAGE,
    f"{PAGE}/versions/2",
    f"{PAGE}/compare?from=1&to=2",
    f"{PAGE}/matrix",
    "/ui/sign-in",
)


@pytest.mark.parametrize(
    "engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_every_page_shows_the_catalog(client: httpx.AsyncClient) -> None:
    await _catalog(client)
    home = await _text(client, "/ui")
    # the registry with 1 schema, 2 versions, 1 producer and 1 consumer; the latest registrations
    assert re.search(
        r"shop</a></td>\s*<td>the shop&#39;s events</td>\s*<td>1</td><td>2</td>\s*<td>1</td><td>1</td>", home
    )
    assert f'href="{PAGE}/versions/2"' in home
    assert "shop / order/placed</a>" in await _text(client, "/ui/search?q=currency")
    assert "0 schema(s)" in await _text(client, "/ui/search?q=nothing-like-this")

    registry = await _text(client, "/ui/registries/shop")
    assert f'href="{PAGE}"' in registry and "JSONSchemaDraft4" in registry and "v2" in registry
    assert re.search(r"</time></td>\s*<td>1</td><td>1</td>", registry)  # a producer and a consumer
    assert "No schema starts with" in await _text(client, "/ui/registries/shop?name=zzz")

    schema = await _text(client, PAGE)
    assert "pip install --extra-index-url http://registry.test/registries/shop/simple/" in schema
    assert "currency required" in schema and "NONE" in schema
    assert re.search(r"<td>prod</td><td>checkout</td><td>producer</td>", schema)
    assert f'href="{PAGE}/compare?from=1&amp;to=2"' in schema

    version = await _text(client, f"{PAGE}/versions/2")
    assert "<details open>" in version
    assert re.search(r'field-name">currency</span> <span class="tag">string</span> <strong>required', version)
    assert "&#34;EUR&#34;" in version  # the enum, among the constraints
    raw = await client.get(f"{PAGE}/versions/2/contract.json")
    assert raw.json() == V2 and "attachment" in raw.headers["content-disposition"]

    compare = await _text(client, f"{PAGE}/compare?from=1&to=2")
    assert "cannot read</span>" not in compare  # the verdict is worded per direction
    assert "v2 cannot read every event of v1 (backward)" in compare
    assert 'class="change breaking"' in compare and "Witness (new reads old)" in compare
    assert '<tr class="insert">' in compare or '<tr class="replace">' in compare
    same = await _text(client, f"{PAGE}/compare?from=2&to=2")
    assert "No change" in same and "Witness" not in same

    matrix = await _text(client, f"{PAGE}/matrix")
    assert f'href="{PAGE}/compare?from=1&amp;to=2&amp;policy=STRICT"' in matrix
    assert matrix.count('class="breaking"') == 1  # v2 cannot read v1; every other pair reads

    environments = await _text(client, "/ui/registries/shop/environments")
    assert re.search(
        r'class="breaking">billing \(v2\) cannot read every event of checkout \(v1\)', environments
    )
    assert f'href="{PAGE}/compare?from=1&amp;to=2">the report' in environments
    assert "checkout" in environments.split("Deployment history")[1]
    # the same facts drawn: producer -> schema -> consumer, the incompatible pair a red arc to its report
    drawing = _svg(environments)
    assert f'<a href="{PAGE}" class="node schema broken"><title>order/placed</title>' in drawing
    assert f'<a href="{PAGE}/versions/1" class="node producer broken"><title>checkout produces' in drawing
    assert f'<a href="{PAGE}/versions/2" class="node consumer broken"><title>billing consumes' in drawing
    assert drawing.count('<path class="edge"') == 2
    assert (
        f'<a href="{PAGE}/compare?from=1&amp;to=2" class="pair"><title>billing (v2) cannot read every '
        "event of checkout (v1): open the report</title>" in drawing
    )


async def test_no_page_refers_to_anything_but_the_registry(web: httpx.AsyncClient) -> None:
    await _catalog(web)
    for url in PAGES:
        page = await _text(web, url)
        found = _urls(page)
        assert found, url
        for each in found:
            assert each.startswith(("/", "?", "#")) and not each.startswith("//"), (url, each)
        # the only absolute address is the registry's own (the pip line)
        for absolute in re.findall(r"https?://[^\s\"'<]+", page):
            assert absolute.startswith("http://registry.test/"), (url, absolute)
        for asset in {each for each in found if each.startswith("/ui/static/")}:
            assert (await web.get(asset)).status_code == 200, asset
    assert "http" not in (await web.get("/ui/static/catalog.css")).text
    assert "http" not in (await web.get("/ui/static/catalog.js")).text


async def test_no_page_reflects_hostile_input(web: httpx.AsyncClient) -> None:
    hostile_contract = {
        "type": "object",
        "description": HOSTILE,
        "properties": {HOSTILE: {"type": "string", "description": "javascript:alert(3)", "enum": [HOSTILE]}},
    }
    assert (await web.put("/registries/shop", json={"description": HOSTILE})).status_code == 201
    body = {"type": "JSONSchemaDraft4", "content": hostile_contract, "description": HOSTILE}
    assert (await web.post(f"{SCHEMA}/versions", json=body)).status_code == 201
    environment = {"description": HOSTILE}
    assert (await web.put("/registries/shop/environments/prod", json=environment)).status_code == 201
    participant = {"role": "producer", "version": 1, "environment": "prod"}
    assert (await web.put(f"{SCHEMA}/participants/checkout", json=participant)).status_code == 201
    pages = [*PAGES, f"/ui/search?q={HOSTILE}", f"/ui/registries/shop?name={HOSTILE}"]
    answers = [await web.get(url) for url in pages]
    answers.append(await web.get("/ui/registries/%3Cscript%3Ealert(1)%3C%2Fscript%3E"))
    answers.append(await web.get(f"{PAGE}/versions/%22%3E%3Cscript%3E"))
    assert [answer.status_code for answer in answers[-2:]] == [422, 422]  # as the API refuses a bad name
    for answer in answers:
        assert answer.status_code < 500
        assert "<script>alert" not in answer.text and "<img src=x" not in answer.text, answer.url
        for each in _urls(answer.text):
            assert not each.lower().strip().startswith("javascript:"), each
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in (await web.get(f"{PAGE}/versions/1")).text
    # the graph: its links lead into the catalog, with the names quoted as one path segment each
    drawing = _svg((await web.get("/ui/registries/shop/environments")).text)
    assert "<script" not in drawing and "onerror" not in drawing and "javascript:" not in drawing
    assert _urls(drawing) == [f"{PAGE}/versions/1", PAGE]


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the form carries a CSRF token"
    return found.group(1)


async def test_the_validate_form_lists_errors_by_pointer_and_needs_its_csrf_token(
    web: httpx.AsyncClient,
) -> None:
    await _catalog(web)
    token = _csrf(await _text(web, PAGE))
    form = {"csrf": token, "version": "2", "event": '{"id": "o-1", "amount": 500}'}
    checked = await web.post(f"{PAGE}/validate", data=form)
    assert checked.status_code == 200
    assert "Not valid against v2: 2 error(s)" in checked.text
    assert '<code class="pointer">/amount</code>' in checked.text
    assert "{&#34;id&#34;: &#34;o-1&#34;, &#34;amount&#34;: 500}</textarea>" in checked.text  # kept, escaped
    valid = await web.post(f"{PAGE}/validate", data={**form, "event": '{"id": "o", "currency": "EUR"}'})
    assert "Valid against v2." in valid.text
    unreadable = await web.post(f"{PAGE}/validate", data={**form, "event": "{nope"})
    assert unreadable.status_code == 400 and 'role="alert"' in unreadable.text

    # another site's form: no token, or a token that is not this browser's
    refused = await web.post(f"{PAGE}/validate", data={**form, "csrf": ""})
    assert refused.status_code == 403 and "CSRF" in refused.text
    web.cookies.clear()
    assert (await web.post(f"{PAGE}/validate", data=form)).status_code == 403


async def test_sign_in_scopes_every_page_and_sign_out_forgets(
    sqlite_engine: Engine, generator_pool: GeneratorPool
) -> None:
    app = _app(sqlite_engine, generator_pool)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://registry.test") as http:
        await _catalog(http)  # open until the first token exists
        other = {"type": "JSONSchemaDraft4", "content": V1}
        assert (await http.put("/registries/other", json={})).status_code == 201
        assert (
            await http.post("/registries/other/schemas/order%2Fpaid/versions", json=other)
        ).status_code == 201
        _, admin = create_token(app.state.uow, Role.ADMIN, registry=None, actor="test")
        _, reader = create_token(app.state.uow, Role.READER, registry="shop", actor="test")

        signed_out = await http.get("/ui")
        assert (signed_out.status_code, signed_out.headers["location"]) == (303, "/ui/sign-in")
        page = await _text(http, "/ui/sign-in")
        assert (await http.post("/ui/sign-in", data={"token": reader})).status_code == 403  # no CSRF token
        wrong = await http.post("/ui/sign-in", data={"csrf": _csrf(page), "token": "ecr_unknown"})
        assert wrong.status_code == 401 and "unknown or revoked" in wrong.text

        signed_in = await http.post("/ui/sign-in", data={"csrf": _csrf(page), "token": reader})
        assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/ui")
        cookie = signed_in.headers["set-cookie"].lower()
        assert all(flag in cookie for flag in ("httponly", "samesite=strict", "secure", "path=/"))

        home = await _text(http, "/ui")
        assert 'href="/ui/registries/shop"' in home and "other" not in home
        assert "order/placed" in await _text(http, "/ui/search?q=order")
        assert "order/paid" not in await _text(http, "/ui/search?q=order")
        assert "limited to registry" in await _text(http, "/ui/registries/other", 403)
        await _text(http, "/ui/registries/other/schemas/order%2Fpaid/compare", 403)
        assert "the shop" in await _text(http, PAGE.replace("/schemas/order%2Fplaced", ""))

        out = await http.post("/ui/sign-out", data={"csrf": _csrf(home)})
        assert (out.status_code, out.headers["location"]) == (303, "/ui/sign-in")
        assert (
            'registry_token=""' in out.headers["set-cookie"]
            and "max-age=0" in out.headers["set-cookie"].lower()
        )
        assert (await http.get("/ui")).status_code == 303

        page = await _text(http, "/ui/sign-in")
        await http.post("/ui/sign-in", data={"csrf": _csrf(page), "token": admin})
        assert "order/paid" in await _text(http, "/ui/search?q=order")


async def test_the_version_page_shows_an_openapi_event_root_as_a_tree(web: httpx.AsyncClient) -> None:
    contract = load_example("openapi3/custom-order-created.json")
    # a recursive component: shown down to a bound, then as a reference
    schemas = contract["components"]["schemas"]
    schemas["Customer"]["properties"]["referredBy"] = {"$ref": "#/components/schemas/Customer"}
    body = {"type": "OpenApi3", "content": contract}
    assert (await web.put("/registries/shop", json={})).status_code == 201
    assert (await web.post("/registries/shop/schemas/OrderCreated/versions", json=body)).status_code == 201
    page = await _text(web, "/ui/registries/shop/schemas/OrderCreated/versions/1")
    assert "Event root</dt><dd><code>AWSEvent</code>" in page
    # detail -> OrderCreated (through its $ref), its required fields and constraints
    assert re.search(r'field-name">detail</span> <span class="tag">object</span> <strong>required', page)
    assert re.search(r'field-name">orderId</span> <span class="tag">string</span> <strong>required', page)
    assert "<code>maxItems</code>: <code>250</code>" in page
    assert re.search(r'field-name">couponCode</span> <span class="tag">string \| null</span>', page)
    assert "see <code>#/components/schemas/Customer</code>" in page  # the cycle, cut


def _stylesheet_classes(css: str) -> set[str]:
    return set(re.findall(r"^\.hl \.([\w-]+) \{", css, flags=re.MULTILINE))


async def test_the_version_page_highlights_the_contract_on_the_server_and_escapes_it(
    web: httpx.AsyncClient,
) -> None:
    hostile = {
        **V1,
        "properties": {**V1["properties"], HOSTILE: {"enum": ["</code></pre><script>x</script>"]}},
    }
    assert (await web.put("/registries/shop", json={})).status_code == 201
    body = {"type": "JSONSchemaDraft4", "content": hostile}
    assert (await web.post(f"{SCHEMA}/versions", json=body)).status_code == 201
    page = await _text(web, f"{PAGE}/versions/1")
    assert '<link rel="stylesheet" href="/ui/static/highlight.css">' in page
    contract = page.split('<pre class="json hl copyable"')[1].split("</pre>")[0]
    contract = contract.replace(
        "&quot;", '"'
    )  # Pygments 2.21 leaves quotes as they are, earlier ones escape them
    # keys, strings and numbers are classed spans; the hostile key and value come out escaped inside them
    assert '<span class="nt">"minLength"</span>' in contract
    assert '<span class="mi">100</span>' in contract
    assert (
        '<span class="nt">"&lt;script&gt;alert(1)&lt;/script&gt;\\"&gt;&lt;img src=x onerror=alert(2)&gt;"'
        in contract
    )
    assert '<span class="s2">"&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;x&lt;/script&gt;"</span>' in contract
    assert "<script>" not in page and "style=" not in contract  # no inline style: the CSP forbids it
    # every token class the page uses has its colours in the stylesheet the registry serves
    css = await web.get("/ui/static/highlight.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    used = set(re.findall(r'<span class="([\w-]+)">', contract))
    assert {"nt", "mi", "s2"} <= used and used - {"p", "w"} <= _stylesheet_classes(css.text)
    assert "http" not in css.text


async def test_the_schema_timeline_shows_each_version_s_mirror_state_and_its_bindings_zip(
    sqlite_engine: Engine, generator_pool: GeneratorPool
) -> None:
    app = _app(sqlite_engine, generator_pool)  # no mirror worker: deliveries move only as this test says
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://registry.test"
    ) as http:
        await _catalog(http)
        assert (
            "mirror" not in (await _text(http, PAGE)).split('<h2 id="versions-heading">')[1].split("</ol>")[0]
        )
        mirror = {"region": "eu-west-1", "registry_name": "shop-mirror", "endpoint_url": "http://127.0.0.1:9"}
        assert (await http.put("/registries/shop", json={"mirror": mirror})).status_code == 200
        body = {"type": "JSONSchemaDraft4", "content": {**V2, "description": "v3"}}
        assert (await http.post(f"{SCHEMA}/versions", json=body)).status_code == 201
        with app.state.uow.writing() as tx:  # v1 delivered, v2's delivery failed, v3 still waits
            first = tx.mirror.claim(lease_seconds=60)
            tx.mirror.delivered(first.id, "7")
            second = tx.mirror.claim(lease_seconds=60)
            tx.mirror.failed(second.id, HOSTILE, utcnow() + timedelta(hours=1))
            tx.commit()
        assert (first.version, second.version) == (1, 2)
        api = (await http.get(f"{SCHEMA}/versions/2")).json()["mirror"]
        assert (api["status"], api["attempts"]) == ("failed", 1)  # the API and the page tell the same

        timeline = (await _text(http, PAGE)).split("</ol>")[0]
        assert '<span class="mirror mirrored">mirrored to EventBridge as version 7</span>' in timeline
        assert '<span class="mirror failed">mirroring failed after 1 attempt(s): &lt;script&gt;' in timeline
        assert '<span class="mirror pending">mirroring pending</span>' in timeline
        assert "<script>alert" not in timeline
        for number in (1, 2, 3):
            zip_url = f"{SCHEMA}/versions/{number}/bindings/python"
            assert f'<a href="{zip_url}" download>bindings zip</a>' in timeline
        # (the zip itself, built on first request, is the bindings API's own tests' subject: ~2 s to build)


async def test_the_matrix_crosses_a_chosen_range_of_versions_and_links_the_others(
    web: httpx.AsyncClient,
) -> None:
    assert (await web.put("/registries/shop", json={"compatibility": "NONE"})).status_code == 201
    total = MATRIX_VERSIONS + 5
    for number in range(1, total + 1):  # each version adds an optional field: every newer one reads the older
        properties = {f"f{each}": {"type": "string"} for each in range(number)}
        body = {"type": "JSONSchemaDraft4", "content": {"type": "object", "properties": properties}}
        assert (await web.post(f"{SCHEMA}/versions", json=body)).status_code == 201

    def columns(page: str) -> list[int]:
        head = page.split('<table class="matrix">')[1].split("</thead>")[0]
        return [int(each) for each in re.findall(r'<th scope="col">v(\d+)</th>', head)]

    latest = await _text(web, f"{PAGE}/matrix")
    assert columns(latest) == list(range(6, total + 1))  # bounded: the latest MATRIX_VERSIONS
    assert f'href="{PAGE}/matrix?to=5" rel="prev">' in latest and 'rel="next"' not in latest

    earliest = await _text(web, f"{PAGE}/matrix?to=5")
    assert columns(earliest) == [1, 2, 3, 4, 5] and 'rel="prev"' not in earliest
    assert f'href="{PAGE}/matrix?from=6" rel="next">' in earliest
    assert f'href="{PAGE}/compare?from=5&amp;to=1&amp;policy=' in earliest  # cells still lead to the pair

    chosen = await _text(web, f"{PAGE}/matrix?from=3&to=4&policy=STRICT")
    assert columns(chosen) == [3, 4] and chosen.count('class="breaking"') == 1  # v3 cannot read v4's f3
    assert f'href="{PAGE}/matrix?to=2&amp;policy=STRICT" rel="prev">' in chosen
    assert f'href="{PAGE}/matrix?from=5&amp;policy=STRICT" rel="next">' in chosen
    assert columns(await _text(web, f"{PAGE}/matrix?from=2")) == list(range(2, MATRIX_VERSIONS + 2))
    assert "No version in this range" not in latest
    nothing = await _text(web, f"{PAGE}/matrix?from=1000")
    assert "No version in this range" in nothing and columns(nothing) == []
    assert f'href="{PAGE}/matrix" rel="start">the latest versions' in nothing
    backwards = await _text(web, f"{PAGE}/matrix?from=5&to=2", 422)  # refused as the API refuses it
    assert 'data-code="invalid_version_range"' in backwards
    await _text(web, f"{PAGE}/matrix?from=0", 400)
    await _text(web, f"{PAGE}/matrix?to=x", 400)
    await _text(web, f"{PAGE}/matrix?to=99999999999999999999", 400)  # past any database's integers


async def test_the_compare_page_reads_each_version_once(
    sqlite_engine: Engine, generator_pool: GeneratorPool
) -> None:
    app = _app(sqlite_engine, generator_pool)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://registry.test"
    ) as http:
        await _catalog(http)
        await _text(http, f"{PAGE}/compare?from=1&to=2")  # warm: the token table and the caches filled
        statements: list[str] = []
        transactions = [0]

        def executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        def begun(_conn: Any) -> None:
            transactions[0] += 1

        event.listen(sqlite_engine, "before_cursor_execute", executed)
        event.listen(sqlite_engine, "begin", begun)
        try:
            compare = await _text(http, f"{PAGE}/compare?from=1&to=2")
        finally:
            event.remove(sqlite_engine, "before_cursor_execute", executed)
            event.remove(sqlite_engine, "begin", begun)
    assert 'class="change breaking"' in compare and '<tr class="insert">' in compare
    contents = [each for each in statements if "schema_versions.content" in each]
    assert len(contents) == 2, contents  # v1 and v2, each read once, by the diff
    # the tokens (read on each request: token_cache_seconds=0), the schema, its registry, its versions listed,
    # the two versions, the schema's policy
    assert transactions[0] == 7


async def test_the_version_page_shows_its_references_both_ways_as_far_as_the_caller_may_read(
    sqlite_engine: Engine, generator_pool: GeneratorPool
) -> None:
    app = _app(sqlite_engine, generator_pool)
    hostile_uri = f"https://schemas.example/{HOSTILE}.json"
    order = {"type": "object", "properties": {"total": {"$ref": MONEY_URI}, "note": {"$ref": hostile_uri}}}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://registry.test"
    ) as http:
        for name in ("common", "shop", "other"):
            assert (await http.put(f"/registries/{name}", json={})).status_code == 201
        money = {"type": "JSONSchemaDraft4", "content": MONEY}
        assert (await http.post("/registries/common/schemas/Money/versions", json=money)).status_code == 201
        references = [MONEY_REF, {**MONEY_REF, "name": hostile_uri}]
        for registry, schema in (("shop", "order%2Fplaced"), ("other", "order%2Fpaid")):
            body = {"type": "JSONSchemaDraft4", "content": order, "references": references}
            created = await http.post(f"/registries/{registry}/schemas/{schema}/versions", json=body)
            assert created.status_code == 201, created.text

        built = await _text(http, f"{PAGE}/versions/1")
        outgoing = built.split('id="references-out"')[1].split('id="references-in"')[0]
        assert (
            f'<code>{MONEY_URI}</code> → <a href="/ui/registries/common/schemas/Money/versions/1">'
            in outgoing
        )
        assert "&lt;script&gt;alert(1)" in outgoing and "<script>alert" not in built
        assert "No version references it." in built

        used = await _text(http, "/ui/registries/common/schemas/Money/versions/1")
        incoming = used.split('id="references-in"')[1].split("</section>")[0]
        assert "Nothing: the contract is self-contained." in used
        for shown in ("shop/schemas/order%2Fplaced", "other/schemas/order%2Fpaid"):
            assert f'<a href="/ui/registries/{shown}/versions/1">' in incoming
        assert f"as <code>{MONEY_URI}</code>" in incoming and "<script>alert" not in used

        # a reader of common alone: what other registries build from Money is not shown, as in the API
        _, reader = create_token(app.state.uow, Role.READER, registry="common", actor="test")
        signing = await _text(http, "/ui/sign-in")
        await http.post("/ui/sign-in", data={"csrf": _csrf(signing), "token": reader})
        scoped = await _text(http, "/ui/registries/common/schemas/Money/versions/1")
        assert "order/placed" not in scoped and "No version you may read references it." in scoped

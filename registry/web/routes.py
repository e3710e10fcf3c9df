"""The catalog's pages (`/ui/...`): thin routes that call the API's use cases and render templates.

Errors are pages too: a missing or stale sign-in leads to the sign-in page, any other refusal is rendered
with the API's status and message."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from registry import catalog, deployments, diffs, environments, services
from registry.access import Authenticator
from registry.api.deps import RegistryName, SchemaName, Uow
from registry.api.errors import status_for
from registry.domain import names
from registry.domain.auth import Principal, Role, authorize
from registry.domain.deployments import IncompatiblePair
from registry.domain.errors import InvalidInput, RegistryError, Unauthenticated
from registry.domain.json_input import parse_json
from registry.domain.model import CompatibilityPolicy, SchemaInfo
from registry.web import graph
from registry.web.highlight import highlight_json
from registry.web.security import (
    CSRF_FIELD,
    TOKEN_COOKIE,
    checked_form,
    csrf_token,
    forget_cookie,
    remember_csrf,
    set_private_cookie,
    viewer,
)

HERE = Path(__file__).parent
STATIC = HERE / "static"
PREFIX = "/ui"
SIGN_IN = f"{PREFIX}/sign-in"
PAGE_SIZE = 200  # rows a listing shows before its "next" link
SCHEMA_PAGE = 50  # schemas of a registry or search hits a page lists: each costs the listing its counts
MATRIX_VERSIONS = 30  # the latest versions the matrix page crosses


class PageRoute(APIRoute):
    """Refusals become pages: sign-in for the unauthenticated, the error's status and message otherwise."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handle(request)
            except Unauthenticated:
                return RedirectResponse(SIGN_IN, status_code=303)
            except RegistryError as error:
                return page(request, "error.html", {"error": error}, status=status_for(error))
            except RequestValidationError as error:
                problem = InvalidInput("; ".join(str(each.get("msg", "")) for each in error.errors()))
                return page(request, "error.html", {"error": problem}, status=400)

        return guarded


router = APIRouter(prefix=PREFIX, include_in_schema=False, route_class=PageRoute)
Viewer = Annotated[Principal, Depends(viewer)]


def _segment(value: object) -> str:
    """A name as one path segment: `/` and every other reserved character escaped."""
    return quote(str(value), safe="")


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)


_environment = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters["seg"] = _segment
_environment.filters["pretty"] = _pretty
_environment.filters["query"] = lambda values: urlencode({k: v for k, v in values.items() if v is not None})
templates = Jinja2Templates(env=_environment)


def page(request: Request, template: str, context: dict[str, Any], *, status: int = 200) -> Response:
    signed_in = TOKEN_COOKIE in request.cookies
    values = {"csrf": csrf_token(request), "csrf_field": CSRF_FIELD, "signed_in": signed_in, **context}
    response = templates.TemplateResponse(request, template, values, status_code=status)
    remember_csrf(request, response)
    # pages show what the caller may see: never cached by a shared cache, never framed by another site
    response.headers["cache-control"] = "private, no-store"
    response.headers["x-frame-options"] = "DENY"
    response.headers["content-security-policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )
    return response


def _schema_base(registry: str, schema: str) -> str:
    return f"{PREFIX}/registries/{_segment(registry)}/schemas/{_segment(schema)}"


# --- signing in and out ------------------------------------------------------------------------------------


@router.get("/sign-in")
def sign_in_page(request: Request) -> Response:
    authenticator: Authenticator = request.app.state.authenticator
    return page(request, "sign_in.html", {"open": authenticator.table().open})


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    fields = await checked_form(request)
    token = fields.get("token", "").strip()
    authenticator: Authenticator = request.app.state.authenticator
    try:
        await run_in_threadpool(authenticator.principal_for, f"Bearer {token}")
    except Unauthenticated as error:
        context = {"open": False, "problem": error.message}
        return page(request, "sign_in.html", context, status=401)
    response = RedirectResponse(PREFIX, status_code=303)
    set_private_cookie(request, response, TOKEN_COOKIE, token)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    await checked_form(request)
    response = RedirectResponse(SIGN_IN, status_code=303)
    forget_cookie(request, response, TOKEN_COOKIE)
    return response


# --- home and search ---------------------------------------------------------------------------------------


@router.get("")
def home(request: Request, caller: Viewer, uow: Uow) -> Response:
    found = services.list_registries(uow, limit=PAGE_SIZE, cursor=None, only=caller.registry)
    counts = catalog.registry_counts(uow, [each.name for each in found.items])
    latest = catalog.latest_registrations(uow, registry=caller.registry, limit=10)
    context = {"registries": found.items, "counts": counts, "latest": latest, "more": found.next_cursor}
    return page(request, "home.html", context)


@router.get("/search")
def search(
    request: Request, caller: Viewer, uow: Uow, q: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    hits = []
    if q.strip():
        hits = services.search(
            uow, q, registry=None, only=caller.registry, limit=PAGE_SIZE, cursor=None
        ).items
    return page(request, "search.html", {"q": q, "hits": hits})


# --- a registry --------------------------------------------------------------------------------------------


@router.get("/registries/{registry}")
def registry_page(
    request: Request,
    registry: RegistryName,
    caller: Viewer,
    uow: Uow,
    name: Annotated[str, Query(max_length=385)] = "",
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response:
    authorize(caller, Role.READER, registry)
    info = services.get_registry(uow, registry)
    found = services.list_schemas(uow, registry, prefix=name or None, limit=SCHEMA_PAGE, cursor=cursor)
    participants = catalog.schema_participants(uow, registry, [each.name for each in found.items])
    context = {
        "registry": info,
        "schemas": found.items,
        "participants": participants,
        "name": name,
        "next_cursor": found.next_cursor,
    }
    return page(request, "registry.html", context)


@router.get("/registries/{registry}/environments")
def environments_page(request: Request, registry: RegistryName, caller: Viewer, uow: Uow) -> Response:
    authorize(caller, Role.READER, registry)
    info = services.get_registry(uow, registry)
    listed = environments.list_environments(uow, registry, limit=PAGE_SIZE, cursor=None).items
    pictures = [deployments.environment_picture(uow, registry, each.environment) for each in listed]
    drawn = [
        graph.draw(picture, _graph_links(registry, f"#env-{index}-table"))
        for index, picture in enumerate(pictures, start=1)
    ]
    history = deployments.audit_log(
        uow, registry, schema=None, service=None, environment=None, limit=50, cursor=None
    ).items
    context = {
        "registry": info,
        "environments": list(zip(listed, pictures, drawn, strict=True)),
        "history": history,
        "max_rows": graph.MAX_ROWS,
    }
    return page(request, "environments.html", context)


def _graph_links(registry: str, table: str) -> graph.Links:
    def report(pair: IncompatiblePair) -> str:
        pick = urlencode({"from": pair.producer.version, "to": pair.consumer.version})
        return f"{_schema_base(registry, pair.producer.schema)}/compare?{pick}"

    return graph.Links(
        schema=lambda schema: _schema_base(registry, schema),
        version=lambda schema, number: f"{_schema_base(registry, schema)}/versions/{number}",
        report=report,
        table=table,
    )


# --- a schema ----------------------------------------------------------------------------------------------


def _schema_context(
    request: Request,
    uow: Any,
    registry: str,
    schema: str,
    *,
    with_participants: bool = True,
    with_mirror: bool = True,
) -> dict[str, Any]:
    info = services.get_schema(uow, registry, schema)
    owner = services.get_registry(uow, registry)
    versions = services.list_versions(uow, registry, schema, limit=PAGE_SIZE, cursor=None)
    participants = (
        deployments.list_participants(
            uow, registry, schema, environment=None, role=None, limit=PAGE_SIZE, cursor=None
        ).items
        if with_participants
        else []
    )
    by_environment: dict[str, list[Any]] = {}
    for each in participants:
        by_environment.setdefault(each.environment, []).append(each)
    index_url = f"{str(request.base_url).rstrip('/')}/registries/{_segment(registry)}/simple/"
    listed = list(reversed(versions.items))
    return {
        "schema": info,
        "registry": owner,
        "mode": info.compatibility or owner.compatibility,
        "policy": info.compatibility_policy or owner.compatibility_policy,
        "versions": listed,
        "mirror": catalog.mirror_states(uow, registry, schema, [each.version for each in listed])
        if with_mirror
        else {},
        "more_versions": versions.next_cursor is not None,
        "participants": by_environment,
        "pip": _pip_line(index_url, info),
        "index_page": f"/registries/{_segment(registry)}/simple/{info.package_name}/",
        "base": _schema_base(registry, schema),
        "api_base": f"/registries/{_segment(registry)}/schemas/{_segment(schema)}",
    }


def _pip_line(index_url: str, info: SchemaInfo) -> str:
    pinned = f"=={info.latest_version}" if info.latest_version else ""
    return f"pip install --extra-index-url {index_url} {info.package_name}{pinned}"


@router.get("/registries/{registry}/schemas/{schema}")
def schema_page(
    request: Request, registry: RegistryName, schema: SchemaName, caller: Viewer, uow: Uow
) -> Response:
    authorize(caller, Role.READER, registry)
    return page(request, "schema.html", _schema_context(request, uow, registry, schema))


@router.post("/registries/{registry}/schemas/{schema}/validate")
async def validate(
    request: Request, registry: RegistryName, schema: SchemaName, caller: Viewer, uow: Uow
) -> Response:
    authorize(caller, Role.READER, registry)
    fields = await checked_form(request)
    chosen = names.version_selector(fields.get("version", "latest") or "latest")
    pasted = fields.get("event", "")

    def check() -> dict[str, Any]:
        context = _schema_context(request, uow, registry, schema)
        context.update(pasted=pasted, chosen=chosen)
        try:
            event = parse_json(pasted, where="the event")
        except RegistryError as error:
            context["unreadable"] = error.message
            return context
        info, problems = services.validate_event(
            uow, registry, schema, chosen, event, check_formats=fields.get("formats") == "on"
        )
        context.update(validated=info.version, problems=problems)
        return context

    context = await run_in_threadpool(check)
    return page(request, "schema.html", context, status=200 if "unreadable" not in context else 400)


@router.get("/registries/{registry}/schemas/{schema}/versions/{version}")
def version_page(
    request: Request, registry: RegistryName, schema: SchemaName, version: str, caller: Viewer, uow: Uow
) -> Response:
    authorize(caller, Role.READER, registry)
    info = services.get_version(uow, registry, schema, names.version_selector(version))
    # what this version is built from is info.references; what is built from it, the caller may not see all
    referencing = services.referenced_by(
        uow, registry, schema, info.version, may_read=caller.may_see, limit=PAGE_SIZE, cursor=None
    )
    context = {
        "version": info,
        "referenced_by": referencing.items,
        "more_referencing": referencing.next_cursor is not None,
        "contract": highlight_json(_pretty(json.loads(info.canonical_content))),
        "tree": catalog.field_tree(info),
        "base": _schema_base(registry, schema),
        "api_base": f"/registries/{_segment(registry)}/schemas/{_segment(schema)}",
    }
    return page(request, "version.html", context)


@router.get("/registries/{registry}/schemas/{schema}/versions/{version}/contract.json")
def raw_contract(
    registry: RegistryName, schema: SchemaName, version: str, caller: Viewer, uow: Uow
) -> Response:
    authorize(caller, Role.READER, registry)
    info = services.get_version(uow, registry, schema, names.version_selector(version))
    filename = f"{info.schema}-v{info.version}.json".replace("/", "_").replace('"', "_")
    return Response(
        info.canonical_content,
        media_type="application/json",
        headers={"content-disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}"},
    )


@router.get("/registries/{registry}/schemas/{schema}/compare")
def compare_page(
    request: Request,
    registry: RegistryName,
    schema: SchemaName,
    caller: Viewer,
    uow: Uow,
    from_: Annotated[str | None, Query(alias="from", max_length=16)] = None,
    to: Annotated[str | None, Query(max_length=16)] = None,
    policy: CompatibilityPolicy | None = None,
) -> Response:
    authorize(caller, Role.READER, registry)
    context = _schema_context(request, uow, registry, schema, with_participants=False, with_mirror=False)
    numbers = [each.version for each in context["versions"]]  # newest first
    if not numbers:
        return page(request, "compare.html", {**context, "diff": None})
    new = names.version_selector(to) if to else numbers[0]
    old = names.version_selector(from_) if from_ else (numbers[1] if len(numbers) > 1 else numbers[0])
    found = diffs.diff_versions(uow, registry, schema, old=old, new=new, policy=policy)
    before, after = found.old_version, found.new_version  # as the diff read them: no second read
    rows = side_by_side(
        _pretty(json.loads(before.canonical_content)), _pretty(json.loads(after.canonical_content))
    )
    context.update(diff=found, old=found.old, new=found.new, rows=rows, chosen_policy=policy)
    return page(request, "compare.html", context)


def side_by_side(before: str, after: str) -> list[tuple[str, int | None, str, int | None, str]]:
    """(tag, old line number, old line, new line number, new line) rows of a two-column diff; tags are
    difflib's: equal, replace, delete, insert."""
    old, new = before.splitlines(), after.splitlines()
    rows: list[tuple[str, int | None, str, int | None, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        for offset in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + offset, j1 + offset
            rows.append(
                (
                    tag,
                    i + 1 if i < i2 else None,
                    old[i] if i < i2 else "",
                    j + 1 if j < j2 else None,
                    new[j] if j < j2 else "",
                )
            )
    return rows


@router.get("/registries/{registry}/schemas/{schema}/matrix")
def matrix_page(
    request: Request,
    registry: RegistryName,
    schema: SchemaName,
    caller: Viewer,
    uow: Uow,
    policy: CompatibilityPolicy | None = None,
    first: Annotated[int | None, Query(alias="from", ge=1, le=names.MAX_VERSION_NUMBER)] = None,
    last: Annotated[int | None, Query(alias="to", ge=1, le=names.MAX_VERSION_NUMBER)] = None,
) -> Response:
    """Versions numbered from..to (either end open; the latest by default), at most MATRIX_VERSIONS of
    them, with links to the neighbouring ranges: the grid costs the square of its size."""
    authorize(caller, Role.READER, registry)
    info = services.get_schema(uow, registry, schema)
    found = services.compatibility_matrix(
        uow, registry, schema, policy=policy, limit=MATRIX_VERSIONS, first=first, last=last
    )
    shown = found.versions
    earlier = later = None
    if shown and found.lowest is not None and shown[0] > found.lowest:
        earlier = {"to": shown[0] - 1, "policy": policy.value if policy else None}
    if shown and found.highest is not None and shown[-1] < found.highest:
        later = {"from": shown[-1] + 1, "policy": policy.value if policy else None}
    context = {
        "schema": info,
        "matrix": found,
        "base": _schema_base(registry, schema),
        "first": first,
        "last": last,
        "earlier": earlier,
        "later": later,
        "most": MATRIX_VERSIONS,
        "chosen_policy": policy,
    }
    return page(request, "matrix.html", context)

"""PEP 503 simple repositories of the generated wheels, with PEP 691 JSON chosen by `Accept`.

    pip install --extra-index-url http://HOST:8080/registries/orders/simple/ <distribution>==3

Every schema is a project; every version a wheel. Each registry has its own index, a namespace of its own
(`/registries/{registry}/simple/`: readers of that registry, who are refused before anything is looked up,
so a token of another registry learns nothing of what exists there). The service-wide `/simple/` answers
with what the caller may read: a token of one registry finds the packages of that registry only, and any
other name is missing to it, whether or not another registry has it.

A listing never waits for generation: wheels not built yet are listed without a hash (and built in the
background), and built on download if still missing.
"""

from __future__ import annotations

import html
import re
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from codegen.names import normalize_project
from codegen.package import REQUIRES_PYTHON
from registry.api.deps import Caller, PythonBindings, ReaderOfRegistry, RegistryName
from registry.api.models import error_responses
from registry.bindings import Bindings, ListedFile
from registry.domain import errors
from registry.domain.auth import Principal, Role, authorize
from registry.observability import metrics

router = APIRouter(tags=["package index"], responses=error_responses(401, 403, 404, 406, 409, 422))
REGISTRY_INDEX = "/registries/{registry}/simple"

JSON_V1 = "application/vnd.pypi.simple.v1+json"
HTML_V1 = "application/vnd.pypi.simple.v1+html"
HTML = "text/html"
# PEP 691: what a client may ask for, and the type that answers it; on a tie (`*/*`) the first wins.
OFFERED = {HTML: HTML, HTML_V1: HTML_V1, "application/vnd.pypi.simple.latest+html": HTML_V1,
           JSON_V1: JSON_V1, "application/vnd.pypi.simple.latest+json": JSON_V1}  # fmt: skip
API_VERSION = "1.0"  # 1.1 makes `size` mandatory, unknown for a wheel not built yet
AcceptHeader = Annotated[str | None, Header(alias="accept")]
ProjectName = Annotated[str, Path(max_length=200)]
PROJECT_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
INDEX_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {HTML: {}, JSON_V1: {}, HTML_V1: {}}, "description": "PEP 503 HTML or PEP 691 JSON"}
}


def negotiate(accept: str | None) -> str:
    """The media type to answer with: the offered type with the highest `q`, HTML when none is asked."""
    if not accept or not accept.strip():
        return HTML
    best: tuple[float, int, str] | None = None
    for position, offered in enumerate(OFFERED):
        quality = _quality(accept, offered)
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, position, OFFERED[offered])
    if best is None:
        raise errors.NotAcceptable(offered=list(OFFERED))
    return best[2]


def _quality(accept: str, offered: str) -> float:
    kind = offered.split("/")[0]
    found, specificity = 0.0, -1
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        rank = 2 if media.lower() == offered else 1 if media == f"{kind}/*" else 0 if media == "*/*" else -1
        if rank > specificity:
            found, specificity = _q(params), rank
    return found


def _q(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def _respond(media_type: str, html_body: str, json_body: dict[str, Any]) -> Response:
    headers = {"Vary": "Accept", "Cache-Control": "no-cache"}
    if media_type == JSON_V1:
        return JSONResponse(json_body, media_type=JSON_V1, headers=headers)
    return Response(html_body, media_type=media_type, headers=headers)


def _page(title: str, links: list[str]) -> str:
    head = f'<meta name="pypi:repository-version" content="{API_VERSION}"><title>{html.escape(title)}</title>'
    body = "\n".join(f"{link}<br/>" for link in links)
    heading = f"<h1>{html.escape(title)}</h1>"
    return f"<!DOCTYPE html>\n<html><head>{head}</head>\n<body>{heading}\n{body}\n</body></html>\n"


@router.get("/simple/", response_class=Response, responses=INDEX_RESPONSES)
async def projects(caller: Caller, bindings: PythonBindings, accept: AcceptHeader = None) -> Response:
    """Every schema's package that the caller may read (a name several registries share, once)."""
    media_type = negotiate(accept)
    return _projects_page(media_type, await run_in_threadpool(bindings.project_names, caller.registry))


@router.get(REGISTRY_INDEX + "/", response_class=Response, responses=INDEX_RESPONSES)
async def registry_projects(
    registry: RegistryName, _caller: ReaderOfRegistry, bindings: PythonBindings, accept: AcceptHeader = None
) -> Response:
    """The packages of one registry's schemas: give pip this index (`--extra-index-url`)."""
    media_type = negotiate(accept)
    return _projects_page(media_type, await run_in_threadpool(bindings.registry_project_names, registry))


def _projects_page(media_type: str, names: list[str]) -> Response:
    links = [f'<a href="{html.escape(name)}/">{html.escape(name)}</a>' for name in names]
    return _respond(
        media_type,
        _page("Simple index", links),
        {"meta": {"api-version": API_VERSION}, "projects": [{"name": name} for name in names]},
    )


@router.get("/simple/{project}/", response_class=Response, responses=INDEX_RESPONSES)
async def project_files(
    project: ProjectName, caller: Caller, bindings: PythonBindings, accept: AcceptHeader = None
) -> Response:
    """One wheel per version, with `#sha256=` once built and `data-requires-python`. Looked up among the
    registries the caller may read, so a package of another registry is as missing as one of none."""
    return await _project_page(project, caller.registry, caller, bindings, accept)


@router.get(REGISTRY_INDEX + "/{project}/", response_class=Response, responses=INDEX_RESPONSES)
async def registry_project_files(
    registry: RegistryName,
    project: ProjectName,
    caller: ReaderOfRegistry,
    bindings: PythonBindings,
    accept: AcceptHeader = None,
) -> Response:
    """One wheel per version of a package of this registry."""
    return await _project_page(project, registry, caller, bindings, accept)


async def _project_page(
    project: str, registry: str | None, caller: Principal, bindings: Bindings, accept: str | None
) -> Response:
    normalized = _normalized(project)
    if normalized != project:  # PEP 503: clients ask for the normalised name; send others there
        return RedirectResponse(f"../{normalized}/", status_code=301)
    media_type = negotiate(accept)
    found = await run_in_threadpool(bindings.project, normalized, registry=registry)
    authorize(caller, Role.READER, found.registry)
    files = await run_in_threadpool(bindings.listing, found)
    bindings.build_missing(found, files)
    return _respond(
        media_type,
        _page(f"Links for {normalized}", [_anchor(file) for file in files]),
        {"meta": {"api-version": API_VERSION}, "name": normalized, "files": [_json_file(f) for f in files]},
    )


def _normalized(project: str) -> str:
    if not PROJECT_NAME.fullmatch(project):  # no schema's package has such a name
        raise errors.PackageNotFound(project=project[:100])
    return normalize_project(project)


def _anchor(file: ListedFile) -> str:
    fragment = f"#sha256={file.sha256}" if file.sha256 else ""
    href = html.escape(f"{file.filename}{fragment}")
    requires = html.escape(REQUIRES_PYTHON)
    return f'<a href="{href}" data-requires-python="{requires}">{html.escape(file.filename)}</a>'


def _json_file(file: ListedFile) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "filename": file.filename,
        "url": file.filename,  # relative to the project page
        "hashes": {"sha256": file.sha256} if file.sha256 else {},
        "requires-python": REQUIRES_PYTHON,
    }
    if file.size is not None:
        entry["size"] = file.size
    return entry


WHEEL_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {}}, "description": "the wheel"}
}
FileName = Annotated[str, Path(max_length=255)]


@router.get("/simple/{project}/{filename}", response_class=Response, responses=WHEEL_RESPONSES)
async def package_file(
    project: ProjectName, filename: FileName, caller: Caller, bindings: PythonBindings, request: Request
) -> Response:
    """The wheel itself; built (and stored for every replica) on the first download."""
    return await _wheel(project, filename, caller.registry, caller, bindings, request)


@router.get(REGISTRY_INDEX + "/{project}/{filename}", response_class=Response, responses=WHEEL_RESPONSES)
async def registry_package_file(
    registry: RegistryName,
    project: ProjectName,
    filename: FileName,
    caller: ReaderOfRegistry,
    bindings: PythonBindings,
    request: Request,
) -> Response:
    """A wheel of a package of this registry."""
    return await _wheel(project, filename, registry, caller, bindings, request)


async def _wheel(
    project: str, filename: str, registry: str | None, caller: Principal, bindings: Bindings, request: Request
) -> Response:
    found = await run_in_threadpool(bindings.find_wheel, _normalized(project), filename, registry=registry)
    authorize(caller, Role.READER, found.registry)  # before anything is built
    file = await bindings.file(found)
    etag = f'"{file.sha256}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=31536000, immutable"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    metrics.package_downloads.labels("wheel").inc()
    return Response(file.data, media_type="application/octet-stream", headers=headers)

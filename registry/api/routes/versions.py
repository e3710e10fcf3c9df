"""Versions: register, list, read (with HTTP caching), delete, and validate an event against one."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request, Response, status

from registry import services
from registry.api.capacity import EXPENSIVE
from registry.api.deps import (
    DEFAULT_PAGE,
    Cursor,
    FastReadCaches,
    Limit,
    RenderedVersions,
    SchemaReader,
    SchemaWriter,
    VersionReader,
    VersionWriter,
)
from registry.api.fast_reads import ValidationTarget, rendered_latest
from registry.api.middleware import ParsedJsonRoute
from registry.api.models import (
    READ_ERRORS,
    WRITE_ERRORS,
    ErrorOut,
    EventErrorOut,
    MirrorStateOut,
    PageOut,
    ReferenceOut,
    RegisterVersionIn,
    ValidationOut,
    VersionOut,
    VersionSummaryOut,
    error_responses,
)
from registry.api.version_cache import IMMUTABLE
from registry.domain.audit import actor_of
from registry.domain.formats.bundle import Reference, VersionKey
from registry.domain.mirror import MIRRORED
from registry.domain.model import VersionInfo

router = APIRouter(
    prefix="/registries/{registry}/schemas/{schema}/versions",
    tags=["versions"],
    responses=READ_ERRORS,
    route_class=ParsedJsonRoute,
)

JSON = "application/json"


def new_version(body: RegisterVersionIn, registry: str) -> services.NewVersion:
    """The registration (or dry run) a request asks for; references default to the same registry."""
    references = tuple(
        Reference(each.name, VersionKey(each.registry or registry, each.schema_, each.version))
        for each in body.references
    )
    return services.NewVersion(
        type=body.type,
        content=body.content,
        description=body.description,
        event_root=body.event_root,
        references=references,
    )


def version_body(info: VersionInfo, *, bundled: bool = False) -> bytes:
    """The stored canonical content is spliced in as it is: no parse and re-serialise on the read path.
    `bundled`: the content with its references inlined instead of as written."""
    fields: dict[str, Any] = {
        "registry": info.registry,
        "schema": info.schema,
        "version": info.version,
        "type": info.type,
        "fingerprint": info.fingerprint,
        "event_root": info.event_root,
        "description": info.description,
        "created_at": info.created_at.isoformat(),
        "created_by": info.created_by,
    }
    if info.mirror is not None:
        fields["mirror"] = MirrorStateOut.model_validate(info.mirror, from_attributes=True).model_dump(
            mode="json"
        )
    if info.references:
        fields["references"] = [
            ReferenceOut.model_validate(each, from_attributes=True).model_dump(by_alias=True)
            for each in info.references
        ]
    head = json.dumps(fields, ensure_ascii=False)
    content = info.resolved_content if bundled else info.canonical_content
    return f'{head[:-1]},"content":{content}}}'.encode()


def is_final(info: VersionInfo) -> bool:
    """Nothing about this response can change any more: no delivery to a mirror is still under way."""
    return info.mirror is None or info.mirror.status == MIRRORED


def version_response(
    info: VersionInfo, *, status_code: int = 200, immutable: bool = True, bundled: bool = False
) -> Response:
    body = version_body(info, bundled=bundled)
    immutable = immutable and is_final(info)
    headers = {
        "ETag": f'"{hashlib.sha256(body).hexdigest()[:32]}"',
        "Cache-Control": IMMUTABLE if immutable else "no-cache",
    }
    return Response(body, status_code=status_code, media_type=JSON, headers=headers)


@router.post(
    "",
    response_model=VersionOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        **WRITE_ERRORS,
        200: {"model": VersionOut, "description": "identical content: the existing version"},
        409: {"model": ErrorOut, "description": "the schema holds contracts of another type"},
        422: {"model": ErrorOut, "description": "the contract is invalid (details.pointer locates it)"},
    },
)
def register_version(body: RegisterVersionIn, on: SchemaWriter) -> Response:
    """Register a version; the schema is created with its first version. Its non-local `$ref`s resolve
    through `references` to stored versions the caller may read (422 `reference_not_found` otherwise).
    Also called by the front (api.front_registrations) for the registrations it answers."""
    new = new_version(body, on.registry)
    info, created = services.register_version(
        on.uow, on.registry, on.schema, new, actor=actor_of(on.caller), may_read=on.caller.may_see
    )
    return version_response(info, status_code=201 if created else 200)


@router.get("", response_model=PageOut[VersionSummaryOut])
def list_versions(
    on: SchemaReader, limit: Limit = DEFAULT_PAGE, cursor: Cursor = None
) -> PageOut[VersionSummaryOut]:
    page = services.list_versions(on.uow, on.registry, on.schema, limit=limit, cursor=cursor)
    items = [VersionSummaryOut.model_validate(item, from_attributes=True) for item in page.items]
    return PageOut[VersionSummaryOut](items=items, next_cursor=page.next_cursor)


@router.get("/{version}", response_model=VersionOut, responses={304: {"description": "not modified"}})
def get_version(
    on: VersionReader,
    rendered: RenderedVersions,
    kept: FastReadCaches,
    request: Request,
    resolve: Annotated[
        Literal["bundle"] | None,
        Query(
            description="`bundle`: `content` is one self-contained document with every reference inlined "
            "(what EventBridge and code generation receive)"
        ),
    ] = None,
) -> Response:
    """One version; `latest` is the highest number. Numbered versions never change, so they are cacheable
    for a year; `latest` must be revalidated (ETag, If-None-Match)."""
    registry, schema, version = on.registry, on.schema, on.version
    stamp = kept.latest_bodies.stamp()  # before the read: what it finds is only as fresh as this
    info = services.get_version(on.uow, registry, schema, version)
    bundled = resolve == "bundle"
    response = version_response(info, immutable=version is not None, bundled=bundled)
    if version is not None and is_final(info) and not bundled:
        rendered.put((registry, schema, version), bytes(response.body), response.headers["etag"])
    if version is None and not bundled:
        body = bytes(response.body)
        latest = rendered_latest(body, response.headers["etag"])
        kept.latest_bodies.put((registry, schema), latest, stamp, size=len(body))
        kept.latest_numbers.put((registry, schema), info.version, stamp)
    if request.headers.get("if-none-match") == response.headers["etag"]:
        return Response(status_code=304, headers={k: response.headers[k] for k in ("etag", "cache-control")})
    return response


@router.delete(
    "/{version}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        409: {
            "model": ErrorOut,
            "description": "the version is recorded as deployed (version_in_use) or other versions "
            "reference it (version_referenced)",
        }
    },
)
def delete_version(on: VersionWriter, rendered: RenderedVersions) -> Response:
    """Delete one version. Its number is never given to another version. A version recorded as deployed
    (docs/deployments.md) is not deleted: 409 `version_in_use` names the deployments; nor is one that
    other versions reference: 409 `version_referenced` names them."""
    caller = on.caller
    services.delete_version(
        on.uow, on.registry, on.schema, on.version, actor=actor_of(caller), may_read=caller.may_see
    )
    rendered.clear()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{version}/referenced-by", response_model=PageOut[ReferenceOut])
def referenced_by(
    on: VersionReader,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> PageOut[ReferenceOut]:
    """The versions whose references name this one directly, with the name each uses (those in
    registries the caller may read)."""
    page = services.referenced_by(
        on.uow, on.registry, on.schema, on.version, may_read=on.caller.may_see, limit=limit, cursor=cursor
    )
    items = [ReferenceOut.model_validate(item, from_attributes=True) for item in page.items]
    return PageOut[ReferenceOut](items=items, next_cursor=page.next_cursor)


@router.post(
    "/{version}/validate",
    response_model=ValidationOut,
    dependencies=EXPENSIVE,
    responses=error_responses(400, 413, 415),
)
def validate_event(
    event: Annotated[Any, Body(description="the event, any JSON value")],
    on: VersionReader,
    kept: FastReadCaches,
    check_formats: Annotated[
        bool,
        Query(description="also assert `format` (date-time, email, ...); off by default, as in JSON Schema"),
    ] = False,
    check_identity: Annotated[
        bool,
        Query(
            description="refuse an EventBridge event whose `detail-type` or `source` differs from the "
            "contract's `x-amazon-events-detail-type` / `x-amazon-events-source` (`identity_mismatch`)"
        ),
    ] = True,
) -> ValidationOut:
    """Validate one event against the version: every error, with its JSON pointer and a `code`."""
    registry, schema, version = on.registry, on.schema, on.version
    stamp = kept.targets.stamp()
    info, problems = services.validate_event(
        on.uow, registry, schema, version, event, check_formats=check_formats, check_identity=check_identity
    )
    target = ValidationTarget(info.type, info.fingerprint, info.event_root)
    kept.targets.put((registry, schema, info.version), target, stamp)
    if version is None:
        kept.latest_numbers.put((registry, schema), info.version, stamp)
    return ValidationOut(
        valid=not problems,
        errors=[
            EventErrorOut(path=problem.path, message=problem.message, code=problem.code)
            for problem in problems
        ],
        registry=info.registry,
        schema=info.schema,
        version=info.version,
    )

"""Python bindings of a version as a zip laid out like an EventBridge code binding."""

from __future__ import annotations

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from registry.api.deps import PythonBindings, ReaderOfRegistry, RegistryName, SchemaName, VersionSelector
from registry.api.models import READ_ERRORS
from registry.observability import metrics

router = APIRouter(
    prefix="/registries/{registry}/schemas/{schema}/versions/{version}/bindings",
    tags=["bindings"],
    responses=READ_ERRORS,
)


@router.get(
    "/python",
    response_class=Response,
    responses={
        200: {"content": {"application/zip": {}}, "description": "the zip"},
    },
)
async def python_bindings(
    registry: RegistryName,
    schema: SchemaName,
    version: VersionSelector,
    _caller: ReaderOfRegistry,
    bindings: PythonBindings,
) -> Response:
    """`schema/<package path>/` with `Marshaller`, `AWSEvent` (EventBridge contracts), the detail or root
    class, `parse_event` and the typed models (pydantic 2), as SAM-style handlers import them.
    Generated on first request (in a worker process), then served from the database."""
    file = await bindings.file(await run_in_threadpool(bindings.find_zip, registry, schema, version))
    headers = {
        "Content-Disposition": f'attachment; filename="{file.filename}"',
        "ETag": f'"{file.sha256[:32]}"',
    }
    metrics.package_downloads.labels("zip").inc()
    return Response(file.data, media_type="application/zip", headers=headers)

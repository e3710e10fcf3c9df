"""Code bindings (PutCodeBinding, DescribeCodeBinding, GetCodeBindingSource) for `Python36`: the same zip as
the native `.../bindings/python`, generated once per contract and stored for every replica.

Clients (SAM CLI, the AWS toolkits) call GetCodeBindingSource, on NotFoundException PutCodeBinding, wait
with DescribeCodeBinding (the `code_binding_exists` waiter), then fetch the source. PutCodeBinding builds
before it answers here (generation takes well under a second), so the waiter's first call succeeds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from starlette.concurrency import run_in_threadpool

from registry import eventbridge
from registry.api.deps import PythonBindings, RegistryName, SchemaName
from registry.api.eventbridge.common import (
    READ_ERRORS,
    TAGS,
    QueryVersion,
    ReaderOfRegistry,
    optional_version,
)
from registry.api.eventbridge.models import CodeBindingResponse, CodeGenerationStatus
from registry.bindings import Bindings, Found
from registry.domain import errors
from registry.observability import metrics
from registry.storage.bindings import READY

router = APIRouter(
    prefix="/v1/registries/name/{registry}/schemas/name/{schema}/language/{language}", tags=TAGS
)
Language = Annotated[str, Path(max_length=64, description="`Python36`, the one language generated here")]


def _python_only(language: str) -> None:
    if language != eventbridge.PYTHON_LANGUAGE:
        raise errors.UnsupportedLanguage(supported=eventbridge.PYTHON_LANGUAGE, language=language)


def _out(found: Found, state: CodeGenerationStatus) -> CodeBindingResponse:
    assert found.source is not None, "a zip is always found with its version"
    version = found.source.info
    return CodeBindingResponse(
        CreationDate=version.created_at,
        LastModified=version.created_at,
        SchemaVersion=str(version.version),
        Status=state,
    )


def _not_requested(found: Found) -> errors.CodeBindingNotFound:
    assert found.source is not None, "a zip is always found with its version"
    info = found.source.info
    return errors.CodeBindingNotFound(registry=info.registry, schema=info.schema, version=info.version)


@router.post(
    "",
    operation_id="PutCodeBinding",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CodeBindingResponse,
    responses=READ_ERRORS,
)
async def put_code_binding(
    registry: RegistryName,
    schema: SchemaName,
    language: Language,
    _caller: ReaderOfRegistry,
    bindings: PythonBindings,
    schema_version: QueryVersion = None,
) -> CodeBindingResponse:
    """Generate the binding of a version (default: the latest). Answers once it is built, with status
    CREATE_COMPLETE, or CREATE_FAILED when the contract cannot be turned into code (GetCodeBindingSource
    then says why). Readers may call it: it derives code from what they may read already."""
    _python_only(language)
    found = await run_in_threadpool(bindings.find_zip, registry, schema, optional_version(schema_version))
    try:
        await bindings.file(found)
    except errors.CodeGenerationFailed:
        return _out(found, "CREATE_FAILED")
    return _out(found, "CREATE_COMPLETE")


@router.get("", operation_id="DescribeCodeBinding", response_model=CodeBindingResponse, responses=READ_ERRORS)
async def describe_code_binding(
    registry: RegistryName,
    schema: SchemaName,
    language: Language,
    _caller: ReaderOfRegistry,
    bindings: PythonBindings,
    schema_version: QueryVersion = None,
) -> CodeBindingResponse:
    """Where generation stands; NotFoundException before anyone asked for it."""
    _python_only(language)
    found = await run_in_threadpool(bindings.find_zip, registry, schema, optional_version(schema_version))
    state = Bindings.status(found)
    if state is None:
        raise _not_requested(found)
    if found.file is None and found.code is not None and found.code.status == READY:
        # The models exist (another schema or the wheel had them made) and only this zip is missing:
        # packing it takes milliseconds, and no one else would, so a waiter polling here would wait forever.
        await bindings.file(found)
        state = "CREATE_COMPLETE"
    return _out(found, _status(state))


def _status(state: str) -> CodeGenerationStatus:
    if state == "CREATE_COMPLETE":
        return "CREATE_COMPLETE"
    return "CREATE_FAILED" if state == "CREATE_FAILED" else "CREATE_IN_PROGRESS"


@router.get(
    "/source",
    operation_id="GetCodeBindingSource",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "the zip"}, **READ_ERRORS},
)
async def get_code_binding_source(
    registry: RegistryName,
    schema: SchemaName,
    language: Language,
    _caller: ReaderOfRegistry,
    bindings: PythonBindings,
    schema_version: QueryVersion = None,
) -> Response:
    """The zip (`schema/<package path>/` with `marshaller.py`, `AWSEvent`, the models), as the raw body.
    NotFoundException until PutCodeBinding was called, as on AWS; while generation runs, the answer waits
    for it; BadRequestException when it failed."""
    _python_only(language)
    found = await run_in_threadpool(bindings.find_zip, registry, schema, optional_version(schema_version))
    if Bindings.status(found) is None:
        raise _not_requested(found)
    file = await bindings.file(found)
    headers = {"Content-Disposition": f'attachment; filename="{file.filename}"'}
    metrics.package_downloads.labels("zip").inc()
    return Response(file.data, media_type="application/zip", headers=headers)

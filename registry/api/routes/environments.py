"""Environments: create, list and delete the places deployments are recorded in, and see one's picture."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Response, status

from registry import deployments, environments
from registry.api.deps import (
    DEFAULT_PAGE,
    Cursor,
    Limit,
    ReaderOfRegistry,
    RegistryName,
    Uow,
    WriterOfRegistry,
)
from registry.api.middleware import ParsedJsonRoute
from registry.api.models import (
    PARTICIPANT_NAME,
    READ_ERRORS,
    EnvironmentIn,
    EnvironmentOut,
    EnvironmentSummaryOut,
    ErrorOut,
    IncompatiblePairOut,
    PageOut,
    SchemaPictureOut,
    ServiceVersionOut,
    error_responses,
)
from registry.api.routes.deployments import pair_report
from registry.domain.deployments import EnvironmentSummary, Participant, SchemaPicture

router = APIRouter(
    prefix="/registries/{registry}/environments",
    tags=["deployments"],
    responses=READ_ERRORS,
    route_class=ParsedJsonRoute,
)

# The pattern is documented, not enforced here: the domain checks the name and answers `invalid_name`.
Environment = Annotated[str, Path(description="e.g. `prod`", json_schema_extra=PARTICIPANT_NAME)]


def _summary(found: EnvironmentSummary) -> EnvironmentSummaryOut:
    return EnvironmentSummaryOut.model_validate(found, from_attributes=True)


@router.get("", response_model=PageOut[EnvironmentSummaryOut])
def list_environments(
    registry: RegistryName,
    _caller: ReaderOfRegistry,
    uow: Uow,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> PageOut[EnvironmentSummaryOut]:
    """The registry's environments by name, with how much is recorded in each."""
    page = environments.list_environments(uow, registry, limit=limit, cursor=cursor)
    return PageOut[EnvironmentSummaryOut](
        items=[_summary(each) for each in page.items], next_cursor=page.next_cursor
    )


@router.put(
    "/{environment}",
    response_model=EnvironmentSummaryOut,
    responses={
        **error_responses(400, 401, 403, 404, 413, 415, 422),
        201: {"model": EnvironmentSummaryOut, "description": "created"},
    },
)
def put_environment(
    registry: RegistryName,
    environment: Environment,
    caller: WriterOfRegistry,
    uow: Uow,
    response: Response,
    body: Annotated[EnvironmentIn | None, Body(description='optional: `{"description": ...}`')] = None,
) -> EnvironmentSummaryOut:
    """Create the environment (201), or change its description when one is given (200). Putting an existing
    environment again changes nothing, so a CI step may run it on every release."""
    given = {} if body is None else body.model_dump(include=body.model_fields_set)
    found, created = environments.put_environment(uow, registry, environment, caller=caller, **given)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return _summary(found)


@router.delete(
    "/{environment}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        409: {
            "model": ErrorOut,
            "description": "deployments are recorded there (`environment_in_use`, listed in details)",
        }
    },
)
def delete_environment(
    registry: RegistryName, environment: Environment, caller: WriterOfRegistry, uow: Uow
) -> Response:
    """Delete an environment where nothing is recorded. The audit keeps what was recorded there."""
    environments.delete_environment(uow, registry, environment, caller=caller)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{environment}", response_model=EnvironmentOut)
def environment_picture(
    registry: RegistryName, environment: Environment, _caller: ReaderOfRegistry, uow: Uow
) -> EnvironmentOut:
    """Every schema with participants in the environment: its producers and consumers, and each of their
    pairs that is incompatible now, with its report. An environment where nothing is recorded yet has no
    schemas."""
    found = deployments.environment_picture(uow, registry, environment)
    return EnvironmentOut(
        registry=found.registry,
        environment=found.environment,
        compatible=found.compatible,
        schemas=[_schema_picture(each) for each in found.schemas],
    )


def _service_version(found: Participant) -> ServiceVersionOut:
    return ServiceVersionOut(service=found.service, version=found.version)


def _schema_picture(picture: SchemaPicture) -> SchemaPictureOut:
    return SchemaPictureOut.model_validate(
        {
            "schema": picture.schema,
            "producers": [_service_version(each) for each in picture.producers],
            "consumers": [_service_version(each) for each in picture.consumers],
            "incompatible_pairs": [
                IncompatiblePairOut(
                    producer=_service_version(pair.producer),
                    consumer=_service_version(pair.consumer),
                    report=pair_report(pair.report),
                )
                for pair in picture.incompatible_pairs
            ],
        }
    )

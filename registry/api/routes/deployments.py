"""Deployments: record who produces and consumes which version where, ask whether a version may be deployed,
and the audit of every change to it (docs/deployments.md). Environments: routes/environments.py."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from registry import deployments
from registry.api.capacity import EXPENSIVE
from registry.api.deps import (
    DEFAULT_PAGE,
    Cursor,
    Limit,
    ReaderOfRegistry,
    RegistryName,
    SchemaName,
    Uow,
    WriterOfRegistry,
)
from registry.api.middleware import ParsedJsonRoute
from registry.api.models import (
    PARTICIPANT_NAME,
    READ_ERRORS,
    AuditEntryOut,
    CanIDeployOut,
    CounterpartOut,
    DeployPairOut,
    PageOut,
    PairReportOut,
    ParticipantIn,
    ParticipantOut,
    error_responses,
)
from registry.domain import names
from registry.domain.deployments import Participant, ParticipantRole
from registry.domain.model import CompatibilityPolicy
from registry.domain.modes import CompatibilityReport, report_data

router = APIRouter(tags=["deployments"], responses=READ_ERRORS, route_class=ParsedJsonRoute)

SCHEMA = "/registries/{registry}/schemas/{schema}"
# Patterns are documented, not enforced here: the domain checks the names and answers `invalid_name`.
Service = Annotated[str, Path(description="the service's name", json_schema_extra=PARTICIPANT_NAME)]
ServiceQuery = Annotated[str, Query(description="the service's name", json_schema_extra=PARTICIPANT_NAME)]
EnvironmentQuery = Annotated[str, Query(description="e.g. `prod`", json_schema_extra=PARTICIPANT_NAME)]
RoleQuery = Annotated[ParticipantRole, Query(description="producer or consumer")]
VersionQuery = Annotated[
    str,
    Query(
        pattern="^(latest|[1-9][0-9]{0,8})$",
        description="a version number of the schema, or `latest` (the answer names the number)",
    ),
]
Policy = Annotated[
    CompatibilityPolicy | None, Query(description="STRICT or LENIENT; default: the schema's policy")
]
RECORD_ERRORS = error_responses(400, 401, 403, 404, 413, 415, 422)


def _participant(found: Participant) -> ParticipantOut:
    return ParticipantOut.model_validate(asdict(found))


def pair_report(report: CompatibilityReport) -> PairReportOut:
    return PairReportOut.model_validate(report_data(report))


@router.put(
    SCHEMA + "/participants/{service}",
    response_model=ParticipantOut,
    responses={**RECORD_ERRORS, 201: {"model": ParticipantOut, "description": "newly recorded"}},
)
def record_participant(
    body: ParticipantIn,
    registry: RegistryName,
    schema: SchemaName,
    service: Service,
    caller: WriterOfRegistry,
    uow: Uow,
    response: Response,
) -> ParticipantOut:
    """Record that the service runs this version of the schema as producer or consumer in the environment
    (201 recorded; 200 moved to this version, or already at it). Every change is audited."""
    found, created = deployments.record_participant(
        uow,
        registry,
        schema,
        service,
        role=body.role,
        version=body.version,
        environment=body.environment,
        caller=caller,
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return _participant(found)


@router.delete(SCHEMA + "/participants/{service}", status_code=status.HTTP_204_NO_CONTENT)
def remove_participant(
    registry: RegistryName,
    schema: SchemaName,
    service: Service,
    role: RoleQuery,
    environment: EnvironmentQuery,
    caller: WriterOfRegistry,
    uow: Uow,
) -> Response:
    """The service no longer runs in that role in the environment. The audit keeps what it ran."""
    deployments.remove_participant(
        uow, registry, schema, service, role=role, environment=environment, caller=caller
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(SCHEMA + "/participants", response_model=PageOut[ParticipantOut])
def list_participants(
    registry: RegistryName,
    schema: SchemaName,
    _caller: ReaderOfRegistry,
    uow: Uow,
    environment: Annotated[
        str | None, Query(description="only this environment", json_schema_extra=PARTICIPANT_NAME)
    ] = None,
    role: Annotated[ParticipantRole | None, Query(description="only this role")] = None,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> PageOut[ParticipantOut]:
    """Who produces and consumes which version of the schema where, by environment, service and role."""
    page = deployments.list_participants(
        uow, registry, schema, environment=environment, role=role, limit=limit, cursor=cursor
    )
    return PageOut[ParticipantOut](
        items=[_participant(each) for each in page.items], next_cursor=page.next_cursor
    )


@router.get(SCHEMA + "/can-i-deploy", response_model=CanIDeployOut, dependencies=EXPENSIVE)
def can_i_deploy(
    registry: RegistryName,
    schema: SchemaName,
    _caller: ReaderOfRegistry,
    uow: Uow,
    service: ServiceQuery,
    role: RoleQuery,
    version: VersionQuery,
    environment: EnvironmentQuery,
    policy: Policy = None,
) -> CanIDeployOut:
    """May the service run this version in this role in the environment? A producer is checked against
    every consumer recorded there (each must read the version), a consumer against every producer (it
    must read theirs); each pair comes with the report the compatibility routes give, witness events
    included. The service's own record in that role is what the deployment replaces."""
    found = deployments.can_i_deploy(
        uow,
        registry,
        schema,
        service=service,
        role=role,
        version=names.version_selector(version),
        environment=environment,
        policy=policy,
    )
    pairs = [
        DeployPairOut(
            counterpart=CounterpartOut(
                service=pair.counterpart.service, role=pair.counterpart.role, version=pair.counterpart.version
            ),
            producer_version=pair.producer_version,
            consumer_version=pair.consumer_version,
            compatible=pair.compatible,
            report=pair_report(pair.report),
        )
        for pair in found.pairs
    ]
    return CanIDeployOut.model_validate(
        {
            "deployable": found.deployable,
            "registry": found.registry,
            "schema": found.schema,
            "service": found.service,
            "role": found.role,
            "version": found.version,
            "environment": found.environment,
            "policy": found.policy,
            "pairs": pairs,
        }
    )


@router.get("/registries/{registry}/audit", response_model=PageOut[AuditEntryOut])
def audit_log(
    registry: RegistryName,
    _caller: ReaderOfRegistry,
    uow: Uow,
    schema: Annotated[
        str | None, Query(max_length=names.MAX_SCHEMA_NAME, description="only entries about this schema")
    ] = None,
    service: Annotated[
        str | None, Query(description="only entries about this service", json_schema_extra=PARTICIPANT_NAME)
    ] = None,
    environment: Annotated[
        str | None, Query(description="only this environment", json_schema_extra=PARTICIPANT_NAME)
    ] = None,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> PageOut[AuditEntryOut]:
    """Every change to the registry's recorded deployments (recorded, changed, removed): who, when and
    what, newest first. Entries outlive the records they are about; they go with the registry."""
    page = deployments.audit_log(
        uow,
        registry,
        schema=schema,
        service=service,
        environment=environment,
        limit=limit,
        cursor=cursor,
    )
    items = [AuditEntryOut.model_validate(asdict(each)) for each in page.items]
    return PageOut[AuditEntryOut](items=items, next_cursor=page.next_cursor)

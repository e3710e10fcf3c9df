"""Response models of impact analysis (`POST .../impact`, registry.impact)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from registry.api.models import CompatibilityReportOut, CounterpartOut, ErrorDetail, PairReportOut
from registry.domain.deployments import ParticipantRole
from registry.domain.impact import DependentImpact, Impact, ImpactScope, ServiceCheck, Step
from registry.domain.modes import report_data
from registry.references import Readable


class StepOut(BaseModel):
    name: str = Field(description="the reference's name, as the referencing content's `$ref`s write it")
    registry: str
    schema_: str = Field(alias="schema")
    version: int

    model_config = ConfigDict(populate_by_name=True)


class CandidateOut(BaseModel):
    registry: str
    schema_: str = Field(alias="schema")
    type: str
    fingerprint: str = Field(description="the fingerprint the candidate would be registered under")
    references: list[StepOut]

    model_config = ConfigDict(populate_by_name=True)


class ImpactPairOut(BaseModel):
    counterpart: CounterpartOut
    producer_version: int | str = Field(description="a version number, or `new` for the moved dependent")
    consumer_version: int | str = Field(description="must read every event of `producer_version`")
    compatible: bool
    report: PairReportOut


class ServiceImpactOut(BaseModel):
    """A service recorded running the dependent version, moved to the candidate (as can-i-deploy would
    judge its deployment)."""

    environment: str
    service: str
    role: ParticipantRole
    deployable: bool
    pairs: list[ImpactPairOut]


class DependentReportOut(BaseModel):
    versions: CompatibilityReportOut | None = Field(
        description="the moved dependent (`new`) judged as the successor of its version, under its "
        "schema's mode and policy; null when `error` says it is no contract with the candidate"
    )
    deployments: list[ServiceImpactOut] = Field(
        description="each service recorded running the version, against its counterparts in its environment"
    )
    error: ErrorDetail | None = Field(
        default=None,
        description="why the dependent cannot be resolved with the candidate (e.g. a `$ref` into a "
        "definition the candidate dropped), as its registration would be refused",
    )


class DependentOut(BaseModel):
    registry: str
    schema_: str = Field(alias="schema")
    version: int
    depth: int = Field(description="references between it and the schema: 1 for a direct dependent")
    via: list[StepOut | None] = Field(
        description="the references followed from it down to the schema's version it resolves to now; "
        "null for a version in a registry the caller may not read"
    )
    compatible: bool
    report: DependentReportOut

    model_config = ConfigDict(populate_by_name=True)


class ImpactOut(BaseModel):
    candidate: CandidateOut
    scope: ImpactScope
    dependents: list[DependentOut] = Field(description="nearest first")
    breaking: int = Field(description="how many of `dependents` are not compatible")
    hidden: int = Field(
        description="dependents in scope in registries the caller may not read: neither listed nor analysed"
    )


def impact_out(found: Impact, may_read: Readable) -> ImpactOut:
    """`may_read(registry)`: whether a step of `via` may be named to the caller."""
    return ImpactOut(
        candidate=CandidateOut(
            registry=found.candidate.registry,
            schema_=found.candidate.schema,
            type=found.candidate.type,
            fingerprint=found.candidate.fingerprint,
            references=[_step(each) for each in found.candidate.references],
        ),
        scope=found.scope,
        dependents=[_dependent(each, may_read) for each in found.dependents],
        breaking=found.breaking,
        hidden=found.hidden,
    )


def _step(step: Step) -> StepOut:
    key = step.key
    return StepOut(name=step.name, registry=key.registry, schema_=key.schema, version=key.version)


def _dependent(found: DependentImpact, may_read: Readable) -> DependentOut:
    key = found.dependent.key
    error = found.error
    return DependentOut(
        registry=key.registry,
        schema_=key.schema,
        version=key.version,
        depth=found.dependent.depth,
        via=[_step(each) if may_read(each.key.registry) else None for each in found.dependent.via],
        compatible=found.compatible,
        report=DependentReportOut(
            versions=None
            if found.versions is None
            else CompatibilityReportOut.model_validate(report_data(found.versions)),
            deployments=[_service(each) for each in found.services],
            error=None
            if error is None
            else ErrorDetail(code=error.code, message=error.message, details=error.details),
        ),
    )


def _service(check: ServiceCheck) -> ServiceImpactOut:
    participant = check.participant
    return ServiceImpactOut(
        environment=participant.environment,
        service=participant.service,
        role=participant.role,
        deployable=check.deployable,
        pairs=[
            ImpactPairOut(
                counterpart=CounterpartOut(
                    service=each.counterpart.service,
                    role=each.counterpart.role,
                    version=each.counterpart.version,
                ),
                producer_version=each.pair.producer,
                consumer_version=each.pair.consumer,
                compatible=each.report.compatible,
                report=PairReportOut.model_validate(report_data(each.report)),
            )
            for each in check.counterparts
        ],
    )

"""Compatibility: a dry run of a candidate, any two versions, and the matrix of all of them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from registry import services
from registry.api.capacity import EXPENSIVE
from registry.api.deps import SchemaReader
from registry.api.middleware import ParsedJsonRoute
from registry.api.models import (
    READ_ERRORS,
    WRITE_ERRORS,
    CompatibilityReportOut,
    ErrorOut,
    MatrixOut,
    PairReportOut,
    RegisterVersionIn,
)
from registry.api.routes.versions import new_version
from registry.domain import names
from registry.domain.model import CompatibilityPolicy
from registry.domain.modes import report_data

router = APIRouter(
    prefix="/registries/{registry}/schemas/{schema}/compatibility",
    tags=["compatibility"],
    responses=READ_ERRORS,
    dependencies=EXPENSIVE,
    route_class=ParsedJsonRoute,
)
Policy = Annotated[
    CompatibilityPolicy | None, Query(description="STRICT or LENIENT; default: the schema's policy")
]
Selector = Annotated[
    str, Query(pattern="^(latest|[1-9][0-9]{0,8})$", description="a version number or `latest`")
]


@router.post(
    "",
    response_model=CompatibilityReportOut,
    responses={
        **WRITE_ERRORS,
        409: {
            "model": ErrorOut,
            "description": "`schema_type_mismatch`; or, with `fail_if_incompatible=true`, "
            "`incompatible_version` with the report in `error.details`, as a registration answers",
        },
    },
)
def check_candidate(
    body: RegisterVersionIn,
    on: SchemaReader,
    fail_if_incompatible: Annotated[
        bool,
        Query(
            description="answer 409 `incompatible_version` (the report in `error.details`) instead of 200 "
            "when the content would be refused, so that `curl --fail-with-body` can gate a CI step"
        ),
    ] = False,
) -> CompatibilityReportOut:
    """Would this content be accepted as the next version under the schema's mode? Nothing is stored."""
    new = new_version(body, on.registry)
    report = services.check_candidate(
        on.uow,
        on.registry,
        on.schema,
        new,
        refuse_incompatible=fail_if_incompatible,
        may_read=on.caller.may_see,
    )
    return CompatibilityReportOut.model_validate(report_data(report))


@router.get("", response_model=PairReportOut)
def compare_versions(
    on: SchemaReader,
    producer: Selector,
    consumer: Selector,
    policy: Policy = None,
) -> PairReportOut:
    """Can version `consumer` read every event version `producer` may emit? The schema's mode plays no
    part (the report has none); its policy does, unless `policy` is given."""
    report = services.compare_versions(
        on.uow,
        on.registry,
        on.schema,
        producer=names.version_selector(producer),
        consumer=names.version_selector(consumer),
        policy=policy,
    )
    return PairReportOut.model_validate(report_data(report))


@router.get(
    "/matrix",
    response_model=MatrixOut,
    responses={
        422: {
            "model": ErrorOut,
            "description": "`invalid_version_range` when `from` exceeds `to`; `invalid_request` when "
            "`from`, `to`, `limit` or `policy` is malformed or out of bounds",
        }
    },
)
def matrix(
    on: SchemaReader,
    policy: Policy = None,
    first: Annotated[
        int | None,
        Query(
            alias="from", ge=1, le=names.MAX_VERSION_NUMBER, description="the lowest version number to cross"
        ),
    ] = None,
    last: Annotated[
        int | None,
        Query(
            alias="to", ge=1, le=names.MAX_VERSION_NUMBER, description="the highest version number to cross"
        ),
    ] = None,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=services.MATRIX_MOST_VERSIONS,
            description="the most versions to cross (the grid costs up to the square of it in checks)",
        ),
    ] = services.MATRIX_MOST_VERSIONS,
) -> MatrixOut:
    """Every producer version against every consumer version, as booleans: rows are producers and columns
    consumers, so `compatible[i][j]` says whether consumer `versions[j]` reads every event of producer
    `versions[i]`. The versions are those numbered `from`..`to` (either end open), at most `limit` of
    them: the latest of them, or the earliest when only `from` is given. `lowest` and `highest` bound the
    schema's versions, for the neighbouring ranges."""
    found = services.compatibility_matrix(
        on.uow, on.registry, on.schema, policy=policy, limit=limit, first=first, last=last
    )
    return MatrixOut(
        policy=found.policy,
        versions=found.versions,
        compatible=found.compatible,
        lowest=found.lowest,
        highest=found.highest,
    )

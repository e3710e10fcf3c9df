"""Impact analysis: what a candidate for a shared schema does to every version built from it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from registry import impact
from registry.api.capacity import EXPENSIVE
from registry.api.deps import SchemaReader
from registry.api.impact_models import ImpactOut, impact_out
from registry.api.middleware import ParsedJsonRoute
from registry.api.models import READ_ERRORS, WRITE_ERRORS, ErrorOut, RegisterVersionIn
from registry.api.routes.versions import new_version
from registry.domain.impact import ImpactScope

router = APIRouter(
    tags=["compatibility"], responses=READ_ERRORS, dependencies=EXPENSIVE, route_class=ParsedJsonRoute
)


@router.post(
    "/registries/{registry}/schemas/{schema}/impact",
    response_model=ImpactOut,
    response_model_by_alias=True,
    responses={**WRITE_ERRORS, 409: {"model": ErrorOut, "description": "`schema_type_mismatch`"}},
)
def analyse_impact(
    body: RegisterVersionIn,
    on: SchemaReader,
    scope: Annotated[
        ImpactScope,
        Query(
            description="`default`: the latest version of each dependent schema and every version "
            "recorded as deployed; `all`: every version that references the schema"
        ),
    ] = ImpactScope.DEFAULT,
) -> ImpactOut:
    """For every version that references this schema, directly or through others: would it stay
    compatible if its references to this schema pointed at the candidate (the body, as a registration's)?
    Only dependents the caller may read are listed. Nothing is stored."""
    candidate = new_version(body, on.registry)
    found = impact.analyse(on.uow, on.registry, on.schema, candidate, scope=scope, may_read=on.caller.may_see)
    return impact_out(found, on.caller.may_see)

"""The semantic diff of two versions: each change with its effect on readers, proven by the checker."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from registry import diffs
from registry.api.capacity import EXPENSIVE
from registry.api.deps import SchemaReader
from registry.api.diff_models import DiffOut, diff_out
from registry.api.middleware import ParsedJsonRoute
from registry.api.models import READ_ERRORS
from registry.api.routes.compatibility import Policy
from registry.domain import names

router = APIRouter(
    tags=["compatibility"], responses=READ_ERRORS, dependencies=EXPENSIVE, route_class=ParsedJsonRoute
)
VERSION = "^(latest|[1-9][0-9]{0,8})$"


@router.get(
    "/registries/{registry}/schemas/{schema}/diff",
    response_model=DiffOut,
    response_model_by_alias=True,
    response_model_exclude_unset=True,
)
def diff_versions(
    on: SchemaReader,
    from_: Annotated[str, Query(alias="from", pattern=VERSION, description="the old version, or `latest`")],
    to: Annotated[str, Query(pattern=VERSION, description="the new version, or `latest`")],
    policy: Policy = None,
) -> DiffOut:
    """What changed from version `from` to version `to`: each change with a JSON pointer into the contract
    as stored, a summary, its effect on readers in both directions as the compatibility checker found it,
    and a witness event for each breaking effect. Renaming a component is not a change; two identical
    versions have none."""
    found = diffs.diff_versions(
        on.uow,
        on.registry,
        on.schema,
        old=names.version_selector(from_),
        new=names.version_selector(to),
        policy=policy,
    )
    return diff_out(found)

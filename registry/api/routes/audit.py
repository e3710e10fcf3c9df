"""The audit history of every change, for administrators (docs: README, "Audit")."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from registry import audit
from registry.api.deps import DEFAULT_PAGE, Caller, Cursor, Limit, Uow
from registry.api.models import READ_ERRORS, PageOut, Text
from registry.domain import names
from registry.domain.audit import KINDS, MAX_ACTOR, Action, AuditRecord
from registry.domain.auth import Role, authorize

router = APIRouter(tags=["audit"], responses=READ_ERRORS)


class AuditRecordOut(BaseModel):
    id: int
    at: datetime
    actor: str = Field(
        description="the public id of the token that made the change (bearer or SigV4), `anonymous` when "
        "the service runs open, or `cli:<user>` for the console script run by that operating system user"
    )
    action: Action
    registry: str | None = Field(description="the registry it is about (a token's: the one it is limited to)")
    schema_: str | None = Field(alias="schema")
    version: int | None
    environment: str | None
    subject: str | None = Field(description="the service of a recorded deployment, the public id of a token")
    detail: dict[str, Any] = Field(
        description="what changed: `{field: {from, to}}` for updates, the settings of what was created; "
        "never a secret"
    )


def _out(record: AuditRecord) -> AuditRecordOut:
    change = asdict(record.change)
    return AuditRecordOut.model_validate(
        {"id": record.id, "at": record.at, "actor": record.actor, **change, "detail": dict(change["detail"])}
    )


@router.get("/audit", response_model=PageOut[AuditRecordOut])
def audit_history(
    caller: Caller,
    uow: Uow,
    registry: Annotated[
        str | None,
        Query(max_length=names.MAX_REGISTRY_NAME, description="only this registry (it may be deleted)"),
    ] = None,
    schema: Annotated[
        str | None, Query(max_length=names.MAX_SCHEMA_NAME, description="only this schema")
    ] = None,
    actor: Annotated[
        Text | None,
        Query(max_length=MAX_ACTOR, description="only changes by this token id, `anonymous` or `cli:<user>`"),
    ] = None,
    action: Annotated[
        str | None,
        Query(
            max_length=32,
            description=f"one action (`version.deleted`) or a kind of them: {', '.join(KINDS)}",
        ),
    ] = None,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> PageOut[AuditRecordOut]:
    """Every change (registries, schemas, versions, mirror settings, tokens, environments, recorded
    deployments): who, when and what, newest first. Needs the admin role: on the registry named by
    `registry`, or on every registry without it."""
    authorize(caller, Role.ADMIN, registry)
    page = audit.audit_history(
        uow, registry=registry, schema=schema, actor=actor, action=action, limit=limit, cursor=cursor
    )
    return PageOut[AuditRecordOut](items=[_out(each) for each in page.items], next_cursor=page.next_cursor)

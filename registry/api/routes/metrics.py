"""Prometheus metrics, for a token with the metrics role (or anyone, when REGISTRY_METRICS_PUBLIC=true)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from registry.access import Authenticator
from registry.api.deps import bearer_scheme
from registry.api.models import error_responses
from registry.domain.errors import Forbidden
from registry.observability.exposition import CONTENT_TYPE, Exposition
from registry.settings import Settings

router = APIRouter(tags=["operations"])


async def _metrics_reader(request: Request, _scheme: Annotated[object, Depends(bearer_scheme)]) -> None:
    settings: Settings = request.app.state.settings
    if settings.metrics_public:
        return
    authenticator: Authenticator = request.app.state.authenticator
    header = request.headers.get("authorization")
    principal = authenticator.principal_if_fresh(header)
    if principal is None:  # a stale copy of the token table means a database read, in a worker thread
        principal = await run_in_threadpool(authenticator.principal_for, header)
    if not principal.may_read_metrics:
        raise Forbidden(
            "reading /metrics needs a token with the metrics role (`registry token create --role metrics`)"
            f" or an admin token of every registry; {Settings.variable('metrics_public')}=true opens it"
        )


@router.get(
    "/metrics",
    dependencies=[Depends(_metrics_reader)],
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE: {}}, "description": "the Prometheus text format"},
        **error_responses(401, 403),
    },
)
def prometheus_metrics(request: Request) -> Response:
    """Requests, registrations, checks, validations, code generation, downloads, mirroring, database pool
    and build info, in the Prometheus text format (see the README's Metrics section)."""
    exposition: Exposition = request.app.state.metrics
    return Response(exposition.render(), media_type=CONTENT_TYPE)

"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from registry.api.errors import error_headers
from registry.api.models import Health
from registry.domain import errors

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up. On the event loop, not in the thread pool, which requests waiting for a
    silent database may fill for a few seconds: liveness must not depend on the database."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(request: Request) -> JSONResponse:
    """The database answers (within REGISTRY_READINESS_TIMEOUT_SECONDS), its schema is at the migrations'
    head, it can be written, and the replica is not shutting down."""
    problem = await request.app.state.readiness.problem()
    if problem is None:
        return JSONResponse({"status": "ready", "detail": None, "code": None})
    body = {"status": "not_ready", "detail": _detail(problem), "code": problem.code}
    return JSONResponse(body, status_code=503, headers=error_headers(problem))


def _detail(problem: errors.Unavailable) -> str:
    if isinstance(problem, errors.DatabaseReadOnly):
        return f"database read-only: {problem.details['reason']}"
    if isinstance(problem, errors.DatabaseUnavailable):
        return f"database unreachable: {problem.details['reason']}"
    return problem.message

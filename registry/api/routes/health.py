"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from registry.api.models import Health

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def readyz(request: Request) -> JSONResponse:
    """The database answers and its schema is at the migrations' head."""
    problem = request.app.state.readiness()
    if problem is None:
        return JSONResponse({"status": "ready", "detail": None})
    return JSONResponse({"status": "not_ready", "detail": problem}, status_code=503)

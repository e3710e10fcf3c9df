"""The front door: `GET /` sends a person who opens the registry's address to the web catalog (`/ui`);
the API's own pages stay at /docs."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

router = APIRouter(include_in_schema=False)

HOME = "/ui"  # the web catalog (registry.web), served by the registry itself


@router.get("/")
def home() -> RedirectResponse:
    # 307, not 308: where the front door leads may change, so clients must not cache it.
    return RedirectResponse(HOME, status_code=307)

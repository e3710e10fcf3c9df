"""GetDiscoveredSchema: a schema inferred from sample events."""

from __future__ import annotations

import json

from fastapi import APIRouter

from registry.api.capacity import EXPENSIVE
from registry.api.eventbridge.common import TAGS, errors
from registry.api.eventbridge.models import GetDiscoveredSchemaRequest, GetDiscoveredSchemaResponse
from registry.api.eventbridge_auth import EventBridgeCaller

router = APIRouter(prefix="/v1", tags=TAGS)


@router.post(
    "/discover",
    operation_id="GetDiscoveredSchema",
    response_model=GetDiscoveredSchemaResponse,
    responses=errors(400, 401, 403, 503),
    dependencies=EXPENSIVE,
)
def get_discovered_schema(
    body: GetDiscoveredSchemaRequest, _caller: EventBridgeCaller
) -> GetDiscoveredSchemaResponse:
    """An OpenApi3 or JSONSchemaDraft4 schema describing 1 to 10 sample events (JSON strings); a starting
    point for a contract, nothing is stored. Any authenticated caller may ask: no registry is involved."""
    # imported here: the module is written alongside this API
    from registry.domain.formats.discovery import discover_contract

    content = discover_contract(list(body.Events), body.Type.value)
    return GetDiscoveredSchemaResponse(Content=json.dumps(content, ensure_ascii=False))

"""Search schemas by name and content keywords."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from registry import services
from registry.api.deps import DEFAULT_PAGE, Caller, Cursor, Limit, Uow
from registry.api.models import READ_ERRORS, PageOut, SearchHitOut, Text
from registry.domain import names

router = APIRouter(tags=["search"], responses=READ_ERRORS)


@router.get("/search", response_model=PageOut[SearchHitOut])
def search(
    q: Annotated[Text, Query(min_length=1, max_length=200, description="keywords; every one must match")],
    caller: Caller,
    uow: Uow,
    registry: Annotated[str | None, Query(max_length=64, description="only this registry")] = None,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> PageOut[SearchHitOut]:
    """Schemas whose name, description or contract keywords (any version's property and definition names,
    titles, descriptions and enum values) contain every keyword, ignoring case. Best first: a keyword in
    the name counts 4, in the description 2, in the contracts 1; equal ranks by registry and schema."""
    if registry is not None:
        names.registry_name(registry)
    page = services.search(uow, q, registry=registry, only=caller.registry, limit=limit, cursor=cursor)
    items = [SearchHitOut.model_validate(hit, from_attributes=True) for hit in page.items]
    return PageOut[SearchHitOut](items=items, next_cursor=page.next_cursor)

"""TagResource, UntagResource, ListTagsForResource on registry and schema ARNs.

Authorisation comes first, from the ARN alone: a token limited to one registry only ever looks inside
that one, so a 404 cannot tell it what exists elsewhere. Changing a registry's tags needs the admin role
(like changing its description), a schema's the writer role; reading them, the reader role."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Path, Query, Response, status

from registry import eventbridge
from registry.api.deps import Uow
from registry.api.eventbridge.common import TAGS, ServiceArns, errors
from registry.api.eventbridge.models import ListTagsForResourceResponse, TagResourceRequest
from registry.api.eventbridge_auth import EventBridgeCaller
from registry.api.models import Text
from registry.domain.audit import actor_of
from registry.domain.auth import Principal, Role, authorize

router = APIRouter(prefix="/tags", tags=TAGS, responses=errors(400, 401, 403, 404))


async def _arn(
    resource_arn: Annotated[str, Path(max_length=1600, description="percent-encoded: `/` as %2F")],
) -> str:
    # Arrives with `/` still as %2F (see api.middleware.KeepEncodedSlashes), like names in other paths.
    return unquote(resource_arn)


Arn = Annotated[str, Depends(_arn)]


def _readings(
    arn: str, arns: eventbridge.Arns, caller: Principal, change: bool
) -> list[eventbridge.Resource]:
    """What the ARN may name within the caller's reach, after checking the caller's role on it."""
    readings = arns.readings(arn)
    reachable = [reading for reading in readings if caller.may_see(reading.registry)] or readings[:1]
    is_registry = readings[0].schema is None
    needed = Role.READER if not change else Role.ADMIN if is_registry else Role.WRITER
    authorize(caller, needed, reachable[0].registry)  # Forbidden when nothing is within reach
    return reachable


@router.get("/{resource_arn}", operation_id="ListTagsForResource", response_model=ListTagsForResourceResponse)
def list_tags_for_resource(
    arn: Arn, caller: EventBridgeCaller, uow: Uow, arns: ServiceArns
) -> ListTagsForResourceResponse:
    _resource, tags = eventbridge.tags_of(uow, arn, _readings(arn, arns, caller, change=False))
    return ListTagsForResourceResponse(tags=tags)


@router.post("/{resource_arn}", operation_id="TagResource", status_code=status.HTTP_204_NO_CONTENT)
def tag_resource(
    body: TagResourceRequest, arn: Arn, caller: EventBridgeCaller, uow: Uow, arns: ServiceArns
) -> Response:
    """Add tags, overwriting the values of keys the resource holds already (at most 50 per resource)."""
    eventbridge.tag(uow, arn, _readings(arn, arns, caller, change=True), body.tags, actor=actor_of(caller))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{resource_arn}", operation_id="UntagResource", status_code=status.HTTP_204_NO_CONTENT)
def untag_resource(
    arn: Arn,
    tag_keys: Annotated[
        list[Text], Query(alias="tagKeys", min_length=1, max_length=50, description="repeat per key")
    ],
    caller: EventBridgeCaller,
    uow: Uow,
    arns: ServiceArns,
) -> Response:
    """Remove tags by key; keys the resource does not hold are ignored."""
    eventbridge.untag(uow, arn, _readings(arn, arns, caller, change=True), tag_keys, actor=actor_of(caller))
    return Response(status_code=status.HTTP_204_NO_CONTENT)

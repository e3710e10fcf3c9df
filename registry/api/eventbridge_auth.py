"""The caller of the EventBridge `schemas` API: AWS Signature Version 4 with registry-issued credentials.

While the service is open (no token ever created, loopback bind) every caller is the anonymous admin, as
on the native API. Otherwise the request must carry a valid SigV4 signature made with credentials from
`registry token create --aws`; the signature is verified here, so the API is no way around auth. A bearer
token is accepted too, so that the API can be tried with curl.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from registry.access import Authenticator
from registry.domain import sigv4
from registry.domain.auth import ANONYMOUS_ADMIN, Principal, refuse_metrics_only
from registry.domain.errors import Unauthenticated
from registry.observability.logs import noted_caller
from registry.settings import Settings


async def eventbridge_caller(request: Request) -> Principal:
    authenticator: Authenticator = request.app.state.authenticator
    settings: Settings = request.app.state.settings
    authorization = request.headers.get("authorization")
    signed: sigv4.SignedRequest | None = None
    if authorization is not None and sigv4.is_sigv4(authorization):
        # Starlette keeps the body, so the route reads it again; the body limit middleware has capped it.
        signed = _signed_request(request, await request.body())
    if authenticator.is_fresh():
        return noted_caller(
            refuse_metrics_only(_caller(authenticator, authorization, signed, settings.aws_region))
        )
    # A stale copy of the token table means a database read: that one goes to a worker thread.
    found = await run_in_threadpool(_caller, authenticator, authorization, signed, settings.aws_region)
    return noted_caller(refuse_metrics_only(found))


def _caller(
    authenticator: Authenticator, authorization: str | None, signed: sigv4.SignedRequest | None, region: str
) -> Principal:
    table = authenticator.table()
    if table.open:
        return ANONYMOUS_ADMIN  # the open quickstart: whatever the headers say
    if signed is None or authorization is None:
        if authorization and authorization.split(" ", 1)[0].lower() in {"bearer", "basic"}:
            return authenticator.principal_for(authorization)  # a registry token, checked as usual
        raise Unauthenticated(
            "the EventBridge API needs requests signed with AWS Signature Version 4 (AWS4-HMAC-SHA256), "
            "using credentials from `registry token create --aws` (or Authorization: Bearer <token>)"
        )
    parsed = sigv4.parse_authorization(authorization)
    found = table.aws_credentials_for(parsed.access_key_id)
    if found is None:
        # Scope and date problems are reported first: they tell a client what to fix even for a good key.
        sigv4.check_scope(signed, parsed, now=datetime.now(UTC), region=region)
        raise Unauthenticated(f"the AWS access key id {parsed.access_key_id[:32]!r} is unknown or revoked")
    principal, secret_access_key = found
    sigv4.verify(signed, parsed, secret_access_key, now=datetime.now(UTC), region=region)
    return principal


def _signed_request(request: Request, body: bytes) -> sigv4.SignedRequest:
    """The request as it came over the wire: `raw_path` still percent-encoded as the client signed it
    (`scope["path"]` is decoded), headers as latin-1 text, as HTTP clients encode them."""
    raw_path: bytes = request.scope.get("raw_path") or request.scope["path"].encode("utf-8")
    return sigv4.SignedRequest(
        method=request.method,
        raw_path=raw_path.split(b"?", 1)[0],  # some ASGI servers and test transports leave the query on it
        raw_query=request.scope.get("query_string", b""),
        headers=[(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw],
        body=body,
    )


EventBridgeCaller = Annotated[Principal, Depends(eventbridge_caller)]

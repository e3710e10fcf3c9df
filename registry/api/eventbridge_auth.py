"""The caller of the EventBridge `schemas` API: AWS Signature Version 4 with registry-issued credentials.

While the service is open (no token ever created, loopback bind) every caller is the anonymous admin, as
on the native API. Otherwise the request must carry a valid SigV4 signature made with credentials from
`registry token create --aws`; the signature is verified here, so the API is no way around auth.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from registry.access import Authenticator
from registry.domain.auth import Principal


async def eventbridge_caller(request: Request) -> Principal:
    authenticator: Authenticator = request.app.state.authenticator
    # TODO(sigv4): verify AWS4-HMAC-SHA256 signatures; until then only the open service answers
    return await run_in_threadpool(authenticator.principal_for, request.headers.get("authorization"))


EventBridgeCaller = Annotated[Principal, Depends(eventbridge_caller)]

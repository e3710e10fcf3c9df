"""The AWS EventBridge `schemas` API (botocore model `schemas` 2019-12-02) over the registry's storage, so
that `boto3.client("schemas", endpoint_url=...)`, the AWS CLI and tools built on them work against it.

Paths, methods, status codes and member names follow botocore's model; errors are `{"Code", "Message"}`
with `x-amzn-ErrorType` (see `registry.api.errors`). Discoverers and resource policies are not served."""

from __future__ import annotations

from fastapi import APIRouter

from registry.api.eventbridge import code_bindings, discovery, registries, schemas, tags

router = APIRouter()
for _module in (registries, schemas, code_bindings, discovery, tags):
    router.include_router(_module.router)

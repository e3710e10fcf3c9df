"""The baseline for `bench_api.py`: a bare Starlette app returning a static 2 KB JSON body.

Served by the same uvicorn, single worker, without access log, as the registry, so the ratio
"registry / bare app" shows what the registry itself costs per request.
"""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def _static_body(size: int = 2048) -> bytes:
    """A JSON object of exactly `size` bytes, shaped like a small contract."""
    doc = {
        "type": "object",
        "properties": {f"field_{i:02d}": {"type": "string"} for i in range(30)},
        "pad": "",
    }
    raw = json.dumps(doc, separators=(",", ":"))
    doc["pad"] = "x" * max(0, size - len(raw))
    body = json.dumps(doc, separators=(",", ":")).encode()
    assert len(body) == size, len(body)
    return body


BODY = _static_body()
HEADERS = {"Cache-Control": "public, max-age=31536000, immutable"}


async def static(_request: Request) -> Response:
    return Response(BODY, media_type="application/json", headers=HEADERS)


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/static", static), Route("/healthz", healthz)])

"""Log lines: text for a terminal (the default), or one JSON object per line (`REGISTRY_LOG_FORMAT=json`).

Both formats carry the same facts. A line written while a request is being answered (the access line and
any application line) names the request: its id (the `X-Request-Id` answered), the route template, the
caller's token id and, when tracing is on, the trace id. Secrets never reach a line: no header is logged,
and a token is named by its id only.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.routing import Mount

from registry.domain.auth import Principal
from registry.observability.tracing import current_trace_id

LogFormat = Literal["text", "json"]
ACCESS_LOGGER = "registry.access"


@dataclass(eq=False)
class RequestFacts:
    """The one record of the request being answered, filled in as it is learnt (route, caller): what its log
    lines say, and what its metrics are labelled with."""

    request_id: str
    method: str
    path: str
    # The scope the router sees: it records the matched route there (middleware copies the scope on the
    # way in, so the outermost one cannot see it in its own).
    routed: Mapping[str, Any] = field(default_factory=dict)
    # The application's routes, for a mounted application (the docs' static files), which the router
    # records only as the scope's `endpoint`.
    routes: Sequence[Any] = ()
    route_template: str | None = None
    token_id: str | None = None

    @property
    def route(self) -> str | None:
        """The template of the route that answered (never the raw path); None when none did."""
        if self.route_template is not None:
            return self.route_template
        route = self.routed.get("route")
        if route is not None:
            return getattr(route, "path", None)
        endpoint = self.routed.get("endpoint")
        if endpoint is not None:
            for mount in self.routes:
                if isinstance(mount, Mount) and mount.app is endpoint:
                    return mount.path + "/{path}"
        return None


current_request: ContextVar[RequestFacts | None] = ContextVar("current_request", default=None)


def note_route(template: str) -> None:
    """For answers given before the router (a version served from memory): the route they stand for, in
    their log lines and metrics."""
    facts = current_request.get()
    if facts is not None:
        facts.route_template = template


def noted_caller(principal: Principal) -> Principal:
    """The caller, once authenticated, for the request's log lines (returned as it is)."""
    facts = current_request.get()
    if facts is not None:
        facts.token_id = principal.token_id or "anonymous"
    return principal


def _request_fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    facts = current_request.get()
    if facts is not None:
        fields["request_id"] = facts.request_id
        fields["route"] = facts.route
        if facts.token_id is not None:
            fields["token_id"] = facts.token_id
    trace_id = current_trace_id()
    if trace_id is not None:
        fields["trace_id"] = trace_id
    access = getattr(record, "access", None)  # the access line's own facts, given as `extra`
    if isinstance(access, dict):
        fields.update(access)
    return fields


def _timestamp(created: float) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
    return f"{seconds}.{int(created % 1 * 1000):03d}Z"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_request_fields(record))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message [request id]`; the access line says the rest in its message."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"{_timestamp(record.created)} {record.levelname} {record.name}: {record.getMessage()}"
        facts = current_request.get()
        if facts is not None and record.name != ACCESS_LOGGER:
            text += f" [request {facts.request_id}]"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def configure_logging(log_format: LogFormat, level: str = "info") -> None:
    """One handler on stderr for every logger of the process, uvicorn's included (which `registry serve`
    starts without a logging configuration of its own, and without its access log: ours replaces it)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True

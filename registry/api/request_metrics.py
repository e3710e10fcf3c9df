"""HTTP request metrics: count and latency by method, route template and status, never by raw path.

`RequestMetrics` is the outermost middleware, so it times everything, including the version cache's hits
(answered before routing). The route template is known only once the router has matched, deep inside the
stack, and middleware in between may hand a copy of the ASGI scope down: so the outer layer puts a
`RouteSlot` in the scope (copies share it) and `NameRoute`, the innermost layer, fills it from the route
the router matched. The cache fills it itself for its hits. A request that reaches no route keeps the
fixed `unmatched` label. The cost per request is a dict lookup and two updates of cached series.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from time import perf_counter

from prometheus_client.metrics import Counter, Histogram
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.observability import metrics

ROUTE_SLOT = "registry.route"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RouteSlot:
    __slots__ = ("template",)

    def __init__(self) -> None:
        self.template = metrics.UNMATCHED_ROUTE


def name_route(scope: Scope, template: str) -> None:
    """For layers that answer before the router runs (the version cache), naming the route they serve."""
    slot = scope.get(ROUTE_SLOT)
    if slot is not None:
        slot.template = template


# The registrations (native, and EventBridge's CreateSchema and UpdateSchema), for bodies refused as too
# large before any route runs.
_REGISTRATION = re.compile(
    r"/registries/[^/]+/schemas/[^/]+/versions|/v1/registries/name/[^/]+/schemas/name/[^/]+"
)


def count_refused_registration(scope: Scope, outcome: str) -> None:
    """A registration body refused by middleware (too large, not JSON we accept) never reaches the service,
    which counts the rest."""
    if scope["method"] in {"POST", "PUT"} and _REGISTRATION.fullmatch(str(scope.get("path", ""))):
        metrics.registrations.labels(outcome).inc()


class RequestMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # (method, route, status) -> its two series: `labels()` takes a lock and builds keys every call
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        slot = RouteSlot()
        scope[ROUTE_SLOT] = slot
        status = 500  # what the server answers when the application raises before responding

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = perf_counter()
        try:
            await self.app(scope, receive, noting_status)
        finally:
            self._observe(scope["method"], slot.template, status, perf_counter() - started)

    def _observe(self, method: str, route: str, status: int, seconds: float) -> None:
        if method not in _METHODS:
            method = "other"  # a method is whatever a client sends: the label set must stay bounded
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            series = (
                metrics.http_requests.labels(method, route, str(status)),
                metrics.http_request_seconds.labels(method, route),
            )
            self._series[key] = series
        series[0].inc()
        series[1].observe(seconds)


class NameRoute:
    """Innermost: after the router has run, the template of the route it matched goes into the slot.
    `routes` are the application's, for mounted applications (the docs' static files), which the router
    records only as the scope's `endpoint`."""

    def __init__(self, app: ASGIApp, *, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            slot = scope.get(ROUTE_SLOT)
            if slot is not None:
                slot.template = self._template(scope)

    def _template(self, scope: Scope) -> str:
        route = scope.get("route")  # set by the router on the scope it was given: this one
        if route is not None:
            return str(route.path)
        endpoint = scope.get("endpoint")
        if endpoint is not None:
            for mount in self.routes:
                if isinstance(mount, Mount) and mount.app is endpoint:
                    return mount.path + "/{path}"
        return metrics.UNMATCHED_ROUTE

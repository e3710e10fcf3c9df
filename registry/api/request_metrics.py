"""HTTP request metrics: count and latency by method, route template and status, never by raw path.

They are observed by the request log's middleware (request_log.RequestLog), the outermost layer, which
already times every request, notes its status and keeps the one record of it that log lines read too: the
route template comes from that record (request_log.NoteRoute hands it the scope the router matches in; the
version cache names the route of its hits). So metrics add no middleware of their own; what they cost per
request is the lookup of two cached series and their updates. A request that reaches no route gets the
fixed `unmatched` label.
"""

from __future__ import annotations

import re

from prometheus_client.metrics import Counter, Histogram
from starlette.types import Scope

from registry.observability import metrics

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

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


class HttpMetrics:
    """The request counter and latency histogram, with each label set's series kept at hand: `labels()`
    takes a lock and builds keys on every call."""

    def __init__(self) -> None:
        self._series: dict[tuple[str, str | None, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str | None, status: int, seconds: float) -> None:
        if method not in _METHODS:
            method = "other"  # a method is whatever a client sends: the label sets must stay bounded
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = self._new_series(method, route, status)
        series[0].inc()
        series[1].observe(seconds)

    def _new_series(self, method: str, route: str | None, status: int) -> tuple[Counter, Histogram]:
        if route is None:
            route = metrics.UNMATCHED_ROUTE
        return (
            metrics.http_requests.labels(method, route, str(status)),
            metrics.http_request_seconds.labels(method, route),
        )

"""Every Prometheus metric the registry exports, defined once; each part of the service observes its own.

Names follow Prometheus conventions (`registry_` prefix, base units, `_total` counters). Labels are bounded
sets (route templates, never raw paths; outcomes and causes from fixed vocabularies), so the series count
stays small whatever callers send.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector

# No `_created` series beside each counter and histogram: Prometheus's text format has no use for them,
# and they would double what every scrape carries.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Latency buckets from 1 ms to 10 s: the read paths live in the low milliseconds, checks and generation above.
SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Code generation runs from a fraction of a second to the worker timeout.
GENERATION_SECONDS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)

# Requests that matched no route (404s), or were answered before routing (413 body too large, 415).
UNMATCHED_ROUTE = "unmatched"
http_requests = Counter("registry_http_requests", "HTTP requests answered", ["method", "route", "status"])
http_request_seconds = Histogram(
    "registry_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=SECONDS,
)

# outcome: created, identical, incompatible, invalid, too_large
registrations = Counter("registry_registrations", "Version registrations by outcome", ["outcome"])

compatibility_checks = Counter(
    "registry_compatibility_checks", "Compatibility checks by verdict and policy", ["verdict", "policy"]
)
compatibility_check_seconds = Histogram(
    "registry_compatibility_check_duration_seconds", "Time of one compatibility check", buckets=SECONDS
)

# result: valid, invalid
event_validations = Counter("registry_event_validations", "Events validated against a version", ["result"])

codegen_seconds = Histogram(
    "registry_codegen_duration_seconds", "Time to generate one version's bindings", buckets=GENERATION_SECONDS
)
codegen_wait_seconds = Histogram(
    "registry_codegen_queue_wait_seconds",
    "Time a generation job waited for a worker",
    buckets=GENERATION_SECONDS,
)
# cause: generation_failed, generation_timeout (the contract's), worker_died, workers_unavailable (counted
# per attempt, also when a retry then succeeds)
codegen_failures = Counter("registry_codegen_failures", "Failed generations by cause", ["cause"])
codegen_queue_length = Gauge(
    "registry_codegen_queue_length", "Generation jobs waiting for a worker", multiprocess_mode="livesum"
)
codegen_workers_alive = Gauge(
    "registry_codegen_workers_alive", "Generator worker processes alive", multiprocess_mode="livesum"
)

# kind: zip, wheel, sdist
package_downloads = Counter("registry_package_downloads", "Bindings downloaded", ["kind"])

# outcome: delivered, failed (the row is retried later, with backoff; rows are never abandoned)
mirror_deliveries = Counter("registry_mirror_deliveries", "Mirror delivery attempts by outcome", ["outcome"])
mirror_retries = Counter("registry_mirror_retries", "Mirror delivery attempts that retried a failed one")

db_pool_in_use = Gauge(
    "registry_db_pool_connections_in_use", "Database connections checked out", multiprocess_mode="livesum"
)
db_pool_waiting = Gauge(
    "registry_db_pool_waiting", "Requests waiting for a database connection", multiprocess_mode="livesum"
)

REGISTRATION_OUTCOMES = ("created", "identical", "incompatible", "invalid", "too_large")
VALIDATION_RESULTS = ("valid", "invalid")
PACKAGE_KINDS = ("zip", "wheel", "sdist")
DELIVERY_OUTCOMES = ("delivered", "failed")


def _start_at_zero() -> None:
    """Fixed vocabularies are exported from the start, at 0, so that `rate()` and dashboards see a series
    before its first event."""
    for outcome in REGISTRATION_OUTCOMES:
        registrations.labels(outcome)
    for result in VALIDATION_RESULTS:
        event_validations.labels(result)
    for kind in PACKAGE_KINDS:
        package_downloads.labels(kind)
    for outcome in DELIVERY_OUTCOMES:
        mirror_deliveries.labels(outcome)


_start_at_zero()


class OutboxBacklog(NamedTuple):
    pending: int  # rows not yet delivered (waiting, leased or failed and due again)
    oldest_age_seconds: float  # 0 when nothing is pending


class ScrapeTimeMetrics(Collector):
    """Values read when Prometheus scrapes rather than kept up to date: the build's versions, and the
    mirror outbox's backlog (one indexed query; the outbox is shared by every replica and worker process,
    so whichever process answers reads the true value). When the database does not answer, the backlog is
    left out rather than failing the scrape."""

    def __init__(self, *, versions: dict[str, str], backlog: Callable[[], OutboxBacklog] | None) -> None:
        self._versions = versions
        self._backlog = backlog

    def collect(self) -> Iterator[Metric]:
        build = InfoMetricFamily("registry_build", "Versions of the registry and of its code generator")
        build.add_metric([], self._versions)
        yield build
        if self._backlog is None:
            return
        try:
            backlog = self._backlog()
        except Exception:  # any driver error: the other metrics still matter, most of all then
            return
        yield GaugeMetricFamily(
            "registry_mirror_outbox_pending", "Mirror deliveries not yet done", value=backlog.pending
        )
        yield GaugeMetricFamily(
            "registry_mirror_oldest_pending_age_seconds",
            "Age of the oldest mirror delivery not yet done",
            value=backlog.oldest_age_seconds,
        )

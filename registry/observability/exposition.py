"""The text Prometheus reads at /metrics, from one process or from every worker process of a replica.

Single process: the default registry (our metrics, plus the client's process and garbage-collector ones).
Several worker processes (`PROMETHEUS_MULTIPROC_DIR` set before start): each process writes its values to
files in that directory and the answering process adds them all up, so a scrape sees the replica whatever
worker it reaches. The directory must be empty when the replica starts (values of earlier runs would be
counted again): `registry serve --workers N` sees to that (`registry.observability.shared_values`).
Scrape-time values (build info, the mirror outbox) come from a registry of their own.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector

from registry import __version__
from registry.observability.metrics import OutboxBacklog, ScrapeTimeMetrics
from registry.observability.shared_values import MULTIPROCESS_DIRECTORY

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # the text format every Prometheus version reads


def multiprocess_directory() -> str | None:
    """Where worker processes share their values; prometheus-client reads the same variable at import."""
    return os.environ.get(MULTIPROCESS_DIRECTORY) or None


class Exposition:
    def __init__(self, *, backlog: Callable[[], OutboxBacklog] | None) -> None:
        directory = multiprocess_directory()
        if directory is None:
            self._collected = REGISTRY
        else:
            self._collected = CollectorRegistry(auto_describe=False)
            MultiProcessCollector(self._collected, path=directory)  # type: ignore[no-untyped-call]
        self._at_scrape = CollectorRegistry(auto_describe=False)
        self._at_scrape.register(ScrapeTimeMetrics(versions=build_versions(), backlog=backlog))

    def render(self) -> bytes:
        # Two registries, no name in both: their texts concatenate into one valid exposition.
        return generate_latest(self._collected) + generate_latest(self._at_scrape)


def build_versions() -> dict[str, str]:
    return {"version": __version__, "generator_version": _installed("datamodel-code-generator")}


def _installed(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"

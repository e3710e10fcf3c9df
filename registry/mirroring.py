"""Delivering versions to an EventBridge Schema Registry (AWS's, or any endpoint speaking its API).

The outbox row is written in the transaction that stores the version, so nothing registered is lost while
the remote end is unreachable. A worker (in every replica unless `REGISTRY_MIRROR_WORKER=false`, or alone as
`registry mirror-worker`) leases one row at a time, in order per schema, and delivers it with boto3:

    the remote registry is created when missing;
    the schema is created when missing, else its latest content is compared with ours: equal means this
    delivery already happened (a redelivery after a crash), different means UpdateSchema;

so delivering twice never makes two remote versions. Errors and throttling put the row back with
exponential backoff and jitter; the row shows the last error and the next attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from datetime import UTC, timedelta
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from registry.domain.mirror import MirrorTarget, OutboxItem, retry_delay
from registry.observability import metrics, tracing
from registry.settings import Settings
from registry.storage.models import utcnow
from registry.storage.unit_of_work import UnitOfWork

log = logging.getLogger("registry.mirror")

# One attempt per call: the outbox is the retry mechanism, with its backoff visible in each row's state.
_CLIENT_CONFIG = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)


def deliver(client: Any, item: OutboxItem) -> str:
    """Make the remote registry hold `item` as the schema's latest version; returns the remote version."""
    registry = item.target.registry_name
    try:
        client.describe_registry(RegistryName=registry)
    except client.exceptions.NotFoundException:
        with contextlib.suppress(client.exceptions.ConflictException):  # another deliverer made it first
            client.create_registry(
                RegistryName=registry, Description="mirrored by the Event Contract Registry"
            )
    try:
        remote = client.describe_schema(RegistryName=registry, SchemaName=item.schema)
    except client.exceptions.NotFoundException:
        created = client.create_schema(
            RegistryName=registry, SchemaName=item.schema, Type=item.type, Content=item.content,
            **({"Description": item.description} if item.description else {}),
        )  # fmt: skip
        return str(created["SchemaVersion"])
    if _same_content(remote.get("Content"), item.content):
        return str(remote["SchemaVersion"])
    updated = client.update_schema(
        RegistryName=registry, SchemaName=item.schema, Type=item.type, Content=item.content,
        ClientTokenId=f"ecr-outbox-{item.id}",
        **({"Description": item.description} if item.description else {}),
    )  # fmt: skip
    return str(updated["SchemaVersion"])


def _same_content(remote: Any, ours: str) -> bool:
    try:
        return bool(json.loads(remote) == json.loads(ours))
    except (TypeError, ValueError):
        return False


def describe_failure(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return f"{error.get('Code', 'error')} (HTTP {status}): {error.get('Message', '')}".strip()
    return f"{type(exc).__name__}: {exc}"


def outbox_backlog(uow: UnitOfWork) -> metrics.OutboxBacklog:
    """The deliveries not done yet, across every registry, for the metrics (read at scrape time)."""
    with uow.reading() as tx:
        pending, oldest = tx.mirror.backlog()
    if oldest is None:
        return metrics.OutboxBacklog(pending, 0.0)
    if oldest.tzinfo is None:  # SQLite keeps no zone; every timestamp the registry writes is UTC
        oldest = oldest.replace(tzinfo=UTC)
    return metrics.OutboxBacklog(pending, max(0.0, (utcnow() - oldest).total_seconds()))


def _delivery_attributes(item: OutboxItem) -> dict[str, str | int]:
    return {
        "registry.schema": item.schema,
        "registry.version": item.version,
        "registry.mirror.target_registry": item.target.registry_name,
        "registry.mirror.region": item.target.region,
        "registry.mirror.attempt": item.attempts,
    }


class MirrorWorker:
    """Leases and delivers outbox rows. `run_once` is synchronous (boto3 is); `run` loops until stopped."""

    def __init__(self, uow: UnitOfWork, settings: Settings) -> None:
        self._uow = uow
        self._settings = settings
        self._clients: dict[tuple[str, str | None], Any] = {}
        self._clients_lock = threading.Lock()

    def _client(self, target: MirrorTarget) -> Any:
        key = (target.region, target.endpoint_url)
        with self._clients_lock:
            if key not in self._clients:
                # credentials: the standard boto3 chain (environment, profile, instance role ...)
                self._clients[key] = boto3.session.Session().client(
                    "schemas",
                    region_name=target.region,
                    endpoint_url=target.endpoint_url,
                    config=_CLIENT_CONFIG,
                )
            return self._clients[key]

    def run_once(self) -> bool:
        """Deliver one due row, if there is one. True when a row was taken (delivered or not)."""
        with tracing.untraced(), self._uow.writing() as tx:  # polls that find nothing make no traces
            item = tx.mirror.claim(lease_seconds=self._settings.mirror_lease_seconds)
            tx.commit()
        if item is None:
            return False
        if item.attempts > 1:
            metrics.mirror_retries.inc()
        try:
            with tracing.span("registry.mirror_delivery", _delivery_attributes(item)):  # failures recorded
                remote_version = deliver(self._client(item.target), item)
        except (ClientError, BotoCoreError, OSError, KeyError, ValueError) as exc:
            metrics.mirror_deliveries.labels("failed").inc()
            self._record_failure(item, describe_failure(exc))
        else:
            metrics.mirror_deliveries.labels("delivered").inc()
            with self._uow.writing() as tx:
                tx.mirror.delivered(item.id, remote_version)
                tx.commit()
            log.info("mirrored %s version %s as remote version %s", item.schema, item.version, remote_version)
        return True

    def _record_failure(self, item: OutboxItem, error: str) -> None:
        delay = retry_delay(
            item.attempts,
            base=self._settings.mirror_backoff_seconds,
            cap=self._settings.mirror_backoff_cap_seconds,
        )
        with self._uow.writing() as tx:
            tx.mirror.failed(item.id, error, utcnow() + timedelta(seconds=delay))
            tx.commit()
        log.warning("mirroring %s version %s failed (attempt %d, next in %.1f s): %s",
                    item.schema, item.version, item.attempts, delay, error)  # fmt: skip

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver while there is work; otherwise look again every `mirror_poll_seconds`."""
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                busy = await loop.run_in_executor(None, self.run_once)
            except Exception:  # a database hiccup must not end the worker
                log.exception("the mirror worker failed; it goes on")
                busy = False
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self._settings.mirror_poll_seconds)

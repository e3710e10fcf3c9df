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
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from registry.background import BackgroundThread
from registry.domain import errors
from registry.domain.mirror import MirrorTarget, OutboxItem, retry_delay
from registry.observability import metrics, tracing
from registry.settings import Settings
from registry.storage.models import utcnow
from registry.storage.unit_of_work import UnitOfWork

log = logging.getLogger("registry.mirror")
T = TypeVar("T")

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
        self._current: OutboxItem | None = None  # the row being delivered, to hand back when stopping
        self._thread = BackgroundThread("mirror-delivery")  # every poll runs there: no thread start each time

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
            # A poll that found nothing changed nothing: no commit, which would count as a write and drop
            # what the replica keeps of `latest` in memory (api.fast_reads) at every poll.
            if item is not None:
                tx.commit()
        if item is None:
            return False
        self._current = item
        try:
            return self._deliver(item)
        finally:
            self._current = None

    def _deliver(self, item: OutboxItem) -> bool:
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

    async def run(self, stop: asyncio.Event, *, grace: float = 30.0) -> None:
        """Deliver while there is work; otherwise look again every `mirror_poll_seconds`. Once `stop` is
        set, a delivery under way gets `grace` seconds to finish, else its row is handed back.

        While the database is unavailable the worker backs off (doubling up to 30 s) without a word: the
        database state logs the outage once."""
        idle = _Backoff(self._settings.mirror_poll_seconds)
        while not stop.is_set():
            pause = self._settings.mirror_poll_seconds
            try:
                busy = await self._attempt(stop, grace)
            except errors.Unavailable:
                busy, pause = False, idle.next()
            except Exception:  # anything else must not end the worker either
                log.exception("the mirror worker failed; it goes on")
                busy, pause = False, idle.next()
            else:
                idle.reset()
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=pause)

    async def _attempt(self, stop: asyncio.Event, grace: float) -> bool:
        # A daemon thread, not the default executor: a delivery stuck on the network must not hold up
        # the process's exit once its row is handed back.
        delivery = _in_background(self._thread, self.run_once)
        stopping: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait([delivery, stopping], return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not delivery.done():
            try:
                return await asyncio.wait_for(asyncio.shield(delivery), grace)
            except TimeoutError:
                await asyncio.get_running_loop().run_in_executor(None, self._release_current)
                return False
        return delivery.result()

    def wait_for_delivery(self, timeout: float) -> bool:
        """Block until the delivery under way, if any, has ended, even one `run` abandoned when it stopped
        (for a caller that takes the database away next). False if it has not within `timeout` seconds."""
        return self._thread.wait(timeout)

    def _release_current(self) -> None:
        item = self._current
        if item is None:
            return
        with self._uow.writing() as tx:
            tx.mirror.release(item.id)
            tx.commit()
        log.warning("stopping: delivery of %s version %s handed back undelivered", item.schema, item.version)


class _Backoff:
    """Pauses that double from `first` up to 30 s, back to `first` on `reset()`."""

    CAP = 30.0

    def __init__(self, first: float) -> None:
        self._first = first
        self._next = first

    def next(self) -> float:
        pause, self._next = self._next, min(self._next * 2, self.CAP)
        return pause

    def reset(self) -> None:
        self._next = self._first


def _in_background(thread: BackgroundThread, work: Callable[[], T]) -> asyncio.Future[T]:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, failure: BaseException | None) -> None:
        if future.done():
            return
        if failure is not None:
            future.set_exception(failure)
        else:
            future.set_result(result)  # type: ignore[arg-type]  # None only with a failure

    def run() -> None:
        result: T | None = None
        failure: BaseException | None = None
        try:
            result = work()
        except BaseException as exc:  # handed to the awaiting coroutine
            failure = exc
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits any more
            loop.call_soon_threadsafe(settle, result, failure)

    thread.submit(run)
    return future

"""Python bindings of stored versions: models generated once per contract (across replicas), each wheel
and zip built once per version, and every file served from the database.

Generation is claimed in the database (`generated_code`, one row per contract and generator version):
the replica that inserts the claim generates, in a worker process; the others poll the row until it is
ready. Within one replica, concurrent requests for the same contract share one task.

A claim is a lease: its holder renews it every quarter of `claim_lease` seconds while it generates, and a
waiter that sees no renewal for `claim_lease` seconds (timed by its own clock, as replicas' clocks may
differ) takes the job over. So a replica that dies while generating delays the others by a few seconds,
well within pip's 15 s read timeout. Only the contract's own failures are recorded (and answered for
`retry_failed_after` seconds); generation that could not run is released, for the next request to retry.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool

from codegen import (
    GENERATOR_VERSION,
    Artifact,
    ContractInput,
    GeneratedModels,
    GenerationFailed,
    GeneratorPool,
    GeneratorUnavailable,
    PackageSource,
    build_wheel,
    build_zip,
    wheel_filename,
    wheel_version,
)
from registry.domain import errors
from registry.domain.model import BindingsSource, GeneratedCode, PackageFile
from registry.storage.bindings import FAILED, PENDING, READY
from registry.storage.unit_of_work import Transaction, UnitOfWork

log = logging.getLogger("registry.bindings")

WHEEL, ZIP = "wheel", "zip"
STALE_CLAIM_SECONDS = 30.0  # more than replicas' clocks may differ by
BUILDERS: dict[str, Callable[[GeneratedModels, PackageSource], Artifact]] = {
    WHEEL: build_wheel,
    ZIP: build_zip,
}


@dataclass(frozen=True)
class Project:
    """A schema as the package index sees it."""

    name: str  # the normalised distribution name
    registry: str
    schema: str
    schema_id: int


@dataclass(frozen=True)
class Found:
    """A version's wheel or zip as the database has it: the file once built, else what building needs."""

    registry: str
    kind: str
    file: PackageFile | None
    source: BindingsSource | None  # None only for a stored wheel of an earlier generator
    code: GeneratedCode | None  # the generated models, or the claim on generating them


def _found(tx: Transaction, source: BindingsSource, kind: str) -> Found:
    stored = tx.package_files.get(source.version_id, GENERATOR_VERSION, kind)
    info = source.info
    code = None if stored else tx.generated_code.get(info.fingerprint, info.event_root, GENERATOR_VERSION)
    return Found(info.registry, kind, stored, source, code)


@dataclass(frozen=True)
class ListedFile:
    version: int
    filename: str
    sha256: str | None  # None until the wheel is built
    size: int | None


class Bindings:
    def __init__(
        self,
        uow: UnitOfWork,
        pool: GeneratorPool,
        *,
        retry_failed_after: float = 600.0,
        poll_interval: float = 0.05,
        background_limit: int = 32,
        claim_lease: float = 5.0,
    ) -> None:
        self._uow = uow
        self._pool = pool
        self._retry_failed_after = retry_failed_after
        self._claim_lease = claim_lease
        # several renewals per lease, so that one slow write does not lose it
        self._heartbeat = claim_lease / 4
        # a waiter stops waiting for a live claim once its holder has had every attempt it may take
        self._longest_wait = pool.longest_job_seconds + 30.0
        self._poll_interval = poll_interval
        self._background_limit = background_limit
        self._inflight: dict[tuple[str, str], asyncio.Task[GeneratedModels]] = {}
        self._background: set[asyncio.Task[object]] = set()

    # --- what the routes ask ------------------------------------------------------------------------------

    def find_zip(self, registry: str, schema: str, version: int | None) -> Found:
        """The version's zip, or what building it needs: one transaction."""
        with self._uow.reading() as tx:
            source = tx.versions.bindings_source(registry, schema, version)
            if source is None:
                if tx.registries.get(registry) is None:
                    raise errors.RegistryNotFound(registry=registry)
                if tx.schemas.state(registry, schema) is None:
                    raise errors.SchemaNotFound(registry=registry, schema=schema)
                raise errors.VersionNotFound(registry=registry, schema=schema, version=version or "latest")
            return _found(tx, source, ZIP)

    def find_wheel(self, project: str, filename: str, *, registry: str | None) -> Found:
        """A wheel by its index name, in one registry or (None) in whichever has the name: one transaction.
        The caller checks `registry` against the caller's rights before `file()` builds anything."""
        with self._uow.reading() as tx:
            registry, schema, schema_id = _holder(tx, project, registry, filename)
            version = wheel_version(project, filename)
            if version is None:  # perhaps a wheel of an earlier generator, still stored
                stored = tx.package_files.by_filename(schema_id, filename)
                if stored is None:
                    raise errors.PackageNotFound(project=project, filename=filename)
                return Found(registry, WHEEL, stored, None, None)
            source = tx.versions.bindings_source(registry, schema, version)
            if source is None:
                raise errors.PackageNotFound(project=project, filename=filename)
            return _found(tx, source, WHEEL)

    async def file(self, found: Found) -> PackageFile:
        """The stored file; else generate the models (once, whoever else asks), build and store it."""
        if found.file is not None:
            return found.file
        source = found.source
        assert source is not None, "only a stored file comes without its source"
        info = source.info
        try:
            models = await self._models(source, found.code)
        except GeneratorUnavailable as exc:
            raise errors.CodeGenerationUnavailable(exc.message) from None
        except GenerationFailed as exc:
            raise errors.CodeGenerationFailed(
                exc.message, registry=info.registry, schema=info.schema, version=info.version
            ) from None
        package = PackageSource(
            registry=info.registry,
            schema=info.schema,
            version=info.version,
            fingerprint=info.fingerprint,
            contract_type=info.type,
            canonical_content=info.resolved_content,
            distribution=source.package_name,
            event_root=info.event_root,
        )
        artifact = await run_in_threadpool(BUILDERS[found.kind], models, package)
        return await run_in_threadpool(self._store, source, found.kind, artifact)

    @staticmethod
    def status(found: Found) -> str | None:
        """EventBridge's code-binding status of a found file: None when nobody has asked for it yet."""
        if found.file is not None:
            return "CREATE_COMPLETE"
        if found.code is None:
            return None
        return {PENDING: "CREATE_IN_PROGRESS", READY: "CREATE_IN_PROGRESS", FAILED: "CREATE_FAILED"}[
            found.code.status
        ]

    def project(self, name: str, *, registry: str | None) -> Project:
        """The schema published as `name` in `registry`, or (None) in whichever registry has the name."""
        with self._uow.reading() as tx:
            return Project(name, *_holder(tx, name, registry))

    def project_names(self, registry: str | None) -> list[str]:
        """Every package name, or those of one registry (none when it does not exist)."""
        with self._uow.reading() as tx:
            return tx.schemas.package_names(registry)

    def registry_project_names(self, registry: str) -> list[str]:
        """The package names of one registry, which must exist."""
        with self._uow.reading() as tx:
            if tx.registries.get(registry) is None:
                raise errors.RegistryNotFound(registry=registry)
            return tx.schemas.package_names(registry)

    def listing(self, project: Project) -> list[ListedFile]:
        """Every version's wheel; those not built yet are listed without a hash (and built in background
        by `build_missing`): a listing never waits for generation."""
        with self._uow.reading() as tx:
            rows = tx.package_files.listing(project.schema_id, GENERATOR_VERSION, WHEEL)
        return [
            ListedFile(version, built.filename, built.sha256, built.size)
            if built is not None
            else ListedFile(version, wheel_filename(project.name, version), None, None)
            for version, built in rows
        ]

    def build_missing(self, project: Project, files: list[ListedFile]) -> None:
        """Start building the wheels a listing lacked, a bounded number at a time, without waiting."""
        for missing in (file for file in files if file.sha256 is None):
            if len(self._background) >= self._background_limit:
                return
            task = asyncio.create_task(self._build_quietly(project, missing.filename))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    # --- building ---------------------------------------------------------------------------------------

    async def _build_quietly(self, project: Project, filename: str) -> None:
        try:
            found = await run_in_threadpool(
                self.find_wheel, project.name, filename, registry=project.registry
            )
            await self.file(found)
        except errors.Unavailable:  # the database state logs an outage once; the download will retry
            pass
        except errors.RegistryError as exc:  # deleted meanwhile, or not generable: the download will say
            log.info("background build of %s skipped: %s", filename, exc.message)
        except Exception:  # nobody awaits this task: say what went wrong rather than lose it
            log.exception("background build of %s failed", filename)

    async def _models(self, source: BindingsSource, code: GeneratedCode | None) -> GeneratedModels:
        if code is not None and code.status == READY:
            return _models_of(code)
        key = (source.info.fingerprint, source.info.event_root or "")
        task = self._inflight.get(key)
        if task is None:
            contract = ContractInput(
                source.info.type, json.loads(source.info.resolved_content), key[1] or None
            )
            size = len(source.info.resolved_content)
            task = asyncio.create_task(self._generate_once(contract, key, code, size))
            self._inflight[key] = task
            task.add_done_callback(lambda _: self._inflight.pop(key, None))
        # shielded: a client that goes away does not cancel the work others wait for
        return await asyncio.shield(task)

    async def _generate_once(
        self, contract: ContractInput, key: tuple[str, str], code: GeneratedCode | None, size: int
    ) -> GeneratedModels:
        """Claim the generation in the database and run it, or wait for whoever holds the claim."""
        claim = await self._claim_or_result(key, code)
        if isinstance(claim, GeneratedModels):
            return claim
        return await self._generate_claimed(contract, key, claim, size)

    async def _claim_or_result(
        self, key: tuple[str, str], code: GeneratedCode | None
    ) -> GeneratedModels | int:
        """The models once another replica made them, or the attempt number of the claim taken here."""
        fingerprint, event_root = key
        lease = _LeaseWatch(self._claim_lease)
        deadline = time.monotonic() + self._longest_wait
        while True:
            if code is not None and code.status == READY:
                return _models_of(code)
            if code is not None and code.status == FAILED and _age(code) < self._retry_failed_after:
                raise GenerationFailed(code.error or "generation failed")
            if code is not None and code.status == PENDING and lease.is_alive(code):
                if time.monotonic() > deadline:
                    raise GeneratorUnavailable("another replica is still generating these bindings")
                await asyncio.sleep(self._poll_interval)
            else:
                replacing = code.attempt if code else None
                if await run_in_threadpool(self._claim, fingerprint, event_root, replacing):
                    return (replacing or 0) + 1
            code = await run_in_threadpool(self._read_code, fingerprint, event_root)

    async def _generate_claimed(
        self, contract: ContractInput, key: tuple[str, str], attempt: int, size: int
    ) -> GeneratedModels:
        fingerprint, event_root = key
        heartbeat = asyncio.create_task(self._keep_claim(fingerprint, event_root, attempt))
        try:
            models = await self._pool.generate(contract, size=size)
        except GeneratorUnavailable:
            await run_in_threadpool(self._release, fingerprint, event_root, attempt)
            raise
        except GenerationFailed as exc:
            await run_in_threadpool(self._finish, fingerprint, event_root, None, exc.message)
            raise
        finally:
            heartbeat.cancel()
        await run_in_threadpool(self._finish, fingerprint, event_root, models, None)
        return models

    async def _keep_claim(self, fingerprint: str, event_root: str, attempt: int) -> None:
        """Renew the claim until cancelled, so that other replicas go on waiting for this one."""
        while True:
            await asyncio.sleep(self._heartbeat)
            try:
                kept = await run_in_threadpool(self._renew, fingerprint, event_root, attempt)
            except Exception as exc:  # the database did not answer this once: the next beat may get through
                log.warning("could not renew the claim on generating %s: %s", fingerprint, exc)
                continue
            if not kept:  # taken over after missed renewals: the other replica's result is as good
                log.warning("the claim on generating %s was taken over by another replica", fingerprint)
                return

    # --- storage (worker threads) -----------------------------------------------------------------------

    def _store(self, source: BindingsSource, kind: str, artifact: Artifact) -> PackageFile:
        with self._uow.writing() as tx:
            added = tx.package_files.add(
                source.version_id, GENERATOR_VERSION, kind, artifact.filename, artifact.sha256, artifact.data
            )
            tx.commit()
        if added:
            return PackageFile(
                source.info.version, artifact.filename, artifact.sha256, len(artifact.data), artifact.data
            )
        # another request stored it first: serve its bytes, so every response carries the listed hash
        with self._uow.reading() as tx:
            stored = tx.package_files.get(source.version_id, GENERATOR_VERSION, kind)
        if stored is None:  # the version was deleted in between
            raise errors.VersionNotFound(
                registry=source.info.registry, schema=source.info.schema, version=source.info.version
            )
        return stored

    def _read_code(self, fingerprint: str, event_root: str) -> GeneratedCode | None:
        with self._uow.reading() as tx:
            return tx.generated_code.get(fingerprint, event_root, GENERATOR_VERSION)

    def _claim(self, fingerprint: str, event_root: str, replacing: int | None) -> bool:
        with self._uow.writing() as tx:
            claimed = tx.generated_code.claim(fingerprint, event_root, GENERATOR_VERSION, replacing=replacing)
            tx.commit()
        return claimed

    def _renew(self, fingerprint: str, event_root: str, attempt: int) -> bool:
        with self._uow.writing() as tx:
            kept = tx.generated_code.renew(fingerprint, event_root, GENERATOR_VERSION, attempt=attempt)
            tx.commit()
        return kept

    def _release(self, fingerprint: str, event_root: str, attempt: int) -> None:
        with self._uow.writing() as tx:
            tx.generated_code.release(fingerprint, event_root, GENERATOR_VERSION, attempt=attempt)
            tx.commit()

    def _finish(
        self, fingerprint: str, event_root: str, models: GeneratedModels | None, error: str | None
    ) -> None:
        with self._uow.writing() as tx:
            tx.generated_code.finish(
                fingerprint,
                event_root,
                GENERATOR_VERSION,
                module=models.module if models else None,
                root_class=models.root_class if models else None,
                detail_class=models.detail_class if models else None,
                is_envelope=models.is_envelope if models else False,
                error=error,
            )
            tx.commit()


class _LeaseWatch:
    """Whether another replica's claim is alive, judged by this replica's clock alone: alive while its
    holder keeps renewing it, dead once it has not changed for `lease` seconds. A claim already older than
    any clock skew (`STALE_CLAIM_SECONDS` past its lease) is dead at first sight."""

    def __init__(self, lease: float) -> None:
        self.lease = lease
        self._seen: tuple[int, datetime] | None = None
        self._since = 0.0

    def is_alive(self, code: GeneratedCode) -> bool:
        if _age(code) > self.lease + STALE_CLAIM_SECONDS:
            return False
        now = time.monotonic()
        if (code.attempt, code.updated_at) != self._seen:
            self._seen, self._since = (code.attempt, code.updated_at), now
        return now - self._since < self.lease


def _age(code: GeneratedCode) -> float:
    return (datetime.now(UTC) - code.updated_at).total_seconds()


def _holder(
    tx: Transaction, project: str, registry: str | None, filename: str | None = None
) -> tuple[str, str, int]:
    """(registry, schema, schema id) publishing `project`. Each registry is a namespace of its own, so
    without a registry a name may be ambiguous: only a caller who may read every registry asks so."""
    holders = tx.schemas.holders_of_package(project, registry, limit=10)
    if not holders:
        raise errors.PackageNotFound(project=project, filename=filename)
    if len(holders) > 1:
        raise errors.PackageNameAmbiguous(project=project, registries=[each[0] for each in holders])
    return holders[0]


def _models_of(code: GeneratedCode) -> GeneratedModels:
    assert code.module is not None and code.root_class is not None, "a ready row holds a module"
    return GeneratedModels(code.module, code.root_class, code.detail_class, code.is_envelope)

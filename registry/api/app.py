"""The application factory: everything a replica needs is built here from one Settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from sqlalchemy import Engine
from starlette.staticfiles import StaticFiles

from codegen import GeneratorPool
from registry import __version__, services
from registry.access import Authenticator, secret_box
from registry.api import eventbridge, front, request_log
from registry.api.capacity import ExpensiveWork
from registry.api.errors import install_error_handlers
from registry.api.fast_reads import MemoryReads, MemoryValidation, ReadCaches
from registry.api.front_registrations import FrontRegistrations
from registry.api.lifecycle import DrainGate, Lifecycle
from registry.api.middleware import BodyLimit, JsonBodies, KeepEncodedSlashes, PrivateApiDescription
from registry.api.readiness import Readiness
from registry.api.request_log import RequestRecords
from registry.api.request_metrics import HttpMetrics
from registry.api.routes import (
    audit,
    bindings,
    compatibility,
    deployments,
    diff,
    environments,
    health,
    home,
    impact,
    metrics,
    package_index,
    registries,
    schemas,
    search,
    versions,
)
from registry.api.version_cache import VersionCache
from registry.bindings import Bindings
from registry.mirroring import MirrorWorker, outbox_backlog
from registry.observability import tracing
from registry.observability.exposition import Exposition
from registry.settings import Settings, misspelt_variables
from registry.storage.database import make_session_factory, serving_engine
from registry.storage.pool_metrics import observe_pool
from registry.storage.unit_of_work import UnitOfWork
from registry.web import routes as web

log = logging.getLogger("registry")

DESCRIPTION = """Versioned event contracts (OpenAPI 3 and JSON Schema) for event-driven systems.

Names containing `/` must be percent-encoded in paths (`%2F`). Errors are
`{"error": {"code", "message", "details"}}` with a stable `code`. Request bodies are JSON
(`Content-Type: application/json`, or none; other types get 415 `unsupported_media_type`).
Authenticate with `Authorization: Bearer <token>` (tokens come from `registry token create`).

Typed Python bindings of every version: a zip under `.../versions/{version}/bindings/python`, and wheels
through each registry's package index (`pip install --extra-index-url http://HOST/registries/<registry>/simple/
<package>==3`; `/simple/` serves every registry the caller may read)."""


def create_app(
    settings: Settings, *, engine: Engine | None = None, generator: GeneratorPool | None = None
) -> FastAPI:
    """`engine` and `generator` (the code generation workers) may be shared: then the caller closes them."""
    for warning in misspelt_variables():
        log.warning(warning)
    owns_engine, owns_generator = engine is None, generator is None
    tracing_on = tracing.configure_tracing()  # from the OTEL_* variables; nothing at all when not asked
    engine = engine or serving_engine(settings)
    generator = generator or GeneratorPool(
        workers=settings.codegen_workers,
        timeout=settings.codegen_timeout_seconds,
        memory_mb=settings.codegen_memory_mb,
        large_bytes=settings.codegen_large_contract_bytes,
        retries=settings.codegen_retries,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if owns_generator:
            generator.start()  # so that the first request for bindings finds a warm worker
        stop_mirroring = asyncio.Event()
        mirroring = (
            asyncio.create_task(
                MirrorWorker(uow, settings).run(stop_mirroring, grace=settings.shutdown_grace_seconds)
            )
            if settings.mirror_worker
            else None
        )
        yield
        stop_mirroring.set()  # a delivery under way gets the shutdown grace to finish, else its row goes back
        if mirroring is not None:
            await mirroring
        if owns_generator:
            generator.close()
        if owns_engine:
            engine.dispose()

    app = FastAPIOffline(
        title="Event Contract Registry",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        swagger_ui_parameters={"validatorUrl": None},
        # FastAPI traces requests with the provider observability.tracing installs; it must not add
        # exporters of its own (FASTAPI_OTEL_AUTO_CONFIGURE), which would export every span twice. Its
        # OpenTelemetry metrics and logs are off (the registry's metrics are Prometheus', its logs its own),
        # and so is tracing when the registry's is: else FastAPI looks for a configured provider on every
        # request (about 5 µs, as much as a cached version's whole answer).
        telemetry={"auto_configure": False, "tracing": tracing_on, "metrics": False, "logs": False},
    )
    uow = UnitOfWork(make_session_factory(engine))
    app.state.settings = settings
    app.state.engine = engine
    app.state.uow = uow
    authenticator = Authenticator(
        uow,
        ttl=settings.token_cache_seconds,
        require_auth=settings.require_auth,
        secrets_box=secret_box(settings),
    )
    version_cache = VersionCache(ttl=settings.version_cache_seconds)
    read_caches = ReadCaches(
        latest_ttl=settings.latest_cache_seconds,
        numbered_ttl=settings.version_cache_seconds,
        commits=lambda: uow.commits,
    )
    app.state.authenticator = authenticator
    app.state.version_cache = version_cache
    app.state.read_caches = read_caches
    app.state.bindings = Bindings(uow, generator, claim_lease=settings.codegen_claim_lease_seconds)
    app.state.expensive_work = ExpensiveWork(
        settings.expensive_concurrency, queue_seconds=settings.expensive_queue_seconds
    )
    lifecycle = Lifecycle()
    app.state.lifecycle = lifecycle
    app.state.readiness = Readiness(uow, lifecycle, timeout=settings.readiness_timeout_seconds)
    install_error_handlers(app)
    # First: its route note must be innermost. It observes the request metrics too, around everything (the
    # version cache's hits are requests like any other).
    records = RequestRecords(
        access_log=settings.access_log, metrics=HttpMetrics() if settings.metrics_enabled else None
    )
    request_log.install(app, records=records)
    memory_reads = MemoryReads(numbered=version_cache, caches=read_caches, authenticator=authenticator)
    # Around the request log: a version answered from memory costs no more than its lookup and its record.
    memory_validation = MemoryValidation(
        caches=read_caches,
        authenticator=authenticator,
        contracts=services.loaded_contract,
        body_limit=settings.max_content_bytes,
    )
    # Around the request log too: a registration answered in front costs the service and little more.
    front_registrations = FrontRegistrations(
        uow=uow, authenticator=authenticator, body_limit=settings.max_content_bytes
    )
    front.install(
        app,
        reads=memory_reads,
        validations=memory_validation,
        registrations=front_registrations,
        records=records,
        lifecycle=lifecycle,
    )
    # The versions router is matched first, and described in its place below: the registrations and
    # validations that reach the application were matched against every route listed before theirs (FastAPI
    # matches an included router's routes to choose it, and again to handle the request), some 50,000
    # instructions each. No route of another router matches a version's path, so no request is answered
    # differently; /openapi.json describes the copy included in order.
    app.include_router(versions.router, include_in_schema=False)
    routers = (
        registries,
        schemas,
        versions,
        compatibility,
        diff,
        impact,
        deployments,
        environments,
        audit,
        bindings,
        search,
        package_index,
        health,
        home,
        eventbridge,
    )
    for router in (module.router for module in routers):
        app.include_router(router)
    app.include_router(web.router)  # the web catalog's pages, and its own assets below
    app.mount(f"{web.PREFIX}/static", StaticFiles(directory=web.STATIC), name="catalog-static")
    if settings.metrics_enabled:
        app.include_router(metrics.router)
        app.state.metrics = Exposition(backlog=lambda: outbox_backlog(uow))
        observe_pool(engine)
    app.add_middleware(JsonBodies)
    app.add_middleware(
        BodyLimit, limit=settings.max_content_bytes, setting=Settings.variable("max_content_bytes")
    )
    app.add_middleware(KeepEncodedSlashes)
    if not settings.public_api_description:
        described = {app.openapi_url or "", "/docs", app.swagger_ui_oauth2_redirect_url or "", "/redoc"}
        app.add_middleware(PrivateApiDescription, authenticator=authenticator, paths=described)
    tracing.instrument_engine(engine)
    app.add_middleware(DrainGate, lifecycle=lifecycle)  # outermost: it counts every request in flight
    return app

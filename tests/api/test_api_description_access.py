"""/docs and /openapi.json once tokens exist: public by default (REGISTRY_PUBLIC_API_DESCRIPTION), or behind a
token like every other request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest

from registry import access
from registry.api.app import create_app
from registry.domain.auth import Role
from registry.settings import Settings
from registry.storage.database import make_engine, make_session_factory
from registry.storage.migrations import upgrade
from registry.storage.unit_of_work import UnitOfWork

DESCRIPTION = ("/openapi.json", "/docs", "/docs/oauth2-redirect")
Served = Callable[[bool], AbstractAsyncContextManager[tuple[httpx.AsyncClient, str]]]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """A registry where a reader token of one registry exists: (client, that token's secret)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    upgrade(engine)
    _, secret = access.create_token(
        UnitOfWork(make_session_factory(engine)), Role.READER, registry="orders", actor="anonymous"
    )

    @asynccontextmanager
    async def serve(public: bool) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
        settings = Settings(database_url=str(engine.url), mirror_worker=False, public_api_description=public)
        app = create_app(settings, engine=engine)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://r.test") as http:
            yield http, secret

    yield serve
    engine.dispose()


async def test_the_api_description_is_public_by_default(served: Served) -> None:
    assert Settings.model_fields["public_api_description"].default is True
    async with served(True) as (http, _):
        for path in DESCRIPTION:
            assert (await http.get(path)).status_code == 200, path
        assert (await http.get("/registries")).status_code == 401  # the API itself still needs a token


async def test_a_private_api_description_needs_a_token(served: Served) -> None:
    async with served(False) as (http, secret):
        for path in DESCRIPTION:
            refused = await http.get(path)
            assert refused.status_code == 401, path
            assert refused.json()["error"]["code"] == "unauthenticated"
            assert refused.headers["www-authenticate"] == "Bearer"
            wrong = await http.get(path, headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401
            allowed = await http.get(path, headers={"Authorization": f"Bearer {secret}"})
            assert allowed.status_code == 200, path
        spec = await http.get("/openapi.json", headers={"Authorization": f"Bearer {secret}"})
        assert "/registries/{registry}" in spec.json()["paths"]
        assert (await http.get("/healthz")).status_code == 200

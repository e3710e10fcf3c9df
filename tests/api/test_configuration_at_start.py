"""What a replica says about its configuration when it is built."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from registry.api.app import create_app
from registry.settings import Settings
from registry.storage.database import make_engine


def test_building_the_app_warns_about_a_misspelt_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("REGISTRY_VERSION_CACHE_SECOND", "0")
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    with caplog.at_level(logging.WARNING, logger="registry"):
        create_app(Settings(database_url=str(engine.url)), engine=engine)
    engine.dispose()
    assert (
        "REGISTRY_VERSION_CACHE_SECOND is not a setting and is ignored; "
        "did you mean REGISTRY_VERSION_CACHE_SECONDS?"
    ) in [record.getMessage() for record in caplog.records]

"""The directory where `registry serve --workers N` keeps its workers' metric values: emptied of an earlier
run's values at start (they would be counted again), or a private one, removed at the end."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from registry.observability.shared_values import MULTIPROCESS_DIRECTORY, SharedValues


def test_a_given_directory_is_emptied_of_earlier_values_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    earlier = ["counter_41.db", "gauge_livesum_41.db", "histogram_41.db", "gauge_all_7.db"]
    for name in [*earlier, "notes.txt", "counter_backup.db"]:
        (tmp_path / name).write_bytes(b"x")
    monkeypatch.setenv(MULTIPROCESS_DIRECTORY, str(tmp_path))
    shared = SharedValues()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter_backup.db", "notes.txt"]
    shared.close()
    assert tmp_path.is_dir()  # not ours to remove


def test_without_a_directory_a_private_one_is_made_and_removed_at_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Set, then removed: monkeypatch restores only what it changed, and SharedValues sets the variable
    # itself, so the variable must be monkeypatch's before it is removed (or the removed directory would
    # stay named in the environment of every later test).
    monkeypatch.setenv(MULTIPROCESS_DIRECTORY, "")
    monkeypatch.delenv(MULTIPROCESS_DIRECTORY)
    shared = SharedValues()
    assert os.environ[MULTIPROCESS_DIRECTORY] == str(shared.path)
    assert shared.path.is_dir() and not any(shared.path.iterdir())
    shared.close()
    assert not shared.path.exists()

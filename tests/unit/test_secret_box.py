"""Sealing SigV4 secrets: the stored form says what it is, so plaintext and encrypted values coexist."""

from __future__ import annotations

import pytest

from registry.domain.secret_box import SEALED_PREFIX, SecretBox, SecretKeyError, new_key
from registry.settings import InvalidSettings, load_settings

SECRET = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12"


def test_a_sealed_secret_opens_and_shows_nothing_of_itself() -> None:
    box = SecretBox([new_key()])
    stored = box.seal(SECRET)
    assert stored.startswith(SEALED_PREFIX) and SECRET not in stored
    assert box.open(stored) == SECRET
    assert box.is_current(stored)
    assert box.seal(SECRET) != stored  # a fresh IV each time


def test_without_a_key_secrets_are_stored_as_issued_and_plaintext_always_opens() -> None:
    assert SecretBox().seal(SECRET) == SECRET
    assert SecretBox().open(SECRET) == SECRET == SecretBox([new_key()]).open(SECRET)
    assert SecretBox().is_current(SECRET) and not SecretBox([new_key()]).is_current(SECRET)


def test_rotation_opens_with_any_key_and_seals_with_the_first() -> None:
    old, new = new_key(), new_key()
    stored = SecretBox([old]).seal(SECRET)
    rotating = SecretBox.from_setting(f"{new}, {old}")
    assert rotating.open(stored) == SECRET
    assert not rotating.is_current(stored)
    assert SecretBox([new]).open(rotating.seal(SECRET)) == SECRET


def test_a_missing_or_wrong_key_is_a_clear_error() -> None:
    stored = SecretBox([new_key()]).seal(SECRET)
    with pytest.raises(SecretKeyError, match="REGISTRY_SECRET_KEY is not set"):
        SecretBox().open(stored)
    with pytest.raises(SecretKeyError, match="under a key that is not in REGISTRY_SECRET_KEY"):
        SecretBox([new_key()]).open(stored)


def test_a_key_that_is_not_a_key_stops_the_start_without_showing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_SECRET_KEY", f"{new_key()},hunter2")
    with pytest.raises(InvalidSettings) as raised:
        load_settings()
    assert str(raised.value).startswith("REGISTRY_SECRET_KEY: key 2 of REGISTRY_SECRET_KEY is not a key")
    assert "hunter2" not in str(raised.value)

"""Secrets the registry must read back, encrypted at rest: the SigV4 secret access keys of tokens.

A bearer token is stored as a hash, but verifying a SigV4 signature means recomputing it with the secret
itself. With `REGISTRY_SECRET_KEY` set, such secrets are stored sealed with Fernet (AES-128-CBC and
HMAC-SHA256, from `cryptography`) as `fernet:<token>`; without it, as issued. The prefix lets both kinds
coexist in one table, so that setting a key, `registry secrets reencrypt` and rotation need no flag day.

The setting holds one or more keys, comma-separated: the first seals, every one opens (rotation: add the
new key first, re-encrypt, then drop the old one)."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

SEALED_PREFIX = "fernet:"


class SecretKeyError(Exception):
    """Stored secrets cannot be opened with the keys given (none, or not the one they were sealed with),
    or a key is not a key. Raised at start and by the commands, never in answer to a request."""


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED_PREFIX)


class SecretBox:
    def __init__(self, keys: Sequence[str] = ()) -> None:
        self._fernets = [_fernet(key, position) for position, key in enumerate(keys, start=1)]
        self._all = MultiFernet(self._fernets) if self._fernets else None

    @classmethod
    def from_setting(cls, value: str | None) -> SecretBox:
        """The keys of REGISTRY_SECRET_KEY: comma-separated, blanks ignored."""
        return cls([key.strip() for key in (value or "").split(",") if key.strip()])

    @property
    def seals(self) -> bool:
        """Whether new secrets are stored encrypted (a key is set)."""
        return self._all is not None

    def seal(self, secret: str) -> str:
        """What to store for `secret`: sealed under the first key, or as issued when no key is set."""
        if self._all is None:
            return secret
        return SEALED_PREFIX + self._all.encrypt(secret.encode()).decode("ascii")

    def open(self, stored: str) -> str:
        """The secret behind a stored value (plaintext passes through); SecretKeyError if it cannot be
        opened with these keys."""
        if not is_sealed(stored):
            return stored
        if self._all is None:
            raise SecretKeyError("a secret is stored encrypted, but REGISTRY_SECRET_KEY is not set")
        try:
            return self._all.decrypt(stored.removeprefix(SEALED_PREFIX).encode("ascii")).decode()
        except (InvalidToken, UnicodeError) as exc:
            raise SecretKeyError(
                "a secret is stored encrypted under a key that is not in REGISTRY_SECRET_KEY"
            ) from exc

    def is_current(self, stored: str) -> bool:
        """Whether a stored value is as this box would store it now: sealed under the first key when a
        key is set, in plaintext when none is. Anything else is for `registry secrets reencrypt`."""
        if self._all is None:
            return not is_sealed(stored)
        if not is_sealed(stored):
            return False
        try:
            self._fernets[0].decrypt(stored.removeprefix(SEALED_PREFIX).encode("ascii"))
        except (InvalidToken, UnicodeError):
            return False
        return True


def _fernet(key: str, position: int) -> Fernet:
    try:
        return Fernet(key.encode("ascii"))
    except (ValueError, UnicodeError) as exc:  # never the key itself in the message: it is a secret
        raise SecretKeyError(
            f"key {position} of REGISTRY_SECRET_KEY is not a key: use `registry secrets generate-key` "
            "(44 characters of URL-safe base64; several keys are separated by commas)"
        ) from exc

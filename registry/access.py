"""Tokens: creating, revoking and listing them, and turning a bearer token into a Principal with a
short-lived copy of the token table per replica.

Every replica re-reads the table at most once per `ttl` seconds, so a revocation made through any replica
(or the CLI) takes effect everywhere within that time, without a database query on every request."""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import time
from datetime import UTC, datetime

from registry.domain import errors, names
from registry.domain.auth import ANONYMOUS_ADMIN, Principal, Role, TokenInfo, hash_token, new_token_secret
from registry.domain.errors import Unauthenticated
from registry.storage.unit_of_work import UnitOfWork


class Authenticator:
    def __init__(self, uow: UnitOfWork, *, ttl: float, require_auth: bool) -> None:
        self._uow = uow
        self._ttl = ttl
        self._require_auth = require_auth
        self._lock = threading.Lock()
        self._principals: dict[str, Principal] = {}
        # Revoking the last token must lock the service, not reopen it: "open" means no token was ever made.
        self._any_token_ever = False
        self._loaded_at = -float("inf")

    def principal_for(self, authorization: str | None) -> Principal:
        principals, any_token_ever = self._current()
        if not any_token_ever and not self._require_auth:
            return ANONYMOUS_ADMIN  # the open quickstart: no token created yet, loopback bind
        if not authorization:
            raise Unauthenticated("this registry requires a bearer token (Authorization: Bearer <token>)")
        secret = _token_in(authorization)
        principal = principals.get(hash_token(secret))
        if principal is None:
            raise Unauthenticated("the bearer token is unknown or revoked")
        return principal

    def principal_if_fresh(self, authorization: str | None) -> Principal | None:
        """Like principal_for, but None instead of a database read when the cached table is stale."""
        if time.monotonic() - self._loaded_at >= self._ttl:
            return None
        return self.principal_for(authorization)

    def _current(self) -> tuple[dict[str, Principal], bool]:
        if time.monotonic() - self._loaded_at >= self._ttl:
            with self._lock:
                if time.monotonic() - self._loaded_at >= self._ttl:
                    self._principals, self._any_token_ever = self._load()
                    self._loaded_at = time.monotonic()
        return self._principals, self._any_token_ever

    def _load(self) -> tuple[dict[str, Principal], bool]:
        with self._uow.reading() as tx:
            rows = tx.tokens.all_rows()
            principals = {
                row.token_hash: Principal(
                    role=Role(row.role), registry=row.registry_name, token_id=row.public_id
                )
                for row in rows
                if row.revoked_at is None
            }
        return principals, bool(rows)

    def forget(self) -> None:
        """Drop the cached table, so this replica sees a change it made itself at once."""
        self._loaded_at = -float("inf")


def _token_in(authorization: str) -> str:
    """The token of `Bearer <token>`, or the password of Basic credentials: pip can only send those
    (`--index-url http://__token__:<token>@host/simple/`, .netrc or keyring); the user name is ignored."""
    scheme, _, credentials = authorization.partition(" ")
    secret = credentials.strip()
    if scheme.lower() == "basic" and secret:
        try:
            secret = base64.b64decode(secret, validate=True).decode("utf-8").partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            secret = ""
    elif scheme.lower() != "bearer":
        secret = ""
    if not secret:
        raise Unauthenticated(
            "the Authorization header must be 'Bearer <token>'"
            " (or Basic credentials with the token as password)"
        )
    return secret


def create_token(
    uow: UnitOfWork, role: Role, *, registry: str | None, description: str | None = None
) -> tuple[TokenInfo, str]:
    """Returns the token's record and its secret, which is shown once and stored only as a hash."""
    if registry is not None:
        names.registry_name(registry)
    secret = new_token_secret()
    with uow.writing() as tx:
        row = tx.tokens.create(
            public_id=secrets.token_hex(8),
            token_hash=hash_token(secret),
            role=role,
            registry=registry,
            description=description,
        )
        tx.session.flush()
        info = tx.tokens.info(row)
        tx.commit()
    return info, secret


def revoke_token(uow: UnitOfWork, token_id: str) -> TokenInfo:
    with uow.writing() as tx:
        row = tx.tokens.get(token_id)
        if row is None:
            raise errors.TokenNotFound(token_id=token_id)
        row.revoked_at = row.revoked_at or datetime.now(UTC)
        tx.session.flush()
        info = tx.tokens.info(row)
        tx.commit()
    return info


def list_tokens(uow: UnitOfWork) -> list[TokenInfo]:
    with uow.reading() as tx:
        return tx.tokens.all()

"""Turning a bearer token into a Principal, with a short-lived copy of the token table per replica.

Every replica re-reads the table at most once per `ttl` seconds, so a revocation made through any replica
(or the CLI) takes effect everywhere within that time, without a database query on every request."""

from __future__ import annotations

import threading
import time

from registry.domain.auth import ANONYMOUS_ADMIN, Principal, Role, hash_token
from registry.domain.errors import Unauthenticated
from registry.storage.unit_of_work import UnitOfWork


class Authenticator:
    def __init__(self, uow: UnitOfWork, *, ttl: float, require_auth: bool) -> None:
        self._uow = uow
        self._ttl = ttl
        self._require_auth = require_auth
        self._lock = threading.Lock()
        self._principals: dict[str, Principal] = {}
        self._loaded_at = -float("inf")

    def principal_for(self, authorization: str | None) -> Principal:
        principals = self._current()
        if not principals and not self._require_auth:
            return ANONYMOUS_ADMIN  # the open quickstart: no token configured, loopback bind
        if not authorization:
            raise Unauthenticated("this registry requires a bearer token (Authorization: Bearer <token>)")
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        principal = principals.get(hash_token(secret.strip()))
        if principal is None:
            raise Unauthenticated("the bearer token is unknown or revoked")
        return principal

    def _current(self) -> dict[str, Principal]:
        if time.monotonic() - self._loaded_at < self._ttl:
            return self._principals
        with self._lock:
            if time.monotonic() - self._loaded_at >= self._ttl:
                self._principals = self._load()
                self._loaded_at = time.monotonic()
        return self._principals

    def _load(self) -> dict[str, Principal]:
        with self._uow.reading() as tx:
            rows = tx.tokens.active_hashes()
            return {
                digest: Principal(role=Role(row.role), registry=row.registry_name, token_id=row.public_id)
                for digest, row in rows.items()
            }

    def forget(self) -> None:
        """Drop the cached table, so this replica sees a change it made itself at once."""
        self._loaded_at = -float("inf")

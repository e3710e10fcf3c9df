"""Who may do what: roles ordered reader < writer < admin, optionally scoped to one registry; beside them the
`metrics` role, which reads /metrics and nothing else (a monitoring system's credentials see no contract)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from registry.domain.errors import Forbidden

TOKEN_PREFIX = "ecr_"


class Role(StrEnum):
    READER = "reader"
    WRITER = "writer"
    ADMIN = "admin"
    METRICS = "metrics"

    @property
    def rank(self) -> int:
        return _RANK[self]


# Below reader: a metrics token holds no role on any registry.
_RANK = {Role.METRICS: -1, Role.READER: 0, Role.WRITER: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class Principal:
    role: Role
    registry: str | None  # None: every registry
    token_id: str | None  # None: anonymous (no token configured, open quickstart)

    def may_see(self, registry: str) -> bool:
        return self.role is not Role.METRICS and (self.registry is None or self.registry == registry)

    @property
    def may_read_metrics(self) -> bool:
        """A metrics token, or an admin of every registry (the anonymous admin of the open quickstart)."""
        return self.role is Role.METRICS or (self.role is Role.ADMIN and self.registry is None)


ANONYMOUS_ADMIN = Principal(role=Role.ADMIN, registry=None, token_id=None)


def authorize(principal: Principal, needed: Role, registry: str | None) -> None:
    """Raise Forbidden unless `principal` holds `needed` on `registry` (None: a service-wide action)."""
    if principal.role.rank < needed.rank:
        raise Forbidden(f"this action needs the {needed} role; the token has {principal.role}")
    if principal.registry is not None and registry != principal.registry:
        target = f"registry {registry!r}" if registry else "service-wide actions"
        raise Forbidden(f"the token is limited to registry {principal.registry!r} and cannot touch {target}")


def refuse_metrics_only(principal: Principal) -> Principal:
    """The API's callers: a metrics token is refused everywhere but /metrics, including the listings
    that filter by `registry` (None there would mean every registry)."""
    if principal.role is Role.METRICS:
        raise Forbidden("a token with the metrics role may only read /metrics")
    return principal


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(secret: str) -> str:
    # Secrets are 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    id: str
    role: Role
    registry: str | None
    description: str | None
    revoked: bool

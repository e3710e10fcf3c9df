"""Mirroring to an EventBridge Schema Registry: where to, what a version's delivery looks like, and when a
failed delivery is tried again."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from registry.domain.errors import InvalidMirror

PENDING, MIRRORED, FAILED = "pending", "mirrored", "failed"
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_EVENTBRIDGE_REGISTRY = re.compile(r"^[.\-_A-Za-z@]+[.\-_A-Za-z0-9@]*$|^[.\-_A-Za-z0-9@]+$")
_ENDPOINT = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")


@dataclass(frozen=True)
class MirrorTarget:
    """An EventBridge Schema Registry: a region, a registry name, and an endpoint other than AWS's own."""

    region: str
    registry_name: str
    endpoint_url: str | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> MirrorTarget:
        region, name, endpoint = config.get("region"), config.get("registry_name"), config.get("endpoint_url")
        if not isinstance(region, str) or not _REGION.fullmatch(region):
            raise InvalidMirror(f"mirror.region {region!r} is not an AWS region name such as 'eu-west-1'")
        if not isinstance(name, str) or not 1 <= len(name) <= 64 or not _EVENTBRIDGE_REGISTRY.fullmatch(name):
            raise InvalidMirror(f"mirror.registry_name {name!r} is not an EventBridge registry name")
        if endpoint is not None and (not isinstance(endpoint, str) or not _ENDPOINT.fullmatch(endpoint)):
            raise InvalidMirror(f"mirror.endpoint_url {endpoint!r} is not an http(s) URL")
        return cls(region, name, endpoint)

    def as_config(self) -> dict[str, str]:
        config = {"region": self.region, "registry_name": self.registry_name}
        return config | ({"endpoint_url": self.endpoint_url} if self.endpoint_url else {})


@dataclass(frozen=True)
class MirrorState:
    """Where one version's delivery stands."""

    status: str  # pending | mirrored | failed
    remote_version: str | None
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None  # None once mirrored
    updated_at: datetime


@dataclass(frozen=True)
class OutboxItem:
    """A version to deliver, as the outbox row holds it (self-contained: the version may be gone)."""

    id: int
    target: MirrorTarget
    schema: str
    version: int
    type: str
    content: str
    description: str | None
    attempts: int  # including this one


def retry_delay(attempts: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: base, 2·base, 4·base ... up to `cap`, each scaled by 0.5 to 1 so that
    replicas that failed together do not retry together."""
    ceiling: float = min(cap, base * 2.0 ** max(attempts - 1, 0))
    return ceiling * (0.5 + 0.5 * (rng or random).random())

"""Domain values the services hand out: plain, immutable, free of any storage or HTTP type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from registry.domain.mirror import MirrorState

T = TypeVar("T")


class CompatibilityMode(StrEnum):
    NONE = "NONE"
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"
    # Against what runs rather than what was registered: every version recorded as deployed (by any
    # service, in any environment) must fit the new one in its direction (registry.domain.deployments).
    DEPLOYED = "DEPLOYED"


class CompatibilityPolicy(StrEnum):
    STRICT = "STRICT"
    LENIENT = "LENIENT"


@dataclass(frozen=True)
class RegistryInfo:
    name: str
    description: str | None
    compatibility: CompatibilityMode
    compatibility_policy: CompatibilityPolicy
    created_at: datetime
    updated_at: datetime
    mirror: dict[str, str] | None = None  # the EventBridge registry its versions are mirrored to


@dataclass(frozen=True)
class SchemaInfo:
    registry: str
    name: str
    type: str
    description: str | None
    latest_version: int | None
    version_count: int
    compatibility: CompatibilityMode | None
    compatibility_policy: CompatibilityPolicy | None
    created_at: datetime
    updated_at: datetime
    package_name: str  # the Python distribution of its bindings


@dataclass(frozen=True)
class VersionSummary:
    version: int
    fingerprint: str
    description: str | None
    created_at: datetime
    created_by: str | None = None  # a token's public id or `anonymous`; None: registered before it was kept


@dataclass(frozen=True)
class VersionInfo:
    registry: str
    schema: str
    version: int
    type: str
    canonical_content: str
    fingerprint: str
    event_root: str | None
    description: str | None
    created_at: datetime
    created_by: str | None = None  # a token's public id or `anonymous`; None: registered before it was kept
    mirror: MirrorState | None = None  # where its delivery to the registry's mirror stands, if it has one
    bundle: str | None = None  # the contract with its references inlined; None: it has none
    references: tuple[ReferenceInfo, ...] = ()

    @property
    def resolved_content(self) -> str:
        """The canonical contract every check reads: the bundle when the version has references."""
        return self.bundle if self.bundle is not None else self.canonical_content


@dataclass(frozen=True)
class ReferenceInfo:
    """`$ref`s to `name` resolve to version `version` of `registry`/`schema`."""

    name: str
    registry: str
    schema: str
    version: int


@dataclass(frozen=True)
class SearchHit:
    registry: str
    schema: str
    type: str
    latest_version: int | None
    description: str | None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class BindingsSource:
    """A version as code generation needs it: the contract and the names of the package to build."""

    version_id: int
    package_name: str
    info: VersionInfo


@dataclass(frozen=True)
class PackageFile:
    """A built wheel or zip; `data` is None where a listing did not load it."""

    version: int
    filename: str
    sha256: str
    size: int
    data: bytes | None = None


@dataclass(frozen=True)
class GeneratedCode:
    """The stored outcome (or claim) of generating a contract's models."""

    status: str  # pending | ready | failed
    module: str | None
    root_class: str | None
    detail_class: str | None
    is_envelope: bool
    error: str | None
    attempt: int  # how many times generation was claimed
    updated_at: datetime

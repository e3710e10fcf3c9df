"""Impact analysis: which stored versions are built from a schema (directly, or through other versions),
and what becomes of each one if its references to that schema pointed at a candidate instead.

The reference graph is walked backwards from every version of the schema, breadth first, so each
dependent is found at its shortest distance (a diamond lists it once). Pure: the edges come from a
function the caller gives (storage), the verdicts from the compatibility helpers the use case holds."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum

from registry.domain.deployments import Participant
from registry.domain.errors import InvalidInput
from registry.domain.formats.bundle import MAX_REFERENCE_DEPTH, VersionKey
from registry.domain.modes import CompatibilityReport, Pair


class ImpactScope(StrEnum):
    # the latest version of each dependent schema, and every version recorded as deployed
    DEFAULT = "default"
    ALL = "all"  # every version that references the schema


@dataclass(frozen=True)
class Edge:
    """Version `version_id` (`key`) references version `target_id` by the name `name`."""

    version_id: int
    target_id: int
    name: str
    key: VersionKey
    schema_id: int
    event_root: str | None


@dataclass(frozen=True)
class Step:
    """One reference followed: `name` resolves to `key` (row `version_id`; None: not a stored version)."""

    name: str
    key: VersionKey
    version_id: int | None = None


@dataclass(frozen=True)
class Dependent:
    """A version built from the schema; `via` leads from its reference down to the schema's version it
    resolves to (one step for a direct dependent)."""

    key: VersionKey
    version_id: int
    schema_id: int
    event_root: str | None
    via: tuple[Step, ...]

    @property
    def depth(self) -> int:
        return len(self.via)


Referencing = Callable[[Collection[int]], list[Edge]]
"""The edges into any of the given version ids."""


def dependents_of(versions: Mapping[int, VersionKey], referencing: Referencing) -> list[Dependent]:
    """Every version that reaches one of `versions` (a schema's, by row id) through references, nearest
    first. Versions of the schema itself are not their own dependents. A stored graph has no cycles and is
    at most MAX_REFERENCE_DEPTH deep (registration refuses both), so the walk ends within that many levels."""
    via: dict[int, tuple[Step, ...]] = {version_id: () for version_id in versions}
    keys = dict(versions)
    found: list[Dependent] = []
    frontier = sorted(versions)
    for _ in range(MAX_REFERENCE_DEPTH):
        if not frontier:
            break
        reached: list[int] = []
        for edge in referencing(frontier):
            if edge.version_id in via:
                continue  # met already at this distance or nearer
            step = Step(edge.name, keys[edge.target_id], edge.target_id)
            via[edge.version_id] = (step, *via[edge.target_id])
            keys[edge.version_id] = edge.key
            found.append(
                Dependent(edge.key, edge.version_id, edge.schema_id, edge.event_root, via[edge.version_id])
            )
            reached.append(edge.version_id)
        frontier = reached
    return found


def chosen(
    found: list[Dependent],
    scope: ImpactScope,
    latest: Mapping[int, int],
    deployed: Collection[tuple[int, int]],
) -> list[Dependent]:
    """The dependents the question is about: all of them, or (default) those a service may move to the
    candidate: the latest version of its schema (`latest`: schema id → number), or one recorded as
    deployed (`deployed`: (schema id, number))."""
    if scope is ImpactScope.ALL:
        return found
    return [
        each
        for each in found
        if latest.get(each.schema_id) == each.key.version or (each.schema_id, each.key.version) in deployed
    ]


@dataclass(frozen=True)
class CounterpartCheck:
    """The moved version (`new` in the pair) against one recorded counterpart, as can-i-deploy judges."""

    counterpart: Participant
    pair: Pair
    report: CompatibilityReport


@dataclass(frozen=True)
class ServiceCheck:
    """A service recorded running the dependent version, moved to the candidate, against every
    counterpart recorded in its environment."""

    participant: Participant
    counterparts: list[CounterpartCheck]

    @property
    def deployable(self) -> bool:
        return all(each.report.compatible for each in self.counterparts)


@dataclass(frozen=True)
class DependentImpact:
    """What becomes of one dependent. `versions`: the moved version judged as the successor of the version
    it was built from, under its schema's mode and policy (None when `error`); `services`: each service
    recorded running it; `error`: why the dependent is no contract at all with the candidate (a `$ref` into
    a definition the candidate dropped, a draft it does not share ...)."""

    dependent: Dependent
    versions: CompatibilityReport | None
    services: list[ServiceCheck]
    error: InvalidInput | None = None

    @property
    def compatible(self) -> bool:
        if self.error is not None or self.versions is None:
            return False
        return self.versions.compatible and all(each.deployable for each in self.services)


@dataclass(frozen=True)
class CandidateInfo:
    registry: str
    schema: str
    type: str
    fingerprint: str
    references: tuple[Step, ...]


@dataclass(frozen=True)
class Impact:
    """`hidden`: dependents in registries the caller may not read, neither listed nor analysed."""

    candidate: CandidateInfo
    scope: ImpactScope
    dependents: list[DependentImpact]
    hidden: int

    @property
    def breaking(self) -> int:
        return sum(not each.compatible for each in self.dependents)

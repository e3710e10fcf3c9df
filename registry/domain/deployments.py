"""Who runs which version of a schema where: deployments as CI records them, and the pairs they make.

A participant is one service in one role (producer or consumer) of one schema in one environment, at one
version. An environment is created explicitly, or by the first deployment recorded in it, and deleted only
when nothing is recorded there any more. A producer at P and a consumer at C in the same environment make the
pair (producer P, consumer C): C must read every event of P.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from registry.domain.errors import InvalidName
from registry.domain.model import CompatibilityPolicy
from registry.domain.modes import NEW, CompatibilityReport, Pair, VersionLabel

PARTICIPANT_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_PARTICIPANT_NAME = re.compile(PARTICIPANT_NAME_PATTERN)
MAX_PARTICIPANT_NAME = 64


class ParticipantRole(StrEnum):
    PRODUCER = "producer"
    CONSUMER = "consumer"

    @property
    def counterpart(self) -> ParticipantRole:
        """The role whose versions this one is checked against."""
        return ParticipantRole.CONSUMER if self is ParticipantRole.PRODUCER else ParticipantRole.PRODUCER


class AuditAction(StrEnum):
    RECORDED = "recorded"  # a new record
    CHANGED = "changed"  # the record moved to another version
    REMOVED = "removed"  # the record was removed


def _participant_name(kind: str, name: str) -> str:
    # Names go into CI logs, shell scripts and URLs unquoted: letters, digits and . _ - only.
    if not _PARTICIPANT_NAME.fullmatch(name):
        raise InvalidName(
            kind=kind,
            name=name[:80],
            reason=f"use 1 to {MAX_PARTICIPANT_NAME} letters, digits and the characters . _ -, "
            "starting with a letter or digit",
        )
    return name


def service_name(name: str) -> str:
    return _participant_name("service", name)


def environment_name(name: str) -> str:
    return _participant_name("environment", name)


@dataclass(frozen=True)
class Participant:
    registry: str
    schema: str
    service: str
    role: ParticipantRole
    version: int
    environment: str
    updated_at: datetime
    updated_by: str

    def as_data(self) -> dict[str, Any]:
        """Who and where, as an error's details name it."""
        return {
            "service": self.service,
            "role": self.role.value,
            "version": self.version,
            "environment": self.environment,
        }


@dataclass(frozen=True)
class AuditEntry:
    """One change to the recorded picture. `version` is the record's version after the change (None once
    removed), `previous_version` the one before (None when it was new)."""

    id: int
    registry: str
    schema: str
    service: str
    role: ParticipantRole
    environment: str
    action: AuditAction
    version: int | None
    previous_version: int | None
    actor: str
    at: datetime


@dataclass(frozen=True)
class EnvironmentSummary:
    environment: str
    description: str | None
    created_at: datetime
    created_by: str  # the public id of the token that created it (explicitly or by recording), or anonymous
    schemas: int  # how many schemas have participants there
    participants: int  # how many records


@dataclass(frozen=True)
class PairCheck:
    """The deploying service against one recorded counterpart."""

    counterpart: Participant
    producer_version: int
    consumer_version: int
    report: CompatibilityReport

    @property
    def compatible(self) -> bool:
        return self.report.compatible


@dataclass(frozen=True)
class DeployCheck:
    registry: str
    schema: str
    service: str
    role: ParticipantRole
    version: int
    environment: str
    policy: CompatibilityPolicy
    pairs: list[PairCheck]

    @property
    def deployable(self) -> bool:
        """Every counterpart fits; with none recorded there is nothing to break."""
        return all(pair.compatible for pair in self.pairs)


@dataclass(frozen=True)
class IncompatiblePair:
    producer: Participant
    consumer: Participant
    report: CompatibilityReport


@dataclass(frozen=True)
class SchemaPicture:
    schema: str
    producers: list[Participant]
    consumers: list[Participant]
    incompatible_pairs: list[IncompatiblePair]


@dataclass(frozen=True)
class EnvironmentPicture:
    registry: str
    environment: str
    schemas: list[SchemaPicture]

    @property
    def compatible(self) -> bool:
        return not any(schema.incompatible_pairs for schema in self.schemas)


def deploy_pair(role: ParticipantRole, version: int, counterpart_version: int) -> Pair:
    """The pair a service at `version` in `role` makes with a counterpart at `counterpart_version`."""
    if role is ParticipantRole.PRODUCER:
        return Pair(producer=version, consumer=counterpart_version)
    return Pair(producer=counterpart_version, consumer=version)


def deployed_pairs(recorded: Iterable[Participant], new: VersionLabel = NEW) -> list[Pair]:
    """The pairs DEPLOYED mode checks a candidate with: every recorded consumer version must read it (the
    candidate as producer), and it must read every recorded producer version (the candidate as consumer).
    One pair per version, however many services run it; the newest versions first."""
    consumers = {each.version for each in recorded if each.role is ParticipantRole.CONSUMER}
    producers = {each.version for each in recorded if each.role is ParticipantRole.PRODUCER}
    pairs: list[Pair] = []
    for version in sorted(consumers | producers, reverse=True):
        if version in producers:
            pairs.append(Pair(producer=version, consumer=new))
        if version in consumers:
            pairs.append(Pair(producer=new, consumer=version))
    return pairs


def blocking(
    recorded: Iterable[Participant], report: CompatibilityReport, new: VersionLabel = NEW
) -> list[Participant]:
    """The recorded deployments a DEPLOYED report's findings are about, in the report's order."""
    failing = {(finding.producer, finding.consumer) for finding in report.incompatibilities}
    found: list[Participant] = []
    for each in recorded:
        pair = (new, each.version) if each.role is ParticipantRole.CONSUMER else (each.version, new)
        if pair in failing:
            found.append(each)
    return sorted(found, key=lambda each: (-each.version, each.role, each.environment, each.service))

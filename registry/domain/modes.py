"""Which producer/consumer pairs a compatibility mode checks, and the report of such a check.

A mode names the direction and reach of the check a registration must pass (Confluent's names):
BACKWARD, the new version reads every event of the earlier one (earlier ⊆ new); FORWARD, the earlier one
reads every event of the new one (new ⊆ earlier); FULL, both; *_TRANSITIVE, against every earlier version
rather than the latest only; NONE, no check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from registry.domain.model import CompatibilityMode, CompatibilityPolicy

NEW = "new"  # how a candidate that has no number yet is named in a report
VersionLabel = int | str


@dataclass(frozen=True)
class Pair:
    producer: VersionLabel
    consumer: VersionLabel


@dataclass(frozen=True)
class Finding:
    """One reason why `consumer` cannot read every event of `producer`."""

    producer: VersionLabel
    consumer: VersionLabel
    rule: str
    producer_path: str
    consumer_path: str
    message: str
    witness: Any
    proven: bool


@dataclass(frozen=True)
class CompatibilityReport:
    mode: CompatibilityMode
    policy: CompatibilityPolicy
    checked: list[Pair] = field(default_factory=list)
    incompatibilities: list[Finding] = field(default_factory=list)

    @property
    def compatible(self) -> bool:
        return not self.incompatibilities


def is_transitive(mode: CompatibilityMode) -> bool:
    return mode.value.endswith("_TRANSITIVE")


def pairs_for(mode: CompatibilityMode, earlier: list[int], new: VersionLabel = NEW) -> list[Pair]:
    """The pairs a candidate must pass, given the numbers of the versions stored before it (ascending)."""
    if mode is CompatibilityMode.NONE or not earlier:
        return []
    against = earlier if is_transitive(mode) else earlier[-1:]
    pairs: list[Pair] = []
    for version in reversed(against):  # the nearest version first: its findings matter most
        if mode.value.startswith(("BACKWARD", "FULL")):
            pairs.append(Pair(producer=version, consumer=new))
        if mode.value.startswith(("FORWARD", "FULL")):
            pairs.append(Pair(producer=new, consumer=version))
    return pairs


def report_data(report: CompatibilityReport) -> dict[str, Any]:
    """The report as plain data (for an error's details; the API documents the same shape)."""
    return {
        "compatible": report.compatible,
        "mode": report.mode.value,
        "policy": report.policy.value,
        "checked": [{"producer": pair.producer, "consumer": pair.consumer} for pair in report.checked],
        "incompatibilities": [finding.__dict__.copy() for finding in report.incompatibilities],
    }

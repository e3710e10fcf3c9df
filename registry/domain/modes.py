"""Which producer/consumer pairs a compatibility mode checks, and the report of such a check.

A mode names the direction and reach of the check a registration must pass (Confluent's names):
BACKWARD, the new version reads every event of the earlier one (earlier ⊆ new); FORWARD, the earlier one
reads every event of the new one (new ⊆ earlier); FULL, both; *_TRANSITIVE, against every earlier version
rather than the latest only; NONE, no check.

DEPLOYED is not one of these: its pairs come from the versions services are recorded as running, not from
the versions stored (`registry.domain.deployments.deployed_pairs`), so `pairs_for` has none for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from registry.domain.compat import Incompatibility
from registry.domain.model import CompatibilityMode, CompatibilityPolicy

NEW = "new"  # how a candidate that has no number yet is named in a report
VersionLabel = int | str


@dataclass(frozen=True)
class Pair:
    producer: VersionLabel
    consumer: VersionLabel


@dataclass(frozen=True)
class Finding:
    """One reason why version `consumer` cannot read every event of version `producer`."""

    producer: VersionLabel
    consumer: VersionLabel
    incompatibility: Incompatibility


@dataclass(frozen=True)
class CompatibilityReport:
    """`mode` is the mode a candidate was judged by; None when a pair of versions was asked about directly
    (the compatibility of two versions, can-i-deploy, an environment's pairs), which no mode decides."""

    mode: CompatibilityMode | None
    policy: CompatibilityPolicy
    checked: list[Pair] = field(default_factory=list)
    incompatibilities: list[Finding] = field(default_factory=list)

    @property
    def compatible(self) -> bool:
        return not self.incompatibilities


def is_transitive(mode: CompatibilityMode) -> bool:
    return mode.value.endswith("_TRANSITIVE")


def pairs_for(mode: CompatibilityMode, earlier: list[int], new: VersionLabel = NEW) -> list[Pair]:
    """The pairs a candidate must pass, given the numbers of the versions stored before it (ascending).
    None for DEPLOYED: the stored versions do not decide its pairs (callers ask the deployments first)."""
    if mode in (CompatibilityMode.NONE, CompatibilityMode.DEPLOYED) or not earlier:
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
    """The report as plain data (for an error's details; the API documents the same shape). A pair's
    report has no `mode`: none plays a part in it."""
    mode = {} if report.mode is None else {"mode": report.mode.value}
    return {
        "compatible": report.compatible,
        **mode,
        "policy": report.policy.value,
        "checked": [{"producer": pair.producer, "consumer": pair.consumer} for pair in report.checked],
        "incompatibilities": [
            {"producer": finding.producer, "consumer": finding.consumer, **_fields(finding.incompatibility)}
            for finding in report.incompatibilities
        ],
    }


def _fields(item: Incompatibility) -> dict[str, Any]:
    """Its fields, the witness shared rather than deep-copied as `asdict` would: it is JSON data nobody
    changes, and a picture of an environment holds hundreds of findings."""
    return {each.name: getattr(item, each.name) for each in fields(item)}


def containment_matrix(count: int, contained: Callable[[int, int], bool]) -> list[list[bool]]:
    """matrix[i][j] = contained(i, j) for every pair, asking `contained` as little as possible.

    Containment is a preorder, so answers follow from others: i ⊆ k and k ⊆ j give i ⊆ j; and when i ⊄ j,
    any k ⊇ i is not ⊆ j either, and any k ⊆ j does not contain i. Pairs are taken nearest first, so a
    chain of versions that each read the one before costs about 2n questions instead of n²."""
    known: list[list[bool | None]] = [[i == j or None for j in range(count)] for i in range(count)]
    holds_from = [{i} for i in range(count)]  # holds_from[i]: every k with i ⊆ k
    holds_into = [{j} for j in range(count)]  # holds_into[j]: every k with k ⊆ j
    fails_from: list[set[int]] = [set() for _ in range(count)]  # fails_from[i]: every k with i ⊄ k
    fails_into: list[set[int]] = [set() for _ in range(count)]  # fails_into[j]: every k with k ⊄ j
    for distance in range(1, count):
        for i in range(count):
            for j in (i - distance, i + distance):
                if 0 <= j < count and known[i][j] is None:
                    answer = _inferred(i, j, holds_from, holds_into, fails_from, fails_into)
                    known[i][j] = contained(i, j) if answer is None else answer
                    (holds_from if known[i][j] else fails_from)[i].add(j)
                    (holds_into if known[i][j] else fails_into)[j].add(i)
    return [[bool(cell) for cell in row] for row in known]


def _inferred(
    i: int,
    j: int,
    holds_from: list[set[int]],
    holds_into: list[set[int]],
    fails_from: list[set[int]],
    fails_into: list[set[int]],
) -> bool | None:
    if holds_from[i] & holds_into[j]:
        return True  # i ⊆ k ⊆ j
    if holds_into[i] & fails_into[j] or fails_from[i] & holds_from[j]:
        return False  # k ⊆ i with k ⊄ j, or i ⊄ k with j ⊆ k
    return None

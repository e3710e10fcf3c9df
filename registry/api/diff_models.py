"""Response models of the semantic diff (`GET .../diff`, registry.diffs)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from registry.diffs import VersionDiff
from registry.domain.compat.attribution import DIRECTIONS, DiffEntry
from registry.domain.compat.changes import ABSENT
from registry.domain.model import CompatibilityPolicy

Effect = Literal["compatible", "breaking", "unknown"]


class EffectOut(BaseModel):
    new_reads_old: Effect = Field(
        description="can the new version, as a consumer, read every event the old one may produce (BACKWARD)"
    )
    old_reads_new: Effect = Field(
        description="can the old version, as a consumer, read every event the new one may produce (FORWARD)"
    )


class WitnessOut(BaseModel):
    """One event per breaking direction, absent for the others: valid under that direction's producer
    version and invalid under its consumer version, as jsonschema confirmed."""

    new_reads_old: Any = Field(default=None, description="valid under the old version, invalid under the new")
    old_reads_new: Any = Field(default=None, description="valid under the new version, invalid under the old")


class ReasonOut(BaseModel):
    rule: str = Field(description="the checker's rule id (as in a compatibility report)")
    message: str
    proven: bool


class ReasonsOut(BaseModel):
    new_reads_old: list[ReasonOut]
    old_reads_new: list[ReasonOut]


class ChangeOut(BaseModel):
    op: Literal["added", "removed", "changed"]
    path: str = Field(
        description="JSON pointer into the new version's contract as stored (for `removed`, the old one's)"
    )
    before: Any = Field(default=None, description="the old value (absent for `added`)")
    after: Any = Field(default=None, description="the new value (absent for `removed`)")
    summary: str = Field(examples=["property 'currency' became required"])
    effect: EffectOut
    witness: WitnessOut
    reasons: ReasonsOut = Field(description="the checker's findings attributed to this change")


class CompatibleOut(BaseModel):
    backward: bool = Field(description="the new version reads every event of the old one")
    forward: bool = Field(description="the old version reads every event of the new one")


class DiffOut(BaseModel):
    """What changed from version `from` to version `to`, and what each change breaks (README: the semantic
    diff). `compatible` is the checker's verdict on the two versions as wholes."""

    from_: int = Field(alias="from")
    to: int
    policy: CompatibilityPolicy
    changes: list[ChangeOut]
    compatible: CompatibleOut

    model_config = ConfigDict(populate_by_name=True)


def diff_out(found: VersionDiff) -> DiffOut:
    return DiffOut.model_validate(
        {
            "from": found.old,
            "to": found.new,
            "policy": found.policy,
            "changes": [_change(entry) for entry in found.diff.entries],
            "compatible": {"backward": found.diff.backward, "forward": found.diff.forward},
        }
    )


def _change(entry: DiffEntry) -> dict[str, Any]:
    change = entry.change
    values = {
        key: value
        for key, value in (("before", change.before), ("after", change.after))
        if value is not ABSENT
    }
    reasons = {
        direction: [
            {"rule": item.rule, "message": item.message, "proven": item.proven}
            for item in entry.reasons[direction]
        ]
        for direction in DIRECTIONS
    }
    return {
        "op": change.op,
        "path": change.path,
        **values,
        "summary": change.summary,
        "effect": entry.effect,
        "witness": entry.witness,
        "reasons": reasons,
    }

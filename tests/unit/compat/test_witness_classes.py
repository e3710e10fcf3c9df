"""Witnesses for the classes of real evolutions that were answered incompatible without one (SchemaStore's
histories, docs/compat.md "Version histories"): each test is a small hand-made schema of the same shape."""

from __future__ import annotations

from typing import Any

from tests.unit.compat.checking import checked


def _jobs(requirement: dict[str, Any]) -> dict[str, Any]:
    """CircleCI's shape: a list of job names or of one-member maps naming a job, whose value is a job."""
    job = {"type": "object", "properties": {"requires": {"type": "array", "items": requirement}}}
    job_map = {"type": "object", "additionalProperties": {"$ref": "#/definitions/job", "type": "object"}}
    return {
        "definitions": {"job": job},
        "type": "object",
        "properties": {"jobs": {"type": "array", "items": {"oneOf": [{"type": "string"}, job_map]}}},
    }


def test_a_member_of_an_open_map_under_a_union_takes_its_value_from_the_part_that_types_it() -> None:
    # the union's own node (no additionalProperties) and its object branch (additionalProperties: a job) both
    # apply to the map's members: the candidates must come from the branch, where the narrowing is
    status = {"type": "object", "maxProperties": 1, "patternProperties": {"^[a-z]+$": {"enum": ["success"]}}}
    found = checked(_jobs({"oneOf": [{"type": "string"}, status]}), _jobs({"type": "string"}))
    assert [(item.rule, item.proven) for item in found] == [("additional_properties_narrowed", True)]
    (job,) = found[0].witness["jobs"][0].values()
    assert not isinstance(job["requires"][0], str)

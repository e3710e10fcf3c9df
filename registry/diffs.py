"""The semantic diff of two versions of a schema: what changed, and what each change breaks (use case).

The contracts are compared as `registry.domain.compat.diff` says (JSON Schema contracts whole; OpenAPI
contracts from their event roots, following `$ref`s through `components.schemas`, plus the OpenAPI version,
which decides how their schemas read); the compatibility checker is asked both ways, exactly as
`GET .../compatibility` asks it, and its findings are attributed to the changes as
`registry.domain.compat.attribution` says. A breaking effect's witness is the checker's, which it validated
with jsonschema against both versions (as every witness of a compatibility report)."""

from __future__ import annotations

from dataclasses import dataclass

from registry import services
from registry.contracts import SemanticDiffs
from registry.domain.compat import diff_words as words
from registry.domain.compat.attribution import SemanticDiff, attribute
from registry.domain.compat.changes import Change
from registry.domain.compat.diff import structural_diff
from registry.domain.formats import Contract, ContractType
from registry.domain.formats.openapi_spec import SCHEMAS_POINTER
from registry.domain.formats.pointers import escape
from registry.domain.model import CompatibilityPolicy, VersionInfo
from registry.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class VersionDiff:
    old: int
    new: int
    policy: CompatibilityPolicy
    diff: SemanticDiff
    # the two versions as read for the diff: a caller that shows them reads them no second time
    old_version: VersionInfo
    new_version: VersionInfo


def diff_versions(
    uow: UnitOfWork,
    registry: str,
    schema: str,
    *,
    old: int | None,
    new: int | None,
    policy: CompatibilityPolicy | None,
) -> VersionDiff:
    """The changes from version `old` to version `new` (None: the latest), each with its effect on readers
    under `policy` (None: the schema's). Kept per replica by the pair of contents and the policy."""
    old_version = services.get_version(uow, registry, schema, old)
    new_version = services.get_version(uow, registry, schema, new)
    chosen = policy or services.policy_of(uow, old_version)
    before, after = services.contract_of(old_version), services.contract_of(new_version)
    diff = _DIFFS.get(before, after, chosen, lambda: _semantic_diff(uow, old_version, new_version, chosen))
    return VersionDiff(old_version.version, new_version.version, chosen, diff, old_version, new_version)


def _semantic_diff(
    uow: UnitOfWork, old: VersionInfo, new: VersionInfo, policy: CompatibilityPolicy
) -> SemanticDiff:
    """The walk and both checks: what a diff costs the first time its pair of contents is asked for. The
    checks read the contracts' kept prepared documents (`contracts.PreparedDocuments`): each contract is
    prepared once."""
    backward = services.compare_read_versions(uow, old, new, policy=policy)
    forward = services.compare_read_versions(uow, new, old, policy=policy)
    before, after = services.contract_of(old), services.contract_of(new)
    changes = [] if before.fingerprint == after.fingerprint else contract_changes(before, after)
    return attribute(
        changes,
        [finding.incompatibility for finding in backward.incompatibilities],
        [finding.incompatibility for finding in forward.incompatibilities],
    )


_DIFFS = SemanticDiffs()


def contract_changes(before: Contract, after: Contract) -> list[Change]:
    """The structural changes between two contracts of one type, with pointers into them as stored."""
    if before.type is ContractType.JSON_SCHEMA_DRAFT4:
        return structural_diff(before.content, after.content)
    assert before.event_root is not None and after.event_root is not None  # OpenAPI contracts have one
    changes = structural_diff(
        before.content,
        after.content,
        old_root=f"{SCHEMAS_POINTER}/{escape(before.event_root)}",
        new_root=f"{SCHEMAS_POINTER}/{escape(after.event_root)}",
        definitions_by_name=False,
    )
    return _openapi_version(before, after) + changes


def _openapi_version(before: Contract, after: Contract) -> list[Change]:
    was, now = before.content.get("openapi"), after.content.get("openapi")
    if was == now:
        return []
    summary = words.keyword_changed("openapi", (), was, now)
    return [Change("changed", summary, "openapi", "/openapi", "/openapi", "", "", was, now)]

"""Use cases' share of shared types: resolving a registration's references to stored versions, recording
them, and refusing to delete what other versions are built from. Called by services.py, in its units of
work; nothing here is a use case of its own."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from registry.domain import errors
from registry.domain.formats.bundle import Reference, Referenced, VersionKey, resolve_graph
from registry.domain.model import ReferenceInfo, VersionInfo
from registry.storage.references import VersionIds
from registry.storage.unit_of_work import Transaction, UnitOfWork

Readable = Callable[[str], bool]
"""Whether the caller may read a registry (a token may be limited to one): what it may not read, it is
never told about, not even that it exists."""


def every_registry(_registry: str) -> bool:
    return True


def resolve(
    uow: UnitOfWork, references: Sequence[Reference], may_read: Readable
) -> Mapping[VersionKey, Referenced]:
    """Every version the references reach, read in their own transaction before the registration's
    (stored versions never change); one the caller may not read is not found."""
    names = [each.name for each in references]
    with_fragment = next((name for name in names if "#" in name), None)
    if with_fragment is not None:  # `$ref`s are matched by their URI without fragment: it would never match
        raise errors.InvalidReference(
            f"reference name {with_fragment!r} has a fragment: name the document "
            f"({with_fragment.split('#')[0]!r}) and let each `$ref` say where in it",
            details={"name": with_fragment},
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise errors.InvalidReference(
            f"references name {repeated[0]!r} more than once: each name resolves to one version",
            details={"name": repeated[0]},
        )
    with uow.reading() as tx:

        def load(key: VersionKey) -> Referenced:
            found = tx.references.node(key) if may_read(key.registry) else None
            if found is None:
                named = next((each.name for each in references if each.target == key), key.label())
                raise errors.ReferenceNotFound(
                    name=named, registry=key.registry, schema=key.schema, version=key.version
                )
            return found

        return resolve_graph(references, load)


def record(tx: Transaction, version_id: int, references: Sequence[Reference]) -> None:
    """Under the registration's transaction: a target deleted since it was read is not found now, and
    one found stays until the registration commits."""
    targets = []
    for each in references:
        target_id = tx.references.version_id(each.target, hold=True)
        if target_id is None:
            key = each.target
            raise errors.ReferenceNotFound(
                name=each.name, registry=key.registry, schema=key.schema, version=key.version
            )
        targets.append((each.name, target_id))
    tx.references.add(version_id, targets)


def refuse_if_referenced(
    tx: Transaction, what: str, targets: VersionIds, inside: VersionIds | None, may_read: Readable
) -> None:
    """Versions built from `targets` (except those among `inside`, deleted with them) keep them."""
    tx.references.lock(targets)
    found = [info for _, info in tx.references.dependents(targets, outside=inside, limit=101)]
    if found:
        seen = [_reference_data(info) for info in found if may_read(info.registry)]
        raise errors.VersionReferenced(what=what, dependents=seen, hidden=len(found) - len(seen))


def _reference_data(info: ReferenceInfo) -> dict[str, Any]:
    return {"registry": info.registry, "schema": info.schema, "version": info.version, "name": info.name}


def with_references(tx: Transaction, info: VersionInfo) -> VersionInfo:
    if info.bundle is None:  # only versions with references have a bundle
        return info
    return replace(info, references=tx.references.of_version(info.registry, info.schema, info.version))

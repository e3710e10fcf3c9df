"""A registration that references a version and a deletion of that version, at the same moment: one of
them wins, cleanly, on both databases. Either the dependent is stored and the deletion is refused, or the
version is gone and the registration finds no target; never both, never a database error."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine

from registry import services
from registry.domain import errors
from registry.domain.formats.bundle import Reference, VersionKey
from registry.storage.database import make_session_factory
from registry.storage.unit_of_work import UnitOfWork

ROUNDS = 8


def register_dependent(uow: UnitOfWork, version: int, start: threading.Barrier) -> str:
    reference = Reference("money.json", VersionKey("common", "Money", version))
    new = services.NewVersion("JSONSchemaDraft4", {"$ref": "money.json"}, references=(reference,))
    start.wait()
    try:
        services.register_version(uow, "orders", "Order", new, actor="test")
    except errors.ReferenceNotFound:
        return "not found"
    return "registered"


def delete_target(uow: UnitOfWork, version: int, start: threading.Barrier) -> str:
    start.wait()
    try:
        services.delete_version(uow, "common", "Money", version, actor="test")
    except errors.VersionReferenced:
        return "refused"
    return "deleted"


def test_a_referenced_version_is_never_deleted_under_a_registration_naming_it(engine: Engine) -> None:
    uow = UnitOfWork(make_session_factory(engine))
    for registry in ("common", "orders"):
        services.put_registry(uow, registry, services.RegistryChanges(compatibility="NONE"), actor="test")
    for round_ in range(1, ROUNDS + 1):
        money = {"type": "object", "properties": {"amount": {"type": "number", "maximum": round_}}}
        new = services.NewVersion("JSONSchemaDraft4", money)
        version = services.register_version(uow, "common", "Money", new, actor="test")[0].version
        start = threading.Barrier(2)
        with ThreadPoolExecutor(2) as pool:
            registered = pool.submit(register_dependent, uow, version, start)
            deleted = pool.submit(delete_target, uow, version, start)
            outcome = (registered.result(), deleted.result())
        assert outcome in {("registered", "refused"), ("not found", "deleted")}
        kept = [
            each.version
            for each in services.list_versions(uow, "common", "Money", limit=500, cursor=None).items
        ]
        assert (version in kept) == (outcome[0] == "registered")

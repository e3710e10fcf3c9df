"""Use cases of environments: the places of a registry where deployments are recorded (docs/deployments.md).

An environment is created explicitly (so that a first deployment there can be checked before anything is
recorded) or by the first deployment recorded in it, and deleted only when nothing is recorded there: its
records are what can-i-deploy and the DEPLOYED mode judge by. Creating, describing and deleting one are
entries of the audit history (not of a registry's deployment audit: they change nobody's deployments)."""

from __future__ import annotations

from registry.domain import errors
from registry.domain.audit import Action, Change, actor_of, field_changes
from registry.domain.auth import Principal
from registry.domain.deployments import EnvironmentSummary, environment_name
from registry.domain.model import Page
from registry.domain.pagination import decode_text_cursor
from registry.services import _UNSET, _now, _page, _require_registry
from registry.storage.unit_of_work import Transaction, UnitOfWork

SHOWN_DEPLOYMENTS = 100  # the records an `environment_in_use` refusal lists; `details.count` has them all


def put_environment(
    uow: UnitOfWork,
    registry: str,
    environment: str,
    *,
    caller: Principal,
    description: str | None = _UNSET,
) -> tuple[EnvironmentSummary, bool]:
    """Create the environment, or change its description when one is given. Returns (environment,
    created); putting an existing environment without a description changes nothing, so CI may repeat it."""
    environment_name(environment)
    actor = actor_of(caller)
    with uow.writing() as tx:
        registry_row = _require_registry(tx, registry)
        row, created = tx.environments.lock_or_create(registry_row.id, environment, actor=actor, at=_now())
        before = {"description": row.description}
        if description is not _UNSET:
            row.description = description
        tx.session.flush()
        changed = field_changes(before, {"description": row.description})
        if created or changed:
            action = Action.ENVIRONMENT_CREATED if created else Action.ENVIRONMENT_UPDATED
            detail = {"description": row.description} if created else changed
            change = Change(action, registry=registry, environment=environment, detail=detail)
            tx.audit.record(change, actor=actor, registry_id=registry_row.id)
        summary = _summary(tx, registry_row.id, environment)
        tx.commit()
    return summary, created


def delete_environment(uow: UnitOfWork, registry: str, environment: str, *, caller: Principal) -> None:
    """Delete an environment where nothing is recorded; otherwise `environment_in_use` lists the records."""
    environment_name(environment)
    with uow.writing() as tx:
        registry_row = _require_registry(tx, registry)
        # Locked first: a deployment recorded there meanwhile is then seen below, or waits and recreates it.
        row = tx.environments.get(registry_row.id, environment, for_update=True)
        if row is None:
            raise errors.EnvironmentNotFound(registry=registry, environment=environment)
        recorded = [
            participant for _, participant in tx.deployments.in_environment(row.registry_id, row.name)
        ]
        if recorded:
            raise errors.EnvironmentInUse(
                registry=registry,
                environment=environment,
                count=len(recorded),
                deployments=[
                    {"schema": each.schema, **each.as_data()} for each in recorded[:SHOWN_DEPLOYMENTS]
                ],
            )
        tx.environments.delete(row)
        change = Change(Action.ENVIRONMENT_DELETED, registry=registry, environment=environment)
        tx.audit.record(change, actor=actor_of(caller), registry_id=registry_row.id)
        tx.commit()


def list_environments(
    uow: UnitOfWork, registry: str, *, limit: int, cursor: str | None
) -> Page[EnvironmentSummary]:
    """By name; the cursor is the last name of the page."""
    after = decode_text_cursor(cursor)
    with uow.reading() as tx:
        row = _require_registry(tx, registry)
        found = tx.environments.summaries(row.id, after=after, limit=limit + 1)
    return _page(found, limit, lambda each: each.environment)


def _summary(tx: Transaction, registry_id: int, environment: str) -> EnvironmentSummary:
    (found,) = tx.environments.summaries(registry_id, only=environment)
    return found

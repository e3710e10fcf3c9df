"""The audit history: reading it back, and what the use cases that write it share.

Each use case that changes something adds its entry with `tx.audit.record(...)` in its own transaction,
just before it commits, so that a change and its entry are stored together or not at all: a refused
registration, a conflict or a failure leaves no entry. A request that changes nothing (an identical
registration, a PUT repeating the stored values) adds none either, so a CI step repeated on every run does
not flood the history."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from registry.domain import names
from registry.domain.audit import Action, AuditRecord, Change, actions_matching
from registry.domain.model import Page
from registry.domain.pagination import decode_int_cursor, encode_cursor
from registry.storage.models import RegistryRow, SchemaRow
from registry.storage.repositories import SchemaState
from registry.storage.unit_of_work import Transaction, UnitOfWork


def audit_history(
    uow: UnitOfWork,
    *,
    registry: str | None,
    schema: str | None,
    actor: str | None,
    action: str | None,
    limit: int,
    cursor: str | None,
) -> Page[AuditRecord]:
    """Every change matching the filters, newest first. A registry's history outlives the registry: the
    filter is its name, and it need not exist any more. `action`: one action or a kind of them."""
    if registry is not None:
        names.registry_name(registry)
    if schema is not None:
        names.schema_name(schema)
    actions = actions_matching(action) if action is not None else frozenset()
    before = decode_int_cursor(cursor)
    with uow.reading() as tx:
        found = tx.audit.page(
            registry=registry, schema=schema, actor=actor, actions=actions, before=before, limit=limit + 1
        )
    if len(found) <= limit:
        return Page(items=found, next_cursor=None)
    return Page(items=found[:limit], next_cursor=encode_cursor(found[limit - 1].id))


# --- what the writers share -------------------------------------------------------------------------------


def record_registration(tx: Transaction, locked: SchemaState, registered: Change, *, actor: str) -> None:
    """A version's entry; a first version creates its schema, which is an entry of its own (so that a
    filter on either kind finds it)."""
    if locked.last_version == 0:  # no number was ever allocated: the schema was created just now
        created = Change(
            Action.SCHEMA_CREATED,
            registry=registered.registry,
            schema=registered.schema,
            detail={"type": locked.type},
        )
        changes = [created, registered]
    else:
        changes = [registered]
    # nothing in a registration reads the history after this: the entries may go with the COMMIT
    tx.audit.record_all(changes, actor=actor, registry_id=locked.registry_id, at_commit=True)


# --- what the writers compare before and after a change ---------------------------------------------------


def registry_settings(row: RegistryRow) -> dict[str, Any]:
    return {
        "description": row.description,
        "compatibility": _plain(row.compatibility),
        "compatibility_policy": _plain(row.compatibility_policy),
    }


def schema_settings(row: SchemaRow) -> dict[str, Any]:
    """The schema's own settings (None: the registry's apply)."""
    return {
        "description": row.description,
        "compatibility": _plain(row.compatibility),
        "compatibility_policy": _plain(row.compatibility_policy),
    }


def mirror_target(config: dict[str, str] | None) -> dict[str, str] | None:
    """A mirror target as the history shows it: an endpoint URL's user information (which could hold a
    password) is masked."""
    if config is None or "endpoint_url" not in config:
        return config
    parts = urlsplit(config["endpoint_url"])
    if "@" not in parts.netloc:
        return config
    masked = parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2])
    return {**config, "endpoint_url": urlunsplit(masked)}


def _plain(value: str | None) -> str | None:
    """Enum members as their plain values, so that JSON and comparisons see strings."""
    return None if value is None else str(value)

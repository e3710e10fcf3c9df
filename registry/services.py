"""Use cases. Domain values in, domain values out; each runs in one unit of work and commits explicitly."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from registry.domain import errors, names
from registry.domain.auth import Role, TokenInfo, hash_token, new_token_secret
from registry.domain.formats import Contract, EventError, load_contract, parse_contract
from registry.domain.model import (
    CompatibilityMode,
    CompatibilityPolicy,
    Page,
    RegistryInfo,
    SchemaInfo,
    SearchHit,
    VersionInfo,
    VersionSummary,
)
from registry.domain.pagination import decode_int_cursor, decode_text_cursor, encode_cursor
from registry.storage.models import RegistryRow, SchemaRow
from registry.storage.repositories import LockedSchema
from registry.storage.unit_of_work import Transaction, UnitOfWork

_UNSET: Any = object()


def _now() -> datetime:
    return datetime.now(UTC)


def _require_registry(tx: Transaction, registry: str) -> RegistryRow:
    row = tx.registries.get(registry)
    if row is None:
        raise errors.RegistryNotFound(registry=registry)
    return row


def _require_schema(tx: Transaction, registry: str, schema: str, *, for_update: bool = False) -> SchemaRow:
    row = tx.schemas.get(_require_registry(tx, registry).id, schema, for_update=for_update)
    if row is None:
        raise errors.SchemaNotFound(registry=registry, schema=schema)
    return row


def _page(items: list[Any], limit: int, key: Any) -> Page[Any]:
    """Repositories fetch limit + 1 rows; the extra one only says whether another page exists."""
    if len(items) <= limit:
        return Page(items=items, next_cursor=None)
    kept = items[:limit]
    return Page(items=kept, next_cursor=encode_cursor(key(kept[-1])))


# --- registries ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegistryChanges:
    description: str | None = _UNSET
    compatibility: CompatibilityMode = _UNSET
    compatibility_policy: CompatibilityPolicy = _UNSET


def put_registry(uow: UnitOfWork, name: str, changes: RegistryChanges) -> tuple[RegistryInfo, bool]:
    """Create the registry, or update the fields given. Returns (registry, created)."""
    with uow.writing() as tx:
        found = tx.registries.get(name)
        row = found or tx.registries.create(name)
        for field in ("description", "compatibility", "compatibility_policy"):
            value = getattr(changes, field)
            if value is not _UNSET:
                setattr(row, field, value)
        row.updated_at = _now()
        tx.session.flush()
        info = tx.registries.info(row)
        tx.commit()
    return info, found is None


def get_registry(uow: UnitOfWork, name: str) -> RegistryInfo:
    with uow.reading() as tx:
        return tx.registries.info(_require_registry(tx, name))


def list_registries(
    uow: UnitOfWork, *, limit: int, cursor: str | None, only: str | None
) -> Page[RegistryInfo]:
    after = decode_text_cursor(cursor)
    with uow.reading() as tx:
        rows = tx.registries.page(after=after, limit=limit + 1, only=only)
        return _page([tx.registries.info(row) for row in rows], limit, lambda r: r.name)


def delete_registry(uow: UnitOfWork, name: str) -> None:
    with uow.writing() as tx:
        tx.registries.delete(_require_registry(tx, name))
        tx.commit()


# --- schemas ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaChanges:
    description: str | None = _UNSET
    compatibility: CompatibilityMode | None = _UNSET
    compatibility_policy: CompatibilityPolicy | None = _UNSET


def list_schemas(
    uow: UnitOfWork, registry: str, *, prefix: str | None, limit: int, cursor: str | None
) -> Page[SchemaInfo]:
    after = decode_text_cursor(cursor)
    with uow.reading() as tx:
        found = tx.schemas.page(_require_registry(tx, registry), prefix=prefix, after=after, limit=limit + 1)
        return _page(found, limit, lambda s: s.name)


def get_schema(uow: UnitOfWork, registry: str, schema: str) -> SchemaInfo:
    with uow.reading() as tx:
        return tx.schemas.info(_require_schema(tx, registry, schema))


def update_schema(uow: UnitOfWork, registry: str, schema: str, changes: SchemaChanges) -> SchemaInfo:
    with uow.writing() as tx:
        row = _require_schema(tx, registry, schema, for_update=True)
        for field in ("description", "compatibility", "compatibility_policy"):
            value = getattr(changes, field)
            if value is not _UNSET:
                setattr(row, field, value)
        row.updated_at = _now()
        tx.session.flush()
        info = tx.schemas.info(row)
        tx.commit()
    return info


def delete_schema(uow: UnitOfWork, registry: str, schema: str) -> None:
    with uow.writing() as tx:
        tx.schemas.delete(_require_schema(tx, registry, schema, for_update=True))
        tx.commit()


# --- versions --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewVersion:
    type: str
    content: Any
    description: str | None = None
    event_root: str | None = None


def register_version(
    uow: UnitOfWork, registry: str, schema: str, new: NewVersion
) -> tuple[VersionInfo, bool]:
    """Store a new version, numbered after the highest ever allocated. Identical content returns the
    existing version instead (created = False). Validation happens before the transaction opens."""
    contract = parse_contract(new.type, new.content, event_root=new.event_root)
    with uow.writing() as tx:
        locked = _lock_or_create_schema(tx, registry, schema, contract)
        added = tx.versions.append(
            locked,
            canonical=contract.canonical,
            fingerprint=contract.fingerprint,
            event_root=contract.event_root,
            description=new.description,
        )
        if added is None:
            existing = tx.versions.find_content(registry, schema, contract.fingerprint)
            assert existing is not None, "the unique index found this content under the same lock"
            return existing, False
        tx.commit()
    number, created_at = added
    info = VersionInfo(
        registry=registry,
        schema=schema,
        version=number,
        type=locked.type,
        canonical_content=contract.canonical,
        fingerprint=contract.fingerprint,
        event_root=contract.event_root,
        description=new.description,
        created_at=created_at,
    )
    return info, True


def _lock_or_create_schema(tx: Transaction, registry: str, schema: str, contract: Contract) -> LockedSchema:
    """The schema, locked for this transaction (created with it if it is new)."""
    locked = tx.schemas.locked(registry, schema)
    if locked is None:
        registry_id = _require_registry(tx, registry).id
        # A concurrent first registration may win the insert: then wait for its lock like any other writer.
        locked = tx.schemas.create_if_absent(registry_id, schema, contract.type) or tx.schemas.locked(
            registry, schema
        )
        assert locked is not None, "a schema whose insert conflicted must exist"
    if locked.type != contract.type:
        raise errors.SchemaTypeMismatch(schema=schema, existing=locked.type, given=contract.type)
    return locked


def get_version(uow: UnitOfWork, registry: str, schema: str, version: int | None) -> VersionInfo:
    with uow.reading() as tx:
        found = tx.versions.find(registry, schema, version)
        if found is None:
            _require_schema(tx, registry, schema)  # says which of registry or schema is missing
            raise errors.VersionNotFound(registry=registry, schema=schema, version=version or "latest")
        return found


def list_versions(
    uow: UnitOfWork, registry: str, schema: str, *, limit: int, cursor: str | None
) -> Page[VersionSummary]:
    after = decode_int_cursor(cursor)
    with uow.reading() as tx:
        row = _require_schema(tx, registry, schema)
        return _page(tx.versions.page(row.id, after=after, limit=limit + 1), limit, lambda v: v.version)


def delete_version(uow: UnitOfWork, registry: str, schema: str, version: int | None) -> None:
    with uow.writing() as tx:
        row = _require_schema(tx, registry, schema, for_update=True)
        found = tx.versions.get(row.id, version)
        if found is None:
            raise errors.VersionNotFound(registry=registry, schema=schema, version=version or "latest")
        tx.versions.delete(found)
        tx.commit()


def validate_event(
    uow: UnitOfWork, registry: str, schema: str, version: int | None, event: Any, *, check_formats: bool
) -> tuple[VersionInfo, list[EventError]]:
    info = get_version(uow, registry, schema, version)
    contract = _compiled_contract(info.type, info.fingerprint, info.event_root, info.canonical_content)
    return info, contract.validate_event(event, check_formats=check_formats)


@lru_cache(maxsize=256)
def _compiled_contract(type_: str, fingerprint: str, event_root: str | None, canonical: str) -> Contract:
    """Content is immutable under its fingerprint, so a replica may keep compiled validators forever."""
    return load_contract(type_, canonical, event_root)


# --- search ----------------------------------------------------------------------------------------------


def search(
    uow: UnitOfWork, query: str, *, registry: str | None, only: str | None, limit: int, cursor: str | None
) -> Page[SearchHit]:
    """Schemas whose name, description or any version's content holds every whitespace-separated term."""
    terms = query.split()[:8]
    after = decode_text_cursor(cursor)
    after_key = tuple(after.split("\n", 1)) if after is not None and "\n" in after else None
    if after is not None and after_key is None:
        raise errors.InvalidCursor()
    with uow.reading() as tx:
        hits = tx.schemas.search(terms, registry=registry, only=only, after=after_key, limit=limit + 1)  # type: ignore[arg-type]
        return _page(hits, limit, lambda h: f"{h.registry}\n{h.schema}")


# --- tokens ----------------------------------------------------------------------------------------------


def create_token(
    uow: UnitOfWork, role: Role, *, registry: str | None, description: str | None = None
) -> tuple[TokenInfo, str]:
    """Returns the token's record and its secret, which is shown once and stored only as a hash."""
    if registry is not None:
        names.registry_name(registry)
    secret = new_token_secret()
    with uow.writing() as tx:
        row = tx.tokens.create(
            public_id=secrets.token_hex(8),
            token_hash=hash_token(secret),
            role=role,
            registry=registry,
            description=description,
        )
        tx.session.flush()
        info = tx.tokens.info(row)
        tx.commit()
    return info, secret


def revoke_token(uow: UnitOfWork, token_id: str) -> TokenInfo:
    with uow.writing() as tx:
        row = tx.tokens.get(token_id)
        if row is None:
            raise errors.TokenNotFound(token_id=token_id)
        row.revoked_at = row.revoked_at or _now()
        tx.session.flush()
        info = tx.tokens.info(row)
        tx.commit()
    return info


def list_tokens(uow: UnitOfWork) -> list[TokenInfo]:
    with uow.reading() as tx:
        return tx.tokens.all()

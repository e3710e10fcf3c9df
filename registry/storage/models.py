"""Typed SQLAlchemy models. Alembic migrations in migrations/ must agree with these (a test checks)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


Id = Annotated[int, mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)]
Timestamp = Annotated[datetime, mapped_column(DateTime(timezone=True), default=utcnow)]
Description = Annotated[str | None, mapped_column(String(256))]
Tags = Annotated[dict[str, str], mapped_column(JSON, default=dict)]  # EventBridge-style resource tags


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class RegistryRow(Base):
    __tablename__ = "registries"

    id: Mapped[Id]
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[Description]
    compatibility: Mapped[str] = mapped_column(String(32))
    compatibility_policy: Mapped[str] = mapped_column(String(16))
    tags: Mapped[Tags]
    # {"region", "registry_name", "endpoint_url"?}: where new versions are mirrored to; None: nowhere
    mirror: Mapped[dict[str, str] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]


class SchemaRow(Base):
    __tablename__ = "schemas"
    __table_args__ = (
        UniqueConstraint("registry_id", "name", name="uq_schemas_registry_id_name"),
        Index("ix_schemas_registry_id_package_name", "registry_id", "package_name", unique=True),
        Index("ix_schemas_package_name", "package_name"),  # the lookups of the service-wide index
    )

    id: Mapped[Id]
    registry_id: Mapped[int] = mapped_column(ForeignKey("registries.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(385))
    type: Mapped[str] = mapped_column(String(32))
    description: Mapped[Description]
    compatibility: Mapped[str | None] = mapped_column(String(32))
    compatibility_policy: Mapped[str | None] = mapped_column(String(16))
    # Highest number ever allocated. Numbers are never reused after a delete, so a cached
    # immutable version can never be replaced by different content under the same number.
    last_version: Mapped[int] = mapped_column(Integer, default=0)
    # The Python distribution of its bindings (PEP 503-normalised), unique within the registry so that its
    # package index can never offer two schemas under one name. Registries are separate namespaces: a
    # writer of one registry never finds a name taken by another.
    package_name: Mapped[str] = mapped_column(String(100))
    tags: Mapped[Tags]
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]

    parent: Mapped[RegistryRow] = relationship(lazy="joined", innerjoin=True)


class VersionRow(Base):
    __tablename__ = "schema_versions"
    __table_args__ = (
        UniqueConstraint("schema_id", "version", name="uq_schema_versions_schema_id_version"),
        UniqueConstraint("schema_id", "fingerprint", name="uq_schema_versions_schema_id_fingerprint"),
    )

    id: Mapped[Id]
    schema_id: Mapped[int] = mapped_column(ForeignKey("schemas.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)  # canonical JSON
    fingerprint: Mapped[str] = mapped_column(String(64))
    event_root: Mapped[str | None] = mapped_column(String(256))
    description: Mapped[Description]
    created_at: Mapped[Timestamp]
    # who registered it: a token's public id, or "anonymous"; None for versions registered before 0008
    created_by: Mapped[str | None] = mapped_column(String(64))
    # The contract with its references inlined (canonical JSON), what every check reads; None: the version
    # has no references and `content` is its contract. Immutable: referenced versions cannot be deleted.
    bundle: Mapped[str | None] = mapped_column(Text)


class SearchDocumentRow(Base):
    """What search looks in for one schema (registry.domain.search), folded: its name, its description, and
    `document`, those two and the contracts' keywords one a line. The index over `document` is per
    database and outside these models: a GIN trigram index (pg_trgm) on PostgreSQL, the FTS5 table
    `search_documents_fts` (trigram tokenizer) on SQLite; migration 0010 creates both. On SQLite the
    documents changed since the index took them are listed in `search_fts_pending` (by triggers) and moved
    into it in batches (migration 0013).
    On PostgreSQL the names have a trigram index too (in `search_names`, migration 0012, which a trigger
    keeps): the best-ranked tier is read first.
    The registry's and the schema's names (never renamed) order the hits without a join per candidate."""

    __tablename__ = "search_documents"

    schema_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("schemas.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    registry_name: Mapped[str] = mapped_column(String(64))
    schema_name: Mapped[str] = mapped_column(String(385))
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    document: Mapped[str] = mapped_column(Text)


class ReferenceRow(Base):
    """A version's `$ref`s named `name` resolve to the version `target_id`."""

    __tablename__ = "schema_version_references"
    __table_args__ = (
        UniqueConstraint("version_id", "name", name="uq_schema_version_references_version_id_name"),
        Index("ix_schema_version_references_target_id", "target_id"),
    )

    id: Mapped[Id]
    version_id: Mapped[int] = mapped_column(ForeignKey("schema_versions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # order as registered
    name: Mapped[str] = mapped_column(String(2048))
    # No cascade: a referenced version is not deleted (the service refuses, this constraint insists).
    # Checked at commit, so that deleting a schema or registry together with its dependents passes.
    target_id: Mapped[int] = mapped_column(
        ForeignKey("schema_versions.id", deferrable=True, initially="DEFERRED")
    )


class TokenRow(Base):
    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_token_hash", "token_hash", unique=True),)

    id: Mapped[Id]
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    registry_name: Mapped[str | None] = mapped_column(String(64))  # None: every registry
    description: Mapped[Description]
    # AWS-style credentials for SigV4 (`registry token create --aws`): verifying a signature needs the
    # secret itself, so unlike the bearer secret it is stored retrievable: `fernet:...` (encrypted under
    # REGISTRY_SECRET_KEY, registry.domain.secret_box) or, with no key set, as issued.
    aws_access_key_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    aws_secret_access_key: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[Timestamp]
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GeneratedCodeRow(Base):
    """The models module generated for a contract: content-addressed, shared by every schema holding it.

    `status` is `pending` while one replica generates (others wait for it), then `ready` or `failed`;
    `updated_at` dates the claim or the outcome, so a stale claim can be taken over; `attempt` counts
    claims, and taking one over is a compare-and-set on it."""

    __tablename__ = "generated_code"
    __table_args__ = (
        UniqueConstraint(
            "fingerprint", "event_root", "generator_version", name="uq_generated_code_fingerprint"
        ),
    )

    id: Mapped[Id]
    fingerprint: Mapped[str] = mapped_column(String(64))
    event_root: Mapped[str] = mapped_column(String(256))  # "" for JSON Schema contracts
    generator_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    module: Mapped[str | None] = mapped_column(Text)
    root_class: Mapped[str | None] = mapped_column(String(128))
    detail_class: Mapped[str | None] = mapped_column(String(128))
    is_envelope: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[Timestamp]


class PackageFileRow(Base):
    """A built wheel or zip of one version, stored so that every replica serves the same bytes."""

    __tablename__ = "package_files"
    __table_args__ = (
        UniqueConstraint("version_id", "generator_version", "kind", name="uq_package_files_version_id"),
    )

    id: Mapped[Id]
    version_id: Mapped[int] = mapped_column(ForeignKey("schema_versions.id", ondelete="CASCADE"))
    generator_version: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))  # wheel | zip
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[Timestamp]


class MirrorOutboxRow(Base):
    """A version to deliver to a registry's mirror, written in the transaction that stored the version.

    `status`: `pending` until delivered, `mirrored` (with `remote_version`), or `failed` (the last attempt
    failed: `last_error`, retried at `next_attempt_at`). A worker leases a row (`lease_until`) while it
    delivers; versions of one schema are delivered in order of `id`."""

    __tablename__ = "mirror_outbox"
    __table_args__ = (
        Index("ix_mirror_outbox_status", "status", "next_attempt_at"),
        Index("ix_mirror_outbox_registry_id", "registry_id", "schema_name", "version"),
        Index("ix_mirror_outbox_version_id", "version_id"),
    )

    id: Mapped[Id]
    registry_id: Mapped[int] = mapped_column(ForeignKey("registries.id", ondelete="CASCADE"))
    # the version may be deleted before it is delivered; the row keeps what it needs
    version_id: Mapped[int | None] = mapped_column(ForeignKey("schema_versions.id", ondelete="SET NULL"))
    schema_name: Mapped[str] = mapped_column(String(385))
    version: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(32))
    content: Mapped[str] = mapped_column(Text)
    description: Mapped[Description]
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[Timestamp]
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    remote_version: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]


class EnvironmentRow(Base):
    """A place services are deployed to, in one registry: created explicitly or by the first deployment
    recorded there, deleted only once nothing is recorded there (`participants.environment` names it)."""

    __tablename__ = "environments"
    __table_args__ = (UniqueConstraint("registry_id", "name", name="uq_environments_registry_id"),)

    id: Mapped[Id]
    registry_id: Mapped[int] = mapped_column(ForeignKey("registries.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[Description]
    created_at: Mapped[Timestamp]
    created_by: Mapped[str] = mapped_column(String(64))  # a token's public id, or "anonymous"


class ParticipantRow(Base):
    """A service recorded as producing or consuming one version of a schema in one environment (one row per
    schema, service, role and environment: recording another version moves it). `registry_id` repeats the
    schema's registry so that an environment's picture and its existence are one indexed lookup."""

    __tablename__ = "participants"
    __table_args__ = (
        UniqueConstraint(
            "schema_id", "service", "role", "environment", name="uq_participants_schema_id_service"
        ),
        Index("ix_participants_schema_id_environment", "schema_id", "environment"),
        Index("ix_participants_registry_id_environment", "registry_id", "environment"),
    )

    id: Mapped[Id]
    registry_id: Mapped[int] = mapped_column(ForeignKey("registries.id", ondelete="CASCADE"))
    schema_id: Mapped[int] = mapped_column(ForeignKey("schemas.id", ondelete="CASCADE"))
    service: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # producer | consumer
    environment: Mapped[str] = mapped_column(String(64))
    # a number, not a reference: deleting a recorded version is refused (services.delete_version)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[Timestamp]
    updated_by: Mapped[str] = mapped_column(String(64))  # a token's public id, or "anonymous"


class AuditRow(Base):
    """One change in the audit history (registry.domain.audit). Names rather than references, so that an
    entry outlives what it is about; `registry_id` ties an entry to the registry it was made in while that
    registry exists (its deployment audit lists by it), and is cleared when the registry is deleted, so
    that a registry created again under the same name starts with a history of its own there."""

    __tablename__ = "audit_history"
    __table_args__ = (
        Index("ix_audit_history_registry_id", "registry_id", "id"),
        Index("ix_audit_history_registry_name", "registry_name", "schema_name", "id"),
        Index("ix_audit_history_actor", "actor", "id"),
    )

    id: Mapped[Id]
    at: Mapped[Timestamp]
    actor: Mapped[str] = mapped_column(String(64))  # a token's public id, "anonymous", or "cli:<user>"
    action: Mapped[str] = mapped_column(String(32))  # e.g. version.registered
    registry_id: Mapped[int | None] = mapped_column(ForeignKey("registries.id", ondelete="SET NULL"))
    registry_name: Mapped[str | None] = mapped_column(String(64))
    schema_name: Mapped[str | None] = mapped_column(String(385))
    version: Mapped[int | None] = mapped_column(Integer)
    environment: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(64))  # a deployment's service, a token's public id
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

"""Use cases. Domain values in, domain values out; each runs in one unit of work and commits explicitly."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from codegen.names import distribution_name
from registry import references
from registry.audit import mirror_target, record_registration, registry_settings, schema_settings
from registry.contracts import (
    MAX_VERDICTS,
    CompiledContracts,
    Kept,
    PairKey,
    Verdicts,
    pair_key,
)
from registry.domain import errors
from registry.domain.audit import Action, Change, field_changes
from registry.domain.compat import Incompatibility
from registry.domain.deployments import blocking, deployed_pairs
from registry.domain.formats import Contract, EventError, parse_contract
from registry.domain.formats.bundle import Reference
from registry.domain.mirror import PENDING, MirrorState, MirrorTarget
from registry.domain.model import (
    CompatibilityMode,
    CompatibilityPolicy,
    Page,
    ReferenceInfo,
    RegistryInfo,
    SchemaInfo,
    SearchHit,
    VersionInfo,
    VersionSummary,
)
from registry.domain.modes import (
    NEW,
    CompatibilityReport,
    Finding,
    Pair,
    VersionLabel,
    containment_matrix,
    is_transitive,
    pairs_for,
    report_data,
)
from registry.domain.pagination import decode_int_cursor, decode_text_cursor, encode_cursor
from registry.domain.search import RankedHit, query_terms, search_after
from registry.observability.measured import counted_registration, counted_validation, timed_check
from registry.observability.tracing import traced
from registry.references import Readable
from registry.storage.models import RegistryRow, SchemaRow
from registry.storage.references import versions_of_registry, versions_of_schema, versions_of_version
from registry.storage.repositories import SchemaState, StoredContract
from registry.storage.unit_of_work import Transaction, UnitOfWork

_UNSET: Any = object()

_every_registry = references.every_registry


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


def schema_rules(tx: Transaction, registry: str, schema: str) -> SchemaState:
    """The schema's rules and latest versions; 404 naming whichever of registry or schema is missing."""
    rules = tx.schemas.state(registry, schema)
    if rules is None:
        _require_schema(tx, registry, schema)
    assert rules is not None, "_require_schema raised"
    return rules


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
    mirror: dict[str, Any] | None = _UNSET  # None: stop mirroring


def put_registry(
    uow: UnitOfWork, name: str, changes: RegistryChanges, *, actor: str
) -> tuple[RegistryInfo, bool]:
    """Create the registry, or update the fields given. Returns (registry, created)."""
    with uow.writing() as tx:
        found = tx.registries.get(name)
        row = found or tx.registries.create(name)
        before = registry_settings(row) if found is not None else {}
        for field in ("description", "compatibility", "compatibility_policy"):
            value = getattr(changes, field)
            if value is not _UNSET:
                setattr(row, field, value)
        row.updated_at = _now()
        tx.session.flush()
        after = registry_settings(row)
        if found is None:
            change = Change(Action.REGISTRY_CREATED, registry=name, detail=after)
        else:
            change = Change(Action.REGISTRY_UPDATED, registry=name, detail=field_changes(before, after))
        if found is None or change.detail:  # a PUT repeating the stored settings is no change
            tx.audit.record(change, actor=actor, registry_id=row.id)
        if changes.mirror is not _UNSET:
            _retarget_mirror(tx, row, changes.mirror, actor)
        info = tx.registries.info(row)
        tx.commit()
    return info, found is None


def _retarget_mirror(tx: Transaction, row: RegistryRow, config: dict[str, Any] | None, actor: str) -> None:
    """A new target gets every version, in order; no target drops what was not delivered."""
    target = None if config is None else MirrorTarget.from_config(config).as_config()
    if target == row.mirror:
        return
    detail = {"from": mirror_target(row.mirror), "to": mirror_target(target)}
    change = Change(Action.MIRROR_CHANGED, registry=row.name, detail=detail)
    tx.audit.record(change, actor=actor, registry_id=row.id)
    row.mirror = target
    tx.session.flush()
    if target is None:
        tx.mirror.stop(row.id)
    else:
        tx.mirror.restart(row.id)


@dataclass(frozen=True)
class MirrorStatus:
    target: dict[str, str] | None
    counts: dict[str, int]
    items: Page[tuple[str, int, MirrorState]]  # (schema, version, state), in delivery order


def mirror_status(uow: UnitOfWork, registry: str, *, limit: int, cursor: str | None) -> MirrorStatus:
    after = decode_int_cursor(cursor)
    with uow.reading() as tx:
        row = _require_registry(tx, registry)
        found = tx.mirror.states(row.id, after=after, limit=limit + 1)
        page = _page(found, limit, lambda item: item[0])
        items = Page([(schema, version, state) for _, schema, version, state in page.items], page.next_cursor)
        return MirrorStatus(row.mirror, tx.mirror.counts(row.id), items)


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


def delete_registry(uow: UnitOfWork, name: str, *, actor: str, may_read: Readable = _every_registry) -> None:
    """The registry's history stays (under its name), with this deletion as its last entry."""
    with uow.writing() as tx:
        row = _require_registry(tx, name)
        inside = versions_of_registry(row.id)
        references.refuse_if_referenced(tx, f"registry {name!r}", inside, inside, may_read)
        tx.registries.delete(row)
        tx.audit.record(Change(Action.REGISTRY_DELETED, registry=name), actor=actor)
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


def update_schema(
    uow: UnitOfWork, registry: str, schema: str, changes: SchemaChanges, *, actor: str
) -> SchemaInfo:
    with uow.writing() as tx:
        row = _require_schema(tx, registry, schema, for_update=True)
        before = schema_settings(row)
        for field in ("description", "compatibility", "compatibility_policy"):
            value = getattr(changes, field)
            if value is not _UNSET:
                setattr(row, field, value)
        row.updated_at = _now()
        tx.session.flush()
        if changes.description is not _UNSET:
            tx.search.describe(row.id)
        if changed := field_changes(before, schema_settings(row)):
            change = Change(Action.SCHEMA_UPDATED, registry=registry, schema=schema, detail=changed)
            tx.audit.record(change, actor=actor, registry_id=row.registry_id)
        info = tx.schemas.info(row)
        tx.commit()
    return info


def delete_schema(
    uow: UnitOfWork, registry: str, schema: str, *, actor: str, may_read: Readable = _every_registry
) -> None:
    with uow.writing() as tx:
        row = _require_schema(tx, registry, schema, for_update=True)
        inside = versions_of_schema(row.id)
        references.refuse_if_referenced(
            tx, f"schema {schema!r} of registry {registry!r}", inside, inside, may_read
        )
        tx.schemas.delete(row)
        change = Change(Action.SCHEMA_DELETED, registry=registry, schema=schema, detail={"type": row.type})
        tx.audit.record(change, actor=actor, registry_id=row.registry_id)
        tx.commit()


# --- versions --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewVersion:
    type: str
    content: Any
    description: str | None = None
    event_root: str | None = None
    # `$ref`s to a reference's name resolve to the stored version it names (docs: "Shared types")
    references: tuple[Reference, ...] = ()


def _parse(uow: UnitOfWork, new: NewVersion, may_read: Readable) -> Contract:
    """The contract, resolved through its references: they are read in their own transaction, before
    the registration's (stored versions never change, and a referenced one cannot be deleted)."""
    if not new.references:
        return parse_contract(new.type, new.content, event_root=new.event_root)
    graph = references.resolve(uow, new.references, may_read)
    return parse_contract(
        new.type, new.content, event_root=new.event_root, references=new.references, graph=graph
    )


@counted_registration
def register_version(
    uow: UnitOfWork,
    registry: str,
    schema: str,
    new: NewVersion,
    *,
    actor: str,
    may_read: Readable = _every_registry,
) -> tuple[VersionInfo, bool]:
    """Store a new version, numbered after the highest ever allocated. Identical content returns the
    existing version instead (created = False). Validation happens before the transaction opens."""
    contract = _parse(uow, new, may_read)
    with uow.writing() as tx:
        locked = _lock_or_create_schema(tx, registry, schema, contract)
        if locked.last_version and locked.mode is not CompatibilityMode.NONE:
            # Same content is the same version, whatever the mode: answer that before judging it.
            same, stored = tx.versions.before(
                locked.id, contract.fingerprint, every=is_transitive(locked.mode)
            )
            if same is not None:
                return _existing(tx, registry, schema, same), False
            report = _candidate_report(tx, locked, contract, stored)
            if not report.compatible:
                raise errors.IncompatibleVersion(
                    schema=schema, report=report_data(report), deployments=_blocking(tx, locked, report)
                )
        written = contract.written or contract.canonical
        bundle = contract.canonical if contract.written is not None else None
        added = tx.versions.append(
            locked,
            canonical=written,
            fingerprint=contract.fingerprint,
            event_root=contract.event_root,
            description=new.description,
            bundle=bundle,
            created_by=actor,
        )
        if added is None:
            same, _ = tx.versions.before(locked.id, contract.fingerprint, every=False)
            assert same is not None, "the unique index found this content under the same lock"
            return _existing(tx, registry, schema, same), False
        version_id, number, created_at = added
        # the index follows in the same transaction
        if locked.last_version == 0:  # no number was ever allocated: the schema was created just now
            tx.search.add_first_contract(locked.id, registry, schema, contract.content)
        else:
            tx.search.add_contract(locked.id, contract.content)
        if new.references:
            references.record(tx, version_id, new.references)
        # small: the version itself lists its references
        detail = {"fingerprint": contract.fingerprint, "references": len(new.references)}
        registered = Change(Action.VERSION_REGISTERED, registry, schema, number, detail=detail)
        record_registration(tx, locked, registered, actor=actor)
        if locked.mirrored:  # in the same transaction: a stored version is never left undelivered
            tx.mirror.enqueue(
                locked.registry_id,
                version_id,
                schema=schema,
                version=number,
                type_=locked.type,
                content=contract.canonical,
                description=new.description,
            )
        tx.commit()
    if contract.written is None:
        _CONTRACTS.keep(contract)
    info = VersionInfo(
        registry=registry,
        schema=schema,
        version=number,
        type=locked.type,
        canonical_content=written,
        fingerprint=contract.fingerprint,
        event_root=contract.event_root,
        description=new.description,
        created_at=created_at,
        created_by=actor,
        mirror=MirrorState(PENDING, None, 0, None, created_at, created_at) if locked.mirrored else None,
        bundle=bundle,
        references=tuple(
            ReferenceInfo(each.name, each.target.registry, each.target.schema, each.target.version)
            for each in new.references
        ),
    )
    return info, True


def _existing(tx: Transaction, registry: str, schema: str, number: int) -> VersionInfo:
    found = tx.versions.find(registry, schema, number)
    assert found is not None, "read under the schema's lock"
    return references.with_references(tx, found)


def _lock_or_create_schema(tx: Transaction, registry: str, schema: str, contract: Contract) -> SchemaState:
    """The schema, locked for this transaction (created with it if it is new)."""
    locked = tx.schemas.state(registry, schema, lock=True)
    if locked is None:
        rules = tx.registries.rules(registry)
        if rules is None:
            raise errors.RegistryNotFound(registry=registry)
        package = distribution_name(registry, schema)
        # A concurrent first registration may win the insert: then wait for its lock like any other writer.
        locked = tx.schemas.create_if_absent(rules, schema, contract.type, package) or tx.schemas.state(
            registry, schema, lock=True
        )
        if locked is None:  # the insert conflicted on the package name: another schema of this registry
            # holds it (the name is unique per registry only, so the holder is one the writer may read)
            holders = tx.schemas.holders_of_package(package, registry)
            raise errors.PackageNameTaken(
                registry=registry, schema=schema, package=package, holder=holders[0][1] if holders else None
            )
    if locked.type != contract.type:
        raise errors.SchemaTypeMismatch(schema=schema, existing=locked.type, given=contract.type)
    return locked


def get_version(uow: UnitOfWork, registry: str, schema: str, version: int | None) -> VersionInfo:
    with uow.reading() as tx:
        found = tx.versions.find(registry, schema, version)
        if found is None:
            _require_schema(tx, registry, schema)  # says which of registry or schema is missing
            raise errors.VersionNotFound(registry=registry, schema=schema, version=version or "latest")
        return references.with_references(tx, found)


def referenced_by(
    uow: UnitOfWork,
    registry: str,
    schema: str,
    version: int | None,
    *,
    may_read: Readable = _every_registry,
    limit: int,
    cursor: str | None,
) -> Page[ReferenceInfo]:
    """The versions whose references name this one directly (each with the name it uses), those the
    caller may read, in the order they were registered."""
    after = decode_int_cursor(cursor)
    with uow.reading() as tx:
        row = _require_schema(tx, registry, schema)
        found = tx.versions.get(row.id, version)
        if found is None:
            raise errors.VersionNotFound(registry=registry, schema=schema, version=version or "latest")
        items: list[tuple[int, ReferenceInfo]] = []
        while True:  # a page is filled with what the caller may read; the rest is skipped unseen
            batch = tx.references.dependents(versions_of_version(found.id), after=after, limit=limit + 1)
            items += [each for each in batch if may_read(each[1].registry)]
            if len(items) > limit or len(batch) <= limit:
                break
            after = batch[-1][0]
        page = _page(items[: limit + 1], limit, lambda item: item[0])
        return Page([info for _, info in page.items], page.next_cursor)


def list_versions(
    uow: UnitOfWork, registry: str, schema: str, *, limit: int, cursor: str | None
) -> Page[VersionSummary]:
    after = decode_int_cursor(cursor)
    with uow.reading() as tx:
        row = _require_schema(tx, registry, schema)
        return _page(tx.versions.page(row.id, after=after, limit=limit + 1), limit, lambda v: v.version)


def delete_version(
    uow: UnitOfWork,
    registry: str,
    schema: str,
    version: int | None,
    *,
    actor: str,
    may_read: Readable = _every_registry,
) -> None:
    with uow.writing() as tx:
        row = _require_schema(tx, registry, schema, for_update=True)
        found = tx.versions.get(row.id, version)
        if found is None:
            raise errors.VersionNotFound(registry=registry, schema=schema, version=version or "latest")
        what = f"version {found.version} of schema {schema!r} in registry {registry!r}"
        references.refuse_if_referenced(tx, what, versions_of_version(found.id), None, may_read)
        # Services run it: their checks (can-i-deploy, DEPLOYED) compare against it, so it stays while
        # recorded. The schema's lock keeps a deployment from being recorded meanwhile.
        running = tx.deployments.of_schema(row.id, version=found.version)
        if running:
            raise errors.VersionInUse(
                registry=registry,
                schema=schema,
                version=found.version,
                deployments=[each.as_data() for each in running],
            )
        tx.versions.delete(found)
        tx.search.rebuild(row.id)
        detail = {"fingerprint": found.fingerprint}
        change = Change(Action.VERSION_DELETED, registry, schema, found.version, detail=detail)
        tx.audit.record(change, actor=actor, registry_id=row.registry_id)
        tx.commit()


def _validation_attributes(result: tuple[VersionInfo, list[EventError]]) -> dict[str, Any]:
    info, problems = result
    return {
        "registry.registry": info.registry,
        "registry.schema": info.schema,
        "registry.version": info.version,
        "registry.valid": not problems,
    }


@counted_validation
@traced("registry.validate_event", _validation_attributes)
def validate_event(
    uow: UnitOfWork,
    registry: str,
    schema: str,
    version: int | None,
    event: Any,
    *,
    check_formats: bool,
    check_identity: bool = True,
) -> tuple[VersionInfo, list[EventError]]:
    info = get_version(uow, registry, schema, version)
    contract = contract_of(info)
    return info, contract.validate_event(event, check_formats=check_formats, check_identity=check_identity)


_CONTRACTS = CompiledContracts()


def _compiled_contract(type_: str, fingerprint: str, event_root: str | None, canonical: str) -> Contract:
    """Content is immutable under its fingerprint, so a replica keeps compiled validators (bounded)."""
    return _CONTRACTS.get(type_, fingerprint, event_root, canonical)


def loaded_contract(type_: str, fingerprint: str, event_root: str | None) -> Contract | None:
    """A stored contract already compiled in this replica, by content; None rather than a load."""
    return _CONTRACTS.loaded(type_, fingerprint, event_root)


# --- compatibility ---------------------------------------------------------------------------------------


def _candidate_report(
    tx: Transaction, locked: SchemaState, candidate: Contract, stored: list[StoredContract] | None = None
) -> CompatibilityReport:
    """Check a candidate against the schema's stored versions, as its mode asks (DEPLOYED: against the
    versions recorded as deployed, wherever and by whomever). `stored`: those versions, when already read."""
    if locked.mode is CompatibilityMode.DEPLOYED:
        return _deployed_report(tx, locked, candidate)
    if stored is None:
        stored = tx.versions.contracts(locked.id, latest_only=not is_transitive(locked.mode))
    contracts: dict[VersionLabel, Contract] = {NEW: candidate}
    for version in stored:
        contracts[version.version] = _compiled_contract(
            locked.type, version.fingerprint, version.event_root, version.canonical
        )
    pairs = pairs_for(locked.mode, [version.version for version in stored])
    return _report(locked.mode, locked.policy, pairs, contracts)


def _deployed_report(tx: Transaction, locked: SchemaState, candidate: Contract) -> CompatibilityReport:
    """DEPLOYED: every recorded consumer version must read the candidate, and the candidate every recorded
    producer version. Nothing recorded, nothing to break."""
    pairs = deployed_pairs(tx.deployments.of_schema(locked.id))
    contracts: dict[VersionLabel, Contract] = {NEW: candidate}
    running = {label for pair in pairs for label in (pair.producer, pair.consumer) if isinstance(label, int)}
    for number, version in tx.deployments.contracts(locked.id, running).items():
        contracts[number] = _compiled_contract(
            locked.type, version.fingerprint, version.event_root, version.canonical
        )
    return _report(locked.mode, locked.policy, pairs, contracts)


def _blocking(tx: Transaction, locked: SchemaState, report: CompatibilityReport) -> list[dict[str, Any]]:
    """The deployments a refused DEPLOYED candidate would break, for the error to name (none in other
    modes: their pairs are versions, not deployments)."""
    if locked.mode is not CompatibilityMode.DEPLOYED:
        return []
    return [each.as_data() for each in blocking(tx.deployments.of_schema(locked.id), report)]


def _verdict_attributes(report: CompatibilityReport) -> dict[str, Any]:
    return {
        "registry.compatibility.verdict": "compatible" if report.compatible else "incompatible",
        "registry.compatibility.mode": report.mode.value if report.mode else "PAIR",
        "registry.compatibility.policy": report.policy.value,
        "registry.compatibility.pairs": len(report.checked),
        "registry.compatibility.incompatibilities": len(report.incompatibilities),
    }


@timed_check
@traced("registry.compatibility_check", _verdict_attributes)
def _report(
    mode: CompatibilityMode | None,
    policy: CompatibilityPolicy,
    pairs: list[Pair],
    contracts: dict[VersionLabel, Contract],
) -> CompatibilityReport:
    findings = [
        Finding(producer=pair.producer, consumer=pair.consumer, incompatibility=item)
        for pair in pairs
        for item in _placed(contracts[pair.producer], contracts[pair.consumer], policy)
    ]
    return CompatibilityReport(mode=mode, policy=policy, checked=pairs, incompatibilities=findings)


def _placed(
    producer: Contract, consumer: Contract, policy: CompatibilityPolicy
) -> tuple[Incompatibility, ...]:
    """The verdict on the pair placed in the contracts as stored, kept as the verdict is (placing reads
    nothing else): a picture of an environment asks for the same pairs again and again."""
    if producer.fingerprint == consumer.fingerprint:
        return ()  # as `_incompatibilities` says, and not kept: the key is by digest
    return _PLACED.get(
        pair_key(producer, consumer, policy),
        lambda: tuple(_place(item, producer, consumer) for item in _VERDICTS.get(producer, consumer, policy)),
    )


def _place(item: Incompatibility, producer: Contract, consumer: Contract) -> Incompatibility:
    """The checker points into the event schemas; people want places in the contracts as they wrote them."""
    return replace(
        item,
        producer_path=producer.stored_pointer(item.producer_path),
        consumer_path=consumer.stored_pointer(item.consumer_path),
        witness=_with_identity(item, producer, consumer),
    )


def _with_identity(item: Incompatibility, producer: Contract, consumer: Contract) -> Any:
    """An EventBridge producer emits its own detail-type and source, which its schema need not pin down:
    the witness carries them, so that validating it (identity checked) agrees, when it stays a witness."""
    identity, witness = producer.identity(), item.witness
    if not item.proven or not identity or not isinstance(witness, dict):
        return witness
    named = {**witness, **identity}
    if named == witness:
        return witness
    emitted = not producer.validate_event(named, check_identity=False)
    if emitted and consumer.validate_event(named, check_identity=False):
        return named
    return witness


def _incompatibilities(
    producer: Contract, consumer: Contract, policy: CompatibilityPolicy
) -> list[Incompatibility]:
    if producer.fingerprint == consumer.fingerprint:
        return []
    return list(_VERDICTS.get(producer, consumer, policy))


_VERDICTS = Verdicts()
_PLACED: Kept[PairKey, tuple[Incompatibility, ...]] = Kept(max_entries=MAX_VERDICTS)


def check_candidate(
    uow: UnitOfWork,
    registry: str,
    schema: str,
    new: NewVersion,
    *,
    refuse_incompatible: bool = False,
    may_read: Readable = _every_registry,
) -> CompatibilityReport:
    """Would this content be accepted as the schema's next version? The dry run CI calls before it merges.
    `refuse_incompatible`: raise the IncompatibleVersion a registration would raise, so that the answer's
    status alone can gate a pipeline."""
    contract = _parse(uow, new, may_read)
    with uow.reading() as tx:
        rules = tx.schemas.state(registry, schema)
        if rules is None:  # a new schema: nothing to be compatible with, once its registry exists
            registry_row = _require_registry(tx, registry)
            mode = CompatibilityMode(registry_row.compatibility)
            return CompatibilityReport(
                mode=mode, policy=CompatibilityPolicy(registry_row.compatibility_policy)
            )
        if rules.type != contract.type:
            raise errors.SchemaTypeMismatch(schema=schema, existing=rules.type, given=contract.type)
        report = _candidate_report(tx, rules, contract)
        if refuse_incompatible and not report.compatible:
            raise errors.IncompatibleVersion(
                schema=schema, report=report_data(report), deployments=_blocking(tx, rules, report)
            )
        return report


def compare_versions(
    uow: UnitOfWork,
    registry: str,
    schema: str,
    *,
    producer: int | None,
    consumer: int | None,
    policy: CompatibilityPolicy | None,
) -> CompatibilityReport:
    """Can version `consumer` read every event of version `producer` (None: latest)? Whatever the mode."""
    producer_version = get_version(uow, registry, schema, producer)
    consumer_version = get_version(uow, registry, schema, consumer)
    return compare_read_versions(uow, producer_version, consumer_version, policy=policy)


def compare_read_versions(
    uow: UnitOfWork,
    producer: VersionInfo,
    consumer: VersionInfo,
    *,
    policy: CompatibilityPolicy | None,
) -> CompatibilityReport:
    """`compare_versions` for two versions of one schema already read (None: the schema's policy)."""
    pair = Pair(producer=producer.version, consumer=consumer.version)
    contracts = {pair.producer: contract_of(producer), pair.consumer: contract_of(consumer)}
    return _report(None, policy or policy_of(uow, producer), [pair], contracts)


def policy_of(uow: UnitOfWork, version: VersionInfo) -> CompatibilityPolicy:
    """The policy of the schema of a version already read."""
    with uow.reading() as tx:
        rules = tx.schemas.state(version.registry, version.schema)
    if rules is None:  # deleted since it was read
        raise errors.SchemaNotFound(registry=version.registry, schema=version.schema)
    return rules.policy


@dataclass(frozen=True)
class Matrix:
    policy: CompatibilityPolicy
    versions: list[int]
    # compatible[i][j]: can versions[j] (consumer) read every event of versions[i] (producer)?
    compatible: list[list[bool]]
    # the lowest and highest version numbers the schema has, so a range's neighbours can be offered
    lowest: int | None = None
    highest: int | None = None


MATRIX_MOST_VERSIONS = 100
"""The matrix costs up to the square of its size in checks: no caller may cross more versions at once."""


def compatibility_matrix(
    uow: UnitOfWork,
    registry: str,
    schema: str,
    *,
    policy: CompatibilityPolicy | None,
    limit: int = MATRIX_MOST_VERSIONS,
    first: int | None = None,
    last: int | None = None,
) -> Matrix:
    """Every producer version against every consumer version, for at most `limit` versions numbered
    first..last (either end open): the latest of them, or the earliest when only `first` is given."""
    if first is not None and last is not None and first > last:
        raise errors.InvalidVersionRange(first=first, last=last)
    limit = min(limit, MATRIX_MOST_VERSIONS)
    with uow.reading() as tx:
        row = _require_schema(tx, registry, schema)
        rules = tx.schemas.state(registry, schema)
        stored = tx.versions.contracts_between(row.id, first=first, last=last, limit=limit)
        lowest, highest = tx.versions.bounds(row.id)
    assert rules is not None, "the schema was just read"
    chosen = policy or rules.policy
    contracts = [
        _compiled_contract(rules.type, each.fingerprint, each.event_root, each.canonical) for each in stored
    ]
    grid = containment_matrix(
        len(contracts), lambda p, c: not _incompatibilities(contracts[p], contracts[c], chosen)
    )
    versions = [each.version for each in stored]
    return Matrix(policy=chosen, versions=versions, compatible=grid, lowest=lowest, highest=highest)


def contract_of(version: VersionInfo) -> Contract:
    """The version's contract (its bundle when it has references), compiled once per content."""
    return _compiled_contract(version.type, version.fingerprint, version.event_root, version.resolved_content)


# --- search ----------------------------------------------------------------------------------------------


def search(
    uow: UnitOfWork, query: str, *, registry: str | None, only: str | None, limit: int, cursor: str | None
) -> Page[SearchHit]:
    """Schemas whose name, description or contracts' keywords (registry.domain.search) hold every
    whitespace-separated term, ignoring case; best ranked first."""
    after = search_after(decode_text_cursor(cursor))
    with uow.reading() as tx:
        hits = tx.search.search(
            query_terms(query), registry=registry, only=only, after=after, limit=limit + 1
        )
    page = _page(hits, limit, RankedHit.cursor_key)
    return Page([each.hit for each in page.items], page.next_cursor)

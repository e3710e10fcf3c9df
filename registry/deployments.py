"""Use cases of recorded deployments: who produces and consumes which version of a schema where, whether a
service may deploy a version, the picture of an environment, and the audit of every change to it.

Each runs in one unit of work. Compatibility is judged by the helpers registration uses
(`registry.services`), so a pair is compatible here exactly when the compatibility routes say so."""

from __future__ import annotations

from collections.abc import Iterable

from registry.domain import errors, names
from registry.domain.audit import Action, AuditRecord, Change, actor_of
from registry.domain.auth import Principal
from registry.domain.deployments import (
    AuditAction,
    AuditEntry,
    DeployCheck,
    EnvironmentPicture,
    IncompatiblePair,
    PairCheck,
    Participant,
    ParticipantRole,
    SchemaPicture,
    deploy_pair,
    environment_name,
    service_name,
)
from registry.domain.formats import Contract
from registry.domain.model import CompatibilityPolicy, Page
from registry.domain.modes import CompatibilityReport
from registry.domain.pagination import decode_int_cursor, decode_text_cursor
from registry.services import (
    _compiled_contract,
    _now,
    _page,
    _report,
    _require_registry,
    _require_schema,
    schema_rules,
)
from registry.storage.repositories import SchemaState
from registry.storage.unit_of_work import Transaction, UnitOfWork

# --- recording -------------------------------------------------------------------------------------------


def record_participant(
    uow: UnitOfWork,
    registry: str,
    schema: str,
    service: str,
    *,
    role: ParticipantRole,
    version: int,
    environment: str,
    caller: Principal,
) -> tuple[Participant, bool]:
    """Record that `service` runs `version` of the schema in `role` in `environment`, replacing what it ran
    there before. Returns (record, created). Recording the version already recorded changes nothing and
    writes no audit entry, so CI may repeat the call safely."""
    service_name(service)
    environment_name(environment)
    actor = actor_of(caller)
    with uow.writing() as tx:
        # The schema's lock: a version cannot be deleted, nor registered against the old picture, meanwhile.
        row = _require_schema(tx, registry, schema, for_update=True)
        if tx.versions.get(row.id, version) is None:
            raise errors.VersionNotFound(registry=registry, schema=schema, version=version)
        found = tx.deployments.get(row.id, service, role, environment)
        previous = None if found is None else found.version
        if previous != version:
            now = _now()
            if found is None:
                # The first record in an unknown environment creates it; the lock keeps a concurrent
                # deletion of the environment from missing this record.
                _, created = tx.environments.lock_or_create(row.registry_id, environment, actor=actor, at=now)
                if created:
                    change = Change(Action.ENVIRONMENT_CREATED, registry=registry, environment=environment)
                    tx.audit.record(change, actor=actor, registry_id=row.registry_id, at=now)
                tx.deployments.add(
                    registry_id=row.registry_id,
                    schema_id=row.id,
                    service=service,
                    role=role,
                    environment=environment,
                    version=version,
                    actor=actor,
                    at=now,
                )
            else:
                found.version, found.updated_at, found.updated_by = version, now, actor
            action = Action.PARTICIPANT_RECORDED if found is None else Action.PARTICIPANT_CHANGED
            change = _participant_change(
                action, registry, schema, service, role, environment, version, previous
            )
            tx.audit.record(change, actor=actor, registry_id=row.registry_id, at=now)
            tx.session.flush()
        (recorded,) = tx.deployments.of_schema(row.id, environment=environment, role=role, service=service)
        tx.commit()
    return recorded, found is None


def remove_participant(
    uow: UnitOfWork,
    registry: str,
    schema: str,
    service: str,
    *,
    role: ParticipantRole,
    environment: str,
    caller: Principal,
) -> None:
    """The service no longer runs in that role there (decommissioned, or moved out of the environment)."""
    service_name(service)
    environment_name(environment)
    with uow.writing() as tx:
        row = _require_schema(tx, registry, schema, for_update=True)
        found = tx.deployments.get(row.id, service, role, environment)
        if found is None:
            raise errors.ParticipantNotFound(
                registry=registry, schema=schema, service=service, role=role.value, environment=environment
            )
        tx.deployments.remove(found)
        change = _participant_change(
            Action.PARTICIPANT_REMOVED, registry, schema, service, role, environment, None, found.version
        )
        tx.audit.record(change, actor=actor_of(caller), registry_id=row.registry_id)
        tx.commit()


def _participant_change(
    action: Action,
    registry: str,
    schema: str,
    service: str,
    role: ParticipantRole,
    environment: str,
    version: int | None,
    previous: int | None,
) -> Change:
    """A recorded deployment's entry in the history: `version` after the change, `previous_version` (in
    `detail`, with the role) before it."""
    return Change(
        action,
        registry=registry,
        schema=schema,
        version=version,
        environment=environment,
        subject=service,
        detail={"role": role.value, "previous_version": previous},
    )


def list_participants(
    uow: UnitOfWork,
    registry: str,
    schema: str,
    *,
    environment: str | None,
    role: ParticipantRole | None,
    limit: int,
    cursor: str | None,
) -> Page[Participant]:
    """Ordered by environment, service and role; the cursor is that triple."""
    if environment is not None:
        environment_name(environment)
    after = _participant_key(decode_text_cursor(cursor))
    with uow.reading() as tx:
        row = _require_schema(tx, registry, schema)
        found = tx.deployments.of_schema(
            row.id, environment=environment, role=role, after=after, limit=limit + 1
        )
    return _page(found, limit, lambda each: "\n".join((each.environment, each.service, each.role.value)))


def _participant_key(after: str | None) -> tuple[str, str, str] | None:
    if after is None:
        return None
    parts = after.split("\n")
    if len(parts) != 3:
        raise errors.InvalidCursor()
    return parts[0], parts[1], parts[2]


# --- checking --------------------------------------------------------------------------------------------


def can_i_deploy(
    uow: UnitOfWork,
    registry: str,
    schema: str,
    *,
    service: str,
    role: ParticipantRole,
    version: int | None,
    environment: str,
    policy: CompatibilityPolicy | None,
) -> DeployCheck:
    """May `service` run `version` (None: the latest) in `role` in `environment`? Checked against every
    counterpart recorded there: a producer against each consumer (each must read the new version), a
    consumer against each producer (it must read theirs). The service's own record in that role is what the
    deployment replaces, so it is never its own counterpart; a service never recorded before may ask too
    (its first deployment), also in an environment where nothing is recorded yet."""
    service_name(service)
    environment_name(environment)
    with uow.reading() as tx:
        rules = schema_rules(tx, registry, schema)
        asked = tx.versions.get(rules.id, version)
        if asked is None:
            raise errors.VersionNotFound(registry=registry, schema=schema, version=version or "latest")
        version = asked.version
        if tx.environments.get(rules.registry_id, environment) is None:
            raise errors.EnvironmentNotFound(registry=registry, environment=environment)
        counterparts = [
            each
            for each in tx.deployments.of_schema(rules.id, environment=environment, role=role.counterpart)
            if not (each.service == service and each.role is role)
        ]
        contracts = _contracts(tx, rules, [version, *(each.version for each in counterparts)])
    chosen = policy or rules.policy
    pairs = []
    for each in sorted(counterparts, key=lambda each: (each.service, each.version)):
        pair = deploy_pair(role, version, each.version)
        report = _report(None, chosen, [pair], contracts)
        pairs.append(PairCheck(each, int(pair.producer), int(pair.consumer), report))
    return DeployCheck(
        registry=registry,
        schema=schema,
        service=service,
        role=role,
        version=version,
        environment=environment,
        policy=chosen,
        pairs=pairs,
    )


def _contracts(tx: Transaction, rules: SchemaState, versions: Iterable[int]) -> dict[int | str, Contract]:
    stored = tx.deployments.contracts(rules.id, set(versions))
    return {
        number: _compiled_contract(rules.type, each.fingerprint, each.event_root, each.canonical)
        for number, each in stored.items()
    }


# --- environments ----------------------------------------------------------------------------------------


def environment_picture(uow: UnitOfWork, registry: str, environment: str) -> EnvironmentPicture:
    """Every schema with participants in the environment, and each producer/consumer pair there that is
    incompatible now (under the schema's policy): what a deployment elsewhere may already have broken.

    A constant number of statements however many schemas the environment has: the rules of all of them in
    one (a statement per 500 schemas), the contracts of every version running there in another."""
    environment_name(environment)
    with uow.reading() as tx:
        registry_row = _require_registry(tx, registry)
        if tx.environments.get(registry_row.id, environment) is None:
            raise errors.EnvironmentNotFound(registry=registry, environment=environment)
        found = tx.deployments.in_environment(registry_row.id, environment)
        by_schema: dict[int, list[Participant]] = {}
        for schema_id, participant in found:
            by_schema.setdefault(schema_id, []).append(participant)
        rules = tx.dependents.rules(by_schema)
        running = tx.deployments.contracts_in_environment(registry_row.id, environment)
        # Each statement reads the database as it is when it starts (PostgreSQL's READ COMMITTED): a service
        # may have moved to another version since the participants were read. Those are the ones checked.
        for schema_id, participants in by_schema.items():
            stored = running.setdefault(schema_id, {})
            missing = {each.version for each in participants} - stored.keys()
            if missing:
                stored.update(tx.deployments.contracts(schema_id, missing))
    pictures = []
    for schema_id, participants in by_schema.items():
        schema, stored = rules.get(schema_id), running[schema_id]
        if schema is None or any(each.version not in stored for each in participants):
            continue  # deleted since its participants were read
        contracts: dict[int | str, Contract] = {
            number: _compiled_contract(schema.type, each.fingerprint, each.event_root, each.canonical)
            for number, each in stored.items()
        }
        pictures.append(_schema_picture(schema, participants, contracts))
    return EnvironmentPicture(registry=registry, environment=environment, schemas=pictures)


def _schema_picture(
    rules: SchemaState, participants: list[Participant], contracts: dict[int | str, Contract]
) -> SchemaPicture:
    producers = [each for each in participants if each.role is ParticipantRole.PRODUCER]
    consumers = [each for each in participants if each.role is ParticipantRole.CONSUMER]
    reports: dict[tuple[int, int], CompatibilityReport] = {}  # services running the same two versions
    flagged = []
    for producer in producers:
        for consumer in consumers:
            versions = (producer.version, consumer.version)
            report = reports.get(versions)
            if report is None:
                pair = deploy_pair(ParticipantRole.PRODUCER, *versions)
                report = reports[versions] = _report(None, rules.policy, [pair], contracts)
            if not report.compatible:
                flagged.append(IncompatiblePair(producer=producer, consumer=consumer, report=report))
    return SchemaPicture(
        schema=participants[0].schema, producers=producers, consumers=consumers, incompatible_pairs=flagged
    )


# --- audit -----------------------------------------------------------------------------------------------


def audit_log(
    uow: UnitOfWork,
    registry: str,
    *,
    schema: str | None,
    service: str | None,
    environment: str | None,
    limit: int,
    cursor: str | None,
) -> Page[AuditEntry]:
    """Every change to the registry's recorded deployments, newest first; entries outlive their records."""
    if schema is not None:
        names.schema_name(schema)
    if service is not None:
        service_name(service)
    if environment is not None:
        environment_name(environment)
    before = decode_int_cursor(cursor)
    with uow.reading() as tx:
        row = _require_registry(tx, registry)
        found = tx.audit.page(
            registry_id=row.id,
            schema=schema,
            subject=service,
            environment=environment,
            actions=_PARTICIPANT_ACTIONS,
            before=before,
            limit=limit + 1,
        )
    return _page([_deployment_entry(each) for each in found], limit, lambda each: each.id)


_PARTICIPANT_ACTIONS = frozenset(action for action in Action if action.kind == "participant")


def _deployment_entry(record: AuditRecord) -> AuditEntry:
    """An entry of the one history, as the deployment audit has always shown it."""
    change = record.change
    assert change.registry is not None and change.schema is not None, "participant entries name both"
    assert change.subject is not None and change.environment is not None, "and the service and where"
    return AuditEntry(
        id=record.id,
        registry=change.registry,
        schema=change.schema,
        service=change.subject,
        role=ParticipantRole(change.detail["role"]),
        environment=change.environment,
        action=AuditAction(change.action.value.partition(".")[2]),
        version=change.version,
        previous_version=change.detail.get("previous_version"),
        actor=record.actor,
        at=record.at,
    )

"""Impact analysis use case: what a candidate for a shared schema would do to every version built from it
(README: Impact analysis). Nothing is written.

Each dependent is *moved*: its content as written, re-resolved with every reference to the schema pointing
at the candidate instead of the version it names now. The moved version is judged as the successor of the
version it was built from, as its own registration would be (its schema's mode and policy), and, for each
service recorded running that version, against the counterparts recorded in its environment, as
can-i-deploy judges a deployment. Compatibility is decided by the helpers registration uses, so a verdict
here is the verdict the dependent's next registration and deployment would get."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import replace

from registry.domain import errors
from registry.domain.deployments import Participant, ParticipantRole
from registry.domain.formats import Contract, parse_contract
from registry.domain.formats.bundle import Reference, Referenced, VersionKey, resolve_graph
from registry.domain.impact import (
    CandidateInfo,
    CounterpartCheck,
    Dependent,
    DependentImpact,
    Impact,
    ImpactScope,
    ServiceCheck,
    Step,
    chosen,
    dependents_of,
)
from registry.domain.model import CompatibilityMode
from registry.domain.modes import NEW, CompatibilityReport, Pair, VersionLabel, is_transitive, pairs_for
from registry.references import Readable, every_registry
from registry.services import (
    NewVersion,
    _compiled_contract,
    _deployed_report,
    _parse,
    _report,
    schema_rules,
)
from registry.storage.repositories import SchemaState, StoredContract
from registry.storage.unit_of_work import Transaction, UnitOfWork


def analyse(
    uow: UnitOfWork,
    registry: str,
    schema: str,
    new: NewVersion,
    *,
    scope: ImpactScope = ImpactScope.DEFAULT,
    may_read: Readable = every_registry,
) -> Impact:
    """Every dependent of the schema in `scope` that the caller may read, moved to the candidate `new`.
    An invalid candidate raises what its registration would raise."""
    candidate = _parse(uow, new, may_read)
    with uow.reading() as tx:
        rules = schema_rules(tx, registry, schema)
        if rules.type != candidate.type:
            raise errors.SchemaTypeMismatch(schema=schema, existing=rules.type, given=candidate.type)
        found = dependents_of(tx.dependents.versions_of(rules.id), tx.dependents.referencing)
        schema_ids = {each.schema_id for each in found}
        deployed = tx.dependents.deployed(schema_ids)
        asked = chosen(found, scope, tx.dependents.latest(schema_ids), deployed)
        readable = [each for each in asked if may_read(each.key.registry)]
        # the number a registration would give it: how reports and errors name the candidate
        key = VersionKey(registry, schema, rules.last_version + 1)
        analysis = _Analysis(tx, _candidate_node(key, candidate, new), readable, deployed)
        analysed = [analysis.impact_of(each) for each in readable]
    info = CandidateInfo(
        registry, schema, candidate.type.value, candidate.fingerprint, _steps(new.references)
    )
    return Impact(
        candidate=info,
        scope=scope,
        dependents=[each for each in analysed if each is not None],
        hidden=len(asked) - len(readable),
    )


def _candidate_node(key: VersionKey, candidate: Contract, new: NewVersion) -> Referenced:
    written = json.loads(candidate.written or candidate.canonical)
    return Referenced(key, candidate.type.value, written, candidate.fingerprint, new.references)


def _steps(references: tuple[Reference, ...]) -> tuple[Step, ...]:
    return tuple(Step(each.name, each.target) for each in references)


class _Analysis:
    """One analysis: what judging the dependents needs, read in a few statements for all of them (the
    dependents, the versions on their paths to the schema, their rules, the versions they succeed),
    and the stored reference graph with every reference to the candidate's schema pointing at the
    candidate. What was not read ahead (a version a dependent references besides) is read when needed."""

    def __init__(
        self,
        tx: Transaction,
        candidate: Referenced,
        dependents: list[Dependent],
        deployed: Collection[tuple[int, int]],
    ) -> None:
        self.tx = tx
        self.candidate = candidate
        self.deployed = deployed
        on_paths = {step.version_id for each in dependents for step in each.via if step.version_id}
        stored = tx.dependents.nodes({each.version_id for each in dependents} | on_paths)
        self.nodes: dict[VersionKey, Referenced | None] = {
            key: replace(node, references=self.moved(node.references)) for key, node in stored.items()
        }
        self.nodes[candidate.key] = candidate
        self.rules = tx.dependents.rules({each.schema_id for each in dependents})
        successors = {  # the version each dependent succeeds, when its mode judges it against that alone
            (each.schema_id, each.key.version)
            for each in dependents
            if each.schema_id in self.rules and _against_one(self.rules[each.schema_id].mode)
        }
        self.succeeded = tx.dependents.contracts(successors)

    def moved(self, references: tuple[Reference, ...]) -> tuple[Reference, ...]:
        target = self.candidate.key
        return tuple(
            Reference(each.name, target)
            if (each.target.registry, each.target.schema) == (target.registry, target.schema)
            else each
            for each in references
        )

    def node(self, key: VersionKey) -> Referenced | None:
        """None when the version is gone (a dependent deleted since the graph was walked)."""
        if key not in self.nodes:
            found = self.tx.references.node(key)
            self.nodes[key] = (
                None if found is None else replace(found, references=self.moved(found.references))
            )
        return self.nodes[key]

    def load(self, key: VersionKey) -> Referenced:
        found = self.node(key)
        if found is None:  # a referenced version cannot be deleted: only a dependent may be gone
            raise errors.ReferenceNotFound(
                name=key.label(), registry=key.registry, schema=key.schema, version=key.version
            )
        return found

    def impact_of(self, dependent: Dependent) -> DependentImpact | None:
        node, rules = self.node(dependent.key), self.rules.get(dependent.schema_id)
        if node is None or rules is None:  # deleted since the graph was walked
            return None
        try:
            moved = parse_contract(
                node.type,
                node.content,
                event_root=dependent.event_root,
                references=node.references,
                graph=resolve_graph(node.references, self.load),
            )
        except errors.InvalidInput as exc:  # no contract with the candidate: the dependent breaks outright
            return DependentImpact(dependent, None, [], exc)
        version = dependent.key.version
        versions = self.own_versions(dependent, rules, moved)
        running = (dependent.schema_id, version) in self.deployed  # else no service to move: spare a query
        return DependentImpact(
            dependent, versions, _services(self.tx, rules, version, moved) if running else []
        )

    def own_versions(self, dependent: Dependent, rules: SchemaState, moved: Contract) -> CompatibilityReport:
        """The moved version as the successor of the dependent's: against it (and, transitive modes, every
        version before it), as a registration after it would be judged."""
        if rules.mode is CompatibilityMode.DEPLOYED:
            return _deployed_report(self.tx, rules, moved)
        version = dependent.key.version
        if _against_one(rules.mode):
            found = self.succeeded.get((dependent.schema_id, version))
            stored = [] if found is None else [found]
        else:  # NONE checks nothing; the transitive modes read every earlier version
            every = (
                []
                if rules.mode is CompatibilityMode.NONE
                else self.tx.versions.contracts(rules.id, latest_only=False)
            )
            stored = [each for each in every if each.version <= version]
        contracts = _contracts(rules, stored)
        contracts[NEW] = moved
        pairs = pairs_for(rules.mode, [each.version for each in stored])
        return _report(rules.mode, rules.policy, pairs, contracts)


def _against_one(mode: CompatibilityMode) -> bool:
    return mode not in (CompatibilityMode.NONE, CompatibilityMode.DEPLOYED) and not is_transitive(mode)


def _services(tx: Transaction, rules: SchemaState, version: int, moved: Contract) -> list[ServiceCheck]:
    """Each service recorded running `version`, moved, against its counterparts in its environment."""
    recorded = tx.deployments.of_schema(rules.id)
    running = [each for each in recorded if each.version == version]
    if not running:
        return []
    contracts = _contracts(
        rules, tx.deployments.contracts(rules.id, {each.version for each in recorded}).values()
    )
    contracts[NEW] = moved
    checks = []
    for service in running:
        counterparts = sorted(
            (
                each
                for each in recorded
                if each.environment == service.environment and each.role is service.role.counterpart
            ),
            key=lambda each: (each.service, each.version),
        )
        checks.append(
            ServiceCheck(
                service, [_counterpart_check(rules, service, each, contracts) for each in counterparts]
            )
        )
    return checks


def _counterpart_check(
    rules: SchemaState,
    service: Participant,
    counterpart: Participant,
    contracts: dict[VersionLabel, Contract],
) -> CounterpartCheck:
    if service.role is ParticipantRole.PRODUCER:
        pair = Pair(producer=NEW, consumer=counterpart.version)
    else:
        pair = Pair(producer=counterpart.version, consumer=NEW)
    return CounterpartCheck(counterpart, pair, _report(None, rules.policy, [pair], contracts))


def _contracts(rules: SchemaState, stored: Iterable[StoredContract]) -> dict[VersionLabel, Contract]:
    return {
        each.version: _compiled_contract(rules.type, each.fingerprint, each.event_root, each.canonical)
        for each in stored
    }

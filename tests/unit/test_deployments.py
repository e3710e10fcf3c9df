"""The pairs recorded deployments make, the names they take and who changed them (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from registry.domain.audit import actor_of, cli_actor
from registry.domain.auth import ANONYMOUS_ADMIN, Principal, Role
from registry.domain.compat import Incompatibility
from registry.domain.deployments import (
    Participant,
    ParticipantRole,
    blocking,
    deploy_pair,
    deployed_pairs,
    environment_name,
    service_name,
)
from registry.domain.errors import InvalidName
from registry.domain.model import CompatibilityMode, CompatibilityPolicy
from registry.domain.modes import NEW, CompatibilityReport, Finding, Pair, pairs_for

PRODUCER, CONSUMER = ParticipantRole.PRODUCER, ParticipantRole.CONSUMER


def running(service: str, role: ParticipantRole, version: int, environment: str = "prod") -> Participant:
    return Participant("r", "s", service, role, version, environment, datetime.now(UTC), "anonymous")


def test_pairs_for_has_no_pairs_for_deployed_whatever_is_stored() -> None:
    assert pairs_for(CompatibilityMode.DEPLOYED, [1, 2, 3]) == []


def test_deployed_pairs_check_each_recorded_version_once_in_its_direction() -> None:
    recorded = [
        running("billing", CONSUMER, 3),
        running("billing", CONSUMER, 3, "staging"),
        running("checkout", PRODUCER, 4),
        running("audit", CONSUMER, 4),
        running("returns", PRODUCER, 2),
    ]
    assert deployed_pairs(recorded) == [
        Pair(4, NEW),  # checkout's events must be read by the new version
        Pair(NEW, 4),  # and the audit consumer must read the new version's events
        Pair(NEW, 3),
        Pair(2, NEW),
    ]
    assert deployed_pairs([]) == []


def test_deploy_pair_puts_the_producer_first() -> None:
    assert deploy_pair(PRODUCER, 5, 3) == Pair(producer=5, consumer=3)
    assert deploy_pair(CONSUMER, 5, 3) == Pair(producer=3, consumer=5)
    assert PRODUCER.counterpart is CONSUMER and CONSUMER.counterpart is PRODUCER


def test_blocking_names_the_deployments_behind_failing_pairs() -> None:
    recorded = [running("billing", CONSUMER, 3), running("checkout", PRODUCER, 4), running("ok", CONSUMER, 4)]
    item = Incompatibility("enum_narrowed", "", "", "status", {"status": "X"}, True)
    report = CompatibilityReport(
        mode=CompatibilityMode.DEPLOYED,
        policy=CompatibilityPolicy.STRICT,
        checked=deployed_pairs(recorded),
        incompatibilities=[Finding(NEW, 3, item), Finding(4, NEW, item)],
    )
    assert [each.service for each in blocking(recorded, report)] == ["checkout", "billing"]


@pytest.mark.parametrize("name", ["billing", "a", "svc-1.v2_x", "A" * 64, "0day"])
def test_valid_participant_names(name: str) -> None:
    assert service_name(name) == name
    assert environment_name(name) == name


@pytest.mark.parametrize("name", ["", "-svc", ".env", "_x", "a b", "a/b", "a" * 65, "é", "prod\n"])
def test_invalid_participant_names(name: str) -> None:
    with pytest.raises(InvalidName) as raised:
        service_name(name)
    assert raised.value.details["kind"] == "service"
    with pytest.raises(InvalidName):
        environment_name(name)


def test_the_actor_is_the_token_id_or_anonymous() -> None:
    assert actor_of(Principal(role=Role.WRITER, registry=None, token_id="abc123")) == "abc123"
    assert actor_of(ANONYMOUS_ADMIN) == "anonymous"


def test_the_console_script_is_named_by_the_operating_system_user() -> None:
    assert cli_actor("alice") == "cli:alice"
    assert len(cli_actor("x" * 100)) == 64  # the column holds 64 characters
    assert cli_actor().startswith("cli:")

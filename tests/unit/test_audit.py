"""What the audit history's entries say, decided without a database."""

from __future__ import annotations

import pytest

from registry.audit import mirror_target
from registry.domain.audit import KINDS, Action, actions_matching, field_changes
from registry.domain.errors import InvalidAuditAction


def test_a_filter_names_one_action_or_every_action_of_a_kind() -> None:
    assert actions_matching("version.deleted") == {Action.VERSION_DELETED}
    assert actions_matching("version") == {Action.VERSION_REGISTERED, Action.VERSION_DELETED}
    assert set(KINDS) == {"environment", "participant", "registry", "schema", "token", "version"}
    with pytest.raises(InvalidAuditAction) as refused:
        actions_matching("version.renamed")
    assert "version.deleted" in refused.value.details["known"]


def test_only_fields_whose_value_differs_are_changes() -> None:
    before = {"description": "a", "compatibility": None, "compatibility_policy": "STRICT"}
    after = {"description": "a", "compatibility": "FULL", "compatibility_policy": "STRICT"}
    assert field_changes(before, after) == {"compatibility": {"from": None, "to": "FULL"}}
    assert field_changes(after, after) == {}
    assert field_changes({}, {"tier": "gold"}) == {"tier": {"from": None, "to": "gold"}}


def test_a_mirror_endpoints_user_information_is_masked() -> None:
    plain = {"region": "eu-west-1", "registry_name": "r", "endpoint_url": "http://host:4010/base"}
    assert mirror_target(plain) == plain
    secret = {**plain, "endpoint_url": "https://user:pa55@host:4010/base"}
    assert mirror_target(secret) == {**plain, "endpoint_url": "https://***@host:4010/base"}
    assert mirror_target(None) is None

"""The audit history: every change to what the registry stores, who made it, when, and what it was.

One history for every kind of change (registries, schemas, versions, mirror settings, tokens, environments
and recorded deployments). An entry names what it is about rather than pointing at it, so that it outlives
what it describes: the deletion of a registry is an entry too. `detail` is a small JSON object saying what
changed; it never holds a secret (tokens are named by their public id)."""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from registry.domain.auth import Principal
from registry.domain.errors import InvalidAuditAction

ANONYMOUS_ACTOR = "anonymous"  # who made a change when the service runs open, without tokens
CLI_ACTOR_PREFIX = "cli:"  # changes made with the console script on the database, e.g. `cli:alice`
MAX_ACTOR = 64


class Action(StrEnum):
    """`<kind>.<what happened>`: a filter on the kind is a prefix (`version.`)."""

    REGISTRY_CREATED = "registry.created"
    REGISTRY_UPDATED = "registry.updated"  # description, compatibility, policy or tags
    REGISTRY_DELETED = "registry.deleted"
    MIRROR_CHANGED = "registry.mirror_changed"  # mirroring turned on, retargeted or off
    SCHEMA_CREATED = "schema.created"  # with its first version
    SCHEMA_UPDATED = "schema.updated"  # description, compatibility override, policy override or tags
    SCHEMA_DELETED = "schema.deleted"
    VERSION_REGISTERED = "version.registered"
    VERSION_DELETED = "version.deleted"
    TOKEN_CREATED = "token.created"
    TOKEN_REVOKED = "token.revoked"
    ENVIRONMENT_CREATED = "environment.created"
    ENVIRONMENT_UPDATED = "environment.updated"
    ENVIRONMENT_DELETED = "environment.deleted"
    PARTICIPANT_RECORDED = "participant.recorded"  # a service runs a version somewhere it did not before
    PARTICIPANT_CHANGED = "participant.changed"  # it moved to another version
    PARTICIPANT_REMOVED = "participant.removed"

    @property
    def kind(self) -> str:
        return self.value.partition(".")[0]


KINDS = sorted({action.kind for action in Action})


def actions_matching(given: str) -> frozenset[Action]:
    """The actions a filter names: one action (`version.deleted`) or every action of a kind (`version`)."""
    if given in KINDS:
        return frozenset(action for action in Action if action.kind == given)
    try:
        return frozenset({Action(given)})
    except ValueError:
        raise InvalidAuditAction(given=given, known=[*KINDS, *Action]) from None


@dataclass(frozen=True)
class Change:
    """What one change was about. `subject` names what is neither a registry, schema, version nor
    environment: the service of a recorded deployment, the public id of a token."""

    action: Action
    registry: str | None = None
    schema: str | None = None
    version: int | None = None
    environment: str | None = None
    subject: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditRecord:
    """A change as the history keeps it."""

    id: int  # grows with every entry: newest first is by id, descending
    at: datetime
    actor: str
    change: Change


def actor_of(principal: Principal) -> str:
    """The history names tokens by their public id; never their secret."""
    return principal.token_id if principal.token_id is not None else ANONYMOUS_ACTOR


def cli_actor(user: str | None = None) -> str:
    """The console script works on the database itself, with no token: the history names the operating
    system user who ran it (`cli:<user>`; the prefix keeps it apart from a token's id)."""
    if user is None:
        try:
            user = getpass.getuser()
        except (OSError, KeyError):  # no user name in the environment nor the password database
            user = "unknown"
    return (CLI_ACTOR_PREFIX + user)[:MAX_ACTOR]


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """`{field: {"from": old, "to": new}}` for each field of `after` whose value differs from `before`."""
    return {
        name: {"from": before.get(name), "to": value}
        for name, value in after.items()
        if before.get(name) != value
    }

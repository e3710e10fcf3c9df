"""Tokens: creating, revoking and listing them, and turning a bearer token (or an AWS access key id, for
SigV4 on the EventBridge API) into a Principal with a short-lived copy of the token table per replica.

Every replica re-reads the table at most once per `ttl` seconds, so a revocation made through any replica
(or the CLI) takes effect everywhere within that time, without a database query on every request."""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, overload

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from registry.background import BackgroundThread
from registry.domain import errors, names
from registry.domain.audit import Action, Change
from registry.domain.auth import ANONYMOUS_ADMIN, Principal, Role, TokenInfo, hash_token, new_token_secret
from registry.domain.errors import Unauthenticated
from registry.domain.secret_box import SecretBox, SecretKeyError
from registry.settings import Settings
from registry.storage.models import TokenRow
from registry.storage.unit_of_work import Transaction, UnitOfWork

log = logging.getLogger("registry")

AWS_ACCESS_KEY_PREFIX = "AKIA"
_AWS_KEY_ALPHABET = string.ascii_uppercase + string.digits
_AWS_SECRET_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class AwsCredentials:
    """An access key id and its secret access key, as SigV4 clients take them."""

    access_key_id: str
    secret_access_key: str = field(repr=False)


@dataclass(frozen=True)
class TokenTable:
    """One replica's copy of the unrevoked tokens, replaced as a whole on reload, so that one request
    decides everything (open or not, which principal) from one consistent copy and one database read."""

    open: bool  # every caller is the anonymous admin: no token was ever created and auth is not required
    by_hash: dict[str, Principal]
    by_access_key_id: dict[str, tuple[Principal, str]]  # access key id -> (principal, secret access key)

    def aws_credentials_for(self, access_key_id: str) -> tuple[Principal, str] | None:
        """The principal and secret access key of the unrevoked token holding `access_key_id` (SigV4
        needs the secret itself to recompute the signature); None when the key is unknown or revoked."""
        return self.by_access_key_id.get(access_key_id)


_NOTHING_LOADED = TokenTable(open=False, by_hash={}, by_access_key_id={})


class Authenticator:
    def __init__(
        self, uow: UnitOfWork, *, ttl: float, require_auth: bool, secrets_box: SecretBox | None = None
    ) -> None:
        self._uow = uow
        self._ttl = ttl
        self._require_auth = require_auth
        self._secrets = secrets_box or SecretBox()
        self._unreadable: set[str] = set()  # access key ids whose secret could not be opened, logged once
        self._lock = threading.Lock()
        self._renewing = threading.Lock()  # held while the background thread re-reads the table
        self._background = BackgroundThread("token-table")  # one thread: starting one stalls the loop
        self._forgotten = 0  # a renewal that began before a `forget` must not store what it read
        self._table = _NOTHING_LOADED
        self._loaded_at = -float("inf")

    def principal_for(self, authorization: str | None) -> Principal:
        table = self.table()
        if table.open:
            return ANONYMOUS_ADMIN  # the open quickstart: no token created yet, loopback bind
        if not authorization:
            raise Unauthenticated("this registry requires a bearer token (Authorization: Bearer <token>)")
        secret = _token_in(authorization)
        principal = table.by_hash.get(hash_token(secret))
        if principal is None:
            raise Unauthenticated("the bearer token is unknown or revoked")
        return principal

    def principal_if_fresh(self, authorization: str | None) -> Principal | None:
        """Like principal_for, but None instead of a database read when the cached table is stale."""
        if not self.is_fresh():
            return None
        self._renew_if_aging()
        return self.principal_for(authorization)

    def _renew_if_aging(self) -> None:
        """Past half its ttl, the table is re-read in the background while requests go on using it: else,
        at its expiry, every request answered from memory (cached versions, validations) would fall through
        to the application at once, and queue there, until one had re-read it."""
        if time.monotonic() - self._loaded_at < self._ttl / 2 or not self._renewing.acquire(blocking=False):
            return
        self._background.submit(self._renew)

    def _renew(self) -> None:
        try:
            began, forgotten = time.monotonic(), self._forgotten  # the copy is as old as its read
            table = self._load()
            with self._lock:
                if forgotten == self._forgotten:
                    self._table, self._loaded_at = table, began
        except Exception:  # the database is away: the table ages out, and requests read it themselves
            log.debug("re-reading the token table in the background failed", exc_info=True)
        finally:
            self._renewing.release()

    def is_fresh(self) -> bool:
        """Whether the cached table is young enough that `table()` needs no database read."""
        return time.monotonic() - self._loaded_at < self._ttl

    def table(self) -> TokenTable:
        """The cached copy of the token table, re-read first when it is older than the ttl."""
        if not self.is_fresh():
            with self._lock:
                if not self.is_fresh():
                    self._table = self._load()
                    self._loaded_at = time.monotonic()
        return self._table

    def _load(self) -> TokenTable:
        by_hash: dict[str, Principal] = {}
        by_access_key_id: dict[str, tuple[Principal, str]] = {}
        with self._uow.reading() as tx:
            rows = tx.tokens.all_rows()
            for row in rows:
                if row.revoked_at is not None:
                    continue
                principal = Principal(role=Role(row.role), registry=row.registry_name, token_id=row.public_id)
                by_hash[row.token_hash] = principal
                if row.aws_access_key_id and row.aws_secret_access_key:
                    secret = self._open(row.aws_access_key_id, row.aws_secret_access_key)
                    if secret is not None:
                        by_access_key_id[row.aws_access_key_id] = (principal, secret)
        # Revoking the last token must lock the service, not reopen it: "open" means no token was ever made.
        is_open = not rows and not self._require_auth
        return TokenTable(open=is_open, by_hash=by_hash, by_access_key_id=by_access_key_id)

    def _open(self, access_key_id: str, stored: str) -> str | None:
        """The secret, or None when this replica's keys cannot open it (`registry serve` refuses to start
        so; a replica still on old keys while another already seals with a new one gets here): that key
        then signs nothing here, and the operator hears of it once."""
        try:
            return self._secrets.open(stored)
        except SecretKeyError as exc:
            if access_key_id not in self._unreadable:
                self._unreadable.add(access_key_id)
                log.error("the SigV4 secret of access key %s cannot be used: %s", access_key_id, exc)
            return None

    def forget(self) -> None:
        """Drop the cached table, so this replica sees a change it made itself at once."""
        with self._lock:
            self._forgotten += 1
            self._loaded_at = -float("inf")


def _token_in(authorization: str) -> str:
    """The token of `Bearer <token>`, or the password of Basic credentials: pip can only send those
    (`--index-url http://__token__:<token>@host/simple/`, .netrc or keyring); the user name is ignored."""
    scheme, _, credentials = authorization.partition(" ")
    secret = credentials.strip()
    if scheme.lower() == "basic" and secret:
        try:
            secret = base64.b64decode(secret, validate=True).decode("utf-8").partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            secret = ""
    elif scheme.lower() != "bearer":
        secret = ""
    if not secret:
        raise Unauthenticated(
            "the Authorization header must be 'Bearer <token>'"
            " (or Basic credentials with the token as password)"
        )
    return secret


@overload
def create_token(
    uow: UnitOfWork,
    role: Role,
    *,
    registry: str | None,
    description: str | None = None,
    aws: Literal[False] = False,
    secrets_box: SecretBox | None = None,
    actor: str,
) -> tuple[TokenInfo, str]: ...


@overload
def create_token(
    uow: UnitOfWork,
    role: Role,
    *,
    registry: str | None,
    description: str | None = None,
    aws: Literal[True],
    secrets_box: SecretBox | None = None,
    actor: str,
) -> tuple[TokenInfo, str, AwsCredentials]: ...


def create_token(
    uow: UnitOfWork,
    role: Role,
    *,
    registry: str | None,
    description: str | None = None,
    aws: bool = False,
    secrets_box: SecretBox | None = None,
    actor: str,
) -> tuple[TokenInfo, str] | tuple[TokenInfo, str, AwsCredentials]:
    """Returns the token's record and its bearer secret, which is shown once and stored only as a hash.

    With `aws`, the token also gets AWS credentials for SigV4 (the EventBridge API), returned third. Their
    secret must be read back, because verifying a signature means recomputing it with that secret: it is
    stored sealed by `secrets_box` (encrypted when REGISTRY_SECRET_KEY is set, else as issued)."""
    if registry is not None:
        names.registry_name(registry)
    if role is Role.METRICS and (registry is not None or aws):
        raise errors.InvalidInput("a metrics token reads /metrics only: it takes no registry and no AWS keys")
    secret = new_token_secret()
    credentials: AwsCredentials | None = None
    with uow.writing() as tx:
        row = tx.tokens.create(
            public_id=secrets.token_hex(8),
            token_hash=hash_token(secret),
            role=role,
            registry=registry,
            description=description,
        )
        if aws:
            credentials = AwsCredentials(
                access_key_id=_unused_access_key_id(tx.session),
                secret_access_key="".join(secrets.choice(_AWS_SECRET_ALPHABET) for _ in range(40)),
            )
            row.aws_access_key_id = credentials.access_key_id
            row.aws_secret_access_key = (secrets_box or SecretBox()).seal(credentials.secret_access_key)
        tx.session.flush()
        info = tx.tokens.info(row)
        # The history names the token and its reach, never a secret (nor the AWS access key id).
        detail = {"role": role.value, "description": description, "aws": credentials is not None}
        created = Change(Action.TOKEN_CREATED, registry=registry, subject=info.id, detail=detail)
        tx.audit.record(created, actor=actor, registry_id=_registry_id(tx, registry))
        tx.commit()
    return (info, secret) if credentials is None else (info, secret, credentials)


def _registry_id(tx: Transaction, registry: str | None) -> int | None:
    """The registry a token is limited to, if it exists (a token may name one not created yet)."""
    row = None if registry is None else tx.registries.get(registry)
    return None if row is None else row.id


def _unused_access_key_id(session: Session) -> str:
    """`AKIA` and 16 upper-case letters and digits, like AWS's, so tools that check the form accept it.
    36^16 values make a clash all but impossible; the lookup (and the unique column) make it impossible."""
    while True:
        candidate = AWS_ACCESS_KEY_PREFIX + "".join(secrets.choice(_AWS_KEY_ALPHABET) for _ in range(16))
        taken = session.scalar(select(TokenRow.id).where(TokenRow.aws_access_key_id == candidate))
        if taken is None:
            return candidate


def revoke_token(uow: UnitOfWork, token_id: str, *, actor: str) -> TokenInfo:
    """Revoking a revoked token changes nothing (and is no entry in the history)."""
    with uow.writing() as tx:
        row = tx.tokens.get(token_id)
        if row is None:
            raise errors.TokenNotFound(token_id=token_id)
        if row.revoked_at is None:
            row.revoked_at = datetime.now(UTC)
            revoked = Change(Action.TOKEN_REVOKED, registry=row.registry_name, subject=row.public_id)
            tx.audit.record(revoked, actor=actor, registry_id=_registry_id(tx, row.registry_name))
        tx.session.flush()
        info = tx.tokens.info(row)
        tx.commit()
    return info


def list_tokens(uow: UnitOfWork) -> list[TokenInfo]:
    with uow.reading() as tx:
        return tx.tokens.all()


def aws_access_key_ids(uow: UnitOfWork) -> dict[str, str]:
    """Token id -> AWS access key id, for the tokens that have AWS credentials (never their secrets)."""
    with uow.reading() as tx:
        return {row.public_id: row.aws_access_key_id for row in tx.tokens.all_rows() if row.aws_access_key_id}


def secret_box(settings: Settings) -> SecretBox:
    """The keys of REGISTRY_SECRET_KEY (none: secrets are stored as issued)."""
    key = settings.secret_key
    return SecretBox.from_setting(key.get_secret_value() if key else None)


def check_secrets(uow: UnitOfWork, box: SecretBox) -> None:
    """SecretKeyError, saying what to set, when stored SigV4 secrets cannot be opened with `box`'s keys.
    A database that cannot be read says nothing here: readiness reports it."""
    try:
        with uow.reading() as tx:
            stored = [row.aws_secret_access_key for row in tx.tokens.all_rows() if row.aws_secret_access_key]
    except SQLAlchemyError:
        return
    unreadable = 0
    for value in stored:
        try:
            box.open(value)
        except SecretKeyError:
            unreadable += 1
    if not unreadable:
        return
    if not box.seals:
        raise SecretKeyError(
            f"{unreadable} SigV4 secret(s) of tokens are stored encrypted, but REGISTRY_SECRET_KEY is not "
            "set: set it to the key they were encrypted with"
        )
    raise SecretKeyError(
        f"{unreadable} SigV4 secret(s) of tokens were encrypted with a key that is not in "
        "REGISTRY_SECRET_KEY: add that key (comma-separated after the current one)"
    )


def reencrypt_secrets(uow: UnitOfWork, box: SecretBox, *, to_plaintext: bool = False) -> int:
    """Store every SigV4 secret as `box` stores new ones: sealed under its first key (plaintext ones and
    those sealed under an older key); with `to_plaintext`, as issued (before a downgrade to a release that
    cannot read them). One transaction; returns how many changed; SecretKeyError if one cannot be opened."""
    target = SecretBox() if to_plaintext else box
    changed = 0
    with uow.writing() as tx:
        for row in tx.tokens.all_rows():
            stored = row.aws_secret_access_key
            if stored and not target.is_current(stored):
                row.aws_secret_access_key = target.seal(box.open(stored))
                changed += 1
        tx.commit()
    return changed

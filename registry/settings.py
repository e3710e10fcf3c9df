"""Configuration: the only reader of the environment (variables prefixed `REGISTRY_`).

Every setting carries a `description=`: docs/configuration.md is generated from them
(`registry config --markdown > docs/configuration.md`)."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry.domain.secret_box import SecretBox, SecretKeyError

DEFAULT_DATABASE_URL = "sqlite:///./registry.db"
SETTINGS_DOC = "docs/configuration.md"

SUPPORTED_DATABASE_URLS = (
    "sqlite:///path/to/file.db (sqlite:// in memory) or postgresql+psycopg://user:password@host:port/db"
)
# The driver installed with the registry; `postgresql://` and `postgres://` (as hosting services hand them
# out) mean it too, rather than SQLAlchemy's default psycopg2, which is not installed.
_POSTGRES_SCHEMES = {"postgresql+psycopg", "postgresql", "postgres"}
_SQLITE_SCHEMES = {"sqlite", "sqlite+pysqlite"}

OTHER_VARIABLES = {
    "REGISTRY_URL": "the running registry that `can-i-deploy`, `impact` and `environment` call",
    "REGISTRY_TOKEN": "the token those commands send",
    "REGISTRY_CONFORMANCE_DIR": "other projects' corpora for `make conformance` (tests)",
    "REGISTRY_EXAMPLES_DIR": "another folder of example contracts for the tests",
    "REGISTRY_TEST_POSTGRES": "the PostgreSQL server the tests create their databases on",
}
"""REGISTRY_* variables that are not settings of a replica but are read elsewhere, by the client commands and
the tests: known, so never reported as misspelt."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///path.db (default) or "
        "postgresql+psycopg://user:password@host/db (postgresql:// and postgres:// mean the same); any other "
        "is refused at start",
    )
    max_content_bytes: int = Field(default=1024 * 1024, gt=0, description="largest request body accepted")
    require_auth: bool = Field(
        default=False,
        description="refuse anonymous requests even while no token exists (set by `serve` off loopback)",
    )
    token_cache_seconds: float = Field(
        default=2.0, ge=0, description="how long a replica trusts its copy of the token table"
    )
    version_cache_seconds: float = Field(
        default=5.0, ge=0, description="how long a replica serves a numbered version from memory (0: never)"
    )
    latest_cache_seconds: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="how long a replica serves `latest` of a schema from memory (0: never): a version "
        "registered or deleted through another replica shows within this time, through this one at once",
    )
    codegen_workers: int = Field(
        default=2,
        gt=0,
        description="worker processes generating bindings; with 2 or more, one is always kept for small "
        "contracts while large ones run. Per replica: `serve --workers N` gives each serving process its "
        "share (at least 1)",
    )
    codegen_large_contract_bytes: int = Field(
        default=256 * 1024,
        gt=0,
        description="contracts of this size or more are large generation jobs, which never take the last "
        "free worker",
    )
    codegen_retries: int = Field(
        default=2, ge=0, description="times a generation is run again when its worker process dies"
    )
    codegen_claim_lease_seconds: float = Field(
        default=5.0,
        gt=0,
        description="a replica generating bindings renews its claim 4 times per lease; a claim not renewed "
        "for this long (its replica died) is taken over by a waiting replica",
    )
    codegen_timeout_seconds: float = Field(
        default=30.0, gt=0, description="longest one generation may run before its worker is stopped"
    )
    codegen_memory_mb: int = Field(
        default=1024, ge=0, description="address-space ceiling of a generator worker (0: none)"
    )
    expensive_concurrency: int = Field(
        default=1,
        gt=0,
        description="requests doing expensive work (validation, compatibility, impact, discovery) one "
        "serving process runs at once; more wait, then get 503 `server_busy`. That work holds Python's GIL, "
        "so more slots add no throughput, only latency for every other request: use more processes",
    )
    expensive_queue_seconds: float = Field(
        default=2.0,
        ge=0,
        description="how long an expensive request waits for a free slot before the 503 `server_busy`",
    )
    aws_account_id: str = Field(
        default="000000000000", pattern=r"^\d{12}$", description="the account in ARNs of the EventBridge API"
    )
    aws_region: str = Field(default="us-east-1", description="the region in ARNs and SigV4 scopes")
    mirror_worker: bool = Field(default=True, description="deliver mirrored versions from this replica")
    mirror_poll_seconds: float = Field(default=1.0, gt=0, description="how often the mirror worker looks")
    mirror_backoff_seconds: float = Field(
        default=1.0, gt=0, description="first retry delay of a failed delivery; doubles up to the cap"
    )
    mirror_backoff_cap_seconds: float = Field(default=300.0, gt=0, description="longest retry delay")
    mirror_lease_seconds: float = Field(
        default=60.0, gt=0, description="how long a worker owns a delivery before another may take it over"
    )
    access_log: bool = Field(default=True, description="log a line per request (the access log)")
    log_format: Literal["text", "json"] = Field(
        default="text", description="text for a terminal, or json: one JSON object per line"
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="the least severe level logged"
    )
    pool_size: int = Field(
        default=10,
        gt=0,
        description="connections per replica (PostgreSQL; as many again while busy): `serve --workers N` "
        "gives each serving process its share (at least 1)",
    )
    database_connect_timeout_seconds: int = Field(
        default=3,
        ge=2,
        description="PostgreSQL: longest wait for a new connection (seconds, 2 at least)",
    )
    database_statement_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="PostgreSQL: longest statement (server side); the client waits this plus 1 s for any "
        "answer, so that a network partition fails requests within bounds",
    )
    database_pool_timeout_seconds: float = Field(
        default=3.0, gt=0, description="longest wait for a free connection of the pool"
    )
    sqlite_busy_timeout_seconds: float = Field(
        default=5.0, ge=0, description="SQLite: longest wait for another process's write lock"
    )
    readiness_timeout_seconds: float = Field(
        default=2.0,
        gt=0,
        description="/readyz answers 503 when the database takes longer to answer",
    )
    shutdown_grace_seconds: float = Field(
        default=20.0,
        ge=0,
        description="on SIGTERM: how long requests in flight may take to finish (new ones get 503 meanwhile)",
    )
    metrics_enabled: bool = Field(
        default=True,
        description="collect Prometheus metrics and serve them at /metrics (false: no cost, 404)",
    )
    metrics_public: bool = Field(
        default=False,
        description="anyone may read /metrics; otherwise a token with the metrics role or a service-wide "
        "admin (anyone too while the registry runs open, without tokens)",
    )

    secret_key: SecretStr | None = Field(
        default=None,
        description="encrypts the SigV4 secrets of tokens at rest: keys from `registry secrets "
        "generate-key`, comma-separated; the first encrypts, every one decrypts (docs/eventbridge-auth.md)",
    )
    public_api_description: bool = Field(
        default=True,
        description="serve /docs and /openapi.json to anyone, also once tokens exist (false: they need a "
        "token like every other request)",
    )

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, url: str) -> str:
        return supported_database_url(url)

    @field_validator("secret_key")
    @classmethod
    def _usable_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                SecretBox.from_setting(value.get_secret_value())
            except SecretKeyError as exc:
                raise ValueError(str(exc)) from None
        return value

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable that sets `field`, for messages that tell an operator what to change."""
        assert field in cls.model_fields, field
        return f"{cls.model_config.get('env_prefix', '')}{field}".upper()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def supported_database_url(url: str) -> str:
    """`url` with PostgreSQL's scheme made explicit (psycopg 3); ValueError naming the supported forms for
    any database or driver the registry cannot use, so that it stops at start with that, not later with a
    driver's ModuleNotFoundError."""
    scheme, separator, rest = url.partition("://")
    scheme = scheme.lower()
    if separator and scheme in _SQLITE_SCHEMES:
        return url
    if separator and scheme in _POSTGRES_SCHEMES:
        return f"postgresql+psycopg://{rest}"
    shown = f"{scheme}://..." if separator else "a URL without a scheme"
    raise ValueError(f"unsupported database URL ({shown}); use {SUPPORTED_DATABASE_URLS}")


def misspelt_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """A warning for each REGISTRY_* variable in the environment that no setting reads, naming the closest
    known one: a misspelt variable would otherwise be silently ignored."""
    environ = os.environ if environ is None else environ
    settings = [Settings.variable(field) for field in Settings.model_fields]
    known = {*settings, *OTHER_VARIABLES}
    suffixes = [variable.removeprefix("REGISTRY_") for variable in settings]
    warnings = []
    for name in sorted(environ):
        if not name.upper().startswith("REGISTRY_") or name.upper() in known:
            continue
        # compared without the prefix, which every candidate shares and which would make anything look close
        close = difflib.get_close_matches(name.upper().removeprefix("REGISTRY_"), suffixes, n=1, cutoff=0.6)
        hint = f"; did you mean REGISTRY_{close[0]}?" if close else f" (the settings: {SETTINGS_DOC})"
        warnings.append(f"{name} is not a setting and is ignored{hint}")
    return warnings


class InvalidSettings(ValueError):
    """The environment holds settings the registry cannot run with: one line per problem, each naming its
    variable and never its value (which may be a secret or a URL with a password)."""


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment (and `overrides`), or InvalidSettings saying what to fix."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_input=False, include_url=False):
            field = str(error["loc"][0]) if error["loc"] else ""
            variable = Settings.variable(field) if field in Settings.model_fields else field
            problems.append(f"{variable}: {error['msg'].removeprefix('Value error, ')}")
        raise InvalidSettings("\n".join(problems)) from None

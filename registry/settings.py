"""Configuration: the only reader of the environment (variables prefixed `REGISTRY_`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./registry.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///path.db (default) or postgresql+psycopg://user@host/db",
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
    codegen_workers: int = Field(
        default=2,
        gt=0,
        description="worker processes generating bindings; with 2 or more, one is always kept for small "
        "contracts while large ones run",
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
    access_log: bool = True
    pool_size: int = Field(default=10, gt=0, description="connections per replica (PostgreSQL)")
    metrics_enabled: bool = Field(
        default=True,
        description="collect Prometheus metrics and serve them at /metrics (false: no cost, 404)",
    )

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable that sets `field`, for messages that tell an operator what to change."""
        assert field in cls.model_fields, field
        return f"{cls.model_config.get('env_prefix', '')}{field}".upper()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

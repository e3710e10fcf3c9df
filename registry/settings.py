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
    codegen_workers: int = Field(default=1, gt=0, description="worker processes generating bindings")
    codegen_timeout_seconds: float = Field(
        default=30.0, gt=0, description="longest one generation may run before its worker is stopped"
    )
    codegen_memory_mb: int = Field(
        default=1024, ge=0, description="address-space ceiling of a generator worker (0: none)"
    )
    access_log: bool = True
    pool_size: int = Field(default=10, gt=0, description="connections per replica (PostgreSQL)")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

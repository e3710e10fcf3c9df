"""Running Alembic from the application: upgrade, downgrade, and asking whether the database is at head."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

# Made by the migrations beside the models, per database: the search indexes (migrations 0010 to 0014;
# `search_names`, PostgreSQL's table of names, with its index). Comparing the models with the database
# leaves them out.
OUTSIDE_THE_MODELS = (
    "ix_search_documents_document_trgm",
    "ix_search_documents_name_trgm",
    "ix_search_documents_description_trgm",
    "ix_search_documents_names",
    "search_documents_fts",
    "search_fts_pending",
    "search_names",
    "ix_search_names_name_trgm",
)


def outside_the_models(name: str | None, type_: str, _parents: object) -> bool:
    """False for what the models do not describe (an `include_name` hook of Alembic's comparison)."""
    return not (name and name.startswith(OUTSIDE_THE_MODELS) and type_ in ("table", "index"))


def migrations_dir() -> Path:
    """The wheel carries migrations/ as registry/_migrations; a source checkout has it at the top."""
    packaged = Path(str(files("registry"))) / "_migrations"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()

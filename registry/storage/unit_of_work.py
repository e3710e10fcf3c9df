"""Unit of work: one transaction, rolled back unless the service commits it explicitly."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from registry.storage.database import IMMEDIATE
from registry.storage.repositories import (
    RegistryRepository,
    SchemaRepository,
    TokenRepository,
    VersionRepository,
)


class UnitOfWork:
    """`with uow.writing() as tx:` for changes, `with uow.reading() as tx:` for queries."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def reading(self) -> Transaction:
        return Transaction(self._session_factory(), write=False)

    def writing(self) -> Transaction:
        return Transaction(self._session_factory(), write=True)


class Transaction:
    def __init__(self, session: Session, *, write: bool) -> None:
        self.session = session
        if write and session.get_bind().dialect.name == "sqlite":
            session.connection(execution_options={IMMEDIATE: True})
        self.registries = RegistryRepository(session)
        self.schemas = SchemaRepository(session)
        self.versions = VersionRepository(session)
        self.tokens = TokenRepository(session)

    def __enter__(self) -> Transaction:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()


def is_unique_violation(exc: DBAPIError) -> bool:
    """True when the database refused a row because a unique constraint already holds its key."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate == "23505" or "UNIQUE constraint failed" in str(exc.orig)

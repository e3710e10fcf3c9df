"""Unit of work: one transaction, rolled back unless the service commits it explicitly."""

from __future__ import annotations

import threading
from contextlib import nullcontext
from types import TracebackType
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from registry.storage.audit import AuditRepository
from registry.storage.bindings import GeneratedCodeRepository, PackageFileRepository
from registry.storage.database import IMMEDIATE
from registry.storage.deployments import DeploymentRepository
from registry.storage.environments import EnvironmentRepository
from registry.storage.impact import DependentRepository
from registry.storage.mirror import MirrorRepository
from registry.storage.references import ReferenceRepository
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
        bind = session_factory.kw["bind"]
        self._dialect: str = bind.dialect.name
        # SQLite admits one writer at a time and makes the others sleep in growing steps while they wait;
        # queueing this process's writers on a lock instead keeps their latency flat.
        self._sqlite_writer = threading.Lock()

    def reading(self) -> Transaction:
        # PostgreSQL reads run in autocommit: no BEGIN and ROLLBACK round trips around a lone SELECT.
        options = {"isolation_level": "AUTOCOMMIT"} if self._dialect == "postgresql" else {}
        return Transaction(self._session_factory(), options, nullcontext())

    def writing(self) -> Transaction:
        if self._dialect == "sqlite":
            return Transaction(self._session_factory(), {IMMEDIATE: True}, self._sqlite_writer)
        return Transaction(self._session_factory(), {}, nullcontext())


class Transaction:
    def __init__(self, session: Session, options: dict[str, Any], turn: Any) -> None:
        self.session = session
        self._options = options
        self._turn = turn
        self.registries = RegistryRepository(session)
        self.schemas = SchemaRepository(session)
        self.versions = VersionRepository(session)
        self.tokens = TokenRepository(session)
        self.generated_code = GeneratedCodeRepository(session)
        self.package_files = PackageFileRepository(session)
        self.mirror = MirrorRepository(session)
        self.deployments = DeploymentRepository(session)
        self.environments = EnvironmentRepository(session)
        self.references = ReferenceRepository(session)
        self.dependents = DependentRepository(session)
        self.audit = AuditRepository(session)

    def __enter__(self) -> Transaction:
        self._turn.__enter__()
        try:
            if self._options:
                self.session.connection(execution_options=self._options)
        except BaseException:
            self._turn.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()
            self._turn.__exit__(None, None, None)

    def commit(self) -> None:
        self.session.commit()

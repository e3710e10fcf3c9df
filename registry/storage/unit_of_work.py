"""Unit of work: one transaction, rolled back unless the service commits it explicitly."""

from __future__ import annotations

import ctypes
import multiprocessing
import threading
from contextlib import nullcontext
from types import TracebackType
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from registry.domain import errors
from registry.storage.audit import AuditRepository
from registry.storage.availability import POOL_EXHAUSTED, DatabaseState, translate
from registry.storage.bindings import GeneratedCodeRepository, PackageFileRepository
from registry.storage.database import IMMEDIATE
from registry.storage.deployments import DeploymentRepository
from registry.storage.direct import commit, forget_queued, remember
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
from registry.storage.search import SearchRepository


class CommitCount:
    """Write transactions committed: what a replica keeps in memory about data that writes change
    (`latest`) is dropped when this moves (see api.fast_reads). In one process by default; `shared()`
    makes one that the worker processes of `serve --workers N` forked after it all bump and read, so that a
    write acknowledged by one worker is seen at once by its siblings, as by itself."""

    def __init__(self) -> None:
        # A C integer either way (here private to the process, or in shared memory): one shape to read.
        self._value: Any = ctypes.c_uint64(0)
        self._lock: Any = threading.Lock()

    @classmethod
    def shared(cls) -> CommitCount:
        context = multiprocessing.get_context("fork")
        count = cls()
        # A word in shared memory (reading it is one load, without the lock) and a lock between processes
        # for the increments, which must not be lost: two workers committing at once move it by two.
        count._value = context.RawValue(ctypes.c_uint64, 0)
        count._lock = context.Lock()
        return count

    @property
    def value(self) -> int:
        return int(self._value.value)

    def bump(self) -> None:
        with self._lock:
            self._value.value += 1


# Set by `serve --workers N` before it forks (registry.supervisor): every unit of work made afterwards, in any
# of the workers, counts its commits there.
shared_commit_count: CommitCount | None = None


class UnitOfWork:
    """`with uow.writing() as tx:` for changes, `with uow.reading() as tx:` for queries.

    A driver error that is about the database rather than the request (unreachable, too slow, read-only,
    not migrated) leaves the block as our `Unavailable` error, and `database` hears of every change."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        bind = session_factory.kw["bind"]
        self.engine: Engine = bind
        self.database = DatabaseState()
        self.dialect: str = bind.dialect.name
        # SQLite admits one writer at a time and makes the others sleep in growing steps while they wait;
        # queueing this process's writers on a lock instead keeps their latency flat.
        self._sqlite_writer = threading.Lock()
        self._commit_count = shared_commit_count or CommitCount()

    def reading(self) -> Transaction:
        # PostgreSQL reads run in autocommit: no BEGIN and ROLLBACK round trips around a lone SELECT.
        options = {"isolation_level": "AUTOCOMMIT"} if self.dialect == "postgresql" else {}
        return Transaction(self._session_factory(), options, nullcontext(), self)

    def writing(self) -> Transaction:
        if self.dialect == "sqlite":
            return Transaction(
                self._session_factory(), {IMMEDIATE: True}, self._sqlite_writer, self, writing=True
            )
        return Transaction(self._session_factory(), {}, nullcontext(), self, writing=True)

    def committed(self) -> None:
        """After a write transaction has committed (never before: a reader that sees the new count must
        also see the write)."""
        self._commit_count.bump()

    @property
    def commits(self) -> int:
        """Write transactions committed through this replica (all its worker processes under `--workers`)."""
        return self._commit_count.value

    def translated(self, exc: BaseException) -> errors.Unavailable | None:
        """Our error for `exc` when it is about the database (and the state told); else None."""
        ours = translate(exc, self.engine)
        if ours is not None and ours.details.get("reason") != POOL_EXHAUSTED:
            self.database.failed(ours)
        return ours


class Transaction:
    def __init__(
        self, session: Session, options: dict[str, Any], turn: Any, uow: UnitOfWork, *, writing: bool = False
    ) -> None:
        self.session = session
        self._options = options
        self._turn = turn
        self._uow = uow
        self._writing = writing
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
        self.search = SearchRepository(session, uow.dialect)
        self.dependents = DependentRepository(session)
        self.audit = AuditRepository(session)

    def __enter__(self) -> Transaction:
        self._turn.__enter__()
        try:
            if self._options:
                remember(self.session, self.session.connection(execution_options=self._options))
        except BaseException as exc:
            self.session.close()
            self._turn.__exit__(None, None, None)
            ours = self._uow.translated(exc)
            if ours is not None:
                raise ours from exc
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        failure: Exception | None = None
        forget_queued(self.session)
        try:
            self.session.rollback()
        except Exception as error:  # the connection broke: the block's own error, if any, says more
            failure = error
        finally:
            self.session.close()
            self._turn.__exit__(None, None, None)
        problem = exc or failure
        if problem is None:
            self._uow.database.answered(wrote=self._writing)
            return
        ours = self._uow.translated(problem)
        if ours is not None:
            raise ours from problem
        if failure is not None and exc is None:
            raise failure

    def commit(self) -> None:
        commit(self.session)  # with the statements queued to go with it (direct.run_at_commit)
        self._uow.committed()

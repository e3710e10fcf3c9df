"""Repositories of code generation: generated models by content, built package files by version."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Executable, and_, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from registry.domain.model import GeneratedCode, PackageFile
from registry.storage.models import GeneratedCodeRow, PackageFileRow, VersionRow, utcnow
from registry.storage.repositories import aware

PENDING, READY, FAILED = "pending", "ready", "failed"


def _insert(
    session: Session, table: type[GeneratedCodeRow] | type[PackageFileRow]
) -> postgresql.Insert | sqlite.Insert:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _changed(session: Session, statement: Executable) -> bool:
    """Whether the INSERT ... ON CONFLICT DO NOTHING or the UPDATE touched a row."""
    result = cast(CursorResult[Any], session.execute(statement))
    return bool(result.rowcount)


class GeneratedCodeRepository:
    """Rows keyed by (fingerprint, event root, generator version). Claims are compare-and-set on
    `attempt`, so of several replicas asking at once exactly one generates. A pending row is a lease: its
    holder renews `updated_at` while it generates, and a row that stops changing is taken over."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _key(fingerprint: str, event_root: str | None, generator: str):  # type: ignore[no-untyped-def]
        return and_(
            GeneratedCodeRow.fingerprint == fingerprint,
            GeneratedCodeRow.event_root == (event_root or ""),
            GeneratedCodeRow.generator_version == generator,
        )

    def get(self, fingerprint: str, event_root: str | None, generator: str) -> GeneratedCode | None:
        row = self.session.scalar(
            select(GeneratedCodeRow).where(self._key(fingerprint, event_root, generator))
        )
        if row is None:
            return None
        return GeneratedCode(
            status=row.status,
            module=row.module,
            root_class=row.root_class,
            detail_class=row.detail_class,
            is_envelope=row.is_envelope,
            error=row.error,
            attempt=row.attempt,
            updated_at=aware(row.updated_at),
        )

    def claim(
        self, fingerprint: str, event_root: str | None, generator: str, *, replacing: int | None
    ) -> bool:
        """Take the job: insert a pending row, or (`replacing` the attempt seen) take over a stale claim
        or an old failure. False when another replica got there first."""
        now = utcnow()
        if replacing is None:
            statement = (
                _insert(self.session, GeneratedCodeRow)
                .values(
                    fingerprint=fingerprint,
                    event_root=event_root or "",
                    generator_version=generator,
                    status=PENDING,
                    is_envelope=False,
                    attempt=1,
                    updated_at=now,
                )
                .on_conflict_do_nothing()
            )
            return _changed(self.session, statement)
        return _changed(
            self.session,
            update(GeneratedCodeRow)
            .where(self._key(fingerprint, event_root, generator), GeneratedCodeRow.attempt == replacing)
            .values(status=PENDING, attempt=replacing + 1, updated_at=now),
        )

    def renew(self, fingerprint: str, event_root: str | None, generator: str, *, attempt: int) -> bool:
        """The claim holder's heartbeat: its claim is alive. False when another replica took it over."""
        return _changed(
            self.session,
            update(GeneratedCodeRow)
            .where(
                self._key(fingerprint, event_root, generator),
                GeneratedCodeRow.attempt == attempt,
                GeneratedCodeRow.status == PENDING,
            )
            .values(updated_at=utcnow()),
        )

    def release(self, fingerprint: str, event_root: str | None, generator: str, *, attempt: int) -> None:
        """Give up a claim without a result (generation could not run): the next request claims afresh."""
        self.session.execute(
            delete(GeneratedCodeRow).where(
                self._key(fingerprint, event_root, generator),
                GeneratedCodeRow.attempt == attempt,
                GeneratedCodeRow.status == PENDING,
            )
        )

    def finish(
        self,
        fingerprint: str,
        event_root: str | None,
        generator: str,
        *,
        module: str | None = None,
        root_class: str | None = None,
        detail_class: str | None = None,
        is_envelope: bool = False,
        error: str | None = None,
    ) -> None:
        self.session.execute(
            update(GeneratedCodeRow)
            .where(self._key(fingerprint, event_root, generator))
            .values(
                status=FAILED if error is not None else READY,
                module=module,
                root_class=root_class,
                detail_class=detail_class,
                is_envelope=is_envelope,
                error=error,
                updated_at=utcnow(),
            )
        )


class PackageFileRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, version_id: int, generator: str, kind: str) -> PackageFile | None:
        query = (
            select(VersionRow.version, PackageFileRow)
            .join(VersionRow, PackageFileRow.version_id == VersionRow.id)
            .where(
                PackageFileRow.version_id == version_id,
                PackageFileRow.generator_version == generator,
                PackageFileRow.kind == kind,
            )
        )
        found = self.session.execute(query).first()
        return None if found is None else _file(found[0], found[1])

    def by_filename(self, schema_id: int, filename: str) -> PackageFile | None:
        query = (
            select(VersionRow.version, PackageFileRow)
            .join(VersionRow, PackageFileRow.version_id == VersionRow.id)
            .where(VersionRow.schema_id == schema_id, PackageFileRow.filename == filename)
        )
        found = self.session.execute(query).first()
        return None if found is None else _file(found[0], found[1])

    def add(
        self, version_id: int, generator: str, kind: str, filename: str, sha256: str, data: bytes
    ) -> bool:
        """Store a built file; False when another request stored it first (the same bytes)."""
        statement = (
            _insert(self.session, PackageFileRow)
            .values(
                version_id=version_id,
                generator_version=generator,
                kind=kind,
                filename=filename,
                sha256=sha256,
                size=len(data),
                data=data,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing()
        )
        return _changed(self.session, statement)

    def listing(self, schema_id: int, generator: str, kind: str) -> list[tuple[int, PackageFile | None]]:
        """Every version of the schema, with its built file of this kind where there is one (no bytes)."""
        query = (
            select(VersionRow.version, PackageFileRow.filename, PackageFileRow.sha256, PackageFileRow.size)
            .outerjoin(
                PackageFileRow,
                and_(
                    PackageFileRow.version_id == VersionRow.id,
                    PackageFileRow.generator_version == generator,
                    PackageFileRow.kind == kind,
                ),
            )
            .where(VersionRow.schema_id == schema_id)
            .order_by(VersionRow.version)
        )
        return [
            (version, None if filename is None else PackageFile(version, filename, sha256, size))
            for version, filename, sha256, size in self.session.execute(query)
        ]


def _file(version: int, row: PackageFileRow) -> PackageFile:
    return PackageFile(version, row.filename, row.sha256, row.size, row.data)

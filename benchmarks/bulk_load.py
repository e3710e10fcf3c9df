"""Filling a migrated database straight through its tables, with what registration writes: the bulk path of
the benchmarks that need many stored versions (bench_scale, bench_search).

The rows are built by the service's own code: canonical text and fingerprint
(registry.domain.formats.canonical), package names (codegen.names) and one search document per schema from
its versions' keywords (registry.domain.search), which is what registering the versions one by one leaves
(registry.storage.search). They are written in one transaction per chunk: executemany on
SQLite, COPY on PostgreSQL. What the search index needs besides is done at the end, as the migrations do it
for existing data: on PostgreSQL the search indexes (migrations 0010 to 0014) are dropped for the load and
built after it from their definitions (the trigger of 0012 fills `search_names` row by row meanwhile); on
SQLite the documents the triggers of 0013 listed go into the FTS5 index (MOVE_PENDING_SQL). Then ANALYZE.

`wrong_documents` and `wrong_first_hits` check the result: stored documents against the ones built again
from the stored versions, and searches through the service against the schema they must find first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text

from codegen.names import distribution_name
from registry import services
from registry.domain.formats.canonical import fingerprint_of
from registry.domain.search import contract_keywords, merge_keywords, search_document
from registry.storage.database import make_session_factory
from registry.storage.search import MOVE_PENDING_SQL
from registry.storage.unit_of_work import UnitOfWork

SCHEMA_COLUMNS = (
    "id, registry_id, name, type, description, compatibility, compatibility_policy, last_version, "
    "package_name, tags, created_at, updated_at"
)
VERSION_COLUMNS = "schema_id, version, content, fingerprint, event_root, description, created_at, created_by"
DOCUMENT_COLUMNS = "schema_id, registry_name, schema_name, name, description, document"
# PostgreSQL's search indexes (migrations 0010 to 0014): dropped for the load, built after it again as the
# migrations defined them (their definitions, storage parameters included, read from the database)
SEARCH_INDEXES = (
    "ix_search_documents_document_trgm",
    "ix_search_names_name_trgm",
    "ix_search_documents_description_trgm",
    "ix_search_documents_names",
)

Rows = list[tuple[Any, ...]]


def schema_row(
    schema_id: int, registry_id: int, registry: str, name: str, versions: int, now: datetime
) -> tuple[Any, ...]:
    """A JSON Schema draft-04 schema as its first registration creates it (no description, the
    registry's compatibility), `versions` numbers allocated."""
    package = distribution_name(registry, name)
    return (schema_id, registry_id, name, "JSONSchemaDraft4", None, None, None, versions, package, "{}",
            now, now)  # fmt: skip


def version_row(schema_id: int, number: int, canonical: str, now: datetime, actor: str) -> tuple[Any, ...]:
    """A version holding `canonical` (canonical JSON, no references: no bundle, no event root)."""
    return (schema_id, number, canonical, fingerprint_of(canonical), None, None, now, actor)


def document_row(
    schema_id: int, registry: str, name: str, newest_first: Iterable[Any], description: str | None = None
) -> tuple[Any, ...]:
    """The schema's search document once its contracts (parsed; `newest_first`, read lazily) are
    registered. Built as SearchRepository.rebuild builds it: keywords merged newest first, the older
    contracts left unread once the bound is reached; registering them one by one, oldest first, gives the
    same document (registered_document, which wrong_documents checks it against)."""
    keywords: list[str] = []
    for contract in newest_first:
        older = contract_keywords(contract)
        keywords = merge_keywords(keywords, older)
        if not set(older) <= set(keywords):  # the bound is reached: older contracts add nothing
            break
    return _document(schema_id, registry, name, description, keywords)


def registered_document(
    schema_id: int, registry: str, name: str, oldest_first: Iterable[Any], description: str | None = None
) -> tuple[Any, ...]:
    """The schema's search document as registrations leave it: each new version's keywords merged in
    front of the stored ones (SearchRepository.add_contract)."""
    keywords: list[str] = []
    for contract in oldest_first:
        keywords = merge_keywords(contract_keywords(contract), keywords)
    return _document(schema_id, registry, name, description, keywords)


def _document(
    schema_id: int, registry: str, name: str, description: str | None, keywords: list[str]
) -> tuple[Any, ...]:
    document = search_document(name, description, keywords)
    return (schema_id, registry, name, document.name, document.description, document.text)


class BulkLoad:
    """A raw DBAPI connection for the load; on PostgreSQL the search indexes are missing until the end.

    `write` stores one chunk in a transaction; leaving the `with` without an error finishes the index,
    sets the sequences past the explicit ids and analyzes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"

    def __enter__(self) -> BulkLoad:
        self.raw = self.engine.raw_connection()
        self.index_definitions: list[str] = []
        if self.postgres:
            cursor = self.raw.cursor()
            for index in SEARCH_INDEXES:
                cursor.execute("SELECT pg_get_indexdef(%s::regclass)", (index,))
                self.index_definitions.append(cursor.fetchone()[0])
                cursor.execute(f"DROP INDEX {index}")
            self.raw.commit()
        return self

    def write(self, schemas: Rows, versions: Rows, documents: Rows) -> None:
        tables = (
            ("schemas", SCHEMA_COLUMNS, schemas),
            ("schema_versions", VERSION_COLUMNS, versions),
            ("search_documents", DOCUMENT_COLUMNS, documents),
        )
        cursor = self.raw.cursor()
        for table, columns, rows in tables:
            if self.postgres:
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * (columns.count(",") + 1))
                statement = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
                cursor.executemany(statement, [tuple(map(_sqlite_value, row)) for row in rows])
        self.raw.commit()

    def __exit__(self, error: type[BaseException] | None, *_: object) -> None:
        if error is not None:
            self.raw.rollback()
            self.raw.close()
            return
        cursor = self.raw.cursor()
        if self.postgres:
            for definition in self.index_definitions:
                cursor.execute(definition)
            for table in ("schemas", "schema_versions"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
        else:  # the documents inserted are listed for the FTS5 index (migration 0013): move them into it
            for statement in MOVE_PENDING_SQL:
                cursor.execute(statement)
        self.raw.commit()
        self.raw.close()
        if self.postgres:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        else:
            with self.engine.begin() as connection:
                connection.execute(text("ANALYZE"))


def _sqlite_value(value: Any) -> Any:
    """As SQLAlchemy stores a timestamp in SQLite (UTC, no offset); anything else as it is."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


# ------------------------------------------------------------------------------------------------ checking


_NAMES = text(
    "SELECT r.name, s.name, s.description FROM schemas s JOIN registries r ON r.id = s.registry_id"
    " WHERE s.id = :id"
)
_CONTENTS = text(
    "SELECT coalesce(bundle, content) FROM schema_versions WHERE schema_id = :id ORDER BY version"
)
_DOCUMENT = text(f"SELECT {DOCUMENT_COLUMNS} FROM search_documents WHERE schema_id = :id")


def wrong_documents(engine: Engine, schema_ids: Iterable[int]) -> list[str]:
    """The schemas among `schema_ids` whose stored search document is not the one their stored versions
    give (each version's keywords merged in, oldest first, as registrations do), or that have none; and
    documents missing, on SQLite left out of the FTS5 index, on PostgreSQL missing from `search_names`."""
    wrong = []
    with engine.connect() as connection:
        for schema_id in schema_ids:
            registry, name, description = connection.execute(_NAMES, {"id": schema_id}).one()
            contents = connection.execute(_CONTENTS, {"id": schema_id}).scalars()
            expected = registered_document(schema_id, registry, name, map(json.loads, contents), description)
            stored = connection.execute(_DOCUMENT, {"id": schema_id}).one_or_none()
            if stored is None or tuple(stored) != expected:
                wrong.append(f"the search document of {registry}/{name} is not what registration writes")
        wrong += _wrong_counts(engine, connection)
    return wrong


def _wrong_counts(engine: Engine, connection: Any) -> list[str]:
    def count(table: str) -> int:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())

    schemas, documents = count("schemas"), count("search_documents")
    wrong = [] if documents == schemas else [f"{documents:,} search documents for {schemas:,} schemas"]
    if engine.dialect.name == "sqlite":
        if pending := count("search_fts_pending"):
            wrong.append(f"{pending:,} search documents not moved into the FTS5 index")
    elif (names := count("search_names")) != documents:
        wrong.append(f"{names:,} rows in search_names for {documents:,} documents")
    return wrong


def wrong_first_hits(engine: Engine, expected: Sequence[tuple[str, str, str]]) -> list[str]:
    """The searches (query, registry, schema) whose first hit through the service is not that schema."""
    uow = UnitOfWork(make_session_factory(engine))
    wrong = []
    for query, registry, schema in expected:
        page = services.search(uow, query, registry=None, only=None, limit=5, cursor=None)
        first = (page.items[0].registry, page.items[0].schema) if page.items else None
        if first != (registry, schema):
            wrong.append(f"search {query!r} found first {first}, not {(registry, schema)}")
    return wrong

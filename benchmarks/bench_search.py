"""Search at scale: 100,000 versions on SQLite and on PostgreSQL, 1,000,000 on PostgreSQL.

Run from the repository root (`make bench` runs the default sizes):

    .venv/bin/python benchmarks/bench_search.py                                  # the sizes below
    .venv/bin/python benchmarks/bench_search.py --sizes sqlite:2000,postgres:2000  # a short run

Each size is a fresh database migrated to head, loaded through a bulk path: rows written straight into
the tables (executemany on SQLite, COPY on PostgreSQL), built by the service's own code: canonical JSON
and fingerprints (registry.domain.formats.canonical), package names (codegen.names) and search documents
(registry.domain.search). A sample of the contracts goes through `parse_contract` too, which must give the
same canonical text and fingerprint. On PostgreSQL the search indexes are dropped for the load and built
again after it, as migrations 0010 to 0012 build them over existing data; the load time includes that.

The data: schemas of 4 versions each (a version adds a property to the one before), named like
`com.acme.t000123@InvoiceRefunded` (50 entities x 20 actions), spread over 10 registries; each contract
holds 14-17 properties drawn from 1,000 names (`couponCode`, `shipmentStatus`, ...), a title, a few
descriptions and a status enum. The queries are what people type: a property name, a schema name, two
words, one exact schema, and a broad word found in 1 schema in 10.

Measured per query, in-process (the service's `search` with its database round trips) and over HTTP
(`registry serve`, one worker, one keep-alive client): p50, p95 and p99; and in-process, this process's CPU
time per search (p50): on SQLite all of the work, which other jobs on the machine do not inflate; on
PostgreSQL the client's share only, and beside it the server's ("DB CPU": the mean CPU time of this
database's server processes per search, read from /proc). Beside it, where the size allows
(`--baseline-max`, 100,000 versions by default), the search as it was before the index (LIKE over every
version's content, copied below), in the same run on the same data. Target: p50 <= 20 ms.

This is not a test: it prints tables, and exits 1 only when an answer is wrong.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from bench_api import (
    HOST,
    PG_ADMIN_URL,
    PG_URL_TEMPLATE,
    machine_line,
    markdown_table,
    postgres_database,
    registry_server,
    sqlite_database,
)
from sqlalchemy import Engine, and_, exists, func, inspect, literal, or_, select, text

from codegen.names import distribution_name
from registry import services
from registry.domain.formats import parse_contract
from registry.domain.formats.canonical import canonical_json, fingerprint_of
from registry.domain.search import contract_keywords, merge_keywords, search_document
from registry.storage.database import make_engine, make_session_factory
from registry.storage.migrations import upgrade
from registry.storage.models import RegistryRow, SchemaRow, VersionRow
from registry.storage.search import MOVE_PENDING_SQL
from registry.storage.unit_of_work import UnitOfWork

DEFAULT_SIZES = "sqlite:100000,postgres:100000,postgres:1000000"
TARGET_P50_MS = 20.0
VERSIONS_PER_SCHEMA = 4
REGISTRIES = 10
CHUNK = 5000  # schemas generated and written at a time

# names, not prose: kept as strings split once
ENTITIES = (  # noqa: SIM905
    "order invoice payment refund shipment parcel customer account cart coupon subscription plan product "
    "price stock warehouse delivery return review rating ticket session device sensor reading alert booking "
    "reservation flight seat hotel room loan claim policy quote lead campaign email message notification "
    "report batch job task project contract vendor employee payroll"
).split()
ACTIONS = (  # noqa: SIM905
    "Created Updated Deleted Cancelled Completed Failed Approved Rejected Shipped Delivered Paid Refunded "
    "Opened Closed Assigned Expired Renewed Scheduled Started Stopped"
).split()
FIELDS = (  # noqa: SIM905
    "Id Name Status Amount Currency Email Phone Address Date Time Count Code Type Reference Note Total Tax "
    "Discount Url Version"
).split()
WORDS = (  # noqa: SIM905
    "the when a an is was by for customer system partner team new final pending primary external internal "
    "source target billing legacy regional daily manual automatic"
).split()
STATUSES = ["NEW", "ACTIVE", "PENDING", "DONE", "FAILED", "ON_HOLD"]


def schema_name(index: int) -> tuple[str, str, str]:
    """The name of schema `index`, with its entity and action."""
    entity = ENTITIES[(index * 7) % len(ENTITIES)]
    action = ACTIONS[(index * 13 // len(ENTITIES)) % len(ACTIONS)]
    return f"com.acme.t{index:07}@{entity.capitalize()}{action}", entity, action


def schema_contracts(index: int) -> list[dict[str, Any]]:
    """The contracts of schema `index`, oldest first: each version adds a property."""
    rng = random.Random(index)
    _, entity, action = schema_name(index)
    nouns = [entity, *rng.sample(ENTITIES, 3)]
    names = sorted({f"{rng.choice(nouns)}{rng.choice(FIELDS)}" for _ in range(20)})[:13]
    extra = [f"{rng.choice(ENTITIES)}{rng.choice(FIELDS)}" for _ in range(VERSIONS_PER_SCHEMA)]
    contracts = []
    for version in range(VERSIONS_PER_SCHEMA):
        properties: dict[str, Any] = {name: {"type": "string"} for name in names + extra[:version]}
        for name in names[:3]:
            properties[name]["description"] = " ".join(rng.sample(WORDS, 5)) + f" {entity}"
        properties["status"] = {"type": "string", "enum": STATUSES[: 3 + index % 4]}
        contracts.append(
            {
                "$schema": "http://json-schema.org/draft-04/schema#",
                "title": f"{entity.capitalize()} {action.lower()}",
                "type": "object",
                "required": names[:2],
                "properties": properties,
            }
        )
    return contracts


@dataclass(frozen=True)
class Query:
    label: str
    text: str
    expected: int | None = None  # how many hits, when known


def queries(schemas: int) -> list[Query]:
    exact, _, _ = schema_name(schemas // 2)
    return [
        Query("a property name", "couponCode"),
        Query("a schema name", "InvoiceRefunded"),
        Query("two words", "shipment delivered"),
        Query("one exact schema", exact, 1),
        Query("a broad word (1 schema in 10)", "warehouse"),
    ]


# ----------------------------------------------------------------------------------------------- loading


def rows_of(
    first: int, count: int, registries: list[tuple[int, str]], now: datetime
) -> Iterator[tuple[Any, ...]]:
    """(schema row, version rows, search document row) of schemas first .. first + count - 1."""
    for index in range(first, first + count):
        name, _, _ = schema_name(index)
        registry_id, registry = registries[index % len(registries)]
        schema_id = index + 1
        contracts = schema_contracts(index)
        package = distribution_name(registry, name)
        schema = (schema_id, registry_id, name, "JSONSchemaDraft4", None, None, None, len(contracts))
        schema += (package, "{}", now, now)
        versions = []
        keywords: list[str] = []
        for number, contract in enumerate(contracts, start=1):
            canonical = canonical_json(contract)
            versions.append(
                (schema_id, number, canonical, fingerprint_of(canonical), None, None, now, "bench")
            )
            keywords = merge_keywords(contract_keywords(contract), keywords)
        document = search_document(name, None, keywords)
        names = (schema_id, registry, name)
        yield schema, versions, (*names, document.name, document.description, document.text)


SCHEMA_COLUMNS = (
    "id, registry_id, name, type, description, compatibility, compatibility_policy, last_version, "
    "package_name, tags, created_at, updated_at"
)
VERSION_COLUMNS = "schema_id, version, content, fingerprint, event_root, description, created_at, created_by"
DOCUMENT_COLUMNS = "schema_id, registry_name, schema_name, name, description, document"
# PostgreSQL's search indexes (migrations 0010 to 0012), by table: dropped for the load, built after it
SEARCH_INDEXES = {
    "ix_search_documents_document_trgm": "search_documents USING gin (document gin_trgm_ops)",
    "ix_search_names_name_trgm": "search_names USING gin (name gin_trgm_ops)",
    "ix_search_documents_description_trgm": "search_documents USING gin (description gin_trgm_ops)",
    "ix_search_documents_names": "search_documents (registry_name, schema_name) INCLUDE (name, schema_id)",
}


def load(engine: Engine, versions: int) -> tuple[int, float]:
    """Load `versions` versions; the number of schemas and the seconds it took."""
    started = time.perf_counter()
    uow = UnitOfWork(make_session_factory(engine))
    changes = services.RegistryChanges()
    for number in range(REGISTRIES):
        services.put_registry(uow, f"team{number + 1:02}", changes, actor="bench")
    with engine.connect() as connection:
        registries = [tuple(row) for row in connection.execute(select(RegistryRow.id, RegistryRow.name))]
    schemas = versions // VERSIONS_PER_SCHEMA
    _check_the_service_agrees(schemas)
    now = datetime.now(UTC)
    writer = _copy_rows if engine.dialect.name == "postgresql" else _insert_rows
    with _bulk(engine) as connection:
        for first in range(0, schemas, CHUNK):
            writer(connection, list(rows_of(first, min(CHUNK, schemas - first), registries, now)))
            print(
                f"  loaded {min(first + CHUNK, schemas):,} schemas of {schemas:,}", end="\r", file=sys.stderr
            )
    print(file=sys.stderr)
    return schemas, time.perf_counter() - started


def _check_the_service_agrees(schemas: int) -> None:
    """The bulk path's canonical text and fingerprint are what registering through the service gives."""
    for index in range(0, schemas, max(1, schemas // 20)):
        for contract in schema_contracts(index):
            parsed = parse_contract("JSONSchemaDraft4", contract)
            assert parsed.canonical == canonical_json(contract)
            assert parsed.fingerprint == fingerprint_of(parsed.canonical)


class _bulk:
    """A raw DBAPI connection for the load; on PostgreSQL without the trigram index until the end."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> Any:
        self.raw = self.engine.raw_connection()
        if self.engine.dialect.name == "postgresql":
            for index in SEARCH_INDEXES:
                self.raw.cursor().execute(f"DROP INDEX {index}")
        return self.raw

    def __exit__(self, *exc: object) -> None:
        cursor = self.raw.cursor()
        if self.engine.dialect.name == "sqlite":  # the documents inserted wait for the FTS5 index (0013)
            for statement in MOVE_PENDING_SQL:
                cursor.execute(statement)
        if self.engine.dialect.name == "postgresql":
            for index, definition in SEARCH_INDEXES.items():
                cursor.execute(f"CREATE INDEX {index} ON {definition}")
            for table in ("schemas", "schema_versions"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
        self.raw.commit()
        self.raw.close()
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        else:
            with self.engine.connect() as connection:
                connection.execute(text("ANALYZE"))


def _insert_rows(raw: Any, chunk: list[tuple[Any, ...]]) -> None:
    cursor = raw.cursor()
    stamp = lambda row: tuple(v.isoformat(" ") if isinstance(v, datetime) else v for v in row)  # noqa: E731
    cursor.executemany(
        f"INSERT INTO schemas ({SCHEMA_COLUMNS}) VALUES ({_marks(12)})", [stamp(s) for s, _, _ in chunk]
    )
    cursor.executemany(
        f"INSERT INTO schema_versions ({VERSION_COLUMNS}) VALUES ({_marks(8)})",
        [stamp(v) for _, versions, _ in chunk for v in versions],
    )
    cursor.executemany(
        f"INSERT INTO search_documents ({DOCUMENT_COLUMNS}) VALUES ({_marks(6)})", [d for _, _, d in chunk]
    )
    raw.commit()


def _copy_rows(raw: Any, chunk: list[tuple[Any, ...]]) -> None:
    cursor = raw.cursor()
    for table, columns, rows in (
        ("schemas", SCHEMA_COLUMNS, [s for s, _, _ in chunk]),
        ("schema_versions", VERSION_COLUMNS, [v for _, versions, _ in chunk for v in versions]),
        ("search_documents", DOCUMENT_COLUMNS, [d for _, _, d in chunk]),
    ):
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    raw.commit()


def _marks(count: int) -> str:
    return ", ".join("?" * count)


# --------------------------------------------------------------------------------------------- measuring


def unindexed_search(engine: Engine, terms: list[str], limit: int) -> list[str]:
    """The search before the index (the repository's query until migration 0010): every term a substring
    of the name, the description or any version's content."""

    def matches(pattern: str) -> Any:
        in_content = exists().where(
            VersionRow.schema_id == SchemaRow.id, func.lower(VersionRow.content).like(pattern, escape="\\")
        )
        return or_(
            func.lower(SchemaRow.name).like(pattern, escape="\\"),
            func.lower(func.coalesce(SchemaRow.description, literal(""))).like(pattern, escape="\\"),
            in_content,
        )

    latest = select(func.max(VersionRow.version)).where(VersionRow.schema_id == SchemaRow.id)
    query = (
        select(RegistryRow.name, SchemaRow.name, latest.scalar_subquery())
        .join(SchemaRow.parent)
        .order_by(RegistryRow.name, SchemaRow.name)
        .limit(limit)
    )
    for term in terms:
        escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(and_(matches(f"%{escaped}%")))
    with engine.connect() as connection:
        return [row[1] for row in connection.execute(query)]


def timed(call: Callable[[], Any], repeat: int, cpu: list[float] | None = None) -> tuple[list[float], Any]:
    """Wall milliseconds of each call (and this process's CPU milliseconds, into `cpu`), and the answer."""
    call()  # warm: plans, caches
    times = []
    answer = None
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        answer = call()
        times.append((time.perf_counter() - started) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - started_cpu) * 1000)
    return times, answer


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_size(
    database: str, url: str, versions: int, args: argparse.Namespace
) -> tuple[list[list[str]], list[str]]:
    engine = make_engine(url, pool_size=2)
    with engine.connect() as connection:  # a kept database (--database) is loaded once
        loaded = inspect(connection).has_table("schemas") and connection.scalar(
            select(func.count(SchemaRow.id))
        )
    started = time.perf_counter()
    upgrade(engine)  # on a kept database: the migrations since its load, over its data
    if loaded:
        schemas = versions // VERSIONS_PER_SCHEMA
        print(f"  {database}: {loaded:,} schemas kept, migrated in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)  # fmt: skip
        if loaded != schemas:
            raise SystemExit(f"the kept database holds {loaded:,} schemas, not {schemas:,}")
    else:
        schemas, load_s = load(engine, versions)
        print(f"  {database} {versions:,} versions: loaded in {load_s:.0f} s", file=sys.stderr)
    print(f"  database {_database_size(engine, url)}", file=sys.stderr)
    uow = UnitOfWork(make_session_factory(engine))
    rows: list[list[str]] = []
    wrong: list[str] = []
    with registry_server(url) as server, httpx.Client(base_url=f"http://{HOST}:{server.port}") as client:
        for query in queries(schemas):
            row, mistakes = measure(query, uow, client, engine, args, versions <= args.baseline_max)
            rows.append([f"{query.label}: `{query.text}`", f"{database} {versions:,}", *row])
            wrong += [f"{database} {versions:,}: {query.text!r} {mistake}" for mistake in mistakes]
    engine.dispose()
    return rows, wrong


def measure(
    query: Query, uow: UnitOfWork, client: httpx.Client, engine: Engine, args: argparse.Namespace, old: bool
) -> tuple[list[str], list[str]]:
    """One query's figures (hits, p50, p95 and p99 in-process and over HTTP, the old search's p50) and
    what was wrong with its answers."""

    def in_process() -> list[str]:
        page = services.search(uow, query.text, registry=None, only=None, limit=20, cursor=None)
        return [hit.schema for hit in page.items]

    def over_http() -> list[str]:
        response = client.get("/search", params={"q": query.text, "limit": 20})
        response.raise_for_status()
        return [hit["schema"] for hit in response.json()["items"]]

    cpu_ms: list[float] = []
    database_cpu = _DatabaseCpu(engine)
    service_ms, hits = timed(in_process, args.repeat, cpu_ms)
    database_cpu_ms = database_cpu.since() / (args.repeat + 1)
    http_ms, http_hits = timed(over_http, args.repeat)
    every_hit = _all_hits(uow, query.text)
    wrong = []
    if http_hits != hits or (query.expected is not None and len(every_hit) != query.expected):
        wrong.append(f"found {len(every_hit)}: {hits[:3]}...")
    baseline = "-"
    if old:
        old_ms, old_hits = timed(
            lambda: unindexed_search(engine, query.text.split(), 20), args.baseline_repeat
        )
        baseline = f"{statistics.median(old_ms):.1f}"
        if not set(old_hits) <= set(every_hit):
            wrong.append(f"the search before the index found what this one does not: {old_hits[:3]}...")
    figures = [
        statistics.median(service_ms),
        p(service_ms, 0.95),
        p(service_ms, 0.99),
        statistics.median(cpu_ms),
        database_cpu_ms,
        statistics.median(http_ms),
        p(http_ms, 0.95),
        p(http_ms, 0.99),
    ]
    return [f"{len(every_hit):,}", *(f"{each:.1f}" for each in figures), baseline], wrong


class _DatabaseCpu:
    """The CPU time PostgreSQL's server processes for this database spent (from /proc: the server runs
    on this machine), which other jobs on the machine inflate much less than wall time; None elsewhere."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.start = self._per_process()

    def _per_process(self) -> dict[int, int] | None:
        if self.engine.dialect.name != "postgresql":
            return None
        query = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        with self.engine.connect() as connection:
            pids = connection.execute(query).scalars().all()
        used = {}
        for pid in pids:
            try:
                used[pid] = int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
            except (OSError, ValueError):
                continue
        return used

    def since(self) -> float:
        """Milliseconds of server CPU since this object was made (nan when not known)."""
        end = self._per_process()
        if self.start is None or end is None:
            return float("nan")
        return sum(ns - self.start.get(pid, 0) for pid, ns in end.items()) / 1e6


def _all_hits(uow: UnitOfWork, query: str) -> list[str]:
    """Every hit of a query (pages of 500): how many a query finds."""
    found: list[str] = []
    cursor = None
    while True:
        page = services.search(uow, query, registry=None, only=None, limit=500, cursor=cursor)
        found += [hit.schema for hit in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return found


def _database_size(engine: Engine, url: str) -> str:
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            total = connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            indexes = [  # 0 for an index the database's revision does not have (a run of older code)
                connection.execute(
                    text(f"SELECT coalesce(pg_relation_size(to_regclass('{index}')), 0)")
                ).scalar_one()
                / 2**20
                for index in SEARCH_INDEXES
            ]
        sizes = ", ".join(f"{size:,.0f}" for size in indexes)
        return f"{total / 2**20:,.0f} MB (indexes by documents, names, descriptions, order: {sizes} MB)"
    path = Path(url.removeprefix("sqlite:///"))
    return f"{os.path.getsize(path) / 2**20:,.0f} MB"


@contextlib.contextmanager
def kept_postgres_database(name: str) -> Iterator[str]:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            admin.execute(f'CREATE DATABASE "{name}"')
    yield PG_URL_TEMPLATE.format(db=name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--sizes", default=DEFAULT_SIZES, help=f"database:versions, ... (default {DEFAULT_SIZES})"
    )
    parser.add_argument("--repeat", type=int, default=40, help="searches per query and path")
    parser.add_argument(
        "--baseline-max", type=int, default=100_000, help="largest size the old search runs at"
    )
    parser.add_argument("--baseline-repeat", type=int, default=5)
    parser.add_argument(
        "--database",
        help="a PostgreSQL database to keep across runs (created and loaded when empty, migrated each run, "
        "never dropped): for several runs on one load of 1,000,000 versions",
    )
    args = parser.parse_args()
    databases = {"sqlite": sqlite_database, "postgres": postgres_database}
    header = [
        "query",
        "database, versions",
        "hits",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "CPU p50",
        "DB CPU",
        "HTTP p50",
        "HTTP p95",
        "HTTP p99",
        "before: p50",
    ]
    rows: list[list[str]] = []
    wrong: list[str] = []
    for entry in args.sizes.split(","):
        database, count = entry.strip().split(":")
        kept = database == "postgres" and args.database is not None
        with kept_postgres_database(args.database) if kept else databases[database]() as url:
            found, mistakes = bench_size(database, url, int(count), args)
            rows += found
            wrong += mistakes
    print(f"search, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine_line()}")
    print(f"load average at the end (1, 5, 15 min): {', '.join(f'{each:.1f}' for each in os.getloadavg())}")
    print(f"schemas of {VERSIONS_PER_SCHEMA} versions; 20 hits a page; target p50 <= {TARGET_P50_MS:.0f} ms")
    print(markdown_table([header, *rows]))
    for mistake in wrong:
        print(f"WRONG: {mistake}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())

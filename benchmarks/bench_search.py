"""Search at scale: 100,000 versions on SQLite and on PostgreSQL, 1,000,000 on PostgreSQL.

Run from the repository root (`make bench` runs the default sizes):

    .venv/bin/python benchmarks/bench_search.py                                  # the sizes below
    .venv/bin/python benchmarks/bench_search.py --sizes sqlite:2000,postgres:2000  # a short run

Each size is a fresh database migrated to head, loaded through the bulk path of `bulk_load.py` (shared with
bench_scale): rows written straight into the tables (executemany on SQLite, COPY on PostgreSQL), built by
the service's own code: canonical JSON and fingerprints, package names and search documents. A sample of
the contracts goes through `parse_contract` too, which must give the same canonical text and fingerprint.
On PostgreSQL the search indexes are dropped for the load and built again after it, as migrations 0010 to
0012 build them over existing data; the load time includes that. After the load, a sample of stored search
documents is compared with the ones built again from the stored versions, and a sample of exact schema
names is searched through the service: each must come first (else the run exits 1).

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
from bulk_load import (
    SEARCH_INDEXES,
    BulkLoad,
    Rows,
    document_row,
    schema_row,
    version_row,
    wrong_documents,
    wrong_first_hits,
)
from sqlalchemy import Engine, and_, exists, func, inspect, literal, or_, select, text

from registry import services
from registry.domain.formats import parse_contract
from registry.domain.formats.canonical import canonical_json, fingerprint_of
from registry.storage.database import make_engine, make_session_factory
from registry.storage.migrations import upgrade
from registry.storage.models import RegistryRow, SchemaRow, VersionRow
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


def chunk_of(
    first: int, count: int, registries: list[tuple[int, str]], now: datetime
) -> tuple[Rows, Rows, Rows]:
    """The schema, version and search document rows of schemas first .. first + count - 1."""
    schemas, versions, documents = [], [], []
    for index in range(first, first + count):
        name, _, _ = schema_name(index)
        registry_id, registry = registries[index % len(registries)]
        schema_id = index + 1
        contracts = schema_contracts(index)
        schemas.append(schema_row(schema_id, registry_id, registry, name, len(contracts), now))
        for number, contract in enumerate(contracts, start=1):
            versions.append(version_row(schema_id, number, canonical_json(contract), now, "bench"))
        documents.append(document_row(schema_id, registry, name, reversed(contracts)))
    return schemas, versions, documents


def load(engine: Engine, versions: int) -> tuple[int, float]:
    """Load `versions` versions; the number of schemas and the seconds it took."""
    started = time.perf_counter()
    uow = UnitOfWork(make_session_factory(engine))
    changes = services.RegistryChanges()
    for number in range(REGISTRIES):
        services.put_registry(uow, f"team{number + 1:02}", changes, actor="bench")
    with engine.connect() as connection:
        registries = [
            (row[0], row[1]) for row in connection.execute(select(RegistryRow.id, RegistryRow.name))
        ]
    schemas = versions // VERSIONS_PER_SCHEMA
    _check_the_service_agrees(schemas)
    now = datetime.now(UTC)
    with BulkLoad(engine) as bulk:
        for first in range(0, schemas, CHUNK):
            bulk.write(*chunk_of(first, min(CHUNK, schemas - first), registries, now))
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


def wrong_load(engine: Engine, schemas: int) -> list[str]:
    """What is wrong with the loaded search data: a sample of documents against the stored versions, and
    a sample of exact names searched through the service, each to be found first."""
    sample = range(0, schemas, max(1, schemas // 20))
    ids = [index + 1 for index in sample]
    query = select(SchemaRow.id, RegistryRow.name).join(SchemaRow.parent).where(SchemaRow.id.in_(ids))
    with engine.connect() as connection:
        registry_of = {row[0]: row[1] for row in connection.execute(query)}
    searches = [(schema_name(index)[0], registry_of[index + 1], schema_name(index)[0]) for index in sample]
    return wrong_documents(engine, ids) + wrong_first_hits(engine, searches)


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
    wrong = [f"{database} {versions:,}: {mistake}" for mistake in wrong_load(engine, schemas)]
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

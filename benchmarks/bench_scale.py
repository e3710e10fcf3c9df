"""The registry at scale: the same requests against 1,000 / 10,000 / 100,000 stored versions (SQLite and
PostgreSQL) and 1,000,000 (PostgreSQL), one table row per database and size.

Run from the repository root (`make bench` runs the default sizes):

    .venv/bin/python benchmarks/bench_scale.py                  # 1k, 10k, 100k; both databases
    .venv/bin/python benchmarks/bench_scale.py --sizes 1000 --databases sqlite  # a short run
    .venv/bin/python benchmarks/bench_scale.py --sizes 1000000 --databases postgresql

Loading. Each size gets a fresh database (a temporary SQLite file, or a PostgreSQL database created for the
run and dropped after it), migrated by the service's own migrations, then filled directly, not through the
API: registering a million versions one request at a time would take an hour. The loader (`bulk_load.py`,
shared with bench_search) writes what registrations write for search and storage: the schema row with its
package name from the service's own `distribution_name`, the version rows with the canonical text of
`canonical_json` and its `fingerprint_of`, and the schema's search document from its versions' keywords
(registry.domain.search), in transactions of about 50,000 versions (PostgreSQL through COPY, its search
indexes dropped during the load and built after it; SQLite's FTS5 index fed the documents at the end, as
migration 0013's pending list says). It writes no audit entries and checks no compatibility (the contents
are revisions known to be compatible; one of them is checked through `parse_contract` first). After the
load, a sample of search documents is compared with the ones registrations would have left, and a sample
of schemas is searched through the service, by name and by their contracts' title: each must come first.
Layout: schemas of 10 versions each, revisions 1..10 of the 30-property draft-04 contract of
`bench_api.py`, plus `matrix.Subject` with 100 versions.

Then a `registry serve` on that database (one worker) answers, with bench_api's raw client (16 keep-alive
connections, `--seconds` per scenario after a short warm-up):

* register: the next version (revision 11, 12, ...) of the stored schemas, checked under BACKWARD (201);
* list: the versions of a schema, a different schema per request; latest: `versions/latest` the same way;
* version read: a numbered version, every request a different one (never from the replica's memory);
* validate: a valid 1 KB event against one of 100 versions (their validators compiled once);
* search: `GET /search?q=<a schema's name>`, one connection, one question at a time; an answer counts
  only when that schema is its first hit;
* matrix: `GET .../compatibility/matrix` of the schema with 100 versions, first (every pair checked) and
  again (verdicts kept);
* database size (PostgreSQL `pg_database_size`, SQLite file and its WAL), and the server's resident memory
  (VmRSS) after the load and after a read pass: READ_PASS distinct versions read, VALIDATE_PASS distinct
  versions validated against (each compiles a validator), LIST_PASS schemas listed. Those are more than
  every in-process cache holds (4,096 rendered versions, 1,024 compiled contracts, 16,384 verdicts), so
  what memory reaches here is what it stays at, whatever the number of versions.

Not a test: it prints a table; it stops when a scenario mostly got wrong answers, and exits 1 when the
loaded search data or any search answer was wrong.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_api import (
    WRONG,
    AnswerCheck,
    Result,
    Row,
    check,
    contract,
    http,
    machine,
    markdown_table,
    postgres_database,
    register_body,
    registry_server,
    request_bytes,
    run_load,
    sqlite_database,
)
from bulk_load import (
    BulkLoad,
    Rows,
    document_row,
    schema_row,
    version_row,
    wrong_documents,
    wrong_first_hits,
)

REGISTRY = "scale"
VERSIONS_PER_SCHEMA = 10
MATRIX_SCHEMA = "matrix.Subject"
MATRIX_VERSIONS = 100
BATCH = 50_000
READ_PASS = 12_000
VALIDATE_PASS = 2_000
LIST_PASS = 5_000
HOT_VERSIONS = 100
POSTGRES_ONLY = 1_000_000  # and above: SQLite is the embedded default, not the store of a million versions
MEMORY_TARGET_MB = 500

# --------------------------------------------------------------------------------------------- contents


def schema_name(index: int) -> str:
    return f"scale.Event{index:07d}"


class Contents:
    """The canonical text of `contract(seed, revision)`, made by replacing three numbers in one canonical
    text: the same text `canonical_json` gives (checked on a sample), at a fraction of the cost."""

    SEED, REVISION = 987654321, 123456789

    def __init__(self) -> None:
        from registry.domain.formats.canonical import canonical_json

        self._canonical = canonical_json
        self._template = canonical_json(contract(self.SEED, self.REVISION))
        self._bound = str(64 + self.REVISION)  # field_00's maxLength, which grows with the revision
        for seed, revision in ((1, 1), (42, 7), (99_999, 10), (123, 100)):
            made = self.text(seed, revision)
            assert made == canonical_json(contract(seed, revision)), (seed, revision)

    def text(self, seed: int, revision: int) -> str:
        return (
            self._template.replace(self._bound, str(64 + revision))
            .replace(str(self.SEED), str(seed))
            .replace(str(self.REVISION), str(revision))
        )


def valid_event() -> dict[str, Any]:
    """An event every revision of every seed accepts (all 30 fields, each of its kind)."""
    values: list[Any] = [
        "A-1",
        3,
        1.5,
        True,
        "2026-12-06T03:00:00Z",
        "PAID",
        ["a", "b"],
        {"id": "x", "qty": 2},
    ]
    return {f"field_{i:02d}": values[i % len(values)] for i in range(30)}


# ------------------------------------------------------------------------------------------------ loading


def layout(size: int) -> int:
    """How many schemas of VERSIONS_PER_SCHEMA versions make `size` with the matrix schema."""
    return max(1, (size - MATRIX_VERSIONS) // VERSIONS_PER_SCHEMA)


def chunks(size: int, registry_id: int, first_id: int) -> Iterator[tuple[Rows, Rows, Rows]]:
    """The schema, version and search document rows of every schema (the matrix schema last), about
    BATCH versions at a time."""
    contents = Contents()
    now = datetime.now(UTC)
    schemas = layout(size)
    chunk: tuple[Rows, Rows, Rows] = ([], [], [])
    for index in range(schemas + 1):
        matrix = index == schemas
        name = MATRIX_SCHEMA if matrix else schema_name(index)
        count = MATRIX_VERSIONS if matrix else VERSIONS_PER_SCHEMA
        schema_id = first_id + index
        texts = [contents.text(index + 1, number) for number in range(1, count + 1)]
        chunk[0].append(schema_row(schema_id, registry_id, REGISTRY, name, count, now))
        chunk[1].extend(
            version_row(schema_id, number, text, now, "bench-load") for number, text in enumerate(texts, 1)
        )
        chunk[2].append(document_row(schema_id, REGISTRY, name, map(json.loads, reversed(texts))))
        if len(chunk[1]) >= BATCH:
            yield chunk
            chunk = ([], [], [])
    if chunk[0]:
        yield chunk


def load(url: str, size: int) -> tuple[float, int, list[str]]:
    """Migrate and fill the database; (seconds, versions stored, what is wrong with the loaded search
    data: see searches_to_check)."""
    from registry import services
    from registry.domain.formats import parse_contract
    from registry.storage.database import make_engine, make_session_factory
    from registry.storage.migrations import upgrade
    from registry.storage.unit_of_work import UnitOfWork

    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    uow = UnitOfWork(make_session_factory(engine))
    changes = services.RegistryChanges(description="scale series", compatibility="BACKWARD")
    services.put_registry(uow, REGISTRY, changes, actor="bench-load")
    parse_contract("JSONSchemaDraft4", Contents().text(1, 1))  # what the loader writes is a valid contract
    with engine.connect() as connection:
        registry_id = connection.exec_driver_sql(
            f"SELECT id FROM registries WHERE name = '{REGISTRY}'"
        ).scalar()
        first_id = (connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM schemas").scalar() or 0) + 1
    assert isinstance(registry_id, int)
    stored = 0
    with BulkLoad(engine) as bulk:
        for schemas, versions, documents in chunks(size, registry_id, first_id):
            bulk.write(schemas, versions, documents)
            stored += len(versions)
    seconds = time.perf_counter() - started
    sample = [first_id + index for index in searched_schemas(layout(size))]
    wrong = wrong_documents(engine, sample) + wrong_first_hits(engine, searches_to_check(layout(size)))
    engine.dispose()
    return seconds, stored, wrong


def searched_schemas(schemas: int) -> list[int]:
    """The indexes of the schemas the load is checked on: spread over the upper half (their seeds start no
    other seed, so a title names one schema), and the matrix schema."""
    return sorted({schemas // 2 + spread(n, schemas - schemas // 2) for n in range(20)} | {schemas})


def searches_to_check(schemas: int) -> list[tuple[str, str, str]]:
    """(query, registry, schema) the service must find first: each sampled schema by its name and by its
    contracts' title (a keyword: `OrderPlaced<seed>`)."""
    searches = []
    for index in searched_schemas(schemas):
        name = MATRIX_SCHEMA if index == schemas else schema_name(index)
        searches += [(name, REGISTRY, name), (f"OrderPlaced{index + 1}", REGISTRY, name)]
    return searches


# ---------------------------------------------------------------------------------------------- measuring


def database_mb(url: str) -> float:
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as connection:
        found = connection.execute("SELECT pg_database_size(current_database())").fetchone()
    assert found is not None
    return float(found[0]) / 2**20


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def spread(n: int, total: int) -> int:
    """The n-th of `total` places in an order that jumps around (a stride prime to `total`)."""
    stride = 7919 if total % 7919 else 7907
    return (n * stride) % total


class Scenarios:
    """The requests of one database and size, against one running server."""

    def __init__(self, port: int, pid: int, size: int, args: argparse.Namespace) -> None:
        self.port, self.pid, self.args = port, pid, args
        self.schemas = layout(size)
        self.versions = self.schemas * VERSIONS_PER_SCHEMA
        self.base = f"/registries/{REGISTRY}/schemas"
        self.event = json.dumps(valid_event()).encode()

    def load(
        self,
        make: Callable[[int], bytes],
        *,
        connections: int | None = None,
        verify: AnswerCheck | None = None,
    ) -> Result:
        return run_load(
            self.port,
            self.pid,
            make,
            warmup=self.args.warmup,
            seconds=self.args.seconds,
            connections=connections or self.args.connections,
            max_requests=10**9,
            verify=verify,
        )

    def register(self, n: int) -> bytes:
        index = spread(n, self.schemas)
        revision = VERSIONS_PER_SCHEMA + 1 + n // self.schemas
        path = f"{self.base}/{schema_name(index)}/versions"
        return request_bytes("POST", path, self.port, register_body(index + 1, revision))

    def listing(self, n: int) -> bytes:
        return request_bytes("GET", f"{self.base}/{schema_name(spread(n, self.schemas))}/versions", self.port)

    def latest(self, n: int) -> bytes:
        path = f"{self.base}/{schema_name(spread(n, self.schemas))}/versions/latest"
        return request_bytes("GET", path, self.port)

    def numbered(self, n: int) -> bytes:
        place = spread(n + 1, self.versions)  # every request another version, as long as there are any
        schema, number = schema_name(place // VERSIONS_PER_SCHEMA), place % VERSIONS_PER_SCHEMA + 1
        path = f"{self.base}/{schema}/versions/{number}"
        return request_bytes("GET", path, self.port)

    def validate(self, n: int, among: int = HOT_VERSIONS) -> bytes:
        place = spread(n % min(among, self.versions), self.versions)
        schema, number = schema_name(place // VERSIONS_PER_SCHEMA), place % VERSIONS_PER_SCHEMA + 1
        path = f"{self.base}/{schema}/versions/{number}/validate"
        return request_bytes("POST", path, self.port, self.event)

    def search(self, n: int) -> bytes:
        return request_bytes("GET", f"/search?q={schema_name(spread(n, self.schemas))}", self.port)

    @staticmethod
    def found_first(request: bytes, status: int, body: bytes) -> bool:
        """A search's answer is right when the schema named in its query is the first hit."""
        query = request.split(b" ", 2)[1].partition(b"?q=")[2].decode()
        if status != 200:
            return False
        items = json.loads(body)["items"]
        return bool(items) and (items[0]["registry"], items[0]["schema"]) == (REGISTRY, query)

    def matrix(self) -> tuple[float, float]:
        """Seconds of the first matrix (every pair checked) and of the next (verdicts kept)."""
        path = f"{self.base}/{MATRIX_SCHEMA}/compatibility/matrix"
        times = []
        for _ in range(2):
            started = time.perf_counter()
            status, _, body = http("GET", self.port, path)
            times.append(time.perf_counter() - started)
            assert status == 200, (status, body[:300])
            assert len(json.loads(body)["versions"]) == MATRIX_VERSIONS
        return times[0], times[1]

    def read_pass(self) -> None:
        """More distinct versions, validators and listings than the replica's caches hold."""
        passes: list[tuple[Callable[[int], bytes], int]] = [
            (self.numbered, min(READ_PASS, self.versions)),
            (lambda n: self.validate(n, among=VALIDATE_PASS), min(VALIDATE_PASS, self.versions)),
            (self.listing, min(LIST_PASS, self.schemas)),
        ]
        for make, count in passes:
            run_load(self.port, self.pid, make, warmup=0, seconds=600, connections=16, max_requests=count)


def figure(result: Result, expected: int) -> str:
    rate = result.ok(expected) / result.elapsed if result.elapsed else 0.0
    return f"{rate:,.0f}/s, {result.percentile_ms(0.5):.1f} ms"


def _other_answers(statuses: Counter[int], expected: int) -> str:
    others = {status: count for status, count in statuses.items() if status != expected}
    return "".join(
        f", {count}x {'wrong' if status == WRONG else status}" for status, count in sorted(others.items())
    )


def bench_size(database: str, url: str, size: int, args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """The table row of one database and size, and what was wrong (the loaded search data, the answers
    of the search scenario)."""
    print(f"  {database} {size:,}: loading ...", file=sys.stderr)
    seconds, stored, wrong = load(url, size)
    print(f"  {database} {size:,}: {stored:,} versions loaded in {seconds:.1f} s", file=sys.stderr)
    with registry_server(url) as server:
        run = Scenarios(server.port, server.pid, size, args)
        memory_loaded = rss_mb(server.pid)
        cells: dict[str, str] = {}
        measured: list[tuple[str, Callable[[int], bytes], int, int | None, AnswerCheck | None]] = [
            ("register", run.register, 201, None, None),
            ("list", run.listing, 200, None, None),
            ("latest", run.latest, 200, None, None),
            ("version read", run.numbered, 200, None, None),
            ("validate", run.validate, 200, None, None),
            ("search", run.search, 200, 1, run.found_first),  # each answer must find its schema first
        ]
        for name, make, expected, connections, verify in measured:
            result = run.load(make, connections=connections, verify=verify)
            check(Row(name, f"{database} {size:,}", expected, result))
            cells[name] = figure(result, expected)
            if verify is not None:
                others = _other_answers(result.statuses, expected) + _other_answers(
                    result.warmup_statuses, expected
                )
                cells[name] += others
                wrong += (
                    [f"{name}: answers other than a {expected} finding the schema first{others}"]
                    if others
                    else []
                )
            print(f"  {database} {size:,}: {name} {cells[name]}", file=sys.stderr)
        first, again = run.matrix()
        run.read_pass()
        memory = rss_mb(server.pid)
        size_mb = database_mb(url)
    print(
        f"  {database} {size:,}: matrix {first:.1f} s / {again * 1000:.0f} ms, {memory:.0f} MB",
        file=sys.stderr,
    )
    return [
        database,
        f"{stored:,}",
        f"{seconds:.0f} s",
        cells["register"],
        cells["list"],
        cells["latest"],
        cells["version read"],
        cells["validate"],
        cells["search"],
        f"{first:.1f} s / {again * 1000:.0f} ms",
        f"{size_mb:,.0f} MB",
        f"{memory_loaded:.0f} / {memory:.0f} MB",
    ], [f"{database} {size:,}: {mistake}" for mistake in wrong]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated numbers of versions")
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql"
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="measured duration of each scenario")
    parser.add_argument("--warmup", type=float, default=0.5, help="unmeasured warm-up before each scenario")
    parser.add_argument("--connections", type=int, default=16, help="concurrent keep-alive connections")
    args = parser.parse_args(argv)
    sizes = [int(each) for each in args.sizes.split(",") if each.strip()]
    databases = {"sqlite": sqlite_database, "postgresql": postgres_database}
    chosen = [each.strip() for each in args.databases.split(",") if each.strip()]
    for database in chosen:
        if database not in databases:
            parser.error(f"unknown database {database!r}; choose from {', '.join(databases)}")

    header = [
        "database",
        "versions",
        "load",
        "register (BACKWARD)",
        "list",
        "latest",
        "version read",
        "validate",
        "search",
        "matrix 100x100 first / again",
        "database size",
        "memory loaded / after reads",
    ]
    lines = [header]
    wrong: list[str] = []
    for size in sizes:
        for database in chosen:
            if database == "sqlite" and size >= POSTGRES_ONLY:
                continue
            with databases[database]() as url:
                line, mistakes = bench_size(database, url, size, args)
                lines.append(line)
                wrong += mistakes
            print(markdown_table([header, lines[-1]]).splitlines()[-1], flush=True)  # as it comes

    print()
    print(machine())
    print(
        f"run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()[0]:.1f}; "
        f"registry serve, 1 worker; raw HTTP/1.1 client, {args.connections} keep-alive connections "
        f"(search: 1); {args.warmup:g} s warm-up + {args.seconds:g} s per scenario; cells: answers/s, p50"
    )
    print()
    print(markdown_table(lines))
    print()
    for line in lines[1:]:
        memory = float(line[-1].split("/")[1].split()[0])
        verdict = "PASS" if memory < MEMORY_TARGET_MB else "MISS"
        print(
            f"target: memory after the read pass < {MEMORY_TARGET_MB} MB, {line[0]} {line[1]} versions: "
            f"{memory:.0f} MB {verdict}"
        )
    for mistake in wrong:
        print(f"WRONG: {mistake}")
    return 1 if wrong else 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())

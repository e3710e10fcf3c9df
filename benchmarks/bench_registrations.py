"""The work of one registration in the service's process, without HTTP: new schemas and next versions.

    .venv/bin/python benchmarks/bench_registrations.py --database sqlite -n 300
    .venv/bin/python benchmarks/bench_registrations.py --database postgresql --instructions -n 40
    .venv/bin/python benchmarks/bench_registrations.py --database sqlite --http --instructions -n 40

`services.register_version` on a fresh database (SQLite file, or a PostgreSQL database created and dropped),
as `bench_api.py` registers through HTTP: first `n` new schemas of a 30-property draft-04 contract (nothing to
check them against), then the next version of each under BACKWARD (a compatible revision, checked against the
one before), then the version after that (checked against the one the round before registered: what a
schema's history does, where the checker's document of the latest version may still be kept). Prints the
CPU time per registration of this thread (all of it, and the best and the median batch of 25).

CPU time moves with the machine's load (on a shared VM by a factor of 2 within minutes). `--instructions`
counts the instructions each registration executes instead, which load does not change: the script runs
itself again under valgrind's callgrind, instrumenting only the registrations (through a three-line C
helper built with `cc`, whose client requests toggle the instrumentation), about 50 times slower. The
database server's own work is not counted (PostgreSQL runs in its own processes). Needs valgrind, its
headers and a C compiler. Not a test.

`--http` registers through the application instead: each registration is a POST of bench_api's body
(`register_body`) to the ASGI app in this process (every middleware, the route, FastAPI's body handling),
without a socket or an HTTP server; the difference to the service alone is the cost around it. The route
runs in a worker thread, so the CPU time is the process's. The app's event loop runs one task for the whole
run, as under a server, and the registrations come from another thread: with a loop run per request, anyio
started and stopped a worker thread for every request (before 2026-12-06, 09:10 UTC, the figures of `--http`
included that).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bench_api import contract, register_body  # noqa: E402
from sqlalchemy import Engine  # noqa: E402
from starlette.types import Message  # noqa: E402

from registry import services  # noqa: E402
from registry.api.app import create_app  # noqa: E402
from registry.api.capacity import prepare_serving_process  # noqa: E402
from registry.domain.model import CompatibilityMode  # noqa: E402
from registry.settings import Settings  # noqa: E402
from registry.storage.database import Timeouts, make_engine, make_session_factory  # noqa: E402
from registry.storage.migrations import upgrade  # noqa: E402
from registry.storage.unit_of_work import UnitOfWork  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
BATCH = 25
HELPER = """#include <valgrind/callgrind.h>
void start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void stop(const char *name) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS_AT(name); }
"""


def database(kind: str) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp(prefix='registry-bench-')}/registry.db", None
    import psycopg

    name = f"registry_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", name


def drop(name: str | None) -> None:
    if name is not None:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


KINDS = (("new schema", 0), ("next version, BACKWARD", 1), ("version after next, BACKWARD", 2))
"""What each round registers (name, revision of bench_api's contract), for every schema in turn."""

Register = Callable[[str, Any], None]
"""register(schema, prepared): one registration of what `prepare(seed, revision)` made of bench_api's
contract(seed, revision), ahead of the measurement."""
Prepare = Callable[[int, int], Any]


def in_service(uow: UnitOfWork) -> tuple[Prepare, Register]:
    def register(schema: str, content: Any) -> None:
        _, created = services.register_version(
            uow, "bench", schema, services.NewVersion("JSONSchemaDraft4", content), actor="bench"
        )
        assert created, f"{schema} was not registered"

    return contract, register


def through_http(url: str, engine: Engine, loop: asyncio.AbstractEventLoop) -> tuple[Prepare, Register]:
    """Registrations as POSTs to the ASGI app, on `loop` (the route itself runs in its worker thread),
    from another thread (the client), while `loop` runs one long task as a server's loop does: anyio keeps
    its worker threads for as long as that task runs, so a request does not start a thread of its own."""
    # The token table is re-read in the background every second (a cost per second, not per request): under
    # callgrind, 50 times slower, those re-reads fell among the registrations and moved their count.
    settings = Settings(database_url=url, mirror_worker=False, access_log=False, token_cache_seconds=3600)
    app = create_app(settings, engine=engine)

    async def post(path: str, body: bytes) -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"registry"),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
        }
        messages: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
        sent: list[Message] = []

        async def receive() -> Message:
            if messages:
                return messages.pop()
            await asyncio.Event().wait()  # no disconnect: the request is answered first
            raise AssertionError("unreachable")

        async def send(message: Message) -> None:
            sent.append(message)

        await app(scope, receive, send)
        return sent[0]["status"], b"".join(each.get("body", b"") for each in sent[1:])

    def register(schema: str, body: Any) -> None:
        path = f"/registries/bench/schemas/{schema}/versions"
        status, answer = asyncio.run_coroutine_threadsafe(post(path, body), loop).result()
        assert status == 201, f"{schema} was not registered: {status} {answer[:300]!r}"

    return register_body, register


def measure(registrar: tuple[Prepare, Register], n: int, helper: Any, clock: Callable[[], float]) -> None:
    prepare, register = registrar
    for index in range(10):  # warm-up: statements compiled, validators and caches built
        register(f"warm{index}", prepare(10**6 + index, 0))
        register(f"warm{index}", prepare(10**6 + index, 1))
    # as `registry serve` does once the app is built: the heap built so far frozen (a full collection no
    # longer walks it, which made instruction counts of 30 registrations vary by a few hundred thousand with
    # when one fell among them), the GIL handed over after 1 ms
    prepare_serving_process()
    for kind, revision in KINDS:
        items = [(f"s{index}", prepare(index + 1, revision)) for index in range(n)]
        batches, started = [], clock()
        if helper is not None:
            helper.start()
        for first in range(0, n, BATCH):
            batch_started = clock()
            for schema, prepared in items[first : first + BATCH]:
                register(schema, prepared)
            batches.append((clock() - batch_started) / len(items[first : first + BATCH]))
        if helper is not None:
            helper.stop(kind.encode())
        total = (clock() - started) / n
        batches.sort()
        print(
            f"{kind}: CPU {total * 1e3:.2f} ms per registration (batches of {BATCH}: best "
            f"{batches[0] * 1e3:.2f}, median {batches[len(batches) // 2] * 1e3:.2f})",
            flush=True,
        )


def instructions(args: argparse.Namespace) -> int:
    """Run this script under callgrind with the helper loaded; print instructions per registration."""
    with tempfile.TemporaryDirectory() as tmp:
        source, library = Path(tmp, "helper.c"), Path(tmp, "helper.so")
        source.write_text(HELPER)
        subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
        out = Path(tmp, "callgrind.out")
        argv = [
            sys.executable,
            __file__,
            "--database",
            args.database,
            "-n",
            str(args.n),
            "--helper",
            str(library),
            *(["--http"] if args.http else []),
        ]
        command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}", *argv]
        subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
        for dump in sorted(Path(tmp).glob("callgrind.out.*")):
            text = dump.read_text()
            trigger = next(line for line in text.splitlines() if line.startswith("desc: Trigger"))
            total = int([line for line in text.splitlines() if line.startswith("totals:")][-1].split()[1])
            print(f"{trigger.split(': ')[-1]}: {total / args.n / 1e6:.2f} M instructions per registration")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("-n", type=int, default=300, help="registrations of each kind")
    parser.add_argument("--instructions", action="store_true", help="count instructions under callgrind")
    parser.add_argument("--http", action="store_true", help="POST each registration to the ASGI app")
    parser.add_argument("--helper", help=argparse.SUPPRESS)  # set by --instructions for the run inside
    args = parser.parse_args()
    if args.instructions:
        return instructions(args)
    helper = ctypes.CDLL(args.helper) if args.helper else None
    url, name = database(args.database)
    try:
        engine = make_engine(url, timeouts=Timeouts())
        upgrade(engine)
        uow = UnitOfWork(make_session_factory(engine))
        changes = services.RegistryChanges(compatibility=CompatibilityMode.BACKWARD)
        services.put_registry(uow, "bench", changes, actor="bench")
        if args.http:
            print(f"{args.database}, {args.n} registrations of each kind, POSTs to the ASGI app in process:")
            loop = asyncio.new_event_loop()
            registrar = through_http(url, engine, loop)

            async def serve() -> None:  # the loop's one long task, as under a server, for the whole run
                await loop.run_in_executor(None, measure, registrar, args.n, helper, time.process_time)

            loop.run_until_complete(serve())
            loop.close()
        else:
            print(f"{args.database}, {args.n} registrations of each kind, in process (no HTTP):")
            measure(in_service(uow), args.n, helper, time.thread_time)
        engine.dispose()
    finally:
        drop(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())

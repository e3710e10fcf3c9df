"""The tail of the read paths: wrk's latency distribution next to what the server process noted meanwhile
(its garbage collections and its event loop's stalls, `stall_probe.py`).

    .venv/bin/python benchmarks/bench_tail.py --seconds 8 --rounds 3
    .venv/bin/python benchmarks/bench_tail.py --baseline /tmp/main   # that checkout's code alternating

Each round runs, one after the other: the bare app, then the registry (a fresh SQLite file, or with
`--database postgresql` a fresh PostgreSQL database) for each code tree given (this checkout, and
`--baseline`'s, put first on PYTHONPATH; their order alternates between rounds), on `--path` (`version`:
GET of a numbered version; `latest`; `validate`: POST of a valid event to version 1) with 32 connections.
Per run it prints requests/s, wrk's p50/p99/p99.9/max, the server's and wrk's CPU per answer, the
collections by generation (count, total and longest ms, and CPU ms) and the loop's stalls over 4 ms (how
many the loop's own thread was busy for, another thread, or the process was not running), the threads
started on the loop and the requests that got past the front (`--workers 2`: both workers' notes added up).
Only what happened during wrk's measured run is counted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_api import (
    GET_SCHEMA,
    HOST,
    REGISTRY,
    ROOT,
    WRK,
    _lua_string,
    _proc_cpu_seconds,
    free_port,
    http,
    postgres_database,
    register_body,
    request_bytes,
    valid_event,
)

PROBE = Path(__file__).resolve().parent / "stall_probe.py"

_SCRIPT = """wrk.method = {method}
wrk.body = {body}
{headers}
done = function(summary, latency, requests)
  io.write(string.format("TAIL %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
"""


def script(request: bytes) -> str:
    head, _, body = request.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(": ")
        if name.lower() not in ("host", "content-length"):
            headers.append(f"wrk.headers[ {_lua_string(name)} ] = {_lua_string(value)}")
    return _SCRIPT.format(
        method=_lua_string(lines[0].split(" ", 1)[0]),
        body=_lua_string(body.decode("latin-1")) if body else "nil",
        headers="\n".join(headers),
    )


def tree_cpu(pid: int) -> float:
    """CPU seconds of the process and its children (the workers of `--workers`)."""
    total = _proc_cpu_seconds(pid)
    with contextlib.suppress(OSError):
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            total += tree_cpu(int(child))
    return total


@contextlib.contextmanager
def server(argv: list[str], env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(log.read().decode(errors="replace")[-3000:])
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1) as response,
            ):
                if response.status == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("no /healthz in 30 s")
            time.sleep(0.1)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def wrk(port: int, pid: int, request: bytes, seconds: int, connections: int) -> dict[str, float]:
    path = request.split(b" ", 2)[1].decode("latin-1")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script(request))
        lua.flush()
        argv = [WRK or "wrk", "-t1", f"-c{connections}", "--timeout", "10s", "-s", lua.name]
        subprocess.run([*argv, "-d1s", f"http://{HOST}:{port}{path}"], capture_output=True, check=True)
        before, cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN), tree_cpu(pid)
        since = time.time()
        done = subprocess.run(
            [*argv, f"-d{seconds}s", f"http://{HOST}:{port}{path}"],
            capture_output=True,
            text=True,
            check=True,
        )
        server_cpu, until = tree_cpu(pid) - cpu0, time.time()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(x for x in done.stdout.splitlines() if x.startswith("TAIL "))
    requests, duration, errors, p50, p99, p999, high, mean = (float(x) for x in line.split()[1:])
    client = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {
        "since": since,
        "until": until,
        "rate": requests / (duration / 1e6),
        "requests": requests,
        "errors": errors,
        "p50": p50 / 1000,
        "p99": p99 / 1000,
        "p99.9": p999 / 1000,
        "max": high / 1000,
        "mean": mean / 1000,
        "server_us": server_cpu / requests * 1e6,
        "client_us": client / requests * 1e6,
        "server_cores": server_cpu / (duration / 1e6),
        "client_cores": client / (duration / 1e6),
    }


def probe_summary(paths: list[Path], since: float, until: float) -> dict[str, Any]:
    """Collections and stalls noted during the measured run (from `since` to `until`, wall clock)."""
    gcs: dict[int, list[float]] = {0: [], 1: [], 2: []}
    cpu: dict[int, list[float]] = {0: [], 1: [], 2: []}
    stalls: list[list[float]] = []
    for path in paths:
        report = json.loads(path.read_text())
        start, end = since - report["wall_started"], until - report["wall_started"]
        for at, generation, ms, cpu_ms, _collected in report["collections"]:
            if start <= at <= end:
                gcs[generation].append(ms)
                cpu[generation].append(cpu_ms)
        stalls += [s for s in report["stalls"] if start <= s[0] <= end]
    stacks = [s for path in paths for s in json.loads(path.read_text())["stacks"]]
    starts, through = [], []
    for path in paths:
        report = json.loads(path.read_text())
        start, end = since - report["wall_started"], until - report["wall_started"]
        starts += [s for s in report["thread_starts"] if start <= s[0] <= end]
        through += [s for s in report["stack_requests"] if start <= s[0] <= end]
    busy = [s for s in stalls if s[2] >= 0.8 * s[1]]  # the loop's thread ran through it
    off = [s for s in stalls if s[3] < 0.3 * s[1]]  # the process hardly ran
    other = [s for s in stalls if s[3] >= 0.8 * s[1] and s[2] < 0.5 * s[1]]  # another thread ran
    return {
        "gc": {g: (len(v), sum(v), max(v, default=0.0)) for g, v in gcs.items()},
        "gc_cpu": {g: (sum(v), max(v, default=0.0)) for g, v in cpu.items()},
        "stalls": (len(stalls), sum(s[1] for s in stalls), max((s[1] for s in stalls), default=0.0)),
        "stalls_over_20": sum(1 for s in stalls if s[1] > 20),
        "loop_busy": (len(busy), sum(s[1] for s in busy)),
        "process_off": (len(off), sum(s[1] for s in off)),
        "other_thread": (len(other), sum(s[1] for s in other)),
        "longest": sorted(stalls, key=lambda s: -s[1])[:6],
        "stacks": stacks[:8],
        "thread_starts": (
            len(starts),
            sum(s[1] for s in starts),
            max((s[1] for s in starts), default=0.0),
            sorted({s[2].split("(")[0].rstrip("-0123456789 ") for s in starts}),
        ),
        "through": (
            len(through),
            sum(s[1] for s in through),
            max((s[1] for s in through), default=0.0),
            [round(s[0], 2) for s in through][:40],
        ),
    }


def registry_run(
    label: str, tree: Path | None, args: argparse.Namespace, out_dir: Path
) -> tuple[dict[str, float], dict[str, Any]]:
    port = free_port()
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-tail-"))
        url = stack.enter_context(postgres_database()) if args.database == "postgresql" else None
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
        env.update(REGISTRY_DATABASE_URL=url or f"sqlite:///{tmp}/r.db", REGISTRY_ACCESS_LOG="false")
        env.update(dict(kv.split("=", 1) for kv in args.env))
        if tree is not None:
            env["PYTHONPATH"] = str(tree)
        subprocess.run([sys.executable, "-m", "registry", "migrate"], cwd=tmp, env=env, check=True,
                       capture_output=True)  # fmt: skip
        out = out_dir / f"{label}.json"
        argv = [sys.executable, str(PROBE), str(out), *(["--sample"] if args.sample else [])]
        argv += ["registry", "serve", "--host", HOST, "--port", str(port)]
        if args.workers > 1:
            argv += ["--workers", str(args.workers)]
        with server(argv, env, port) as proc:
            status, _, body = http("PUT", port, f"/registries/{REGISTRY}", b'{"compatibility":"BACKWARD"}')
            assert status in (200, 201), body
            versions = f"/registries/{REGISTRY}/schemas/{GET_SCHEMA}/versions"
            status, _, body = http("POST", port, versions, register_body(0))
            assert status == 201, body
            event = json.dumps(valid_event(), separators=(",", ":")).encode()
            method, path, payload = {
                "version": ("GET", f"{versions}/1", b""),
                "latest": ("GET", f"{versions}/latest", b""),
                "validate": ("POST", f"{versions}/1/validate", event),
            }[args.path]
            for _ in range(3):
                http(method, port, path, payload)
            figures = wrk(port, proc.pid, request_bytes(method, path, port, payload), args.seconds, 32)
        outs = sorted(out_dir.glob(f"{label}*.json"))
        if os.environ.get("BENCH_TAIL_KEEP"):
            for out in outs:
                shutil.copy(out, Path(os.environ["BENCH_TAIL_KEEP"]) / f"{out_dir.name}-{out.name}")
    return figures, probe_summary(outs, figures["since"], figures["until"])


def bare_run(args: argparse.Namespace, out_dir: Path) -> tuple[dict[str, float], dict[str, Any]]:
    port = free_port()
    out = out_dir / "bare.json"
    argv = [sys.executable, str(PROBE), str(out), "bare", "--port", str(port)]
    with server(argv, dict(os.environ), port) as proc:
        figures = wrk(port, proc.pid, request_bytes("GET", "/static", port), args.seconds, 32)
    return figures, probe_summary([out], figures["since"], figures["until"])


def line(label: str, figures: dict[str, float], probe: dict[str, Any]) -> str:
    gc = " ".join(
        f"g{g}:{n}/{total:.0f}/{high:.1f} (cpu {probe['gc_cpu'][g][0]:.0f}/{probe['gc_cpu'][g][1]:.1f})"
        for g, (n, total, high) in probe["gc"].items()
    )
    count, total, high = probe["stalls"]
    return (
        f"{label:<10} {figures['rate']:8.0f}/s p50 {figures['p50']:5.2f} p99 {figures['p99']:6.2f} "
        f"p99.9 {figures['p99.9']:6.2f} max {figures['max']:6.1f} ms | server {figures['server_us']:4.0f} µs "
        f"({figures['server_cores']:.2f} cores) wrk {figures['client_us']:3.0f} µs "
        f"({figures['client_cores']:.2f}) | gc n/ms/max {gc} | stalls>4ms {count} ({total:.0f} ms, max "
        f"{high:.0f}; >20ms {probe['stalls_over_20']}; loop busy {probe['loop_busy'][0]}, "
        f"other thread {probe['other_thread'][0]}, process off {probe['process_off'][0]}) "
        f"err {figures['errors']:.0f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--path", choices=("version", "latest", "validate"), default="version")
    parser.add_argument("--baseline", type=Path, help="another checkout, run alternating with this one")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite", help="a fresh one")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-bare", action="store_true")
    parser.add_argument("--sample", action="store_true", help="sample the loop's stack during stalls")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the registry servers")
    args = parser.parse_args()
    trees: list[tuple[str, Path | None]] = [("this", None)]
    if args.baseline:
        trees.insert(0, ("baseline", args.baseline))
    with tempfile.TemporaryDirectory(prefix="bench-tail-probe-") as tmp:
        for round_ in range(args.rounds):
            load = os.getloadavg()
            print(f"round {round_ + 1}, {time.strftime('%H:%M:%S', time.gmtime())} UTC, load "
                  f"{load[0]:.2f} {load[1]:.2f}", flush=True)  # fmt: skip
            if not args.no_bare:
                out_dir = Path(tmp) / f"r{round_}-bare"
                out_dir.mkdir()
                figures, probe = bare_run(args, out_dir)
                print(line("bare", figures, probe), flush=True)
            for label, tree in trees if round_ % 2 == 0 else reversed(trees):
                out_dir = Path(tmp) / f"r{round_}-{label}"
                out_dir.mkdir()
                figures, probe = registry_run(label, tree, args, out_dir)
                print(line(label, figures, probe), flush=True)
                print(
                    "    longest stalls (at s, ms late, loop CPU ms, process CPU ms): "
                    + ", ".join("(" + " ".join(f"{x:.1f}" for x in stall) + ")" for stall in probe["longest"])
                )
                n, total, high, names = probe["thread_starts"]
                print(f"    thread starts on the loop: {n}, {total:.1f} ms, longest {high:.1f} ms ({names})")
                n, total, high, times = probe["through"]
                print(f"    requests past the front: {n}, {total:.0f} ms, longest {high:.1f} ms, at {times}")
                for stack, count in probe["stacks"]:
                    print(f"    {count:4d} {stack}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where a server process stops answering: run a server under this, load it, and read what it noted.

    python benchmarks/stall_probe.py OUT.json registry serve --port 8000      # `registry serve ...`
    python benchmarks/stall_probe.py OUT.json bare --port 8001                # benchmarks/bare_app.py

In the serving process (each worker's, with `--workers`), once uvicorn has started:

* every garbage collection, its generation and its duration (`gc.callbacks`);
* the event loop's stalls: a task asks to wake up every millisecond, and each time it wakes more than
  `STALL_MS` late, the delay is noted with how much CPU the loop's own thread and the whole process used
  meanwhile. The loop's thread busy for the whole stall means work on the loop (a long callback, a
  collection); the process busy but not the loop's thread, another thread holding the GIL; neither, the
  process was not running (the machine's other work, or a blocking call);
* with `--sample`, the loop thread's stack each time a stall is seen while it lasts (a thread looks every
  millisecond; it costs the process a little).

When the server shuts down (SIGINT, SIGTERM) it writes OUT.json (OUT.<pid>.json for each worker of
several), and nothing else changes in the server. For measuring only: `bench_tail.py` drives it.
"""

from __future__ import annotations

import asyncio
import atexit
import gc
import json
import os
import sys
import threading
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

STALL_MS = 4.0
PERIOD = 0.001


class Probe:
    def __init__(self, out: Path, *, sample: bool) -> None:
        self.out = out
        self.sample = sample
        self.started = time.perf_counter()
        # (at s, generation, ms, CPU ms of the loop's thread, objects collected)
        self.collections: list[tuple[float, int, float, float, int]] = []
        # (at s, ms late, CPU ms of the loop's thread meanwhile, of the whole process)
        self.stalls: list[tuple[float, float, float, float]] = []
        self.stacks: Counter[str] = Counter()
        self.thread_starts: list[tuple[float, float, str]] = []  # (at s, ms the loop waited, thread's name)
        self.stack_requests: list[tuple[float, float, str]] = []  # (at s, ms, path): past the front
        self._gc_began = self._gc_cpu = 0.0
        self.wall_started = time.time()
        self._beat = time.perf_counter()
        self._loop_thread = threading.get_ident()
        self._pid = os.getpid()

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        if phase == "start":
            self._gc_began, self._gc_cpu = now, cpu
        else:
            at, ms, cpu_ms = (
                self._gc_began - self.started,
                (now - self._gc_began) * 1000,
                (cpu - self._gc_cpu) * 1000,
            )
            self.collections.append((at, info["generation"], ms, cpu_ms, info["collected"]))

    async def heartbeat(self) -> None:
        while True:
            began, loop_cpu, process_cpu = time.perf_counter(), time.thread_time(), time.process_time()
            self._beat = began
            await asyncio.sleep(PERIOD)
            late = (time.perf_counter() - began - PERIOD) * 1000
            if late > STALL_MS:
                self.stalls.append(
                    (
                        began - self.started,
                        late,
                        (time.thread_time() - loop_cpu) * 1000,
                        (time.process_time() - process_cpu) * 1000,
                    )
                )

    def sampler(self) -> None:
        while True:
            time.sleep(PERIOD)
            if (time.perf_counter() - self._beat) * 1000 > STALL_MS + 1:
                frame = sys._current_frames().get(self._loop_thread)
                if frame is not None:
                    summary = traceback.extract_stack(frame)[-6:]
                    frames = (f"{Path(f.filename).name}:{f.name}" for f in reversed(summary))
                    self.stacks[" < ".join(frames)] += 1

    def note_thread_start(self, began: float, name: str) -> None:
        if threading.get_ident() == self._loop_thread:
            self.thread_starts.append((began - self.started, (time.perf_counter() - began) * 1000, name))

    def start(self) -> None:
        self._loop_thread = threading.get_ident()
        self._pid = os.getpid()
        self.started, self.wall_started = time.perf_counter(), time.time()
        gc.callbacks.append(self.on_gc)
        asyncio.get_running_loop().create_task(self.heartbeat())
        if self.sample:
            threading.Thread(target=self.sampler, name="stall-sampler", daemon=True).start()
        atexit.register(self.write)

    def write(self) -> None:
        if os.getpid() != self._pid:
            return
        elapsed = time.perf_counter() - self.started
        report = {
            "pid": self._pid,
            "seconds": elapsed,
            "wall_started": self.wall_started,
            "gc_thresholds": gc.get_threshold(),
            "collections": self.collections,
            "stalls": self.stalls,
            "stacks": self.stacks.most_common(30),
            "thread_starts": self.thread_starts,
            "stack_requests": self.stack_requests,
        }
        path = self.out
        if os.environ.get("STALL_PROBE_PER_PID"):
            path = self.out.with_suffix(f".{self._pid}.json")
        path.write_text(json.dumps(report))


def install(out: Path, *, sample: bool) -> None:
    """Start the probe in every uvicorn server this process (or a worker forked from it) starts."""
    import uvicorn

    original = uvicorn.Server.startup
    probes: list[Probe] = []

    async def startup(self: uvicorn.Server, sockets: Any = None) -> None:
        await original(self, sockets)
        probe = Probe(out, sample=sample)
        probes.append(probe)
        probe.start()

    uvicorn.Server.startup = startup  # type: ignore[method-assign]

    shutdown = uvicorn.Server.shutdown

    async def shutdown_and_write(self: uvicorn.Server, sockets: Any = None) -> None:
        await shutdown(self, sockets)
        if probes:
            probes[-1].write()  # a worker of `--workers` ends with os._exit: no atexit handlers

    uvicorn.Server.shutdown = shutdown_and_write  # type: ignore[method-assign]

    thread_start = threading.Thread.start

    def start(self: threading.Thread) -> None:
        began = time.perf_counter()
        thread_start(self)
        if probes:
            probes[-1].note_thread_start(began, self.name)

    threading.Thread.start = start  # type: ignore[method-assign]

    try:
        from registry.api import front
    except ImportError:
        return
    front_init = front.Front.__init__

    def init(self: Any, app: Any, **kwargs: Any) -> None:
        async def counted(scope: Any, receive: Any, send: Any) -> None:
            began = time.perf_counter()
            try:
                await app(scope, receive, send)
            finally:
                if probes and scope["type"] == "http":
                    at, ms = began - probes[-1].started, (time.perf_counter() - began) * 1000
                    probes[-1].stack_requests.append((at, ms, scope["path"]))

        front_init(self, counted, **kwargs)

    front.Front.__init__ = init  # type: ignore[method-assign]


def main() -> int:
    args = sys.argv[1:]
    sample = "--sample" in args
    args = [a for a in args if a != "--sample"]
    out, command, rest = Path(args[0]), args[1], args[2:]
    install(out, sample=sample)
    if command == "registry":
        from registry.cli import main as registry_main

        if "--workers" in rest:
            os.environ["STALL_PROBE_PER_PID"] = "1"
        return registry_main(rest)
    import uvicorn

    port = int(rest[rest.index("--port") + 1])
    sys.path.insert(0, str(Path(__file__).parent))
    uvicorn.run("bare_app:app", host="127.0.0.1", port=port, access_log=False, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())

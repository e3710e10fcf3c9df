"""A long-lived daemon thread for a replica's periodic background work (re-reading the token table, the
mirror worker's polls).

Starting a thread blocks its caller until the new thread has run: `Thread.start()` waits for it to be
scheduled and to take the GIL. Called on the event loop that is the whole loop waiting, every time: 0.17 ms
(median) to 10 ms in a process doing nothing else on this busy 2-core machine, up to 58 ms in a serving
process under load (docs/benchmarks.md, "The read paths' tail"). Periodic work started a thread per run (the
token table every second under traffic, the mirror worker's poll every second): two such waits a second.
Here the thread is started once, by the first piece of work, and what follows is handed to it on a queue.

It is a daemon thread, as the threads it replaces were: a piece of work stuck on the network (a mirror
delivery) must not hold up the process's exit.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable

log = logging.getLogger("registry")


class BackgroundThread:
    """Runs the callables handed to `submit`, one at a time, in the order given, on one daemon thread. The
    thread ends after `idle_seconds` without work (so that apps made and dropped, as in tests, leave no
    threads behind), and the next piece of work starts another."""

    def __init__(self, name: str, *, idle_seconds: float = 60.0) -> None:
        self.name = name
        self.idle_seconds = idle_seconds
        self._reset()

    def _reset(self) -> None:
        self._work: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def submit(self, work: Callable[[], object]) -> None:
        """Queue `work`; it runs after what was queued before. Its exceptions are its own to handle: one that
        escapes is logged, and the thread goes on."""
        if self._pid != os.getpid():  # a forked child: the parent's thread is not here, nor maybe its lock
            self._reset()
        with self._lock:  # the thread cannot end between the check and the put
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
            self._work.put(work)

    def wait(self, timeout: float) -> bool:
        """True once everything handed over before this call has run (False: still running at `timeout`)."""
        if self._thread is None or self._pid != os.getpid():
            return True
        done = threading.Event()
        self.submit(done.set)
        return done.wait(timeout)

    def _run(self) -> None:
        while True:
            try:
                work = self._work.get(timeout=self.idle_seconds)
            except queue.Empty:
                with self._lock:
                    if self._work.empty():
                        self._thread = None
                        return
                continue
            try:
                work()
            except Exception:
                log.exception("background work in thread %s failed", self.name)

"""A long-lived daemon thread for a replica's periodic background work (re-reading the token table, the
mirror worker's polls).

Starting a thread blocks its caller until the new thread has run: `Thread.start()` waits for it to be
scheduled and to take the GIL. Called on the event loop that is the whole loop waiting, every time: 0.1 ms
on an idle machine, up to 58 ms measured on a busy 2-core one, where a serving process's scheduler wait is a
whole time slice (docs/benchmarks.md, "The read paths' tail"). Periodic work started a thread per run (the
token table every second, the mirror worker's poll every second), so the loop stalled twice a second. Here
the thread is started once, by the first piece of work, and what follows is handed to it on a queue.

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
    """Runs the callables handed to `submit`, one at a time, in the order given, on one daemon thread."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._work: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def submit(self, work: Callable[[], object]) -> None:
        """Queue `work`; it runs after what was queued before. Its exceptions are its own to handle: one that
        escapes is logged, and the thread goes on."""
        with self._lock:
            if self._pid != os.getpid():  # a forked child: the parent's thread and queue are not here
                self._work, self._thread, self._pid = queue.SimpleQueue(), None, os.getpid()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
        self._work.put(work)

    @property
    def started(self) -> bool:
        return self._thread is not None and self._pid == os.getpid()

    def _run(self) -> None:
        queued = self._work  # this thread's queue, even once a forked child makes its own
        while True:
            try:
                queued.get()()
            except Exception:
                log.exception("background work in thread %s failed", self.name)

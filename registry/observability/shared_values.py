"""Where the worker processes of one replica keep their metric values (prometheus-client's multiprocess
mode), set up by `registry serve --workers N` before anything imports prometheus-client.

prometheus-client chooses, once, when it is first imported, whether values live in the process or in files
of `PROMETHEUS_MULTIPROC_DIR`; this module sets that variable, so it must not import prometheus-client at
its top (nor may anything the parent imports before it). The workers, forked from that parent, each write
their own files there, and `registry.observability.exposition` adds them all up at every scrape.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
# What prometheus-client writes there: `<type>[_<gauge mode>]_<pid>.db`; nothing else is ever removed.
_VALUE_FILE = re.compile(r"(counter|gauge_[a-z]+|histogram|summary)_\d+\.db")


class SharedValues:
    """The directory `PROMETHEUS_MULTIPROC_DIR` names, emptied of an earlier run's values (they would be
    counted again), or else a private one, removed by `close()`."""

    def __init__(self) -> None:
        given = os.environ.get(MULTIPROCESS_DIRECTORY) or None
        self.private = given is None
        self.path = Path(given or tempfile.mkdtemp(prefix="registry-metrics-"))
        self.path.mkdir(parents=True, exist_ok=True)
        for leftover in self.path.iterdir():
            if _VALUE_FILE.fullmatch(leftover.name):
                leftover.unlink(missing_ok=True)
        os.environ[MULTIPROCESS_DIRECTORY] = str(self.path)

    def process_gone(self, pid: int) -> None:
        """A worker exited: its live gauges (connections in use, generators alive ...) no longer count.
        Its counters and histograms still do, so that the replica's totals never go down."""
        from prometheus_client.multiprocess import mark_process_dead

        mark_process_dead(pid, str(self.path))  # type: ignore[no-untyped-call]

    def close(self) -> None:
        if self.private:
            shutil.rmtree(self.path, ignore_errors=True)

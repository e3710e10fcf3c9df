"""`check`: can a consumer schema read every event of a producer schema?"""

from __future__ import annotations

import gc
import threading
import time
from typing import Any

from registry.domain.compat.containment import Containment
from registry.domain.compat.digest import digests
from registry.domain.compat.document import Doc, Node
from registry.domain.compat.normalise import Budget, TooComplex, work_seconds
from registry.domain.compat.policy import close, open_, validator_class_of
from registry.domain.compat.report import Finding, Incompatibility, finding
from registry.domain.compat.samples import samples
from registry.domain.compat.witnesses import Verifier, incompatibilities
from registry.domain.model import CompatibilityPolicy

QUESTION_SECONDS = 0.9
"""CPU seconds of the checking thread one question may take, reading, comparing and verifying witnesses
together (a single validation under way is not interrupted: what is left of the second covers it)."""


def check(
    producer: dict[str, Any],
    consumer: dict[str, Any],
    *,
    policy: CompatibilityPolicy,
    validator_class: type | None = None,
) -> list[Incompatibility]:
    """[] means: every instance valid under `producer` is valid under `consumer` (sound: never [] when a
    counterexample exists). `validator_class` is the jsonschema class for both (default: chosen by $schema,
    Draft 4 when absent) and is used to verify witnesses."""
    p_doc = prepare(producer, as_producer=True, policy=policy, validator_class=validator_class)
    c_doc = prepare(consumer, as_producer=False, policy=policy, validator_class=validator_class)
    return check_prepared(p_doc, c_doc)


def prepare(
    schema: dict[str, Any],
    *,
    as_producer: bool,
    policy: CompatibilityPolicy,
    validator_class: type | None = None,
    text: str | None = None,
) -> Doc:
    """A schema ready to be checked in one role, as `policy` reads it there (LENIENT closes producers and
    opens consumers). A document remembers what checks learn about it (the digests of its subschemas, its
    samples, which instances it accepts), so checks that share it do that work once: a semantic diff asks
    both ways between the same two schemas. Share it only among the checks of one request: that memory
    grows with them (to keep one longer, check its `Doc.fresh()` copies). `text`: the schema's canonical
    JSON when the caller has it (a stored contract's), saving its serialisation."""
    if policy is CompatibilityPolicy.LENIENT:
        schema = close(schema, validator_class) if as_producer else open_(schema)
        text = None  # another schema now
    return Doc(schema, validator_class or validator_class_of(schema), text)


def prepare_to_keep(
    schema: dict[str, Any], *, as_producer: bool, policy: CompatibilityPolicy, text: str | None = None
) -> Doc:
    """`prepare`, with what every check of the document starts from done (the digests of its subschemas,
    which the comparison of the roots reads): a document to keep between requests, and to check only
    through its `Doc.fresh()` copies."""
    doc = prepare(schema, as_producer=as_producer, policy=policy, text=text)
    digests(doc).of(doc.root, root=True)
    return doc


def check_prepared(p_doc: Doc, c_doc: Doc) -> list[Incompatibility]:
    """`check` of two prepared documents (each prepared in its role)."""
    with _COLLECTOR_PAUSED:
        return _check_prepared(p_doc, c_doc)


def _check_prepared(p_doc: Doc, c_doc: Doc) -> list[Incompatibility]:
    start = work_seconds()
    p_root, c_root = Node(p_doc.root, "", p_doc), Node(c_doc.root, "", c_doc)
    try:
        findings = Containment(Budget()).contained([p_root], [c_root])
    except (TooComplex, RecursionError):
        findings = [_too_complex(p_root)]
    except BaseException as exc:
        # a recursion limit met inside a native extension (rpds, under jsonschema's `referencing`) surfaces as
        # pyo3's PanicException, a BaseException: the same bound, not a crash
        if type(exc).__name__ != "PanicException":
            raise
        findings = [_too_complex(p_root)]
    return incompatibilities(findings, Verifier(p_doc, c_doc, until=start + QUESTION_SECONDS))


PAUSE_LIMIT_SECONDS = 5.0
"""Checks that overlap without a break (several threads) collect young garbage at least this often."""


class _CollectorPause:
    """The cyclic garbage collector paused while questions are checked (re-entrant, across threads).

    A check builds tens of thousands of objects that live as long as it does (what it remembers, each
    entry keeping its schemas and nodes): young collections move them to the oldest generation, and every
    few questions that triggers a full collection, which walks the whole process heap (0.16 to 0.20 CPU s
    beside a benchmark's corpus, more than a quarter of a question's bound, wherever it falls: an answer
    then depended on which question it fell in). Paused, they stay young, and what the question leaves
    (mostly cycles of documents and their memos) is freed by the next young collection, at the cost of
    its own size only. The pause lasts one question (under 1 s); questions that overlap without a break
    still collect young garbage every PAUSE_LIMIT_SECONDS."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self._resume = False  # whether the collector was enabled when the first check came in
        self._since = 0.0

    def __enter__(self) -> None:
        with self._lock:
            if not self._inside:
                self._resume, self._since = gc.isenabled(), time.monotonic()
                gc.disable()
            self._inside += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._inside -= 1
            if not self._resume:
                return  # paused by someone else before: theirs to resume
            if not self._inside:
                gc.enable()
            elif time.monotonic() - self._since > PAUSE_LIMIT_SECONDS:
                gc.collect(1)
                self._since = time.monotonic()


_COLLECTOR_PAUSED = _CollectorPause()


def _too_complex(p_root: Node) -> Finding:
    message = "the schemas are too complex for the checker to compare"
    try:
        candidates = samples([p_root])
    except (TooComplex, RecursionError):
        candidates = []
    return finding("too_complex", "", "", message, candidates)

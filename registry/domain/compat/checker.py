"""`check`: can a consumer schema read every event of a producer schema?"""

from __future__ import annotations

from typing import Any

from registry.domain.compat.containment import Containment
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
    start = work_seconds()
    if policy is CompatibilityPolicy.LENIENT:
        producer, consumer = close(producer, validator_class), open_(consumer)
    p_doc = Doc(producer, validator_class or validator_class_of(producer))
    c_doc = Doc(consumer, validator_class or validator_class_of(consumer))
    p_root, c_root = Node(producer, "", p_doc), Node(consumer, "", c_doc)
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


def _too_complex(p_root: Node) -> Finding:
    message = "the schemas are too complex for the checker to compare"
    try:
        candidates = samples([p_root])
    except (TooComplex, RecursionError):
        candidates = []
    return finding("too_complex", "", "", message, candidates)

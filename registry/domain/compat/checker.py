"""`check`: can a consumer schema read every event of a producer schema?"""

from __future__ import annotations

from typing import Any

from registry.domain.compat.containment import Containment
from registry.domain.compat.document import Doc, Node
from registry.domain.compat.normalise import Budget, TooComplex
from registry.domain.compat.policy import close, open_, validator_class_of
from registry.domain.compat.report import Incompatibility, finding
from registry.domain.compat.samples import samples
from registry.domain.compat.witnesses import Verifier, incompatibilities
from registry.domain.model import CompatibilityPolicy


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
    if policy is CompatibilityPolicy.LENIENT:
        producer, consumer = close(producer, validator_class), open_(consumer)
    p_doc = Doc(producer, validator_class or validator_class_of(producer))
    c_doc = Doc(consumer, validator_class or validator_class_of(consumer))
    p_root, c_root = Node(producer, "", p_doc), Node(consumer, "", c_doc)
    try:
        findings = Containment(Budget()).contained([p_root], [c_root])
    except (TooComplex, RecursionError):
        message = "the schemas are too complex for the checker to compare"
        findings = [finding("too_complex", "", "", message, samples([p_root]))]
    return incompatibilities(findings, Verifier(p_doc, c_doc))

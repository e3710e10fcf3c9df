"""Running the checker in tests: every witness it returns is verified again here, independently."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema.validators import validator_for  # type: ignore[import-untyped, unused-ignore]

from registry.domain.compat import CompatibilityPolicy, Incompatibility, check
from registry.domain.compat.policy import close, open_
from registry.domain.formats.refs import OFFLINE_REGISTRY

DRAFT4 = {"$schema": "http://json-schema.org/draft-04/schema#"}


def checked(
    producer: Any,
    consumer: Any,
    policy: CompatibilityPolicy = CompatibilityPolicy.STRICT,
    validator_class: Any = None,
) -> list[Incompatibility]:
    """The checker's answer, after asserting that each proven witness really separates the two schemas."""
    found = check(producer, consumer, policy=policy, validator_class=validator_class)
    if policy is CompatibilityPolicy.LENIENT:
        producer, consumer = close(producer, validator_class), open_(consumer)
    cls = validator_class or validator_for(producer, default=validator_for(DRAFT4))
    for item in found:
        if item.proven:
            assert cls(producer, registry=OFFLINE_REGISTRY).is_valid(item.witness), item
            assert not cls(consumer, registry=OFFLINE_REGISTRY).is_valid(item.witness), item
        else:
            assert item.witness is None, item
    return found


def rules(found: list[Incompatibility]) -> set[str]:
    return {item.rule for item in found}


def judged_compatible(producer: Any, consumer: Any, cls: Any) -> Iterator[tuple[Any, Any, Any, Any]]:
    """For each policy under which the checker calls the pair compatible: (policy, the producer schema as
    that policy reads it, a validator of it, a validator of the consumer as the policy reads it)."""
    for policy in (CompatibilityPolicy.STRICT, CompatibilityPolicy.LENIENT):
        if checked(producer, consumer, policy, cls):
            continue
        p, c = (
            (producer, consumer)
            if policy is CompatibilityPolicy.STRICT
            else (close(producer, cls), open_(consumer))
        )
        yield policy, p, cls(p, registry=OFFLINE_REGISTRY), cls(c, registry=OFFLINE_REGISTRY)

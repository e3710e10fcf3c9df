"""What the checker reports: incompatibilities for people and programs, and the internal findings they grow
from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

MAX_CANDIDATES = 6


@dataclass(frozen=True)
class Incompatibility:
    """One reason why a consumer cannot read every event of a producer.

    `witness` is an event the producer allows and the consumer rejects; `proven` is True only when jsonschema
    confirmed both halves of that claim. An unproven item is the checker's conservative answer where it could
    not
    decide (it never answers "compatible" without being sure).
    """

    rule: str
    producer_path: str
    consumer_path: str
    message: str
    witness: Any
    proven: bool


@dataclass(frozen=True)
class Finding:
    """An incompatibility found at some depth, with candidate values for a witness *at that depth*.

    Parents wrap the candidates into whole values as the finding travels up (see `Finding.wrapped`), so that
    the top level holds candidate events to verify.
    """

    rule: str
    producer_path: str
    consumer_path: str
    message: str
    candidates: tuple[Any, ...] = field(default=())

    def wrapped(self, embed: Callable[[Any], list[Any]]) -> Finding:
        whole: list[Any] = []
        for value in self.candidates:
            whole.extend(embed(value))
            if len(whole) >= MAX_CANDIDATES:
                break
        return replace(self, candidates=tuple(whole[:MAX_CANDIDATES]))


def finding(
    rule: str, producer_path: str, consumer_path: str, message: str, candidates: list[Any]
) -> Finding:
    return Finding(rule, producer_path, consumer_path, message, tuple(candidates[:MAX_CANDIDATES]))

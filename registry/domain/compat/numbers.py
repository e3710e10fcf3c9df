"""Containment of numeric constraints: bounds (Draft 4 boolean and later numeric exclusive ones), integers,
multipleOf. Exact arithmetic on the floats jsonschema compares (`Fraction` of a float is its exact value)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from registry.domain.compat.document import Node

Bound = tuple[Fraction, bool]  # (value, exclusive)


@dataclass
class Range:
    low: Bound | None = None
    high: Bound | None = None
    integer: bool = False
    multiples: list[Fraction] = field(default_factory=list)
    # steps written as JSON integers: jsonschema checks those with `%`, exactly; float steps by float division
    int_steps: list[int] = field(default_factory=list)
    raw_steps: list[Any] = field(default_factory=list)


def _number(value: Any) -> Fraction | None:
    if isinstance(value, bool):
        return Fraction(int(value))  # jsonschema compares with it as Python does: true is 1
    if not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return Fraction(value)


def range_of(parts: list[Node], integer: bool) -> Range:
    """The intersection of the numeric keywords of `parts`."""
    result = Range(integer=integer)
    for part in parts:
        keywords = part.keywords()
        raw = part.schema if isinstance(part.schema, dict) else {}
        # Draft 4 has no exclusive keywords of its own: `minimum` reads its sibling flag (any true value)
        draft4 = "exclusiveMinimum" not in part.doc.keywords
        for bound in _bounds(keywords, raw, "minimum", "exclusiveMinimum", draft4):
            result.low = _tighter(result.low, bound, low=True)
        for bound in _bounds(keywords, raw, "maximum", "exclusiveMaximum", draft4):
            result.high = _tighter(result.high, bound, low=False)
        step = _number(keywords.get("multipleOf"))
        if step is not None and step > 0:
            result.multiples.append(step)
            raw_step = keywords["multipleOf"]
            result.raw_steps.append(raw_step)
            if isinstance(raw_step, int) and not isinstance(raw_step, bool):
                result.int_steps.append(raw_step)
    if integer:
        result.low, result.high = _integral(result.low, True), _integral(result.high, False)
    return result


def _bounds(
    keywords: dict[str, Any], raw: dict[str, Any], inclusive: str, exclusive: str, draft4: bool
) -> list[Bound]:
    found: list[Bound] = []
    value = _number(keywords.get(inclusive))
    if value is not None:
        found.append((value, draft4 and bool(raw.get(exclusive, False))))
    separate = None if draft4 else _number(keywords.get(exclusive))
    if separate is not None:
        found.append((separate, True))
    return found


def _tighter(current: Bound | None, new: Bound, *, low: bool) -> Bound:
    if current is None or current[0] != new[0]:
        if current is None:
            return new
        return max(current, new) if low else min(current, new)
    return (new[0], current[1] or new[1])


def _integral(bound: Bound | None, low: bool) -> Bound | None:
    """For integers, an exclusive or fractional bound is the nearest integer inside it, inclusive."""
    if bound is None:
        return None
    value, exclusive = bound
    if low:
        return (Fraction(math.floor(value) + 1 if exclusive else math.ceil(value)), False)
    return (Fraction(math.ceil(value) - 1 if exclusive else math.floor(value)), False)


def is_empty(r: Range) -> bool:
    if r.low is None or r.high is None:
        return False
    return r.low[0] > r.high[0] or (r.low[0] == r.high[0] and (r.low[1] or r.high[1]))


Problem = tuple[str, str, list[Any]]  # (rule, message, candidate values)


def narrowing(p: Range, c: Range) -> list[Problem]:
    """What in `c` rejects some number of `p` ([] when every number of p is in c)."""
    if is_empty(p):
        return []
    problems: list[Problem] = []
    if c.integer and not p.integer:
        problems.append(("type_narrowed", "the consumer accepts only integers", _fractions(p)))
    if c.low is not None and not _covers(p.low, c.low, low=True):
        problems.append(
            (
                "minimum_raised",
                f"the consumer's lower bound {_show(c.low, low=True)} excludes producer values",
                _outside(p, c.low, low=True),
            )
        )
    if c.high is not None and not _covers(p.high, c.high, low=False):
        problems.append(
            (
                "maximum_lowered",
                f"the consumer's upper bound {_show(c.high, low=False)} excludes producer values",
                _outside(p, c.high, low=False),
            )
        )
    for step, raw in zip(c.multiples, c.raw_steps, strict=True):
        if not _divides(step, raw, p):
            problems.append(
                ("multiple_of_changed", f"the consumer requires multiples of {_plain(step)}", _steps(p, step))
            )
    return problems


def _covers(p: Bound | None, c: Bound, *, low: bool) -> bool:
    if p is None:
        return False
    if p[0] != c[0]:
        return p[0] > c[0] if low else p[0] < c[0]
    return p[1] or not c[1]


def _divides(step: Fraction, raw: Any, p: Range) -> bool:
    """Whether every producer number passes jsonschema's multipleOf `raw` (value `step`)."""
    if any(m == step and type(r) is type(raw) for m, r in zip(p.multiples, p.raw_steps, strict=True)):
        return True  # the very same keyword
    if step == 1 and p.integer:
        return True  # integers (and, from Draft 6, floats like 3.0) are multiples of 1 either way
    # jsonschema checks a step written as an integer with `%` (exact), a float step (even 3.0) by float
    # division, which rounds huge numbers: only integer producer steps guarantee true multiples.
    if not p.int_steps:
        return False
    divides = (Fraction(math.lcm(*p.int_steps)) / step).denominator == 1
    if isinstance(raw, float):
        # true multiples pass a float step only when quotients of huge numbers (2**53 and up, where floats
        # skip integers) stay at or above 2**52, where every float is integral: steps up to 2. The step's
        # exact binary value must divide (0.3 is not 3/10 in binary).
        return divides and abs(step) <= 2
    return divides


def _show(bound: Bound, *, low: bool) -> str:
    sign = (">" if low else "<") + ("" if bound[1] else "=")
    return f"{sign} {_plain(bound[0])}"


def _plain(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else str(float(value))


def _json_number(value: Fraction) -> int | float:
    return value.numerator if value.denominator == 1 else float(value)


def _outside(p: Range, bound: Bound, *, low: bool) -> list[Any]:
    direction = -1 if low else 1
    value = bound[0]
    raw: list[Fraction | int] = [
        value,
        value + direction,
        value + direction * Fraction(1, 2),
        math.floor(value) if low else math.ceil(value),
    ]
    own = p.low if low else p.high
    if own is not None:
        raw.append(own[0])
    if own is None:
        raw.append(value + direction * 1000)
    for step in p.multiples[:1]:  # the producer's nearest multiples beyond the bound
        edge = math.floor(value / step) if low else math.ceil(value / step)
        raw += [edge * step, (edge + direction) * step]
    return [_json_number(Fraction(v)) for v in raw]


def _fractions(p: Range) -> list[Any]:
    base = p.low[0] if p.low is not None else (p.high[0] - 1 if p.high is not None else Fraction(0))
    return [float(base + Fraction(1, 2)), float(base + Fraction(1, 4)), 0.5]


def _steps(p: Range, step: Fraction) -> list[Any]:
    start = p.low[0] if p.low is not None else Fraction(0)
    grid = p.multiples[0] if p.multiples else (Fraction(1) if p.integer else Fraction(1, 2))
    first = math.ceil(start / grid) * grid
    # huge integers: a float step rounds them onto its grid, a `%` step does not
    huge = math.ceil(Fraction(2**53) / grid) * grid
    beyond = [_json_number(huge + i * grid) for i in range(3)]
    return [_json_number(first + i * grid) for i in range(2)] + [*beyond, 2**60 + 1]


def integers_in(p: Range, limit: int = 256) -> list[int] | None:
    """The integers of a bounded integer range on the grid of its integer steps (a superset of what the
    producer allows: float steps, which jsonschema checks by rounding division, are left out), when there are
    at most `limit`."""
    if not p.integer or p.low is None or p.high is None:
        return None
    low, high = int(p.low[0]), int(p.high[0])
    step = math.lcm(*p.int_steps) if p.int_steps else 1
    first = -(-low // step) * step
    if (high - first) // step + 1 > limit:
        return None
    return list(range(first, high + 1, step))


def union_covers(p: Range, pieces: list[Range]) -> bool:
    """Whether integer ranges without steps, together, hold every integer of `p` (steps of p only help)."""
    if not p.integer:
        return False
    spans = sorted((_end(r.low, -1), _end(r.high, 1)) for r in pieces if r.integer and not r.multiples)
    reach = _end(p.low, -1)
    goal = _end(p.high, 1)
    for low, high in spans:
        if low > reach:
            break
        reach = max(reach, high + 1)
    return reach == math.inf or reach > goal


def _end(bound: Bound | None, infinity: int) -> float:
    """An inclusive integral bound as a number, the matching infinity when absent."""
    return math.inf * infinity if bound is None else float(bound[0])

"""Validating one event against a compiled validator, reporting every error with its place in the event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import (  # type: ignore[import-untyped, unused-ignore]
    UnknownType,
    ValidationError,
)
from referencing.exceptions import Unresolvable

from registry.domain.errors import InvalidContract, UnresolvableRef, ValidationBudgetExceeded
from registry.domain.formats.bounded_keywords import refused_message, unsafe_pattern_of
from registry.domain.formats.document import first_too_deep
from registry.domain.formats.messages import pointer_of, shorten
from registry.domain.formats.regexes import VALIDATION_BUDGET, RegexBudget, ValidationTooSlow, regex_budget

EVENT_MAX_DEPTH = 128
"""Nesting levels an event may have. jsonschema recurses several frames per level; with a self-referencing
schema it hits Python's recursion limit between 200 and 300 levels, so the limit stays well below that."""


SCHEMA_VIOLATION = "schema_violation"  # the event breaks the contract's schema
IDENTITY_MISMATCH = "identity_mismatch"  # an EventBridge event of another detail-type or source


@dataclass(frozen=True)
class EventError:
    path: str  # JSON pointer into the event ("" for the event itself)
    message: str
    code: str = SCHEMA_VIOLATION  # stable: what kind of error


_LIBRARY_FAILURES = (AttributeError, TypeError, LookupError, ValueError, ArithmeticError, UnknownType)
"""What jsonschema raises when a schema holds shapes it does not expect; registration refuses every such
contract it knows of, so this is a last line: the contract's fault, said as such, never a server error."""


def validate_with(validator: Any, event: Any) -> list[EventError]:
    """Every error `validator` finds in `event`, ordered by place; [] when the event is valid.

    Raises ValidationBudgetExceeded when the validation outruns VALIDATION_BUDGET: that is no verdict on
    the event. A pattern that cannot be evaluated within PATTERN_TIMEOUT on one of the event's strings
    refuses the event at that place: that one is about the event."""
    too_deep = first_too_deep(event, EVENT_MAX_DEPTH)
    if too_deep is not None:
        return [EventError(too_deep, f"the event nests deeper than {EVENT_MAX_DEPTH} levels")]
    try:
        with regex_budget() as budget:
            errors = list(validator.iter_errors(event))
    except ValidationTooSlow as exc:
        raise ValidationBudgetExceeded(budget_seconds=VALIDATION_BUDGET) from exc
    except RecursionError:
        # reachable below the depth limit only through schemas that recurse without consuming the event
        return [EventError("", "the event is too deeply nested to validate against this contract")]
    except Unresolvable as exc:
        raise UnresolvableRef(f"the contract holds a reference that cannot be resolved: {exc}") from exc
    except _LIBRARY_FAILURES as exc:
        raise InvalidContract(
            f"the contract cannot be evaluated against events: {type(exc).__name__}: {shorten(str(exc))}"
        ) from exc
    if budget.exhausted:  # the last searches were cut short by the budget, not judged
        raise ValidationBudgetExceeded(budget_seconds=VALIDATION_BUDGET)
    return _refused_for_patterns(budget, errors) + _reported(sorted(errors, key=_place))


def _reported(errors: list[ValidationError]) -> list[EventError]:
    reported: list[EventError] = []
    for error in errors:
        # a pattern that could not be evaluated inside an `anyOf` branch is what the client needs to hear of
        unsafe = _unsafe_pattern_error(error)
        chosen = EventError(pointer_of(unsafe or error), shorten((unsafe or error).message))
        # several keywords (patternProperties, additionalProperties) may report one pattern at one place
        if unsafe is None or chosen not in reported:
            reported.append(chosen)
    return reported


def _unsafe_pattern_error(error: ValidationError) -> ValidationError | None:
    stack = [error]
    while stack:
        current = stack.pop()
        if unsafe_pattern_of(current) is not None:
            return current
        stack.extend(reversed(current.context or ()))
    return None


def _refused_for_patterns(budget: RegexBudget, errors: list[ValidationError]) -> list[EventError]:
    """An error for a pattern that could not be evaluated although no reported error says so.

    `not`, `if`, `contains` and the like swallow the errors of their subschemas; a swallowed timeout must
    still refuse the event, or a `not: {pattern: ...}` would let it through.
    """
    if not budget.failures or any(_unsafe_pattern_error(error) is not None for error in errors):
        return []
    return [EventError("", shorten(refused_message(budget.failures[0])))]


def _place(error: ValidationError) -> tuple[tuple[bool, str | int], ...]:
    # array indices sort numerically; the flag keeps an index from being compared with a key
    return tuple((isinstance(token, str), token) for token in error.absolute_path)

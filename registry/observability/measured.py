"""Decorators that observe the registry's use cases in its metrics, so the use cases stay as they read.

Each maps what a use case returned or raised to a label of a fixed vocabulary (metrics.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from time import perf_counter
from typing import Any, ParamSpec, Protocol, TypeVar

from registry.domain import errors
from registry.observability import metrics

P = ParamSpec("P")
R = TypeVar("R")


def counted_registration(register: Callable[P, tuple[R, bool]]) -> Callable[P, tuple[R, bool]]:
    """A registration returns (version, created): created, or identical to a stored version; or it is
    refused as incompatible, as invalid (the contract or its references), or as too large."""

    @functools.wraps(register)
    def counted(*args: P.args, **kwargs: P.kwargs) -> tuple[R, bool]:
        try:
            version, created = register(*args, **kwargs)
        except errors.IncompatibleVersion:
            metrics.registrations.labels("incompatible").inc()
            raise
        except errors.PayloadTooLarge:
            metrics.registrations.labels("too_large").inc()
            raise
        except errors.InvalidInput:
            metrics.registrations.labels("invalid").inc()
            raise
        metrics.registrations.labels("created" if created else "identical").inc()
        return version, created

    return counted


class _Report(Protocol):
    @property
    def compatible(self) -> bool: ...
    @property
    def policy(self) -> Any: ...


ReportT = TypeVar("ReportT", bound=_Report)


def timed_check(check: Callable[P, ReportT]) -> Callable[P, ReportT]:
    """A compatibility check (a candidate against the versions its mode names, or one pair): its
    duration, and its verdict under its policy."""

    @functools.wraps(check)
    def timed(*args: P.args, **kwargs: P.kwargs) -> ReportT:
        started = perf_counter()
        report = check(*args, **kwargs)
        metrics.compatibility_check_seconds.observe(perf_counter() - started)
        verdict = "compatible" if report.compatible else "incompatible"
        metrics.compatibility_checks.labels(verdict, str(report.policy)).inc()
        return report

    return timed


def counted_validation(validate: Callable[P, tuple[R, list[Any]]]) -> Callable[P, tuple[R, list[Any]]]:
    """An event validation returns (version, problems): valid when there is none."""

    @functools.wraps(validate)
    def counted(*args: P.args, **kwargs: P.kwargs) -> tuple[R, list[Any]]:
        found, problems = validate(*args, **kwargs)
        metrics.event_validations.labels("invalid" if problems else "valid").inc()
        return found, problems

    return counted

"""Generation in a trace, across the worker process boundary.

The parent process holds the trace: a `codegen.generate` span around each job (its wait for a worker and
its runs, a retried one included) and, when the job succeeds, a `codegen.worker` child span timed inside the
worker process and recorded by the parent from the times the worker sends back with its result, with a
child span for each stage of the run (`codegen.prepare`, `codegen.generator`, `codegen.proof`,
`codegen.load`: where a slow generation spent its time, in wall time and, as `codegen.cpu_ms`, in CPU
time of the worker's thread). Workers
export nothing: a worker stopped at the time limit could not flush its spans, and it would need the SDK set
up in every worker. The spans go to whatever tracer provider the service installed (none: OpenTelemetry's
no-op API).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from opentelemetry import trace

from codegen.prepare import ContractInput
from codegen.version import GENERATOR_VERSION

T = TypeVar("T")
S = TypeVar("S")
P = ParamSpec("P")

_tracer = trace.get_tracer("codegen", GENERATOR_VERSION)


@dataclass(frozen=True)
class Timed(Generic[T]):
    """A worker's result with when (wall clock, ns since the epoch) and where it was computed."""

    value: T
    pid: int
    started_ns: int
    ended_ns: int
    # (span name, started, ended, CPU ns of the worker's thread) of each `stage` run
    stages: tuple[tuple[str, int, int, int], ...] = ()


# The stages of the run in progress in this worker process; None outside `run_timed`.
_stages: ContextVar[list[tuple[str, int, int, int]] | None] = ContextVar("codegen_stages", default=None)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """A stage of a worker's run, timed and sent back with its result. Outside a worker: nothing."""
    stages = _stages.get()
    if stages is None:
        yield
        return
    # CPU time beside wall time: on a busy machine a stage's wall time says more about the neighbours
    # (the CPU interval within the wall one: a stage's CPU time never exceeds its wall time)
    started = time.time_ns()
    cpu = time.thread_time_ns()
    yield  # a stage that raises ends the run: no result, no spans
    cpu = time.thread_time_ns() - cpu
    stages.append((name, started, time.time_ns(), cpu))


def run_timed(function: Callable[..., T], *args: Any) -> Timed[T]:
    """Runs in the worker: `function(*args)`, timed, with its stages."""
    stages: list[tuple[str, int, int, int]] = []
    token = _stages.set(stages)
    try:
        started = time.time_ns()
        value = function(*args)
        ended = time.time_ns()
    finally:
        _stages.reset(token)
    return Timed(value, os.getpid(), started, ended, tuple(stages))


def record_worker_run(timed: Timed[T]) -> T:
    """In the parent: the worker's run as a child of the current span, its stages as children of that;
    returns the worker's result."""
    span = _tracer.start_span(
        "codegen.worker", start_time=timed.started_ns, attributes={"process.pid": timed.pid}
    )
    within = trace.set_span_in_context(span)
    for name, started, ended, cpu_ns in timed.stages:
        attributes = {"codegen.cpu_ms": cpu_ns / 1e6}
        _tracer.start_span(name, context=within, start_time=started, attributes=attributes).end(
            end_time=ended
        )
    span.end(end_time=timed.ended_ns)
    return timed.value


def traced_generation(
    generate: Callable[Concatenate[S, ContractInput, P], Awaitable[T]],
) -> Callable[Concatenate[S, ContractInput, P], Awaitable[T]]:
    """A `codegen.generate` span around each job (failures recorded on it)."""

    @functools.wraps(generate)
    async def call(pool: S, contract: ContractInput, /, *args: P.args, **kwargs: P.kwargs) -> T:
        attributes = {"codegen.contract_type": contract.type, "codegen.generator_version": GENERATOR_VERSION}
        with _tracer.start_as_current_span("codegen.generate", attributes=attributes):
            return await generate(pool, contract, *args, **kwargs)

    return call

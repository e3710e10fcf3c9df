"""The failures code generation reports: each message says what went wrong, for the contract's author; the
`cause` is a stable code for metrics and logs."""

from __future__ import annotations

GENERATION_FAILED = "generation_failed"  # the generator refused or broke on this contract
GENERATION_TIMEOUT = "generation_timeout"  # the contract took longer than the worker's time limit
WORKER_DIED = "worker_died"  # the worker process ended mid-generation (killed, or a crash)
WORKERS_UNAVAILABLE = "workers_unavailable"  # no worker could run the job: not the contract's fault


class GenerationFailed(Exception):
    """Generation of this contract failed: what the contract gets blamed (and cached) for."""

    def __init__(self, message: str, *, cause: str = GENERATION_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.cause = cause


class GeneratorUnavailable(GenerationFailed):
    """Generation could not run now (the workers could not start, another replica is still at it): says
    nothing about the contract, so it is never recorded against it; the caller may retry shortly."""

    def __init__(self, message: str) -> None:
        super().__init__(message, cause=WORKERS_UNAVAILABLE)

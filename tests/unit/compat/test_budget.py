"""The checker's bounds: steps, and time read from the clock every CLOCK_STEPS steps (a system call)."""

from __future__ import annotations

import time

from registry.domain.compat.normalise import CLOCK_STEPS, Budget


def test_the_step_bound_holds_to_the_step() -> None:
    budget = Budget(steps=40, seconds=60)

    assert all(budget.spend() for _ in range(40))
    assert not budget.spend()


def test_the_time_bound_stops_the_check_within_clock_steps_of_the_deadline() -> None:
    budget = Budget(seconds=0.001)
    assert budget.spend()  # the first step reads the clock and sets the deadline
    deadline = time.thread_time() + 0.01
    while time.thread_time() < deadline:  # spend this thread's CPU time past the bound
        pass

    answers = [budget.spend() for _ in range(CLOCK_STEPS + 1)]

    assert answers[-1] is False
    assert answers.count(True) < CLOCK_STEPS  # the clock was read again within CLOCK_STEPS steps

"""The checker's bounds: steps, and time read from the clock every CLOCK_STEPS steps (a system call)."""

from __future__ import annotations

import gc
import threading
import time
from typing import Any

from jsonschema import Draft4Validator  # type: ignore[import-untyped, unused-ignore]

from registry.domain.compat import CompatibilityPolicy, check
from registry.domain.compat.checker import QUESTION_SECONDS, _CollectorPause
from registry.domain.compat.containment import OPTIONAL_SECONDS, Containment
from registry.domain.compat.document import Doc, Node
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


def test_a_long_list_of_producer_values_is_checked_within_the_deadline() -> None:
    # each value is a validation, not a step: past the deadline, the values left are undecided
    producer = {"enum": [f"value {n}" for n in range(3000)]}
    consumer = {"type": "string", "minLength": 1}
    p_doc, c_doc = Doc(producer, Draft4Validator), Doc(consumer, Draft4Validator)
    budget = Budget(seconds=0.02)  # far less than 3000 validations take

    found = Containment(budget).contained([Node(producer, "", p_doc)], [Node(consumer, "", c_doc)])

    assert [item.rule for item in found] == ["too_complex"]
    # and with time to check them all, they all fit
    assert (
        Containment(Budget(seconds=60)).contained([Node(producer, "", p_doc)], [Node(consumer, "", c_doc)])
        == []
    )


def test_a_question_takes_no_more_than_its_deadline() -> None:
    # a producer the checker takes long to compare: thousands of enum values in nested alternatives
    values = [f"value {n}" for n in range(4000)]
    producer = {"anyOf": [{"enum": values[:2000]}, {"enum": values[2000:]}]}
    consumer = {"anyOf": [{"enum": values[:1999]}, {"type": "string", "pattern": "^value [0-9]+$"}]}
    start = time.thread_time()
    check(producer, consumer, policy=CompatibilityPolicy.STRICT)
    assert time.thread_time() - start < QUESTION_SECONDS + 0.1


def _recording_validator(seen: list[bool]) -> type:
    """Draft 4, whose `type` keyword also notes whether the garbage collector runs meanwhile."""
    from jsonschema import validators

    def type_(validator: Any, types: Any, instance: Any, schema: Any) -> Any:
        seen.append(gc.isenabled())
        yield from Draft4Validator.VALIDATORS["type"](validator, types, instance, schema)

    return validators.extend(Draft4Validator, {"type": type_})  # type: ignore[no-any-return]


def test_the_garbage_collector_is_paused_during_a_check_and_resumed_after() -> None:
    # a full collection walks the whole process heap (a fifth of a question's bound beside a large corpus):
    # a check keeps the objects it builds young instead
    seen: list[bool] = []
    producer, consumer = {"type": "integer"}, {"type": "string"}
    assert gc.isenabled()

    [item] = check(
        producer, consumer, policy=CompatibilityPolicy.STRICT, validator_class=_recording_validator(seen)
    )

    assert item.proven  # its witness was validated, under the pause
    assert seen and not any(seen)
    assert gc.isenabled()


def test_a_collector_paused_by_the_caller_stays_paused() -> None:
    gc.disable()
    try:
        check({"type": "integer"}, {"type": "string"}, policy=CompatibilityPolicy.STRICT)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_checks_resume_the_collector_when_the_last_one_ends() -> None:
    pause = _CollectorPause()
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with pause:
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(5)
    with pause:
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other check is still under way
    leave.set()
    thread.join(5)
    assert gc.isenabled()


def test_optional_work_moves_the_comparison_deadline_by_its_own_time() -> None:
    # better witnesses have their own allowance: spending it leaves the comparison's bound whole
    containment = Containment(Budget(seconds=0.05))
    assert containment.budget.spend()  # the first step sets the deadline
    deadline = containment.budget.deadline
    with containment._optional_work():
        until = time.thread_time() + 0.06  # past the comparison's own bound
        while time.thread_time() < until:
            pass
    assert abs(containment.budget.deadline - deadline - containment.optional.used) < 1e-9
    assert containment.optional.used >= 0.06
    assert not containment.budget.overdue()
    # by the allowance at most: past it, optional work eats into the comparison's time again
    moved = containment.budget.deadline
    with containment._optional_work():
        until = time.thread_time() + OPTIONAL_SECONDS
        while time.thread_time() < until:
            pass
    assert containment.moved == OPTIONAL_SECONDS
    assert abs(containment.budget.deadline - deadline - OPTIONAL_SECONDS) < 1e-9
    assert containment.budget.deadline > moved

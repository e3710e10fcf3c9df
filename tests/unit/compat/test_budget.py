"""The checker's bounds: steps, and time read from the clock every CLOCK_STEPS steps (a system call)."""

from __future__ import annotations

import time

from jsonschema import Draft4Validator  # type: ignore[import-untyped, unused-ignore]

from registry.domain.compat import CompatibilityPolicy, check
from registry.domain.compat.checker import QUESTION_SECONDS
from registry.domain.compat.containment import Containment
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

"""Which pairs a mode checks, and the matrix that asks as few questions as containment allows."""

from __future__ import annotations

import itertools
import random

from registry.domain.model import CompatibilityMode
from registry.domain.modes import NEW, Pair, containment_matrix, pairs_for


def test_backward_checks_the_latest_version_against_the_new_one() -> None:
    assert pairs_for(CompatibilityMode.BACKWARD, [1, 2, 3]) == [Pair(3, NEW)]
    assert pairs_for(CompatibilityMode.FORWARD, [1, 2, 3]) == [Pair(NEW, 3)]
    assert pairs_for(CompatibilityMode.FULL, [1, 2]) == [Pair(2, NEW), Pair(NEW, 2)]


def test_transitive_modes_check_every_earlier_version_nearest_first() -> None:
    assert pairs_for(CompatibilityMode.BACKWARD_TRANSITIVE, [1, 2, 3]) == [
        Pair(3, NEW),
        Pair(2, NEW),
        Pair(1, NEW),
    ]
    assert pairs_for(CompatibilityMode.FULL_TRANSITIVE, [1, 2]) == [
        Pair(2, NEW),
        Pair(NEW, 2),
        Pair(1, NEW),
        Pair(NEW, 1),
    ]


def test_none_and_a_first_version_check_nothing() -> None:
    assert pairs_for(CompatibilityMode.NONE, [1, 2]) == []
    assert pairs_for(CompatibilityMode.FULL_TRANSITIVE, []) == []


def test_the_matrix_equals_asking_every_pair() -> None:
    rng = random.Random(7)
    for _ in range(200):
        # sets ordered by inclusion stand for schemas ordered by containment
        sets = [frozenset(rng.sample(range(6), rng.randint(0, 6))) for _ in range(rng.randint(1, 9))]
        asked = containment_matrix(len(sets), lambda i, j, sets=sets: sets[i] <= sets[j])
        assert asked == [[a <= b for b in sets] for a in sets]


def test_a_chain_of_compatible_versions_costs_about_two_questions_per_version() -> None:
    sets = [frozenset(range(size)) for size in range(1, 101)]  # each version reads every earlier one
    questions: list[tuple[int, int]] = []

    def contained(i: int, j: int) -> bool:
        questions.append((i, j))
        return sets[i] <= sets[j]

    matrix = containment_matrix(len(sets), contained)
    assert matrix == [[a <= b for b in sets] for a in sets]
    assert len(questions) <= 2 * len(sets)
    assert len(set(questions)) == len(questions)
    assert all(i != j for i, j in questions)
    assert not any(matrix[i][j] for i, j in itertools.product(range(100), range(100)) if i > j)

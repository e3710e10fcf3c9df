"""Checks that share prepared documents (the two checks of a semantic diff) answer as checks apart do."""

from __future__ import annotations

import pytest

from registry.domain.compat import CompatibilityPolicy, check
from registry.domain.compat.checker import check_prepared, prepare
from tests.unit.compat.catalogue import CATALOGUE

PAIRS = [pair for pairs in CATALOGUE.values() for pair in pairs]


@pytest.mark.parametrize("policy", list(CompatibilityPolicy))
def test_both_ways_on_shared_documents_answer_as_two_checks_apart(policy: CompatibilityPolicy) -> None:
    for pair in PAIRS:
        a, b = pair.producer, pair.consumer
        apart = (check(a, b, policy=policy), check(b, a, policy=policy))
        # one document per schema and role, as registry.contracts.SharedDocuments keeps them for a request
        documents = {
            (side, role): prepare(schema, as_producer=role, policy=policy)
            for side, schema in (("a", a), ("b", b))
            for role in (True, False)
        }
        if policy is CompatibilityPolicy.STRICT:  # STRICT reads a schema alike in both roles: one document
            documents[("a", False)], documents[("b", False)] = documents[("a", True)], documents[("b", True)]
        shared = (
            check_prepared(documents[("a", True)], documents[("b", False)]),
            check_prepared(documents[("b", True)], documents[("a", False)]),
        )
        assert shared == apart, pair.name

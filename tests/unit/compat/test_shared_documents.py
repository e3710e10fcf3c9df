"""Checks that share prepared documents (the two checks of a semantic diff) answer as checks apart do."""

from __future__ import annotations

import copy

import pytest

from registry.domain.compat import CompatibilityPolicy, check
from registry.domain.compat.checker import check_prepared, prepare, prepare_to_keep
from registry.domain.compat.digest import digests
from registry.domain.compat.document import canonical_text
from tests.corpus.contracts import sample
from tests.corpus.evolutions import evolutions
from tests.unit.compat.catalogue import CATALOGUE

PAIRS = [pair for pairs in CATALOGUE.values() for pair in pairs]


@pytest.mark.parametrize("policy", list(CompatibilityPolicy))
def test_both_ways_on_shared_documents_answer_as_two_checks_apart(policy: CompatibilityPolicy) -> None:
    for pair in PAIRS:
        a, b = pair.producer, pair.consumer
        apart = (check(a, b, policy=policy), check(b, a, policy=policy))
        # one document per schema and role, as the two checks of a semantic diff read them
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


@pytest.mark.parametrize("policy", list(CompatibilityPolicy))
def test_documents_kept_between_checks_answer_as_documents_prepared_for_each(
    policy: CompatibilityPolicy,
) -> None:
    # one document per schema and role, kept as registry.contracts.PreparedDocuments keeps them between
    # requests: every check reads fresh copies, after other checks have read copies of the same documents
    kept = {
        (index, side, role): prepare_to_keep(schema, as_producer=role, policy=policy)
        for index, pair in enumerate(PAIRS)
        for side, schema in (("a", pair.producer), ("b", pair.consumer))
        for role in (True, False)
    }
    learnt = {key: (len(doc.memo), len(digests(doc)._digest)) for key, doc in kept.items()}
    for round_ in range(2):
        for index, pair in enumerate(PAIRS):
            a, b = pair.producer, pair.consumer
            apart = (check(a, b, policy=policy), check(b, a, policy=policy))
            both_ways = (
                check_prepared(kept[(index, "a", True)].fresh(), kept[(index, "b", False)].fresh()),
                check_prepared(kept[(index, "b", True)].fresh(), kept[(index, "a", False)].fresh()),
            )
            assert both_ways == apart, (round_, pair.name)
    # what the checks learnt stayed with their copies: the kept documents did not grow
    assert {key: (len(doc.memo), len(digests(doc)._digest)) for key, doc in kept.items()} == learnt
    assert all(not digests(doc).compared and not digests(doc).pointers for doc in kept.values())


@pytest.mark.parametrize("policy", list(CompatibilityPolicy))
def test_a_check_leaves_the_schemas_it_reads_as_they_were(policy: CompatibilityPolicy) -> None:
    # kept documents read a contract's own schema, which its validators read too
    # (`Contract.shared_event_schema`): a check that changed it would change them
    pairs = [(pair.name, pair.producer, pair.consumer) for pair in PAIRS]
    pairs += [(e.name, e.before, e.after) for e in evolutions(sample(20, seed="shared documents"))]
    for name, a, b in pairs:
        a, b = copy.deepcopy(a), copy.deepcopy(b)
        before = canonical_text([a, b])
        check(a, b, policy=policy)
        check(b, a, policy=policy)
        assert canonical_text([a, b]) == before, name

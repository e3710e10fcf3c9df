"""The bindings of the whole corpus (tests/corpus, 300+ real-world-shaped contracts of our own) against their
contracts: contracts registered, bindings generated (at least 99% of those that register), valid documents
accepted by the models (all), invalid documents refused where pydantic can express the rule (all), and the
share of the others refused, by kind. `make conformance`; `make test` runs a sample of 50
(tests/unit/codegen/test_corpus_bindings.py). Run with `-s` to see the figures."""

from __future__ import annotations

from functools import cache

import pytest

from tests.corpus import CorpusContract, corpus
from tests.corpus.bindings import Figures, Outcome, check

CONTRACTS = corpus()
DOCUMENTS = 8
MUTATIONS = 6


@cache
def _outcome(name: str) -> Outcome:
    contract = next(contract for contract in CONTRACTS if contract.name == name)
    return check(contract, documents=DOCUMENTS, mutations=MUTATIONS)


@pytest.mark.parametrize("contract", CONTRACTS, ids=[contract.name for contract in CONTRACTS])
def test_the_models_of_a_corpus_contract_agree_with_it(contract: CorpusContract) -> None:
    outcome = _outcome(contract.name)
    assert outcome.registered is None, outcome.registered
    assert outcome.valid_refused == [], "valid documents refused by the models"
    assert outcome.expressible_accepted == [], "invalid documents the models should refuse, accepted"


def test_the_figures_over_the_corpus() -> None:
    """Every contract registers; bindings generate for at least 99% of them; every valid document is
    accepted and every invalid one pydantic can express is refused."""
    figures = Figures()
    for contract in CONTRACTS:
        figures.add(_outcome(contract.name))
    print("\n" + figures.table())
    assert figures.registered == figures.contracts
    assert figures.generated >= 0.99 * figures.registered
    assert figures.valid_accepted == figures.valid > 0
    assert figures.expressible_refused == figures.expressible > 0

"""The bindings of the whole corpus (tests/corpus, 300+ real-world-shaped contracts of our own) against their
contracts: contracts registered, bindings generated (at least 99% of those that register), valid documents
accepted by the models (all), invalid documents refused where pydantic can express the rule (all), and the
share of the others refused, by kind. `make conformance`; `make test` runs a sample of 50
(tests/unit/codegen/test_corpus_bindings.py). Run with `-s` to see the figures.

The contracts are checked in a pool of one process per core: the figures need every outcome in one place, so
the work is spread here rather than over pytest workers."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

from tests.corpus import corpus
from tests.corpus.bindings import Figures, Outcome, check

DOCUMENTS = 8
MUTATIONS = 6


def _outcome(name: str) -> Outcome:
    contract = next(contract for contract in corpus() if contract.name == name)
    return check(contract, documents=DOCUMENTS, mutations=MUTATIONS)


def test_the_models_of_every_corpus_contract_agree_with_it() -> None:
    """Every contract registers; bindings generate for at least 99% of them; every valid document is
    accepted and every invalid one pydantic can express is refused (each failure named by its contract)."""
    names = [contract.name for contract in corpus()]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        outcomes = list(pool.map(_outcome, names, chunksize=4))
    figures = Figures()
    for outcome in outcomes:
        figures.add(outcome)
    print("\n" + figures.table())
    failures = {
        outcome.name: problems
        for outcome in outcomes
        if (
            problems := [
                *([f"not registered: {outcome.registered}"] if outcome.registered else []),
                *(f"valid document refused: {shown}" for shown in outcome.valid_refused),
                *(f"invalid document accepted: {shown}" for shown in outcome.expressible_accepted),
            ]
        )
    }
    assert failures == {}
    assert figures.registered == figures.contracts == len(names)
    assert figures.generated >= 0.99 * figures.registered
    assert figures.valid_accepted == figures.valid > 0
    assert figures.expressible_refused == figures.expressible > 0

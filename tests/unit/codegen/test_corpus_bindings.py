"""The bindings of a fixed sample of 50 corpus contracts (tests/corpus) agree with their contracts: each
generates, its models accept every valid document hypothesis draws (and every mutation the contract still
accepts), and refuse every invalid mutation that pydantic can express. The whole corpus runs in
benchmarks/bench_bindings_corpus.py (`make bench`)."""

from __future__ import annotations

import pytest

from tests.corpus import CorpusContract, sample
from tests.corpus.bindings import check

SAMPLE = sample(50)


@pytest.mark.parametrize("contract", SAMPLE, ids=[contract.name for contract in SAMPLE])
def test_the_models_of_a_corpus_contract_agree_with_it(contract: CorpusContract) -> None:
    outcome = check(contract, documents=3, mutations=6)
    assert outcome.registered is None, outcome.registered
    assert outcome.generation is None, outcome.generation
    assert outcome.valid > 0, "hypothesis drew no document the contract accepts"
    assert outcome.valid_refused == [], "valid documents refused by the models"
    assert outcome.expressible_accepted == [], "invalid documents the models should refuse, accepted"

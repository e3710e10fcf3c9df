"""The bindings of the whole corpus (tests/corpus, 300+ real-world-shaped contracts of our own) against their
contracts: every contract registers; bindings generate for at least 99% of those that register; the models
accept every valid document and refuse every invalid one whose broken rule pydantic can express; the share of
the others refused is printed by kind. `make test` runs a sample of 50
(tests/unit/codegen/test_corpus_bindings.py) with the same assertions; this script runs all of them (~3.5
minutes on 2 cores), in `make bench`.

    .venv/bin/python benchmarks/bench_bindings_corpus.py

Exits 1 and names each contract that breaks a rule. The contracts are checked in a pool of one process per
core: the figures need every outcome in one place."""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.corpus import corpus
from tests.corpus.bindings import Figures, Outcome, check

DOCUMENTS = 8
MUTATIONS = 6


def _outcome(name: str) -> Outcome:
    contract = next(contract for contract in corpus() if contract.name == name)
    return check(contract, documents=DOCUMENTS, mutations=MUTATIONS)


def _problems(outcome: Outcome) -> list[str]:
    return [
        *([f"not registered: {outcome.registered}"] if outcome.registered else []),
        *(f"valid document refused: {shown}" for shown in outcome.valid_refused),
        *(f"invalid document accepted: {shown}" for shown in outcome.expressible_accepted),
    ]


def main() -> int:
    names = [contract.name for contract in corpus()]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        outcomes = list(pool.map(_outcome, names, chunksize=4))
    figures = Figures()
    for outcome in outcomes:
        figures.add(outcome)
    print(f"bindings of the whole corpus ({len(names)} contracts, {time.perf_counter() - started:.0f} s)")
    print(figures.table())
    failures = {outcome.name: problems for outcome in outcomes if (problems := _problems(outcome))}
    for name, problems in failures.items():
        print(f"FAIL {name}: " + "; ".join(problems))
    rules = {
        "every contract registers": figures.registered == figures.contracts == len(names),
        "bindings generate for >= 99%": figures.generated >= 0.99 * figures.registered,
        "every valid document accepted": figures.valid_accepted == figures.valid > 0,
        "every expressible invalid document refused": figures.expressible_refused == figures.expressible > 0,
    }
    for rule, held in rules.items():
        print(f"{'ok  ' if held else 'FAIL'} {rule}")
    return 0 if not failures and all(rules.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

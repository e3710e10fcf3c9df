"""The corpus of real-world-shaped contracts (tests/corpus) is what its users rely on: big enough, varied,
the same on every run, quick to build, and every contract valid for its declared type."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from registry.domain.formats import parse_contract
from tests.corpus import corpus, sample

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_corpus_is_large_and_varied() -> None:
    contracts = corpus()
    assert len(contracts) >= 300
    assert len({contract.name for contract in contracts}) == len(contracts)
    families = Counter(contract.family for contract in contracts)
    dialects = Counter(contract.dialect for contract in contracts)
    assert len(families) >= 12 and min(families.values()) >= 10, families
    assert set(dialects) == {"draft4", "draft6", "draft7", "2019-09", "2020-12", "oas30", "oas31"}, dialects
    text = json.dumps([contract.content for contract in contracts])
    keywords = ["patternProperties", "oneOf", "anyOf", "allOf", "prefixItems", "$defs", "const", "$id",
                "$anchor", "nullable", "discriminator", "x-amazon-events-detail-type"]  # fmt: skip
    for keyword in keywords:
        assert f'"{keyword}":' in text, keyword


def test_every_contract_registers() -> None:
    """Each is valid for its declared type: the registry's own parse_contract accepts it."""
    for contract in corpus():
        parse_contract(contract.type, contract.content, event_root=contract.event_root)


def test_the_corpus_is_the_same_in_every_process_and_quick_to_build() -> None:
    """Seeded by contract names (never by hash()): another interpreter, with another hash seed, builds the
    very same contracts, in well under a second."""
    code = (
        "import hashlib, json, time\n"
        "start = time.perf_counter()\n"
        "from tests.corpus import corpus\n"
        "contracts = corpus()\n"
        "elapsed = time.perf_counter() - start\n"
        "text = json.dumps([c.content for c in contracts], sort_keys=True)\n"
        "print(hashlib.sha256(text.encode()).hexdigest())\n"
        "print(elapsed)\n"
    )
    env = {"PYTHONHASHSEED": "12345", "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    digest, elapsed = done.stdout.split()
    here = hashlib.sha256(json.dumps([c.content for c in corpus()], sort_keys=True).encode()).hexdigest()
    assert digest == here
    assert float(elapsed) < 3.0  # < 1 s on an idle machine; a loaded one gets a margin


def test_the_sample_is_fixed_and_spread_over_families() -> None:
    first, again = sample(50), sample(50)
    assert [c.name for c in first] == [c.name for c in again]
    assert len(first) == 50
    assert len({c.family for c in first}) >= 10
    start = time.perf_counter()
    corpus()
    assert time.perf_counter() - start < 1.0  # cached after the first build

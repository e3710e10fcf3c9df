"""The compatibility checker on our own version histories: each contract of the test corpus (tests/corpus) and
its next version after one realistic edit (tests/corpus/evolutions.py), asked in both directions (STRICT).

Prints the same table as bench_compat_histories.py; every "compatible" answer is probed with the checker's own
generators (a counterexample found there is reported as unsound).

    .venv/bin/python benchmarks/bench_compat_evolutions.py [--json out]
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compat_histories import run, table

from tests.corpus.evolutions import evolutions


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", type=Path, help="write every question's result here")
    parser.add_argument("--no-soundness", action="store_true", help="skip the probe of compatible answers")
    args = parser.parse_args()
    found = evolutions()
    asked = []
    for e in found:
        asked.append((e.name, "old producer", e.before, e.after))
        asked.append((e.name, "new producer", e.after, e.before))
    edits = collections.Counter(e.edit for e in found)
    print(
        f"{len(found)} pairs, {len(asked)} questions; edits: {dict(sorted(edits.items()))}", file=sys.stderr
    )
    results = run(asked, not args.no_soundness)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    print(table(results, f"Own corpus: {len(found)} contracts and an edited next version, STRICT"))


if __name__ == "__main__":
    main()

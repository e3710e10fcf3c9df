"""Speed of the compatibility checker (`registry.domain.compat.check`), pure Python, on this machine.

Run from the repository root:

    .venv/bin/python benchmarks/compat_bench.py           # all three scenarios
    .venv/bin/python benchmarks/compat_bench.py --quick   # fewer repetitions

Scenarios (targets from issue 3):

* a pair of 1,000-property, depth-6 contracts that differ in one place (median, target at most 50 ms);
* a BACKWARD_TRANSITIVE registration: a new version checked against 100 earlier ones (target at most 1 s);
* the conformance corpus (`$REGISTRY_CONFORMANCE_DIR/json-schema-compat`): time per pair, with jsonsubschema
  (the pip package, when installed, run with PYTHONHASHSEED=0 for stable answers) beside it as the reference.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator  # type: ignore[import-untyped, unused-ignore]

from registry.domain.compat import CompatibilityPolicy, check

STRICT = CompatibilityPolicy.STRICT


def wide_contract(properties: int = 1000, depth: int = 6) -> dict[str, Any]:
    """An object schema of `depth` nested levels holding `properties` properties in all."""
    per_level = properties // depth
    node: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    root = node
    for level in range(depth):
        for i in range(per_level):
            name = f"f{level}_{i}"
            node["properties"][name] = _leaf(i)
            if i % 3 == 0:
                node["required"].append(name)
        if level < depth - 1:
            child: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
            node["properties"][f"nested{level}"] = child
            node["required"].append(f"nested{level}")
            node = child
    return root


def _leaf(i: int) -> dict[str, Any]:
    kinds: list[dict[str, Any]] = [
        {"type": "string", "maxLength": 64},
        {"type": "integer", "minimum": 0},
        {"type": "number"},
        {"type": "string", "enum": ["a", "b", "c"]},
        {"type": "array", "items": {"type": "string"}, "maxItems": 10},
        {"type": ["string", "null"]},
    ]
    return copy.deepcopy(kinds[i % len(kinds)])


def median_ms(runs: int, action: Any) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def wide_pair(runs: int) -> None:
    old = wide_contract()
    new = copy.deepcopy(old)
    deepest = new
    for level in range(5):
        deepest = deepest["properties"][f"nested{level}"]
    deepest["properties"]["f5_0"]["maxLength"] = 128  # widened: compatible, so the whole tree is compared
    assert check(old, new, policy=STRICT) == []
    narrowed = copy.deepcopy(old)
    narrowed["properties"]["f0_1"]["minimum"] = 5
    compatible = median_ms(runs, lambda: check(old, new, policy=STRICT))
    incompatible = median_ms(runs, lambda: check(old, narrowed, policy=STRICT))
    print(f"1,000 properties, depth 6, compatible:   median {compatible:.1f} ms")
    print(f"1,000 properties, depth 6, incompatible: median {incompatible:.1f} ms")


def transitive(runs: int) -> None:
    versions: list[dict[str, Any]] = [{"type": "object", "properties": {}, "additionalProperties": False}]
    for i in range(100):
        following = copy.deepcopy(versions[-1])
        following["properties"][f"field{i}"] = {"type": "string"}
        versions.append(following)
    new, earlier = versions[-1], versions[:-1]

    def register() -> None:
        assert all(check(old, new, policy=STRICT) == [] for old in earlier)

    print(f"BACKWARD_TRANSITIVE against 100 versions:  median {median_ms(runs, register):.1f} ms")


def corpus() -> None:
    default = Path(__file__).resolve().parents[1].parent / "shared" / "conformance"
    folder = Path(os.environ.get("REGISTRY_CONFORMANCE_DIR", default)) / "json-schema-compat"
    if not folder.is_dir():
        print(f"no conformance corpus in {folder}")
        return
    records = [json.loads(line) for line in (folder / "cases.jsonl").open(encoding="utf-8")]
    records += [json.loads(line) for line in (folder / "containment.jsonl").open(encoding="utf-8")]
    started = time.perf_counter()
    for record in records:
        check(record["old"], record["new"], policy=STRICT)
    elapsed = time.perf_counter() - started
    print(f"conformance corpus: {len(records)} pairs, {elapsed * 1e6 / len(records):.0f} µs per pair")
    try:
        from jsonsubschema import isSubschema  # type: ignore[import-not-found]
    except ImportError:
        print("jsonsubschema is not installed: no reference timing (pip install jsonsubschema)")
        return
    started, errors = time.perf_counter(), 0
    for record in records:
        try:
            isSubschema(record["old"], record["new"])
        except Exception:
            errors += 1
    elapsed = time.perf_counter() - started
    print(f"jsonsubschema: {elapsed * 1e6 / len(records):.0f} µs per pair, {errors} errors")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    runs = 5 if quick else 21
    Draft4Validator({})  # import costs out of the way
    wide_pair(runs)
    transitive(3 if quick else 7)
    corpus()


if __name__ == "__main__":
    main()

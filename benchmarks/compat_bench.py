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
import contextlib
import copy
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from jsonschema import (  # type: ignore[import-untyped, unused-ignore]
    Draft4Validator,
    Draft6Validator,
    Draft7Validator,
    Draft201909Validator,
    Draft202012Validator,
)
from jsonschema.validators import extend, validator_for  # type: ignore[import-untyped, unused-ignore]

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


DRAFTS = {
    "draft4": Draft4Validator,
    "draft6": Draft6Validator,
    "draft7": Draft7Validator,
    "draft2019-09": Draft201909Validator,
    "draft2020-12": Draft202012Validator,
}


def corpus() -> None:
    """Time per pair and agreement with the labels, ours beside jsonsubschema's, per source."""
    default = Path(__file__).resolve().parents[1].parent / "shared" / "conformance"
    folder = Path(os.environ.get("REGISTRY_CONFORMANCE_DIR", default)) / "json-schema-compat"
    if not folder.is_dir():
        print(f"no conformance corpus in {folder}")
        return
    records = [json.loads(line) for line in (folder / "cases.jsonl").open(encoding="utf-8")]
    records += [json.loads(line) for line in (folder / "containment.jsonl").open(encoding="utf-8")]
    ours = _judge(records, _our_verdict)
    try:
        from jsonsubschema import isSubschema  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        print("jsonsubschema is not installed (`pip install '.[bench]'`): no reference column")
        reference: dict[str, dict[str, float]] = {}
    else:
        reference = _judge(records, lambda record: _reference_verdict(isSubschema, record))
    print(
        "| source | pairs | ours: agreement | ours: µs/pair | jsonsubschema: decided | agreement | µs/pair |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for source, figures in ours.items():
        ref = reference.get(source)
        theirs = f"{ref['decided']:.0f} | {ref['agreement']:.3f} | {ref['us']:.0f}" if ref else "- | - | -"
        mine = f"{figures['pairs']:.0f} | {figures['agreement']:.3f} | {figures['us']:.0f}"
        print(f"| {source} | {mine} | {theirs} |")
    print("agreement: with the upstream label, over the pairs the checker decided (ours decides every pair);")
    print("the labels of Confluent and Karapace depart from set inclusion on purpose (README of the corpus)")


def _source(record: dict[str, Any]) -> str:
    if record["source"].startswith("containment"):
        return f"containment/{record['validate_with']}"
    return str(record["source"]).split("/")[0]


def _directions(record: dict[str, Any]) -> list[tuple[Any, Any]]:
    pair = [(record["old"], record["new"])]
    return [*pair, (record["new"], record["old"])] if record["mode"] == "FULL" else pair


# The containment suite writes its instances as `const` in every draft, Draft 4 included (as the
# conformance test does, and jsonsubschema, which reads Draft 4 plus `const`).
DRAFT4_WITH_CONST = extend(Draft4Validator, {"const": Draft6Validator.VALIDATORS["const"]})


def _validator_class(record: dict[str, Any]) -> Any:
    default = DRAFTS.get(record.get("validate_with", "draft4"), Draft4Validator)
    if default is Draft4Validator and record["source"].startswith("containment"):
        default = DRAFT4_WITH_CONST
    old = record["old"]
    return validator_for(old, default=default) if isinstance(old, dict) else default


def _our_verdict(record: dict[str, Any]) -> bool | None:
    cls = _validator_class(record)
    return all(not check(p, c, policy=STRICT, validator_class=cls) for p, c in _directions(record))


def _reference_verdict(is_subschema: Any, record: dict[str, Any]) -> bool | None:
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # it prints as it goes
            return all(bool(is_subschema(p, c)) for p, c in _directions(record))
    except BaseException:  # it raises, or calls exit(), on what it does not support
        return None


def _judge(records: list[dict[str, Any]], verdict: Any) -> dict[str, dict[str, float]]:
    tallies: dict[str, dict[str, float]] = {}
    for record in records:
        tally = tallies.setdefault(_source(record), {"pairs": 0, "decided": 0, "agree": 0, "seconds": 0.0})
        started = time.perf_counter()
        answer = verdict(record)
        tally["seconds"] += time.perf_counter() - started
        tally["pairs"] += 1
        if answer is not None:
            tally["decided"] += 1
            tally["agree"] += answer == record["expected_compatible"]
    return {
        source: {
            "pairs": t["pairs"],
            "decided": t["decided"],
            "agreement": t["agree"] / t["decided"] if t["decided"] else float("nan"),
            "us": t["seconds"] * 1e6 / t["pairs"],
        }
        for source, t in sorted(tallies.items())
    }


def main() -> None:
    if os.environ.get("PYTHONHASHSEED") != "0":
        # jsonsubschema's answers depend on the hash seed: run again with a fixed one
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})
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

"""The checker against the labelled corpus `json-schema-compat` (in $REGISTRY_CONFORMANCE_DIR, README there).

Only the semantic labels are used: the jsonsubschema pairs of cases.jsonl and the containment suite. The
checker must never call a pair compatible that such a label calls incompatible, unless jsonschema itself (the
validator that defines our semantics) disagrees with the label; then the pair is a counted *deviation*:

- a pair whose producer is one `const` value that jsonschema accepts under the consumer: the suite's labels
  assume `format` assertions, ECMA-262 regular expressions, `content*` assertions, or references resolved
  differently from jsonschema's;
- a pair labelled compatible for which the checker returns a witness that jsonschema verifies (e.g. `"\\n"`,
  which `minLength: 1` allows and `pattern: ".+"` rejects), including the README's one known-wrong label.

The containment suite writes its instances as `const` in every draft; Draft 4 has no `const`, so its Draft 4
pairs are validated with Draft 4 plus `const` (as jsonsubschema does).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
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

from registry.domain.compat import CompatibilityPolicy, Incompatibility, check
from registry.domain.formats.refs import OFFLINE_REGISTRY
from tests.conformance.corpora import corpus as named_corpus
from tests.conformance.label_deviations import CHECKER_GAPS, LABEL_DEVIATIONS, explanation

DRAFTS: dict[str, Any] = {
    "draft4": Draft4Validator,
    "draft6": Draft6Validator,
    "draft7": Draft7Validator,
    "draft2019-09": Draft201909Validator,
    "draft2020-12": Draft202012Validator,
}
DRAFT4_WITH_CONST = extend(Draft4Validator, {"const": Draft6Validator.VALIDATORS["const"]})
KNOWN_WRONG_LABEL = (
    "jsonsubschema/test_string.py#test_equiv_multiple_case@L182"  # README: ".{2,}" vs minLength 2
)
# agreement reached when this test was written, rounded down: a floor against regressions
AGREEMENT_FLOORS = {
    "jsonsubschema": 0.98,
    "containment/draft4": 0.99,
    "containment/draft6": 0.99,
    "containment/draft7": 0.99,
}
PROVEN_FLOOR = 0.95


def corpus() -> Path:
    return named_corpus("json-schema-compat")


def semantic_records() -> Iterator[dict[str, Any]]:
    for name in ("cases.jsonl", "containment.jsonl"):
        with (corpus() / name).open(encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                if record["label_semantics"].startswith("semantic"):
                    yield record


def source_of(record: dict[str, Any]) -> str:
    if record["label_semantics"].startswith("semantic-subschema"):
        return "jsonsubschema"
    return f"containment/{record['validate_with']}"


def validator_class_of(record: dict[str, Any]) -> Any:
    default = DRAFTS[record["validate_with"]]
    if default is Draft4Validator and record["source"].startswith("containment"):
        default = DRAFT4_WITH_CONST
    old = record["old"]
    return validator_for(old, default=default) if isinstance(old, dict) else default


def directions(record: dict[str, Any]) -> list[tuple[Any, Any]]:
    pairs = [(record["old"], record["new"])]
    return [*pairs, (record["new"], record["old"])] if record["mode"] == "FULL" else pairs


def validator_accepts_const(record: dict[str, Any], cls: Any) -> bool:
    old = record["old"]
    if not (isinstance(old, dict) and set(old) == {"const"}):
        return False
    return bool(cls(record["new"], registry=OFFLINE_REGISTRY).is_valid(old["const"]))


def verified(item: Incompatibility, producer: Any, consumer: Any, cls: Any) -> bool:
    valid = cls(producer, registry=OFFLINE_REGISTRY).is_valid(item.witness)
    return bool(valid and not cls(consumer, registry=OFFLINE_REGISTRY).is_valid(item.witness))


def test_the_checker_is_never_unsound_and_agrees_with_the_semantic_labels() -> None:
    stats: dict[str, Counter[str]] = defaultdict(Counter)
    unsound: list[str] = []
    for record in semantic_records():
        cls, source, label = validator_class_of(record), source_of(record), record["expected_compatible"]
        strict = CompatibilityPolicy.STRICT
        results = [(check(p, c, policy=strict, validator_class=cls), p, c) for p, c in directions(record)]
        counts = stats[source]
        counts["pairs"] += 1
        for found, producer, consumer in results:
            for item in found:
                assert not item.proven or verified(item, producer, consumer, cls), (record["id"], item)
                counts["items"] += 1
                counts["proven"] += item.proven
                counts["items where the label says incompatible"] += not label
                counts["proven where the label says incompatible"] += item.proven and not label
        compatible = all(not found for found, _, _ in results)
        if compatible and not label:
            if validator_accepts_const(record, cls):
                counts["deviation: jsonschema accepts the label's counterexample"] += 1
            else:
                unsound.append(record["id"])
        elif not compatible and label and any(i.proven for found, _, _ in results for i in found):
            counts["deviation: a verified witness contradicts the label"] += 1
            counts["known wrong label"] += record["id"] == KNOWN_WRONG_LABEL
        else:
            counts["agree"] += compatible == label
            counts["judged"] += 1
    _report(stats)
    assert unsound == [], f"compatible where a semantic label says not: {unsound}"
    for source, floor in AGREEMENT_FLOORS.items():
        assert stats[source]["agree"] / stats[source]["judged"] >= floor, (source, dict(stats[source]))
    items = sum(c["items"] for c in stats.values())
    assert sum(c["proven"] for c in stats.values()) / items >= PROVEN_FLOOR


def _report(stats: dict[str, Counter[str]]) -> None:
    """Printed for the README's table (run with -s)."""
    for source, c in sorted(stats.items()):
        agreement, raw = c["agree"] / max(c["judged"], 1), c["agree"] / c["pairs"]
        proven = c["proven"] / max(c["items"], 1)
        where = c["proven where the label says incompatible"] / max(
            c["items where the label says incompatible"], 1
        )
        print(
            f"{source}: agreement {agreement:.3f} without deviations ({raw:.3f} of all pairs); proven"
            f" witnesses {proven:.3f} of all incompatibilities, {where:.3f} where the label says"
            f" incompatible; {dict(c)}"
        )


def semantic_verdicts() -> dict[str, dict[str, Any]]:
    with (corpus() / "semantic.jsonl").open(encoding="utf-8") as lines:
        return {v["id"]: v for v in map(json.loads, lines)}


def test_no_pair_with_a_verified_counterexample_is_called_compatible() -> None:
    """Every pair of cases.jsonl (Confluent and Karapace too) whose semantic verdict comes with a
    counterexample: where jsonschema confirms it, the checker must report an incompatibility."""
    verdicts, stats = semantic_verdicts(), defaultdict[str, Counter[str]](Counter)
    with (corpus() / "cases.jsonl").open(encoding="utf-8") as lines:
        for record in map(json.loads, lines):
            verdict, cls = verdicts[record["id"]], validator_class_of(record)
            counts = stats[record["source"].split("/")[0]]
            if verdict["semantic"] == "SEM_INCOMPATIBLE" and verdict["probe_cex"]:
                example = verdict["probe_cex"]
                forward = example.get("direction") == "forward"
                producer, consumer = (
                    (record["new"], record["old"]) if forward else (record["old"], record["new"])
                )
                if not _separates(example["counterexample"], producer, consumer, cls):
                    counts["counterexample not confirmed by this draft"] += 1
                    continue
                found = check(producer, consumer, policy=CompatibilityPolicy.STRICT, validator_class=cls)
                assert found, record["id"]
                counts["incompatible"] += 1
                counts["with a verified witness"] += any(item.proven for item in found)
            elif verdict["semantic"] == "SEM_COMPATIBLE":
                found = check(
                    record["old"], record["new"], policy=CompatibilityPolicy.STRICT, validator_class=cls
                )
                counts["compatible"] += 1
                counts["compatible, agreed"] += not found
    for source, counts in sorted(stats.items()):
        print(f"{source} against semantic.jsonl: {dict(counts)}")
        assert counts["with a verified witness"] / counts["incompatible"] >= 0.98
        assert counts["compatible, agreed"] / counts["compatible"] >= 0.93


def _separates(instance: Any, producer: Any, consumer: Any, cls: Any) -> bool:
    valid = cls(producer, registry=OFFLINE_REGISTRY).is_valid(instance)
    return bool(valid and not cls(consumer, registry=OFFLINE_REGISTRY).is_valid(instance))


def test_confluent_and_karapace_labels_agree_except_explained_deviations() -> None:
    """Every Confluent and Karapace label agrees with the checker, or the pair is an explained deviation of
    the label (label_deviations.py: an incompatibility must then come with a verified witness), or a listed
    conservative answer of the checker."""
    unexplained, used = [], set()
    with (corpus() / "cases.jsonl").open(encoding="utf-8") as lines:
        for record in map(json.loads, lines):
            if record["label_semantics"] not in ("confluent-strict", "karapace"):
                continue
            cls = validator_class_of(record)
            strict = CompatibilityPolicy.STRICT
            results = [check(p, c, policy=strict, validator_class=cls) for p, c in directions(record)]
            compatible = all(not found for found in results)
            if compatible == record["expected_compatible"]:
                continue
            proven = any(item.proven for found in results for item in found)
            reason = explanation(record["id"], LABEL_DEVIATIONS)
            gap = not compatible and explanation(record["id"], CHECKER_GAPS) is not None
            if (reason is not None and (compatible or proven)) or gap:
                used.add(record["id"])
            else:
                unexplained.append(record["id"])
    assert unexplained == []
    listed = [key for key in [*LABEL_DEVIATIONS, *CHECKER_GAPS] if not key.endswith("#")]
    assert [key for key in listed if key not in used] == [], "listed pairs that now agree: remove them"

"""The compatibility checker on real histories: SchemaStore schemas as `check-jsonschema` vendors them.

Each release of the PyPI package `check-jsonschema` carries copies of public SchemaStore schemas
(`check_jsonschema/builtin_schemas/vendor/*.json`: GitHub workflows, GitLab CI, Renovate, compose, ...).
Releases hold consecutive versions of the same schemas. This script downloads the wheels with
`pip download --no-deps` into a cache outside the repository (never committed), pairs consecutive distinct
versions of each schema, asks both directions (old producer / new consumer and the reverse, STRICT) and
prints:

    questions, compatible, incompatible, % of incompatible verdicts with a proven witness, % too_complex,
    p50 / p99 / max seconds per question, questions over 1 s (wall clock, and CPU seconds of the checking
    thread: on a shared machine the wall clock counts other processes too), and the rules of unproven
    verdicts.

A cheap soundness probe runs on every "compatible" answer: producer samples and their variations (the same
generators the checker uses, with a larger time bound) must all be valid under the consumer.

    .venv/bin/python benchmarks/bench_compat_histories.py [--cache DIR] [--skip azure-pipelines] [--json out]
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from registry.domain.compat import CompatibilityPolicy, check

STRICT = CompatibilityPolicy.STRICT
PACKAGE = "check-jsonschema"
# every release from 0.14 (the first with a vendored set worth comparing) to 0.39; a fixed list keeps the
# corpus the same from run to run
VERSIONS = [
    "0.14.0",
    "0.14.3",
    "0.15.0",
    "0.15.1",
    "0.16.0",
    "0.16.2",
    "0.17.0",
    "0.17.1",
    "0.18.0",
    "0.18.2",
    "0.18.4",
    "0.19.0",
    "0.19.2",
    "0.20.0",
    "0.21.0",
    "0.22.0",
    "0.23.0",
    "0.23.3",
    "0.24.0",
    "0.24.1",
    "0.25.0",
    "0.26.0",
    "0.26.3",
    "0.27.0",
    "0.27.2",
    "0.27.4",
    "0.28.0",
    "0.28.2",
    "0.28.4",
    "0.28.6",
    "0.29.0",
    "0.29.2",
    "0.29.4",
    "0.30.0",
    "0.31.0",
    "0.31.2",
    "0.32.0",
    "0.32.1",
    "0.33.0",
    "0.33.2",
    "0.34.0",
    "0.34.1",
    "0.35.0",
    "0.36.0",
    "0.36.2",
    "0.37.0",
    "0.37.2",
    "0.37.4",
    "0.38.0",
    "0.38.2",
    "0.39.0",
]
VENDOR = "check_jsonschema/builtin_schemas/vendor/"
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "registry-bench" / PACKAGE


def download(cache: Path, versions: list[str]) -> list[tuple[str, Path]]:
    cache.mkdir(parents=True, exist_ok=True)
    wheels = []
    for version in versions:
        found = list(cache.glob(f"check_jsonschema-{version}-*.whl"))
        if not found:
            command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
            command += [f"{PACKAGE}=={version}", "-d", str(cache)]
            subprocess.run(command, check=False, capture_output=True)
            found = list(cache.glob(f"check_jsonschema-{version}-*.whl"))
        if found:
            wheels.append((version, found[0]))
        else:
            print(f"(release {version} not available: skipped)", file=sys.stderr)
    return wheels


def histories(wheels: list[tuple[str, Path]], skip: set[str]) -> dict[str, list[tuple[str, Any]]]:
    """Per schema name, its distinct versions in release order."""
    found: dict[str, list[tuple[str, Any]]] = collections.defaultdict(list)
    for version, wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            for name in sorted(archive.namelist()):
                if not (name.startswith(VENDOR) and name.endswith(".json")):
                    continue
                schema_name = name[len(VENDOR) : -len(".json")]
                if schema_name in skip:
                    continue
                try:
                    schema = json.loads(archive.read(name).decode("utf-8-sig"))
                except ValueError:
                    continue  # an empty or broken file in a release
                versions = found[schema_name]
                if not versions or json.dumps(versions[-1][1], sort_keys=True) != json.dumps(
                    schema, sort_keys=True
                ):
                    versions.append((version, schema))
    return found


def questions(history: dict[str, list[tuple[str, Any]]]) -> list[tuple[str, str, Any, Any]]:
    asked = []
    for name, versions in sorted(history.items()):
        for (old_v, old), (new_v, new) in itertools.pairwise(versions):
            asked.append((f"{name} {old_v}->{new_v}", "old producer", old, new))
            asked.append((f"{name} {old_v}->{new_v}", "new producer", new, old))
    return asked


def probe(producer: Any, consumer: Any) -> Any:
    """A counterexample to a "compatible" answer, if the checker's own generators find one (None: none)."""
    from registry.domain.compat import witnesses
    from registry.domain.compat.document import Doc
    from registry.domain.compat.policy import validator_class_of

    docs = Doc(producer, validator_class_of(producer)), Doc(consumer, validator_class_of(consumer))
    verifier = witnesses.Verifier(*docs, seconds=5.0)
    proven, value = witnesses.search(verifier, seconds=2.0)
    return value if proven else None


def external_references(schema: Any) -> list[str]:
    """The `$ref`s of `schema` that name another document (not one of its own resources): the registry never
    fetches them, so a validation that reaches one has no answer, and neither a witness nor compatibility
    can be shown there."""
    from registry.domain.compat.document import Doc
    from registry.domain.compat.policy import validator_class_of

    doc = Doc(schema, validator_class_of(schema))
    own = str(schema.get("$id") or schema.get("id") or "") if isinstance(schema, dict) else ""
    found = []

    def walk(value: Any, at: str) -> None:
        if isinstance(value, dict):
            ref = value.get("$ref")
            # the document part of the reference names none of this document's resources, nor the document
            # itself by its own URI (the validator follows those)
            if isinstance(ref, str) and not ref.startswith("#"):
                document = ref.split("#")[0]
                if doc.resolve(document, at) is None and urljoin(own, document) != own.split("#")[0]:
                    found.append(ref)
            for key, item in value.items():
                walk(item, f"{at}/{str(key).replace('~', '~0').replace('/', '~1')}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{at}/{index}")

    walk(schema, "")
    return found


def run(asked: list[tuple[str, str, Any, Any]], soundness: bool) -> list[dict[str, Any]]:
    results = []
    for label, direction, producer, consumer in asked:
        start, start_cpu = time.perf_counter(), time.thread_time()
        crash = None
        try:
            items = check(producer, consumer, policy=STRICT)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            items, crash = [], f"{type(exc).__name__}: {str(exc)[:100]}"
        seconds, cpu = time.perf_counter() - start, time.thread_time() - start_cpu
        row: dict[str, Any] = {
            "pair": label,
            "direction": direction,
            "seconds": seconds,
            "cpu": cpu,
            "compatible": not items and crash is None,
            "proven": any(i.proven for i in items),
            "rules": sorted({i.rule for i in items}) or (["crash"] if crash else []),
            "crash": crash,
            "items": [
                {"rule": i.rule, "producer": i.producer_path, "consumer": i.consumer_path, "proven": i.proven}
                for i in items
            ],
        }
        if not row["compatible"] and not row["proven"]:
            row["external"] = sorted(set(external_references(producer) + external_references(consumer)))
        if soundness and row["compatible"]:
            row["counterexample"] = probe(producer, consumer)
        results.append(row)
        print(
            f"  {seconds:6.2f}s {label} ({direction}): "
            + (
                "compatible"
                if not items
                else ("proven " if row["proven"] else "UNPROVEN ") + ",".join(row["rules"])
            ),
            file=sys.stderr,
        )
    return results


def table(results: list[dict[str, Any]], title: str) -> str:
    incompatible = [r for r in results if not r["compatible"]]
    proven = [r for r in incompatible if r["proven"]]
    too_complex = [r for r in results if "too_complex" in r["rules"]]
    # a too_complex item beside a proven one still answers the question: count those apart
    undecided = [r for r in too_complex if not r["proven"]]
    times = sorted(r["seconds"] for r in results)
    # CPU seconds of the checking thread: on a shared machine the wall clock also counts other processes
    cpu = sorted(r.get("cpu", r["seconds"]) for r in results)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))] if times else 0.0
    unproven_rules = collections.Counter(rule for r in incompatible if not r["proven"] for rule in r["rules"])
    unsound = [r for r in results if r.get("counterexample") is not None]
    # unproven verdicts on schemas that refer to a document the registry never fetches: undecidable offline
    external = [r for r in incompatible if not r["proven"] and r.get("external")]
    by_schema = collections.Counter(r["pair"].split()[0] for r in incompatible if not r["proven"])
    crashes = [r for r in results if r.get("crash")]
    lines = [
        f"## {title}",
        "",
        "| questions | compatible | incompatible | proven witness | too_complex (any item)"
        " | too_complex, unproven | p50 s | p99 s | max s | over 1 s | max CPU s | CPU over 1 s"
        " | unsound found | crashes |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        f"| {len(results)} | {len(results) - len(incompatible)} | {len(incompatible)} "
        f"| {_pct(len(proven), len(incompatible))} | {_pct(len(too_complex), len(results))} "
        f"| {_pct(len(undecided), len(results))} "
        f"| {statistics.median(times) if times else 0:.3f} | {p99:.3f} | {times[-1] if times else 0:.3f} "
        f"| {sum(t > 1.0 for t in times)} | {cpu[-1] if cpu else 0:.3f} | {sum(t > 1.0 for t in cpu)} "
        f"| {len(unsound)} | {len(crashes)} |",
        "",
        "Rules of unproven verdicts (questions carrying each): "
        + (", ".join(f"{rule} {n}" for rule, n in unproven_rules.most_common()) or "none"),
        "",
        "Unproven verdicts by schema: "
        + (", ".join(f"{name} {n}" for name, n in by_schema.most_common()) or "none"),
        "",
        f"Of the {len(incompatible) - len(proven)} unproven, {len(external)} are on schemas with a `$ref` to"
        " another document, which the registry never fetches (undecidable offline: counted as unproven): "
        + (", ".join(sorted({ref for r in external for ref in r["external"]})) or "none"),
    ]
    for row in crashes:
        lines.append(f"CRASH: {row['pair']} ({row['direction']}): {row['crash']}")
    for row in unsound:
        lines.append(
            f"UNSOUND: {row['pair']} ({row['direction']}): {json.dumps(row['counterexample'])[:200]}"
        )
    return "\n".join(lines)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where the wheels are kept")
    parser.add_argument("--skip", action="append", default=[], help="a schema name to leave out")
    parser.add_argument("--only", action="append", default=[], help="only these schema names")
    parser.add_argument("--json", type=Path, help="write every question's result here")
    parser.add_argument("--no-soundness", action="store_true", help="skip the probe of compatible answers")
    args = parser.parse_args()
    history = histories(download(args.cache, list(VERSIONS)), set(args.skip))
    if args.only:
        history = {k: v for k, v in history.items() if k in args.only}
    asked = questions(history)
    print(
        f"{len(history)} schemas, {len(asked) // 2} consecutive-version pairs, {len(asked)} questions",
        file=sys.stderr,
    )
    results = run(asked, not args.no_soundness)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    print(table(results, f"SchemaStore histories vendored by {PACKAGE} ({len(VERSIONS)} releases), STRICT"))


if __name__ == "__main__":
    main()

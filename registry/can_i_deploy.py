"""`registry can-i-deploy`: ask a running registry whether a deployment keeps every counterpart readable,
print a readable summary, and exit 0 (deployable), 1 (not deployable) or 2 (the question could not be
answered). For CI pipelines: it needs nothing but the registry's URL and, once tokens exist, a token."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from registry.remote import Unanswered, call, path_of

DEPLOYABLE, NOT_DEPLOYABLE, UNANSWERED = 0, 1, 2
EXIT_CODES = "exit status: 0 deployable, 1 not deployable (the summary says why), 2 no answer (the error)"
_WITNESS_CHARS = 300


def ask(url: str, *, registry: str, schema: str, query: dict[str, str], token: str | None) -> dict[str, Any]:
    """GET .../can-i-deploy; raises Unanswered with the registry's own message on an error answer."""
    path = path_of("registries", registry, "schemas", schema, "can-i-deploy")
    return call(url, "GET", path, query=query, token=token)[1]


def summary(answer: dict[str, Any], *, asked: str | None = None) -> str:
    """What a person reading a CI log needs: the verdict, then each counterpart and why it fails.
    `asked`: the version as given, when the registry resolved it (`latest`)."""
    resolved = f" ({asked})" if asked is not None and asked != str(answer["version"]) else ""
    subject = (
        f"{answer['service']} ({answer['role']}) at version {answer['version']}{resolved} of "
        f"{answer['registry']}/{answer['schema']} in {answer['environment']}"
    )
    verdict = "deployable" if answer["deployable"] else "NOT deployable"
    policy = f" ({answer['policy']})" if answer.get("policy") else ""
    lines = [f"{subject}: {verdict}{policy}"]
    if not answer["pairs"]:
        lines.append("  no counterpart is recorded in that environment")
    for pair in answer["pairs"]:
        reads = _reads(pair)
        if pair["compatible"]:
            lines.append(f"  ok    {reads}")
            continue
        found = pair["report"]["incompatibilities"]
        lines.append(f"  FAIL  {reads}: no, {len(found)} incompatibilit{'y' if len(found) == 1 else 'ies'}")
        for item in found:
            lines.extend(finding_lines(item))
    return "\n".join(lines)


def _reads(pair: dict[str, Any]) -> str:
    """The pair in words, the counterpart named in its own role (the deploying service is the other)."""
    other = pair["counterpart"]
    consumer, producer = pair["consumer_version"], pair["producer_version"]
    if other["role"] == "consumer":
        return f"consumer {other['service']} at version {consumer} reads producer version {producer}"
    return f"consumer version {consumer} reads producer {other['service']} at version {producer}"


def finding_lines(item: dict[str, Any]) -> list[str]:
    """One incompatibility of a report: its rule, places and witness (shortened), indented for a summary."""
    lines = [
        f"        [{item['rule']}] {item['message']}",
        f"          producer {item['producer_path'] or '/'}  consumer {item['consumer_path'] or '/'}",
    ]
    if item.get("proven"):
        witness = json.dumps(item["witness"], ensure_ascii=False)
        cut = witness if len(witness) <= _WITNESS_CHARS else witness[:_WITNESS_CHARS] + " ..."
        lines.append(f"          e.g. this event: {cut}")
    return lines


def run(
    url: str,
    *,
    registry: str,
    schema: str,
    query: dict[str, str],
    token: str | None,
    as_json: bool,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    try:
        answer = ask(url, registry=registry, schema=schema, query=query, token=token)
    except Unanswered as exc:
        print(f"can-i-deploy: {exc}", file=err)
        return UNANSWERED
    text = json.dumps(answer, indent=2) if as_json else summary(answer, asked=query.get("version"))
    print(text, file=out)
    return DEPLOYABLE if answer["deployable"] else NOT_DEPLOYABLE

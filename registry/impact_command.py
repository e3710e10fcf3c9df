"""`registry impact`: ask a running registry what a candidate for a shared type would break among the
versions built from it, print what a person reading a CI log needs, and exit 0 (nothing breaks), 1 (some
dependent breaks: each is named with its rule, places and witness) or 2 (the question could not be
answered: an unreadable file, an invalid candidate, an unknown schema, an unreachable registry)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from registry.can_i_deploy import finding_lines
from registry.remote import Unanswered, call, path_of

NOTHING_BREAKS, BREAKS, UNANSWERED = 0, 1, 2
EXIT_CODES = (
    "exit status: 0 no dependent breaks, 1 some dependent breaks (the summary names each, why, and an "
    "event that proves it), 2 no answer (the error)"
)
_OPENAPI_KEYS = ("openapi", "swagger")


def request_body(
    content_file: Path, references_file: Path | None, contract_type: str | None, event_root: str | None
) -> dict[str, Any]:
    """The registration body the files make; raises Unanswered when a file cannot be read as JSON."""
    content = _json_file(content_file, "the candidate")
    references = [] if references_file is None else _json_file(references_file, "the references")
    if not isinstance(references, list):
        raise Unanswered(f"{references_file}: the references must be a JSON list, as in a registration body")
    if contract_type is None:  # the two formats are told apart by their first keys
        is_openapi = isinstance(content, dict) and any(key in content for key in _OPENAPI_KEYS)
        contract_type = "OpenApi3" if is_openapi else "JSONSchemaDraft4"
    body = {"type": contract_type, "content": content, "references": references}
    return body if event_root is None else {**body, "event_root": event_root}


def _json_file(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise Unanswered(f"cannot read {what} from {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise Unanswered(f"{path} is not JSON: {exc}") from None


def ask(
    url: str, *, registry: str, schema: str, body: dict[str, Any], scope: str, token: str | None
) -> dict[str, Any]:
    path = path_of("registries", registry, "schemas", schema, "impact")
    return call(url, "POST", path, query={"scope": scope}, body=body, token=token)[1]


def summary(answer: dict[str, Any]) -> str:
    candidate, dependents = answer["candidate"], answer["dependents"]
    subject = f"a new version of {candidate['registry']}/{candidate['schema']}"
    if not dependents:
        lines = [f"{subject}: no dependent to check (scope {answer['scope']})"]
    else:
        verdict = f"breaks {answer['breaking']} of" if answer["breaking"] else "breaks none of"
        lines = [f"{subject} {verdict} {_count(len(dependents), 'dependent')} (scope {answer['scope']})"]
    for dependent in dependents:
        lines.extend(_dependent(dependent))
    if answer["hidden"]:
        lines.append(
            f"  {_count(answer['hidden'], 'dependent')} in registries this token cannot read were not checked"
        )
    return "\n".join(lines)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _dependent(dependent: dict[str, Any]) -> list[str]:
    name = f"{dependent['registry']}/{dependent['schema']} version {dependent['version']}"
    path = " -> ".join(
        "(hidden)" if step is None else f"{step['registry']}/{step['schema']}/{step['version']}"
        for step in dependent["via"]
    )
    head = f"{name} (depth {dependent['depth']}, via {path})"
    if dependent["compatible"]:
        return [f"  ok    {head}"]
    lines = [f"  FAIL  {head}"]
    report = dependent["report"]
    if report["error"] is not None:
        error = report["error"]
        lines.append(f"        no contract with the candidate: [{error['code']}] {error['message']}")
        return lines
    versions = report["versions"]
    if not versions["compatible"]:
        found = versions["incompatibilities"]
        lines.append(
            f"        as the next version of its schema ({versions['mode']}, {versions['policy']}): "
            f"{len(found)} incompatibilit{'y' if len(found) == 1 else 'ies'}"
        )
        for item in found:
            lines.extend(_indented(item))
    for service in report["deployments"]:
        if service["deployable"]:
            continue
        lines.append(
            f"        {service['service']} ({service['role']}) in {service['environment']}, moved: "
            "NOT deployable"
        )
        for pair in service["pairs"]:
            if pair["compatible"]:
                continue
            other = pair["counterpart"]
            lines.append(
                f"          against {other['role']} {other['service']} at version {other['version']} "
                f"(producer {pair['producer_version']}, consumer {pair['consumer_version']})"
            )
            for item in pair["report"]["incompatibilities"]:
                lines.extend(_indented(item, extra="  "))
    return lines


def _indented(item: dict[str, Any], extra: str = "") -> list[str]:
    return [extra + line for line in finding_lines(item)]


def run(
    url: str,
    *,
    registry: str,
    schema: str,
    content_file: Path,
    references_file: Path | None,
    contract_type: str | None,
    event_root: str | None,
    scope: str,
    token: str | None,
    as_json: bool,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    try:
        body = request_body(content_file, references_file, contract_type, event_root)
        answer = ask(url, registry=registry, schema=schema, body=body, scope=scope, token=token)
    except Unanswered as exc:
        print(f"impact: {exc}", file=err)
        return UNANSWERED
    print(json.dumps(answer, indent=2) if as_json else summary(answer), file=out)
    return BREAKS if answer["breaking"] else NOTHING_BREAKS

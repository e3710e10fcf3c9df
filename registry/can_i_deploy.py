"""`registry can-i-deploy`: ask a running registry whether a deployment keeps every counterpart readable,
print a readable summary, and exit 0 (deployable), 1 (not deployable) or 2 (the question could not be
answered). For CI pipelines: it needs nothing but the registry's URL and, once tokens exist, a token."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from typing import Any, TextIO
from urllib.parse import quote, urlencode

DEPLOYABLE, NOT_DEPLOYABLE, UNANSWERED = 0, 1, 2
_WITNESS_CHARS = 300


def ask(
    url: str,
    *,
    registry: str,
    schema: str,
    query: dict[str, str],
    token: str | None,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """GET .../can-i-deploy; raises RuntimeError with the registry's own message on an error answer."""
    path = f"/registries/{quote(registry, safe='')}/schemas/{quote(schema, safe='')}/can-i-deploy"
    request = urllib.request.Request(f"{url.rstrip('/')}{path}?{urlencode(query)}")
    request.add_header("Accept", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer: dict[str, Any] = json.load(response)
            return answer
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"HTTP {exc.code}: {_error_message(exc.read())}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise RuntimeError(f"cannot reach the registry at {url}: {exc}") from None


def _error_message(body: bytes) -> str:
    try:
        error = json.loads(body)["error"]
        return f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return body.decode(errors="replace")[:500]


def summary(answer: dict[str, Any]) -> str:
    """What a person reading a CI log needs: the verdict, then each counterpart and why it fails."""
    subject = (
        f"{answer['service']} ({answer['role']}) at version {answer['version']} of "
        f"{answer['registry']}/{answer['schema']} in {answer['environment']}"
    )
    verdict = "deployable" if answer["deployable"] else "NOT deployable"
    lines = [f"{subject}: {verdict} ({answer.get('policy', '')})".rstrip(" ()")]
    if not answer["pairs"]:
        lines.append("  no counterpart is recorded in that environment")
    for pair in answer["pairs"]:
        other = pair["counterpart"]
        reads = (
            f"consumer {other['service']} at version {pair['consumer_version']} reads producer version "
            f"{pair['producer_version']}"
        )
        if pair["compatible"]:
            lines.append(f"  ok    {reads}")
            continue
        found = pair["report"]["incompatibilities"]
        lines.append(f"  FAIL  {reads}: no, {len(found)} incompatibilit{'y' if len(found) == 1 else 'ies'}")
        for item in found:
            lines.append(f"        [{item['rule']}] {item['message']}")
            lines.append(
                f"          producer {item['producer_path'] or '/'}  consumer {item['consumer_path'] or '/'}"
            )
            if item.get("proven"):
                witness = json.dumps(item["witness"], ensure_ascii=False)
                cut = witness if len(witness) <= _WITNESS_CHARS else witness[:_WITNESS_CHARS] + " ..."
                lines.append(f"          e.g. this event: {cut}")
    return "\n".join(lines)


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
    except RuntimeError as exc:
        print(f"can-i-deploy: {exc}", file=err)
        return UNANSWERED
    print(json.dumps(answer, indent=2) if as_json else summary(answer), file=out)
    return DEPLOYABLE if answer["deployable"] else NOT_DEPLOYABLE

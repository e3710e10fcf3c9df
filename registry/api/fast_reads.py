"""Serving numbered versions, `latest` and event validation from memory, in front of FastAPI (numbered
versions are kept by `version_cache`; `MemoryReads` finds both kinds of version, and `api.front` sends them).

What a replica keeps must not outlive a change. Two rules make that so:

- **Writes through this replica**: every committed write transaction bumps the unit of work's `commits`
  counter. An entry records the counter as it was when the read that produced it *began*; it is served only
  while the counter is unchanged. So after a registration or a delete is acknowledged here, the next read
  here goes to the database, and a read that raced with the write cannot store what it saw before it.
- **Writes through other replicas**: an entry is trusted for a short time from the moment its read began
  (`REGISTRY_LATEST_CACHE_SECONDS`, at most 1 s, for `latest`). A version acknowledged by another replica
  is therefore what `latest` answers here within that time; a deleted one is gone within it too.

What to validate events against, by version number, is kept like a numbered version
(`REGISTRY_VERSION_CACHE_SECONDS`), under the same two rules; the compiled contract itself stays in the
service's bounded cache of contracts (by content), and is only looked up here, never loaded.

Only hits are answered here, and for validation only valid events: a miss, any refusal (token, scope, name,
query), an event the fast check does not accept, falls through to the application, which answers with its
ordinary rules, and fills these caches for the next request. Every cache here is bounded.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from starlette.types import Scope, Send

from registry.access import Authenticator
from registry.api.middleware import declared_json_body, is_json_media_type, raw_path
from registry.api.version_cache import FreshCache, Rendered, VersionCache, caller_may_read, header
from registry.domain.errors import RegistryError
from registry.domain.formats import Contract
from registry.domain.formats.events import EVENT_MAX_DEPTH
from registry.domain.formats.identity import identity_errors
from registry.domain.json_input import may_nest_deeper, parse_json
from registry.observability import metrics

SchemaKey = tuple[str, str]  # (registry, schema)
NumberedKey = tuple[str, str, int]  # (registry, schema, version)

VERSION_ROUTE = "/registries/{registry}/schemas/{schema}/versions/{version}"
VALIDATE_ROUTE = VERSION_ROUTE + "/validate"
NO_CACHE = "no-cache"
_GET_VERSION = re.compile(r"/registries/([^/]+)/schemas/([^/]+)/versions/(latest|[1-9][0-9]{0,8})")
_VALIDATE = re.compile(r"/registries/([^/]+)/schemas/([^/]+)/versions/(latest|[1-9][0-9]{0,8})/validate")
MAX_FAST_EVENT_BYTES = 64 * 1024
"""Larger events are validated by the application, in a worker thread, not on the event loop."""


def _json_media_type(value: bytes) -> bool:
    return is_json_media_type(bytes(value).decode("latin-1"))


def rendered_latest(body: bytes, etag: str) -> Rendered:
    """`latest` as the route answers it: revalidated on every use (no-cache)."""
    return Rendered(body, etag, cache_control=NO_CACHE)


@dataclass(frozen=True)
class ValidationTarget:
    """What a version's events are validated against: the key of its compiled contract."""

    type: str
    fingerprint: str
    event_root: str | None


class ReadCaches:
    """The three maps the fast paths read, and the routes fill."""

    MAX_LATEST_BYTES = 32 * 1024 * 1024
    MAX_ENTRIES = 65_536

    def __init__(self, *, latest_ttl: float, numbered_ttl: float, commits: Callable[[], int]) -> None:
        self.latest_bodies: FreshCache[SchemaKey, Rendered] = FreshCache(
            ttl=latest_ttl, commits=commits, max_entries=4096, max_bytes=self.MAX_LATEST_BYTES
        )
        self.latest_numbers: FreshCache[SchemaKey, int] = FreshCache(
            ttl=latest_ttl, commits=commits, max_entries=self.MAX_ENTRIES
        )
        self.targets: FreshCache[NumberedKey, ValidationTarget] = FreshCache(
            ttl=numbered_ttl, commits=commits, max_entries=self.MAX_ENTRIES
        )


# --- GET .../versions/{number} and .../versions/latest ----------------------------------------------------


class MemoryReads:
    """Finds the answer to `GET .../versions/{number}` or `GET .../versions/latest` in memory, when it is
    there and the caller may read it: what the application's front (`registry.api.front`, before the
    middleware stack) sends."""

    def __init__(self, *, numbered: VersionCache, caches: ReadCaches, authenticator: Authenticator) -> None:
        self.numbered = numbered
        self.caches = caches
        self.authenticator = authenticator

    def match(self, scope: Scope) -> re.Match[str] | None:
        """The request's registry, schema and version, when it is a plain GET of a version (no query: a
        `?resolve=bundle` is another rendering than the one kept)."""
        if scope["method"] != "GET" or scope.get("query_string"):
            return None
        return _GET_VERSION.fullmatch(raw_path(scope))

    def find(self, scope: Scope, match: re.Match[str]) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        """(status, headers, body), or None: the application answers."""
        registry, schema = unquote(match[1]), unquote(match[2])
        # the caller first: a refused request must not be the one that renews an entry
        if not caller_may_read(self.authenticator, scope, registry, schema):
            return None
        if match[3] == "latest":
            hit = self.caches.latest_bodies.get((registry, schema))
        else:
            hit = self.numbered.get((registry, schema, int(match[3])))
        if hit is None:
            return None
        if header(scope, b"if-none-match") == hit.etag:
            return 304, hit.not_modified, b""
        return 200, hit.headers, hit.body


async def send_answer(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# --- POST .../versions/{version}/validate ---------------------------------------------------------------


class MemoryValidation:
    """Answers `POST .../versions/{version}/validate` for a valid event, when the version's contract is in
    memory and accepts the event in Rust: what the front (`registry.api.front`) sends, before the middleware
    stack. So it does itself what the stack's body limit and JSON check would: it takes only a JSON body
    (or one with no Content-Type) of a declared length within both limits, reads it with the same strict
    parser, and leaves whatever it refuses to the stack, which refuses it with its own error."""

    def __init__(
        self,
        *,
        caches: ReadCaches,
        authenticator: Authenticator,
        contracts: Callable[[str, str, str | None], Contract | None],
        body_limit: int,
    ) -> None:
        self.caches = caches
        self.authenticator = authenticator
        self.contracts = contracts
        self.max_bytes = min(body_limit, MAX_FAST_EVENT_BYTES)

    def match(self, scope: Scope) -> re.Match[str] | None:
        """The request's registry, schema and version, when it is a validation this may answer: a body of
        a declared length within the limits, sent as JSON (or as nothing else)."""
        if scope["method"] != "POST":
            return None
        match = _VALIDATE.fullmatch(raw_path(scope))
        if match is None:
            return None
        if not declared_json_body(scope, self.max_bytes, _json_media_type):
            return None
        return match

    def find(self, scope: Scope, match: re.Match[str]) -> tuple[NumberedKey, Contract, bool, bool] | None:
        options = _options(scope.get("query_string", b""))
        if options is None:
            return None
        registry, schema = unquote(match[1]), unquote(match[2])
        if not caller_may_read(self.authenticator, scope, registry, schema):
            return None  # before the lookups: a refused request must not be the one that renews an entry
        number = self.caches.latest_numbers.get((registry, schema)) if match[3] == "latest" else int(match[3])
        if number is None:
            return None
        target = self.caches.targets.get((registry, schema, number))
        if target is None:
            return None
        contract = self.contracts(target.type, target.fingerprint, target.event_root)
        if contract is None:
            return None
        return (registry, schema, number), contract, *options

    def answer(
        self, found: tuple[NumberedKey, Contract, bool, bool], body: bytes
    ) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
        """The answer's headers and body when the event is valid; None: the application answers (and
        explains, or refuses the body)."""
        (registry, schema, number), contract, check_formats, check_identity = found
        fast = contract.fast_check(check_formats)
        if fast is None or len(body) > self.max_bytes:
            return None
        try:
            event = parse_json(body)
        except RegistryError:
            return None  # the stack's JSON check refuses it, with its error
        # a 1 KB event has too few brackets to be too deep: no walk (one that may be is walked by the check)
        shallow = not may_nest_deeper(body, EVENT_MAX_DEPTH)
        if not fast(event, within_depth=shallow) or (
            check_identity and identity_errors(contract.identity(), event, set())
        ):
            return None
        metrics.event_validations.labels("valid").inc()
        return _valid_answer(registry, schema, number)


@functools.lru_cache(maxsize=4096)
def _valid_answer(registry: str, schema: str, number: int) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The answer to a valid event, built once per version (a few hundred bytes each, bounded)."""
    answer = {"valid": True, "errors": [], "registry": registry, "schema": schema, "version": number}
    body = json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()
    return [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())], body


_FLAGS = {"true": True, "1": True, "false": False, "0": False}


def _options(query: bytes) -> tuple[bool, bool] | None:
    """(check_formats, check_identity) when the query holds only those, spelled plainly; else None, and the
    application parses (and refuses) it."""
    chosen = {"check_formats": False, "check_identity": True}
    seen: set[str] = set()
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        flag = _FLAGS.get(value.lower())
        if name not in chosen or name in seen or flag is None:
            return None
        seen.add(name)
        chosen[name] = flag
    return chosen["check_formats"], chosen["check_identity"]


# --- shared -------------------------------------------------------------------------------------------

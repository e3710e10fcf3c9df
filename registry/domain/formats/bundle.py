"""Shared types: a contract whose `$ref`s name other stored versions, resolved into one bundle.

A registration names its references: `{"name": <uri>, "target": <registry, schema, version>}`. Every `$ref`
whose URI (without fragment) equals a reference's name resolves to that version; nothing is ever fetched.
The bundle is the contract with every referenced version inlined, once each however many paths lead to it
(a diamond), under the container its format keeps schemas in (`definitions` before JSON Schema 2019-09,
`$defs` since, `components/schemas` in OpenAPI), with every `$ref` rewritten to point there. Everything
downstream (validation, compatibility, bindings, EventBridge, mirroring) reads the bundle, so none of it
needs to know that references exist.

Each referenced version is split into parts, one per container entry: a JSON Schema's root (without its
`definitions`/`$defs`, `$schema` and id) and each of its definitions; an OpenAPI document's component
schemas. Parts are named after what they were (`Money`, or `Money.Currency` when a name is taken), so the
bundle reads like a document written by hand, and bindings name classes after the referenced schemas.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin

from registry.domain.errors import (
    InvalidContract,
    InvalidReference,
    ReferenceCycle,
    ReferencesTooDeep,
    UnresolvableRef,
)
from registry.domain.formats.canonical import canonical_json
from registry.domain.formats.oas30 import translate_schema
from registry.domain.formats.pointers import escape, unescape
from registry.domain.formats.refs import DATA_KEYWORDS, references_in

MAX_REFERENCE_DEPTH = 32
"""Levels of references below a contract (a chain A → B → C is two)."""
MAX_REFERENCED_VERSIONS = 1024
"""Versions one contract may reach through its references: the bundle's size bounds it too, but only
after every one of them was read."""

OPENAPI = "OpenApi3"
_DRAFT4 = "http://json-schema.org/draft-04/schema"
_DRAFT202012 = "https://json-schema.org/draft/2020-12/schema"
_NEW_DEFINITIONS_SINCE = (
    "https://json-schema.org/draft/2019-09/schema",
    "https://json-schema.org/draft/2020-12/schema",
)
_DEFINITION_KEYWORDS = ("definitions", "$defs")
_ROOT_ONLY = frozenset({"$schema", "id", "$id", *_DEFINITION_KEYWORDS})
_COMPONENTS = ("components", "schemas")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")  # OpenAPI component names: ^[a-zA-Z0-9.\-_]+$


@dataclass(frozen=True, order=True)
class VersionKey:
    registry: str
    schema: str
    version: int

    def label(self) -> str:
        return f"{self.registry}/{self.schema}/{self.version}"


@dataclass(frozen=True)
class Reference:
    """`$ref`s whose URI is `name` resolve to the stored version `target`."""

    name: str
    target: VersionKey


@dataclass(frozen=True)
class Referenced:
    """A stored version as written, with its own references: one node of the reference graph."""

    key: VersionKey
    type: str
    content: dict[str, Any]
    fingerprint: str
    references: tuple[Reference, ...]


Load = Callable[[VersionKey], Referenced | None]
"""A stored version by its key; None when it does not exist or the caller may not read it."""


def resolve_graph(references: Sequence[Reference], load: Load) -> dict[VersionKey, Referenced]:
    """Every version reachable through `references`, loaded once each. Raises ReferenceCycle,
    ReferencesTooDeep, and whatever `load` raises for a missing target."""
    graph: dict[VersionKey, Referenced] = {}
    heights: dict[VersionKey, int] = {}  # levels of references below a version, itself counted

    def visit(key: VersionKey, path: list[VersionKey]) -> int:
        if key in path:
            raise ReferenceCycle(path=[each.label() for each in [*path[path.index(key) :], key]])
        if key in heights:
            return heights[key]
        if len(path) >= MAX_REFERENCE_DEPTH:
            raise ReferencesTooDeep(limit=MAX_REFERENCE_DEPTH, path=[each.label() for each in [*path, key]])
        if len(graph) >= MAX_REFERENCED_VERSIONS:
            raise InvalidReference(
                f"the references reach more than {MAX_REFERENCED_VERSIONS} versions",
                details={"limit": MAX_REFERENCED_VERSIONS},
            )
        node = load(key)
        assert node is not None, "load raises for a target it cannot give"
        graph[key] = node
        below = [visit(each.target, [*path, key]) for each in node.references]
        heights[key] = 1 + max(below, default=0)
        return heights[key]

    for each in references:
        visit(each.target, [])
    return graph


def fingerprint_with_references(
    canonical: str, references: Sequence[Reference], graph: Mapping[VersionKey, Referenced]
) -> str:
    """Identity of content and what it resolves to: the same text pointing at another version is another
    version. Without references it is the content's own fingerprint, as it always was."""
    if not references:
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    resolved = [
        {"name": each.name, "target": each.target.label(), "fingerprint": graph[each.target].fingerprint}
        for each in sorted(references, key=lambda r: r.name)
    ]
    whole = canonical_json({"content": canonical, "references": resolved})
    return hashlib.sha256(whole.encode("utf-8")).hexdigest()


def bundle(
    contract_type: str,
    document: dict[str, Any],
    references: Sequence[Reference],
    graph: Mapping[VersionKey, Referenced],
    *,
    dialect: str = "",
) -> dict[str, Any]:
    """`document` with every version in `graph` inlined and every `$ref` to one rewritten (a copy).
    `dialect`: the JSON Schema draft of a JSON Schema document (which container it keeps schemas in)."""
    _refuse_other_dialects(references, graph, _dialect_of(contract_type, document, dialect))
    container = _container(contract_type, dialect)
    result = copy.deepcopy(document)
    held = _holder(result, container)
    places = _Places(container, taken=set(held), graph=graph)
    for key in sorted(graph):
        places.add(graph[key])
    own_base = _base_id(result) if contract_type != OPENAPI else ""
    _rewrite(result, {each.name: each.target for each in references}, own_base, None, places)
    for key in sorted(graph):
        for name, part in places.parts_of(graph[key], into_openapi=contract_type == OPENAPI):
            held[name] = part
    if not held:  # nothing referenced after all: leave no empty container behind
        _remove_empty(result, container)
    return result


class _Places:
    """Where each part of each referenced version lives in the bundle."""

    def __init__(
        self, container: tuple[str, ...], taken: set[str], graph: Mapping[VersionKey, Referenced]
    ) -> None:
        self.container = container
        self.graph = graph
        self.taken = taken
        self.names: dict[tuple[VersionKey, str], str] = {}  # (version, pointer of the part in it) -> name

    def add(self, node: Referenced) -> None:
        stem = _safe(node.key.schema.rsplit("/", 1)[-1].rsplit("@", 1)[-1])
        if node.type == OPENAPI:
            for name in _dict_at(node.content, _COMPONENTS):
                self._name(
                    node.key, f"/components/schemas/{escape(name)}", (_safe(name), f"{stem}.{_safe(name)}")
                )
            return
        self._name(node.key, "", (stem, _safe(f"{node.key.registry}.{node.key.schema}")))
        for keyword in _DEFINITION_KEYWORDS:
            for name in _dict_at(node.content, (keyword,)):
                self._name(node.key, f"/{keyword}/{escape(name)}", (_safe(name), f"{stem}.{_safe(name)}"))

    def _name(self, key: VersionKey, pointer: str, preferred: tuple[str, str]) -> None:
        chosen = next((each for each in preferred if each not in self.taken), None)
        counter = 2
        while chosen is None:
            candidate = f"{preferred[1]}_{counter}"
            chosen, counter = (candidate if candidate not in self.taken else None), counter + 1
        self.taken.add(chosen)
        self.names[(key, pointer)] = chosen

    def place(self, node: Referenced, fragment: str) -> str:
        """The bundle's `$ref` for a fragment of a referenced version."""
        if fragment and not fragment.startswith("/"):
            return "#" + fragment  # a plain-name anchor: it travels with its schema into the bundle
        fragment = unquote(fragment)  # a URI fragment; the parts are named by plain JSON pointers
        best = max(
            (pointer for (key, pointer) in self.names if key == node.key and _within(fragment, pointer)),
            key=len,
            default=None,
        )
        if best is None:
            raise UnresolvableRef(
                f"#{fragment} names no schema of {node.key.label()}"
                + (
                    " (an OpenAPI contract is referenced by #/components/schemas/<name>)"
                    if node.type == OPENAPI
                    else ""
                ),
                reference=node.key.label(),
            )
        prefix = "".join(f"/{escape(token)}" for token in self.container)
        return f"#{prefix}/{escape(self.names[(node.key, best)])}{fragment[len(best) :]}"

    def parts_of(self, node: Referenced, *, into_openapi: bool) -> list[tuple[str, Any]]:
        """The version's parts, their own `$ref`s rewritten to their places in the bundle."""
        by_name = {each.name: each.target for each in node.references}
        own_base = _base_id(node.content) if node.type != OPENAPI else ""
        found = []
        for (key, pointer), name in self.names.items():
            if key != node.key:
                continue
            part = copy.deepcopy(_at(node.content, pointer))
            if pointer == "" and isinstance(part, dict):
                part = {k: v for k, v in part.items() if k not in _ROOT_ONLY}
            holder = {"part": part}
            _rewrite(holder, by_name, own_base, node, self)
            part = holder["part"]
            if node.type == OPENAPI and not into_openapi and _is_openapi_30(node.content):
                part = translate_schema(part)  # `nullable` means something only to OpenAPI 3.0
            found.append((name, part))
        return found


def _rewrite(
    document: dict[str, Any],
    names: Mapping[str, VersionKey],
    own_base: str,
    own: Referenced | None,
    places: _Places,
) -> None:
    """Rewrite, in place, every `$ref` that names a reference (or, in a referenced version, stays inside
    it) to its place in the bundle. Other `$ref`s are left for the format's reference check to judge."""
    for holder, keyword, ref in list(references_in(document, DATA_KEYWORDS)):
        uri, fragment = urldefrag(ref)
        target: Referenced | None = None
        if own is not None and (uri == "" or _same(uri, own_base, own_base)):
            target = own
        else:
            key = _named(uri, names, own_base)
            target = None if key is None else places.graph[key]
        if target is not None:
            _node(document, holder)[keyword] = places.place(target, fragment)


def _named(uri: str, names: Mapping[str, VersionKey], base: str) -> VersionKey | None:
    if not uri:
        return None
    if uri in names:
        return names[uri]
    if base:
        for name, key in names.items():
            if _same(uri, name, base):
                return key
    return None


def _same(uri: str, other: str, base: str) -> bool:
    return bool(base) and urljoin(base, uri) == urljoin(base, other)


def _within(fragment: str, pointer: str) -> bool:
    return fragment == pointer or fragment.startswith(pointer + "/") or pointer == ""


def _dialect_of(contract_type: str, document: dict[str, Any], dialect: str = "") -> str:
    """The JSON Schema draft events are judged by: OpenAPI 3.0 schema objects are draft 4 (with
    `nullable`, translated), 3.1 ones are 2020-12; a JSON Schema says so in `$schema` (default draft 4)."""
    if contract_type == OPENAPI:
        return _DRAFT4 if _is_openapi_30(document) else _DRAFT202012
    declared = dialect or document.get("$schema", _DRAFT4)
    return declared.rstrip("#") if isinstance(declared, str) else _DRAFT4


def _refuse_other_dialects(
    references: Sequence[Reference], graph: Mapping[VersionKey, Referenced], expected: str
) -> None:
    """A schema inlined into a document of another draft would be read by that draft's rules, and accept
    other events than it does where it is stored: drafts are not mixed (OpenAPI 3.0 and draft 4 are one)."""
    for key in sorted(graph):
        node = graph[key]
        found = _dialect_of(node.type, node.content)
        if found != expected:
            names = [each.name for each in references if each.target == key]
            raise InvalidReference(
                f"{key.label()} is judged by JSON Schema {found}, this contract by {expected}: a schema "
                "means other things under another draft, so references stay within one draft (OpenAPI "
                "3.0 counts as draft 4, OpenAPI 3.1 as 2020-12)",
                details={"reference": key.label(), "names": names, "dialect": found, "expected": expected},
            )


def _container(contract_type: str, dialect: str) -> tuple[str, ...]:
    if contract_type == OPENAPI:
        return _COMPONENTS
    return ("$defs",) if dialect.rstrip("#") in _NEW_DEFINITIONS_SINCE else ("definitions",)


def _holder(document: dict[str, Any], container: tuple[str, ...]) -> dict[str, Any]:
    node = document
    for depth, token in enumerate(container, start=1):
        child = node.setdefault(token, {})
        if not isinstance(child, dict):  # the format's own check would refuse it: say so before it is hidden
            pointer = "".join(f"/{escape(each)}" for each in container[:depth])
            raise InvalidContract(f"{pointer} must be an object", pointer=pointer)
        node = child
    return node


def _remove_empty(document: dict[str, Any], container: tuple[str, ...]) -> None:
    if container == _COMPONENTS:
        return  # an OpenAPI contract always has its components
    if document.get(container[0]) == {}:
        del document[container[0]]


def _dict_at(document: dict[str, Any], path: tuple[str, ...]) -> list[str]:
    node: Any = document
    for token in path:
        node = node.get(token) if isinstance(node, dict) else None
    return sorted(node) if isinstance(node, dict) else []


def _at(document: Any, pointer: str) -> Any:
    node = document
    for token in pointer.split("/")[1:] if pointer else []:
        node = node[unescape(token)]
    return node


def _node(document: Any, pointer: str) -> dict[str, Any]:
    node = document
    for token in pointer.split("/")[1:] if pointer else []:
        node = node[int(token)] if isinstance(node, list) else node[unescape(token)]
    assert isinstance(node, dict), "references_in yields objects holding a reference"
    return node


def _base_id(document: dict[str, Any]) -> str:
    for keyword in ("$id", "id"):
        value = document.get(keyword)
        if isinstance(value, str) and not value.startswith("#"):
            return urldefrag(value).url
    return ""


def _is_openapi_30(document: dict[str, Any]) -> bool:
    declared = document.get("openapi")
    return isinstance(declared, str) and declared.startswith("3.0")


def _safe(name: str) -> str:
    return _UNSAFE_NAME.sub("_", name) or "Schema"

"""A schema document under comparison: its root, its draft's keywords, `$ref` resolution and validation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin

from registry.domain.formats.pointers import PointerNotFound, escape, resolve_fragment
from registry.domain.formats.refs import OFFLINE_REGISTRY
from registry.domain.formats.regexes import regex_budget

# `format` is an annotation by the registry's semantics; the others never constrain an instance
NON_CONSTRAINING = frozenset({"format", "definitions", "$defs", "$comment", "$anchor", "$dynamicAnchor"})


_UNBUILT = object()


class Doc:
    """One side of a comparison. `keywords` are those its draft's validator evaluates: any other key is
    ignored by jsonschema, so the checker ignores it too (e.g. `const` in Draft 4)."""

    def __init__(self, root: Any, validator_class: Any, text: str | None = None) -> None:
        self.root = root
        self._validator_class = validator_class
        self._validator: Any = _UNBUILT
        self.keywords = frozenset(validator_class.VALIDATORS) - NON_CONSTRAINING
        # from 2019-09 on, `$ref` is one keyword among others; before, it replaces its siblings
        self.ref_has_siblings = "$dynamicRef" in self.keywords or "$recursiveRef" in self.keywords
        # an id below the root starts a resource of its own, against which its references resolve: the
        # checker does not follow references in such documents (jsonschema still validates them)
        id_keyword = "$id" if "exclusiveMinimum" in self.keywords else "id"
        # (by identity, the schema kept beside its answer so that its id is not reused meanwhile: two flat
        # maps, not a tuple per schema, which the garbage collector would walk)
        self._refers: dict[int, bool] = {}
        self._refers_kept: dict[int, Any] = {}
        # work remembered for the length of one comparison, by the identity of the schemas it read (each key
        # keeps its schemas with it, so their ids are not reused meanwhile)
        self.memo: dict[Any, Any] = {}
        # each schema's constraining keywords (`Node.keywords`), by identity, the schema kept beside them
        self.keywords_of: dict[int, dict[str, Any]] = {}
        self.keywords_kept: dict[int, Any] = {}
        # The text answers two questions for the whole document before any walk: whether a `$ref` may be
        # anywhere (no `"$ref"` in the text: none is), and whether an id may (a key spelled `"id":"`, a
        # string-valued id: only JSON's escaped quotes can stand inside a string, so no text matches there).
        # `text`, when given, is the caller's: a stored contract's canonical text is this text already.
        self.text = canonical_text(root) if text is None else text
        self.may_refer = '"$ref"' in self.text
        # (the root's own string id is one such key: when it is the only one, no walk is needed)
        mentioned = self.text.count(f'"{id_keyword}":"') > (isinstance(_id_of(root, id_keyword), str))
        siblings = "$dynamicRef" in self.keywords or "$recursiveRef" in self.keywords
        # (pointer, absolute URI) of each resource, the root first: references resolve against the nearest
        found = (
            list(_resources(root, id_keyword, "", _own_id(root, id_keyword), siblings)) if mentioned else []
        )
        self.resources = [pointer for pointer, _ in found if pointer]
        self._bases = [("", _own_id(root, id_keyword) or "")] + [r for r in found if r[0]]
        self._uris = {uri: pointer for pointer, uri in reversed(self._bases) if uri}

    text: str
    """The document as canonical JSON (`canonical_text`): two documents with equal texts (and drafts) mean
    the same."""

    def fresh(self) -> Doc:
        """This document for another comparison: what it knows of itself (its text, its resources, the
        digests of its subschemas) is shared, what comparisons teach it (`memo`, answers involving the other
        side) starts empty. A document prepared once can so be kept between requests without growing with
        the checks that read it, nor holding their other documents alive."""
        copy = object.__new__(Doc)
        # every dict but the schema copied (what a comparison adds to one stays with it), memo emptied
        own = {k: dict(v) if type(v) is dict and k != "root" else v for k, v in self.__dict__.items()}
        copy.__dict__.update(own)
        copy.memo = {}
        kept = self.__dict__.get("_digests")
        if kept is not None:
            copy._digests = kept.fresh(copy)  # type: ignore[attr-defined]
        return copy

    @property
    def validator(self) -> Any:
        """jsonschema's validator of the document, built at the first validation (many comparisons make
        none); None when its draft cannot hold the root (Draft 4 has no boolean schemas): none validates."""
        if self._validator is _UNBUILT:
            try:
                self._validator = self._validator_class(self.root, registry=OFFLINE_REGISTRY)
            except Exception:
                self._validator = None
        return self._validator

    def refers(self, schema: Any) -> bool:
        """Whether `schema` holds a `$ref` anywhere (remembered: documents are compared many times)."""
        if not self.may_refer or not isinstance(schema, dict | list):
            return False
        key = id(schema)
        if self._refers_kept.get(key) is not schema:
            found = isinstance(schema, dict) and "$ref" in schema
            # (plain loops over the containers only: this walks every schema of a large document once)
            for value in schema.values() if isinstance(schema, dict) else schema:
                if found:
                    break
                found = isinstance(value, dict | list) and self.refers(value)
            self._refers[key], self._refers_kept[key] = found, schema
        return self._refers[key]

    def locates(self, node: Node) -> bool:
        """True when `node` is the schema at its pointer (not one the checker made up)."""
        try:
            return resolve_fragment(self.root, node.path) is node.schema
        except (PointerNotFound, LookupError, TypeError):
            return False

    def is_valid(self, schema: Any, instance: Any) -> bool | None:
        """Whether `instance` is valid under `schema` (a part of this document); None if jsonschema fails.
        Remembered: the same candidates meet the same schemas again from many places."""
        if self.validator is None:
            return None
        try:
            key = ("valid", id(schema), json.dumps(instance, sort_keys=True))
        except (TypeError, ValueError):  # not JSON (a made-up value): not remembered
            return self._is_valid(schema, instance)
        known = self.memo.get(key)
        if known is None or known[0] is not schema:
            known = (schema, self._is_valid(schema, instance))
            self.memo[key] = known
        return known[1]

    def _is_valid(self, schema: Any, instance: Any) -> bool | None:
        try:
            with regex_budget() as budget:
                valid = bool(self.validator.evolve(schema=schema).is_valid(instance))
        except Exception:  # an unresolvable reference, a bad pattern, recursion, too slow: no answer
            return None
        except BaseException as exc:  # recursion in `referencing`'s native maps: pyo3's PanicException
            if type(exc).__name__ != "PanicException":
                raise
            return None
        return None if budget.failures else valid  # a pattern not evaluated (invalid, timed out): no answer

    @property
    def base_uri(self) -> str:
        """The root's own URI ("" when it declares none)."""
        return self._bases[0][1]

    def owns(self, uri: str) -> bool:
        """Whether `uri` (without a fragment) names this document or one of its embedded resources."""
        return uri in self._uris

    def resolve(self, ref: str, at: str) -> tuple[Any, str] | None:
        """The schema a local reference (written at pointer `at`) names and its pointer, or None when it
        cannot be followed here."""
        # the nearest resource holding `at` gives the base URI (its own pointer when it has no URI)
        base_pointer, base = max(
            (r for r in self._bases if at == r[0] or at.startswith(r[0] + "/") or not r[0]),
            key=lambda r: len(r[0]),
        )
        key = ("resolve", ref, base_pointer)
        if key not in self.memo:
            self.memo[key] = self._resolve(ref, base_pointer, base)
        return self.memo[key]  # type: ignore[no-any-return]

    def _resolve(self, ref: str, base_pointer: str, base: str) -> tuple[Any, str] | None:
        if ref.startswith("#"):
            uri, fragment = "", ref[1:]
        else:
            uri, fragment = urldefrag(urljoin(base, ref) if base else ref)
        if uri:
            if uri not in self._uris:
                return None  # another document: left to the validator, undecided for the checker
            base_pointer = self._uris[uri]
        if not (fragment == "" or fragment.startswith("/")):
            return None  # anchors: left to the validator, undecided for the checker
        pointer = base_pointer + fragment
        try:
            return resolve_fragment(self.root, pointer), pointer
        except (PointerNotFound, LookupError, TypeError):
            return None


@dataclass(frozen=True)
class Node:
    """A schema at a place in a document."""

    schema: Any
    path: str
    doc: Doc

    def child(self, *tokens: str | int) -> Node:
        schema = self.schema
        for token in tokens:
            schema = schema[token]
        return Node(schema, self.path + "".join("/" + escape(t) for t in tokens), self.doc)

    def keywords(self) -> dict[str, Any]:
        """The keywords of this schema that constrain instances in its draft."""
        schema = self.schema
        if not isinstance(schema, dict):
            return {}
        # (asked tens of thousands of times in a large comparison: flat maps by identity, no key tuple)
        doc, key = self.doc, id(schema)
        if doc.keywords_kept.get(key) is not schema:
            doc.keywords_of[key] = {k: v for k, v in schema.items() if k in doc.keywords}
            doc.keywords_kept[key] = schema
        return doc.keywords_of[key]  # shared: callers read it, never change it

    def get(self, keyword: str) -> Any:
        return self.keywords().get(keyword)

    def has(self, keyword: str) -> bool:
        return isinstance(self.schema, dict) and keyword in self.schema and keyword in self.doc.keywords


def canonical_text(root: Any) -> str:
    """A schema as the registry's canonical JSON spells it (`registry.domain.formats.canonical_json`, which
    refuses NaN where this does not: a made-up schema is no contract)."""
    return json.dumps(root, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def same_json(a: Any, b: Any) -> bool:
    """Equality of JSON values that tells `true` from `1` and `1` from `1.0` (Python's == does not)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _id_of(schema: Any, keyword: str) -> Any:
    return schema.get(keyword) if isinstance(schema, dict) else None


def _own_id(schema: Any, keyword: str) -> str | None:
    value = schema.get(keyword) if isinstance(schema, dict) else None
    if not isinstance(value, str) or value.startswith("#"):
        return None
    return urldefrag(value)[0] or None


DATA_KEYWORDS = frozenset({"enum", "const", "examples", "default"})


def _resources(
    schema: Any, keyword: str, path: str, base: str | None, siblings: bool
) -> Iterator[tuple[str, str]]:
    """(pointer, absolute URI) of every schema that declares an id, the root included when it does. Before
    2019-09 an id beside `$ref` is ignored, as `$ref` replaces its siblings."""
    if isinstance(schema, list):
        for i, item in enumerate(schema):
            yield from _resources(item, keyword, f"{path}/{i}", base, siblings)
    elif isinstance(schema, dict):
        own = _own_id(schema, keyword) if siblings or "$ref" not in schema else None
        if own is not None:
            base = urljoin(base, own) if base else own
            yield path, base
        for key, item in schema.items():
            if key not in DATA_KEYWORDS:
                yield from _resources(item, keyword, f"{path}/{escape(key)}", base, siblings)

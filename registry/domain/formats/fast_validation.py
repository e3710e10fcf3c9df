"""The accepting case of event validation, in Rust: jsonschema-rs says "valid" in microseconds, and only an
event it does not accept goes on to jsonschema, whose errors name each place (see `events`).

Both must give the same verdict. jsonschema-rs is built so that the parts where the two could differ are
ours on both sides:

- `pattern` is a custom keyword that calls the same bounded ECMA-262 search jsonschema's validator uses
  (`regexes.search`: ECMA-262 translated for the `regex` module, older Python patterns kept as they were);
- `format`, when checked, calls the same format checker (ECMA-262 `format: regex` included); a format
  jsonschema does not check, jsonschema-rs does not check either;
- references are never fetched (`offline`).

A contract is left to jsonschema alone, decided once when its validator is built, where agreement is not
ours to guarantee: `patternProperties` (jsonschema-rs would also match its keys for `additionalProperties`
with its own regex engine), `unevaluated*`, dynamic or recursive references, a `$schema` or an id below the
root (a dialect or base URI switch), a `$ref` that is not a local JSON pointer, a fractional `multipleOf`
(float arithmetic), references that recurse or expand past MAX_EXPANDED_NODES (jsonschema's validation
runs within a time budget; Rust code cannot be interrupted, so it only gets contracts whose work is bounded
by their size times the event's), and any contract jsonschema-rs refuses to compile. An event jsonschema-rs
cannot take (a string with a lone surrogate) or an error inside it means "not known valid": jsonschema
decides.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import jsonschema_rs

from registry.domain.formats.events import EVENT_MAX_DEPTH
from registry.domain.formats.patterns import DATA_KEYWORDS, NAMED_MAPS
from registry.domain.formats.pointers import PointerNotFound, resolve_fragment
from registry.domain.formats.regexes import regex_budget, search


class FastCheck(Protocol):
    """True: the event is valid. False: maybe not; jsonschema decides and explains. `within_depth`: the
    caller has found that the event nests no deeper than EVENT_MAX_DEPTH (from its text,
    `json_input.may_nest_deeper`), so the check need not walk it to know."""

    def __call__(self, event: Any, *, within_depth: bool = False) -> bool: ...


MAX_EXPANDED_NODES = 20_000
"""Schema nodes the event schema may hold once every `$ref` is replaced by its target."""
UNTRUSTED_KEYWORDS = frozenset(
    {
        "patternProperties",
        "unevaluatedProperties",
        "unevaluatedItems",
        "$dynamicRef",
        "$dynamicAnchor",
        "$recursiveRef",
        "$recursiveAnchor",
        "$anchor",
    }
)
# jsonschema-rs's own formats: the ones jsonschema's checker lacks must not be checked by it either
RUST_FORMATS = frozenset(
    {
        "date", "date-time", "time", "duration", "email", "idn-email", "hostname", "idn-hostname", "ipv4",
        "ipv6", "iri", "iri-reference", "uri", "uri-reference", "uri-template", "uuid", "json-pointer",
        "relative-json-pointer", "regex",
    }
)  # fmt: skip
_RUST_CLASSES = {
    "http://json-schema.org/draft-04/schema": jsonschema_rs.Draft4Validator,
    "http://json-schema.org/draft-06/schema": jsonschema_rs.Draft6Validator,
    "http://json-schema.org/draft-07/schema": jsonschema_rs.Draft7Validator,
    "https://json-schema.org/draft/2019-09/schema": jsonschema_rs.Draft201909Validator,
    "https://json-schema.org/draft/2020-12/schema": jsonschema_rs.Draft202012Validator,
}


def fast_check(schema: dict[str, Any], dialect: str, format_checker: Any | None) -> FastCheck | None:
    """The fast check of events against `schema` (written in `dialect`, the `$schema` URI without "#"), or
    None when the contract is left to jsonschema. `format_checker`: jsonschema's, when formats are checked."""
    cls = _RUST_CLASSES.get(dialect)
    if cls is None or not trusted(schema):
        return None
    formats = None if format_checker is None else _formats_of(format_checker)
    try:
        validator = cls(
            schema,
            validate_formats=format_checker is not None,
            formats=formats,
            keywords={"pattern": _EcmaPattern},
            offline=True,
        )
    except Exception:  # jsonschema-rs refuses what jsonschema accepted: jsonschema keeps the contract
        return None
    return _checking_with(validator)


def trusted(schema: dict[str, Any]) -> bool:
    """Whether jsonschema-rs can be trusted to agree with jsonschema on every event for `schema`."""
    return _Scan(schema).size(schema, at_root=True) is not None


class _Scan:
    """A walk over the schema's places (not its data: `enum`, `default` ..., nor `x-` extensions), through
    its references, counting the nodes it expands to; None as soon as something is not trusted."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.sizes: dict[str, int | None] = {}  # a target's expanded size; None while expanding it (a cycle)

    def size(self, node: Any, *, at_root: bool = False) -> int | None:
        total = 0
        stack: list[tuple[Any, bool, bool]] = [(node, False, at_root)]  # (node, a map of names, the root)
        while stack:
            current, named, root = stack.pop()
            total += 1
            if total > MAX_EXPANDED_NODES:
                return None
            if isinstance(current, list):
                stack.extend((item, False, False) for item in current)
            elif isinstance(current, dict) and named:
                stack.extend((value, False, False) for value in current.values())
            elif isinstance(current, dict):
                extra = self._schema(current, root)
                if extra is None:
                    return None
                total += extra
                for key, value in current.items():
                    if key not in DATA_KEYWORDS and not (isinstance(key, str) and key.startswith("x-")):
                        stack.append((value, key in NAMED_MAPS, False))
        return total

    def _schema(self, schema: dict[str, Any], root: bool) -> int | None:
        """The nodes its `$ref` adds; None when one of its keywords is not trusted."""
        if any(key in UNTRUSTED_KEYWORDS for key in schema):
            return None
        if not root and any(isinstance(schema.get(key), str) for key in ("$schema", "id", "$id")):
            return None  # a dialect or base URI switch
        factor = schema.get("multipleOf")
        if factor is not None and (not isinstance(factor, int) or isinstance(factor, bool)):
            return None
        ref = schema.get("$ref")
        if ref is None:
            return 0
        if not isinstance(ref, str) or not (ref == "#" or ref.startswith("#/")):
            return None  # an anchor, an id, a relative URI: resolution is jsonschema's alone
        if ref not in self.sizes:
            self.sizes[ref] = None
            try:
                target = resolve_fragment(self.root, ref[1:])
            except PointerNotFound:
                return None
            self.sizes[ref] = self.size(target)
        return self.sizes[ref]


def _formats_of(format_checker: Any) -> dict[str, Callable[[str], bool]]:
    def judged_by(name: str) -> Callable[[str], bool]:
        return lambda value: bool(format_checker.conforms(value, name))

    formats = {name: judged_by(name) for name in format_checker.checkers}
    formats.update({name: _any_string for name in RUST_FORMATS - set(format_checker.checkers)})
    return formats


def _any_string(_value: str) -> bool:
    return True


class _EcmaPattern:
    """`pattern`, as jsonschema's bounded validator evaluates it (see `bounded_keywords.pattern`)."""

    def __init__(self, _parent: Any, value: Any, _path: Any) -> None:
        self.pattern = value

    def validate(self, instance: Any) -> None:
        if isinstance(instance, str) and not search(self.pattern, instance):  # raises UnsafePattern
            raise ValueError(f"{instance!r} does not match {self.pattern!r}")


def _checking_with(validator: Any) -> FastCheck:
    def check(event: Any, *, within_depth: bool = False) -> bool:
        if not within_depth and _deeper_than(event, EVENT_MAX_DEPTH):
            return False  # refused for its depth, whatever the contract: jsonschema's path says so
        with regex_budget() as budget:
            try:
                valid = bool(validator.is_valid(event))
            except Exception:  # an event Rust cannot take (a lone surrogate): jsonschema decides
                return False
        # a pattern that could not be evaluated in time says nothing of the event: jsonschema decides
        return valid and not budget.failures and not budget.exhausted

    return check


def _deeper_than(event: Any, limit: int) -> bool:
    """Whether objects or arrays nest more than `limit` levels in `event` (as `document.first_too_deep`
    counts them, the outermost being level 1, without building the pointers)."""
    stack: list[tuple[Any, int]] = [(event, 1)] if isinstance(event, dict | list) else []
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values() if isinstance(child, dict | list))
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node if isinstance(child, dict | list))
    return False

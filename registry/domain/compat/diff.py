"""The structural half of the semantic diff: what changed between two contracts, where, in plain words.

Two documents are walked side by side from their event roots, schema against schema. A keyword present on one
side only is added or removed; subschemas (`properties`, `items`, `allOf` ...) are walked in turn, so a change
is reported where it happened, at the keyword (`/properties/amount/maximum`), or at the property added or
removed (`/properties/currency`). `$ref`s are followed on both sides: a component moved under a new name with
every `$ref` to it updated, or a schema moved into a component, changes nothing. `required`, `enum` and `type`
are sets: one change per value added or removed, pointing at the value in its array (a mere reordering is one
change, without effect). Definitions that no walk reached (JSON Schema contracts) are paired by place, then by
content (a rename), and are otherwise reported added or removed; so two JSON Schema contracts have no change
exactly when their contents are equal up to the names of their definitions.

Which changes break which readers is not decided here: `attribution` asks the compatibility checker.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote

from registry.domain.compat import diff_words as words
from registry.domain.compat.changes import ABSENT, Change
from registry.domain.compat.diff_words import Label
from registry.domain.compat.document import DATA_KEYWORDS, same_json
from registry.domain.errors import ContractTooComplex
from registry.domain.formats.pointers import PointerNotFound, escape, resolve_fragment

MAX_PAIRS = 20_000
"""Pairs of schemas compared at most (each pair once, however many `$ref`s lead to it)."""
MAX_REF_HOPS = 32

DEFINITIONS = ("definitions", "$defs")
SCHEMA_MAPS = ("properties", "patternProperties", "dependentSchemas")
ONE_SCHEMA = (
    "not",
    "additionalItems",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedProperties",
    "unevaluatedItems",
)
SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SETS = ("required", "enum", "type")


@dataclass(frozen=True)
class Place:
    """A schema at a pointer of one document."""

    value: Any
    pointer: str

    def child(self, *tokens: str | int) -> Place:
        value = self.value
        for token in tokens:
            value = value[token]
        return Place(value, self.pointer + "".join("/" + escape(token) for token in tokens))


def structural_diff(
    old: dict[str, Any],
    new: dict[str, Any],
    *,
    old_root: str = "",
    new_root: str = "",
    definitions_by_name: bool = True,
    max_pairs: int = MAX_PAIRS,
) -> list[Change]:
    """The changes from `old` to `new`, walked from the schemas at `old_root` and `new_root` (JSON pointers),
    sorted by place. `definitions_by_name`: compare the definitions no walk reached too (a JSON Schema
    contract is all schema; an OpenAPI document's other components describe other things). Raises
    ContractTooComplex past `max_pairs` pairs of schemas walked."""
    walk = _Walk(old, new, max_pairs)
    walk.pair(
        Place(resolve_fragment(old, old_root), old_root), Place(resolve_fragment(new, new_root), new_root)
    )
    if definitions_by_name:
        walk.unreached_definitions()
    return sorted(walk.changes, key=lambda change: _sort_key(change.path))


def _sort_key(pointer: str) -> list[tuple[int, int | str]]:
    return [(0, int(t)) if t.isdigit() else (1, t) for t in pointer.split("/")[1:]]


@dataclass
class _Walk:
    old: dict[str, Any]
    new: dict[str, Any]
    max_pairs: int
    changes: list[Change] = field(default_factory=list)
    _seen: set[tuple[str, str]] = field(default_factory=set)
    _todo: list[tuple[Place, Place, Label]] = field(default_factory=list)
    # pointers of the schemas walked (or referenced from a value added or removed), and of each side's
    # definitions met on the way
    _reached: tuple[set[str], set[str]] = field(default_factory=lambda: (set(), set()))
    _definitions: tuple[dict[str, Any], dict[str, Any]] = field(default_factory=lambda: ({}, {}))
    _refers_memo: dict[int, tuple[Any, bool]] = field(default_factory=dict)

    def pair(self, old: Place, new: Place, label: Label = ()) -> None:
        self._todo.append((old, new, label))
        while self._todo:
            self._schemas(*self._todo.pop())

    def unreached_definitions(self) -> None:
        """Definitions at the same place on both sides are walked (which may reach more), then the rest are
        paired by content; what is left was added or removed."""
        while pairs := [p for p in self._unreached(0) if p in self._unreached(1)]:
            for pointer in pairs:
                self.pair(
                    Place(self._definitions[0][pointer], pointer),
                    Place(self._definitions[1][pointer], pointer),
                    words.definition_label(pointer),
                )
        added = {json.dumps(self._definitions[1][p], sort_keys=True): p for p in self._unreached(1)}
        for pointer in self._unreached(0):
            renamed = added.pop(json.dumps(self._definitions[0][pointer], sort_keys=True), None)
            if renamed is None:
                self._whole("removed", pointer, None, self._definitions[0][pointer], ABSENT)
        for pointer in added.values():
            self._whole("added", None, pointer, ABSENT, self._definitions[1][pointer])

    def _unreached(self, side: int) -> list[str]:
        return [p for p in self._definitions[side] if p not in self._reached[side]]

    def _whole(self, op: str, old: str | None, new: str | None, before: Any, after: Any) -> None:
        pointer = new if new is not None else old
        assert pointer is not None
        summary = words.definition(op, words.definition_label(pointer))
        self._add(Change(op, summary, "", old, new, old, new, before, after))

    # --- schemas -----------------------------------------------------------------------------------------

    def _schemas(self, old: Place, new: Place, label: Label) -> None:
        old, new = self._through_refs(old, 0), self._through_refs(new, 1)
        if (old.pointer, new.pointer) in self._seen:
            return
        if len(self._seen) >= self.max_pairs:
            raise ContractTooComplex(f"the contracts hold more than {self.max_pairs} schemas to compare")
        self._seen.add((old.pointer, new.pointer))
        self._reached[0].add(old.pointer)
        self._reached[1].add(new.pointer)
        if same_json(old.value, new.value) and not self._refers(old.value):
            return
        if not (isinstance(old.value, dict) and isinstance(new.value, dict)):
            if not same_json(old.value, new.value):
                summary = words.whole_schema(label)
                self._changed("", old, new, label, summary, old.value, new.value)
            return
        keywords = sorted(old.value.keys() | new.value.keys())
        mark = len(self._todo)
        if "$ref" in keywords and self._both_refer(old, new):
            self._todo.append((self._target(old, 0), self._target(new, 1), label))
            keywords.remove("$ref")
        for keyword in keywords:
            self._keyword(keyword, old, new, label)
        # depth first in document order: a schema shared by several places is named after the first
        self._todo[mark:] = reversed(self._todo[mark:])

    def _refers(self, value: Any) -> bool:
        """Whether a `$ref` is anywhere in `value` (remembered by identity; the value is kept with it)."""
        if not isinstance(value, dict | list):
            return False
        known = self._refers_memo.get(id(value))
        if known is None:
            items = value.items() if isinstance(value, dict) else enumerate(value)
            known = (value, any(key == "$ref" or self._refers(item) for key, item in items))
            self._refers_memo[id(value)] = known
        return known[1]

    def _through_refs(self, place: Place, side: int) -> Place:
        """A schema that is only a `$ref` stands for what it names (followed while it resolves)."""
        for _ in range(MAX_REF_HOPS):
            if not (isinstance(place.value, dict) and set(place.value) == {"$ref"}):
                return place
            target = self._resolve(place.value["$ref"], side)
            if target is None:
                return place
            self._reached[side].add(place.pointer)
            place = target
        return place

    def _both_refer(self, old: Place, new: Place) -> bool:
        return self._target(old, 0) is not None and self._target(new, 1) is not None

    def _target(self, place: Place, side: int) -> Any:
        ref = place.value.get("$ref")
        return self._resolve(ref, side) if isinstance(ref, str) else None

    def _resolve(self, ref: Any, side: int) -> Place | None:
        """Local references only (`#/...`): any other was refused at registration or resolves through the
        version's references, inlined into its bundle."""
        if not isinstance(ref, str) or not (ref == "#" or ref.startswith("#/")):
            return None
        try:
            return Place(resolve_fragment((self.old, self.new)[side], ref[1:]), unquote(ref[1:]))
        except (PointerNotFound, LookupError, TypeError):
            return None

    # --- keywords ----------------------------------------------------------------------------------------

    def _keyword(self, keyword: str, old: Place, new: Place, label: Label) -> None:
        here = (keyword in old.value, keyword in new.value)
        before, after = old.value.get(keyword, ABSENT), new.value.get(keyword, ABSENT)
        if keyword in DEFINITIONS:
            for side, place in enumerate((old, new)):
                if isinstance(place.value.get(keyword), dict):
                    for name in place.value[keyword]:
                        self._definitions[side][place.child(keyword, name).pointer] = place.value[keyword][
                            name
                        ]
            return
        if keyword == "required" and _names_or_absent(before) and _names_or_absent(after):
            if not same_json(before, after):
                self._set(keyword, old, new, label)
        elif here != (True, True):
            self._one_sided(keyword, old, new, label, before, after)
        elif same_json(before, after) and not self._refers(before):
            return  # nothing below can differ: no `$ref` leads elsewhere
        elif keyword in SCHEMA_MAPS and isinstance(before, dict) and isinstance(after, dict):
            self._schema_map(keyword, old, new, label)
        elif keyword == "dependencies" and isinstance(before, dict) and isinstance(after, dict):
            self._dependencies(old, new, label)
        elif keyword in SETS and _set_like(keyword, before) and _set_like(keyword, after):
            self._set(keyword, old, new, label)
        elif keyword in (*SCHEMA_LISTS, "items") and isinstance(before, list) and isinstance(after, list):
            self._schema_list(keyword, old, new, label)
        elif keyword in (*ONE_SCHEMA, "items", "additionalProperties") and _both_schemas(before, after):
            self._todo.append((old.child(keyword), new.child(keyword), words.step_into(label, keyword)))
        else:
            summary = words.keyword_changed(keyword, label, before, after)
            self._changed(keyword, old.child(keyword), new.child(keyword), label, summary, before, after)

    def _one_sided(
        self,
        keyword: str,
        old: Place,
        new: Place,
        label: Label,
        before: Any,
        after: Any,
        *,
        inert: bool = False,
    ) -> None:
        if before is ABSENT:
            summary = words.keyword_added(keyword, label, after)
            path = new.child(keyword).pointer
            change = Change("added", summary, keyword, None, path, old.pointer, new.pointer, ABSENT, after)
        else:
            summary = words.keyword_removed(keyword, label, before)
            path = old.child(keyword).pointer
            change = Change("removed", summary, keyword, path, None, old.pointer, new.pointer, before, ABSENT)
        self._add(change, inert=inert or words.is_annotation(keyword))

    def _changed(
        self, keyword: str, old: Place, new: Place, label: Label, summary: str, before: Any, after: Any
    ) -> None:
        node_old, node_new = (old.pointer, new.pointer) if not keyword else _parents(old, new)
        change = Change(
            "changed", summary, keyword, old.pointer, new.pointer, node_old, node_new, before, after
        )
        self._add(change, inert=bool(keyword) and words.is_annotation(keyword))

    def _add(self, change: Change, *, inert: bool = False) -> None:
        """Schemas a value added or removed refers to are reached by it, not left over."""
        for side, value in ((0, change.before), (1, change.after)):
            if value is not ABSENT:
                self._reach_refs(value, side)
        narrowing = change.narrowing or words.narrowing(
            change.op, change.keyword, change.before, change.after
        )
        self.changes.append(replace(change, inert=inert or change.inert, narrowing=narrowing))

    def _reach_refs(self, value: Any, side: int, depth: int = 0) -> None:
        if depth > 200:
            return
        if isinstance(value, dict):
            target = self._resolve(value.get("$ref"), side)
            if target is not None and target.pointer not in self._reached[side]:
                self._reached[side].add(target.pointer)
                self._reach_refs(target.value, side, depth + 1)
            for key, item in value.items():
                if key not in DATA_KEYWORDS:
                    self._reach_refs(item, side, depth + 1)
        elif isinstance(value, list):
            for item in value:
                self._reach_refs(item, side, depth + 1)

    def _schema_map(self, keyword: str, old: Place, new: Place, label: Label) -> None:
        before, after = old.value[keyword], new.value[keyword]
        for name in sorted(before.keys() | after.keys()):
            inner = words.step_into(label, keyword, name)
            if name not in after:
                path = old.child(keyword, name).pointer
                summary = words.member("removed", keyword, inner)
                self._add(
                    Change("removed", summary, keyword, path, None, old.pointer, new.pointer, before[name])
                )
            elif name not in before:
                path = new.child(keyword, name).pointer
                summary = words.member("added", keyword, inner)
                change = Change(
                    "added", summary, keyword, None, path, old.pointer, new.pointer, after=after[name]
                )
                self._add(change)
            else:
                self._todo.append((old.child(keyword, name), new.child(keyword, name), inner))

    def _dependencies(self, old: Place, new: Place, label: Label) -> None:
        before, after = old.value["dependencies"], new.value["dependencies"]
        for name in sorted(before.keys() | after.keys()):
            was, now = before.get(name, ABSENT), after.get(name, ABSENT)
            if _both_schemas(was, now):
                inner = words.step_into(label, "dependencies", name)
                self._todo.append((old.child("dependencies", name), new.child("dependencies", name), inner))
            elif not same_json(was, now):
                self._entry("dependencies", name, old, new, label, was, now)

    def _entry(
        self, keyword: str, name: str, old: Place, new: Place, label: Label, was: Any, now: Any
    ) -> None:
        op = "added" if was is ABSENT else "removed" if now is ABSENT else "changed"
        old_path = None if was is ABSENT else old.child(keyword, name).pointer
        new_path = None if now is ABSENT else new.child(keyword, name).pointer
        summary = words.dependency(op, label, name)
        self._add(Change(op, summary, keyword, old_path, new_path, old.pointer, new.pointer, was, now))

    def _set(self, keyword: str, old: Place, new: Place, label: Label) -> None:
        """One change per value added or removed (a missing `required` is an empty one); `type` and a set
        whose values only moved are one change."""
        was, now = old.value.get(keyword, ABSENT), new.value.get(keyword, ABSENT)
        before, after = _as_list(was), _as_list(now)
        removed = [(i, v) for i, v in enumerate(before) if not any(same_json(v, w) for w in after)]
        added = [(i, v) for i, v in enumerate(after) if not any(same_json(v, w) for w in before)]
        if not (removed or added) and ABSENT in (was, now):  # `required: []`, said or not
            self._one_sided(keyword, old, new, label, was, now, inert=True)
        elif keyword == "type" or not (removed or added):
            summary = words.set_changed(keyword, label, was, now)
            here = (old.child(keyword).pointer, new.child(keyword).pointer)
            change = Change("changed", summary, keyword, *here, old.pointer, new.pointer, was, now)
            self._add(change, inert=not (removed or added))
        else:
            self._set_members(keyword, old, new, label, removed, added)

    def _set_members(
        self,
        keyword: str,
        old: Place,
        new: Place,
        label: Label,
        removed: list[tuple[int, Any]],
        added: list[tuple[int, Any]],
    ) -> None:
        for index, member in removed:
            path = old.child(keyword, index).pointer
            summary = words.set_member("removed", keyword, label, member)
            narrowing = words.member_narrowing("removed", keyword)
            change = Change("removed", summary, keyword, path, None, old.pointer, new.pointer, member)
            self._add(replace(change, narrowing=narrowing))
        for index, member in added:
            path = new.child(keyword, index).pointer
            summary = words.set_member("added", keyword, label, member)
            change = Change("added", summary, keyword, None, path, old.pointer, new.pointer, after=member)
            self._add(replace(change, narrowing=words.member_narrowing("added", keyword)))

    def _schema_list(self, keyword: str, old: Place, new: Place, label: Label) -> None:
        before, after = old.value[keyword], new.value[keyword]
        for index in range(max(len(before), len(after))):
            inner = words.step_into(label, keyword, index)
            if index >= len(after):
                path = old.child(keyword, index).pointer
                summary = words.branch("removed", keyword, inner)
                self._add(
                    Change("removed", summary, keyword, path, None, old.pointer, new.pointer, before[index])
                )
            elif index >= len(before):
                path = new.child(keyword, index).pointer
                summary = words.branch("added", keyword, inner)
                change = Change(
                    "added", summary, keyword, None, path, old.pointer, new.pointer, after=after[index]
                )
                self._add(change)
            else:
                self._todo.append((old.child(keyword, index), new.child(keyword, index), inner))


def _parents(old: Place, new: Place) -> tuple[str, str]:
    return old.pointer.rsplit("/", 1)[0], new.pointer.rsplit("/", 1)[0]


def _set_like(keyword: str, value: Any) -> bool:
    return isinstance(value, list) or (keyword == "type" and isinstance(value, str))


def _names_or_absent(value: Any) -> bool:
    return value is ABSENT or (isinstance(value, list) and all(isinstance(v, str) for v in value))


def _as_list(value: Any) -> list[Any]:
    if value is ABSENT:
        return []
    return value if isinstance(value, list) else [value]


def _both_schemas(before: Any, after: Any) -> bool:
    return isinstance(before, dict) and isinstance(after, dict)

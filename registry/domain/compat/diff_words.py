"""The semantic diff's summaries: each change said in plain English ("property 'currency' became required").

A change is named by where it is in the event as a reader sees it (a `Label`: the steps taken from the event
root, through properties, items and `$ref`s), not by the pointer into the document, which may lie in a
definition that several places share."""

from __future__ import annotations

import json
from typing import Any

from registry.domain.formats.pointers import unescape

Label = tuple[tuple[str, str | int | None], ...]
"""Steps from the event root: ("properties", name), ("items", None), ("items", 0), ("anyOf", 1) ..."""

ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "examples",
        "example",
        "$comment",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "format",  # an annotation in this registry, as in JSON Schema's default (see the README)
        "contentMediaType",
        "contentEncoding",
        "externalDocs",
        "xml",
    }
)
# extensions are annotations, but for the EventBridge identity markers: they name the event
IDENTITY = frozenset({"x-amazon-events-detail-type", "x-amazon-events-source"})
LOWER_BOUNDS = frozenset(
    {"minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties", "minContains"}
)
UPPER_BOUNDS = frozenset(
    {"maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties", "maxContains"}
)
MAX_VALUE_CHARS = 60


def is_annotation(keyword: str) -> bool:
    """Keywords that never change which events are valid."""
    return keyword in ANNOTATIONS or (keyword.startswith("x-") and keyword not in IDENTITY)


def step_into(label: Label, keyword: str, arg: str | int | None = None) -> Label:
    return (*label, (keyword, arg))


def definition_label(pointer: str) -> Label:
    return (("definition", unescape(pointer.rsplit("/", 1)[-1])),)


def rendered(label: Label) -> str:
    """`customer.address.lines[]`, `payment<anyOf 1>.amount`: the steps, as a reader would write them."""
    text = ""
    for keyword, arg in label:
        if keyword in ("properties", "definition"):
            text += f".{arg}" if text else str(arg)
        elif keyword in ("items", "prefixItems"):
            text += "[]" if arg is None else f"[{arg}]"
        elif keyword == "additionalProperties":
            text += ".*"
        elif keyword == "patternProperties":
            text += f"./{arg}/"
        else:
            text += f"<{keyword}>" if arg is None else f"<{keyword} {arg}>"
    return text


def subject(label: Label) -> str:
    if not label:
        return "the event"
    if label[-1][0] == "properties":
        return f"property '{rendered(label)}'"
    if len(label) == 1 and label[0][0] == "definition":
        return f"definition '{label[0][1]}'"
    return f"'{rendered(label)}'"


def value(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def types(data: Any) -> str:
    listed = data if isinstance(data, list) else [data]
    return " or ".join(str(each) for each in listed) if listed else "no type"


def narrowing(op: str, keyword: str, before: Any, after: Any) -> str | None:
    """ "tightened" when the new version accepts less than the old one here, "loosened" when more, None when
    neither can be told from the keyword alone (the checker decides what breaks: this only says which way
    a change can break, to attribute the checker's findings)."""
    if op == "added":
        return _narrowing_added(keyword, after)
    if op == "removed":
        flipped = _narrowing_added(keyword, before)
        return {"tightened": "loosened", "loosened": "tightened"}.get(flipped or "")
    if keyword == "type":
        old, new = set(_listed(before)), set(_listed(after))
        return "tightened" if new < old else "loosened" if old < new else None
    if keyword == "additionalProperties":
        return "tightened" if after is False else "loosened" if before is False else None
    if keyword in ("nullable", "uniqueItems"):
        return _narrowing_added(keyword, after) if isinstance(after, bool) else None
    return _tightening(keyword, before, after)


def _narrowing_added(keyword: str, after: Any) -> str | None:
    if keyword in LOWER_BOUNDS | UPPER_BOUNDS or keyword in (
        "pattern",
        "multipleOf",
        "type",
        "enum",
        "const",
    ):
        return "tightened"
    if keyword == "additionalProperties":
        return "tightened" if after is False else None
    if keyword == "uniqueItems":
        return "tightened" if after is True else None
    if keyword == "nullable":
        return "loosened" if after is True else None
    return None


def _listed(data: Any) -> list[str]:
    return [json.dumps(each) for each in (data if isinstance(data, list) else [data])]


def _tightening(keyword: str, before: Any, after: Any) -> str | None:
    """ "tightened" / "loosened" for a bound that moved, None when the values are not comparable."""
    if isinstance(before, bool) or isinstance(after, bool):
        if keyword in ("exclusiveMinimum", "exclusiveMaximum") and {before, after} == {True, False}:
            return "tightened" if after else "loosened"
        return None
    if not (isinstance(before, int | float) and isinstance(after, int | float)):
        return None
    if keyword in LOWER_BOUNDS:
        return "tightened" if after > before else "loosened"
    if keyword in UPPER_BOUNDS:
        return "tightened" if after < before else "loosened"
    return None


def _extra(setting: Any, who: str) -> str:
    if setting is False:
        return f"{who} no longer allows additional properties"
    if setting is True:
        return f"{who} allows additional properties"
    return f"additional properties of {who} must match a schema"


def keyword_added(keyword: str, label: Label, after: Any) -> str:
    who = subject(label)
    if is_annotation(keyword):
        return f"{keyword} of {who} added (annotation only)"
    if keyword in LOWER_BOUNDS | UPPER_BOUNDS or keyword in ("pattern", "multipleOf"):
        return f"{keyword} {value(after)} added to {who} (tightened)"
    special = {
        "type": f"{who} must now be of type {types(after)}",
        "enum": f"{who} is now limited to the values {value(after)}",
        "const": f"{who} must now be {value(after)}",
        "additionalProperties": _extra(after, who),
        "nullable": f"{who} became nullable" if after is True else f"{who} is declared not nullable",
        "uniqueItems": f"items of {who} must now be unique" if after is True else None,
        "$ref": f"{who} now refers to {value(after)}",
    }
    return special.get(keyword) or f"'{keyword}' added to {who}"


def keyword_removed(keyword: str, label: Label, before: Any) -> str:
    who = subject(label)
    if is_annotation(keyword):
        return f"{keyword} of {who} removed (annotation only)"
    if keyword in LOWER_BOUNDS | UPPER_BOUNDS or keyword in ("pattern", "multipleOf"):
        return f"{keyword} of {who} removed (loosened; was {value(before)})"
    special = {
        "type": f"{who} is no longer restricted to type {types(before)}",
        "enum": f"{who} is no longer limited to a list of values",
        "const": f"{who} is no longer fixed to {value(before)}",
        "additionalProperties": f"{who} allows additional properties (the default)",
        "nullable": f"{who} is no longer nullable" if before is True else None,
        "uniqueItems": f"items of {who} need no longer be unique" if before is True else None,
        "$ref": f"{who} no longer refers to {value(before)}",
    }
    return special.get(keyword) or f"'{keyword}' removed from {who}"


def keyword_changed(keyword: str, label: Label, before: Any, after: Any) -> str:
    who = subject(label)
    if is_annotation(keyword):
        return f"{keyword} of {who} changed (annotation only)"
    moved = _tightening(keyword, before, after)
    if moved is not None:
        return f"{keyword} of {who} {moved} from {value(before)} to {value(after)}"
    special = {
        "additionalProperties": _extra(after, who),
        "nullable": f"{who} became nullable" if after is True else f"{who} is no longer nullable",
        "uniqueItems": f"items of {who} must now be unique"
        if after is True
        else f"items of {who} need no longer be unique",
        "$ref": f"{who} now refers to {value(after)} instead of {value(before)}",
        "$schema": f"the JSON Schema dialect changed from {value(before)} to {value(after)}",
        "openapi": f"the OpenAPI version changed from {value(before)} to {value(after)}",
    }
    if keyword in special:
        return special[keyword]
    return f"{keyword} of {who} changed from {value(before)} to {value(after)}"


def set_changed(keyword: str, label: Label, before: Any, after: Any) -> str:
    """`type` as one statement, or a set whose values only moved."""
    who = subject(label)
    if keyword == "type" and not _same_members(before, after):
        return f"type of {who} changed from {types(before)} to {types(after)}"
    return f"{keyword} of {who} reordered or rewritten, same values (no effect)"


def _same_members(before: Any, after: Any) -> bool:
    return set(_listed(before)) == set(_listed(after))


def member_narrowing(op: str, keyword: str) -> str | None:
    """A name made required, a value taken out of an enum: tightened; the reverse: loosened."""
    if keyword not in ("required", "enum"):
        return None
    return "tightened" if (op == "added") == (keyword == "required") else "loosened"


def set_member(op: str, keyword: str, label: Label, member: Any) -> str:
    if keyword == "required":
        name = rendered(step_into(label, "properties", str(member)))
        return f"property '{name}' became {'required' if op == 'added' else 'optional'}"
    preposition = "to" if op == "added" else "from"
    return f"{keyword} value {value(member)} {op} {preposition} {subject(label)}"


def member(op: str, keyword: str, inner: Label) -> str:
    if keyword == "properties":
        return f"{subject(inner)} {op}"
    if keyword == "patternProperties":
        return f"properties of {subject(inner[:-1])} matching {value(inner[-1][1])} {op}"
    return f"{keyword} {value(inner[-1][1])} of {subject(inner[:-1])} {op}"


def branch(op: str, keyword: str, inner: Label) -> str:
    place = "item" if keyword in ("items", "prefixItems") else f"{keyword} branch"
    return f"{place} {inner[-1][1]} of {subject(inner[:-1])} {op}"


def whole_schema(label: Label) -> str:
    return f"the schema of {subject(label)} changed"


def dependency(op: str, label: Label, name: str) -> str:
    return f"dependency of {subject(label)} on property '{name}' {op}"


def definition(op: str, label: Label) -> str:
    return f"{subject(label)} {op} (no part of the contract refers to it)"

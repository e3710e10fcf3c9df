"""GetDiscoveredSchema: a contract inferred from sample events, shaped as EventBridge's schema discovery does.

genson infers the JSON Schema of the samples (union of properties, `required` = the keys present in every
object seen at that place, integer widened to number when a float appears); this module reshapes that into
the EventBridge layout (as AWS's documented discovery output of a Step Functions event shows):

- OpenAPI 3.0.0, `info` {version "1.0.0", title = the detail schema's name}, `paths: {}`.
- `components.schemas.AWSEvent`: the envelope, `x-amazon-events-detail-type` and `x-amazon-events-source`
  taken from the first event, `properties.detail.$ref` to a component named after the detail-type in
  CamelCase ("Step Functions Execution Status Change" → `StepFunctionsExecutionStatusChange`).
- Every object with properties below the detail is a component named after its property in CamelCase
  (array items: the property's name + "Item"). Two different shapes under one name get the parent's name
  as a prefix, then a number; the same shape under the same name is one component.
- Integers are `integer` with `format: int32`, or `int64` once a value leaves the 32-bit range (none when
  one leaves the 64-bit range); other numbers `number`/`double`; the envelope's `time` is `date-time`
  when every sample's is one; an array is typed by its items (`items: {}` when every sample was empty,
  except the envelope's `resources`, which EventBridge guarantees to be strings).
- A value only ever seen as null is `{}` (anything); null beside one type makes it `nullable`.
- Conflicting types widen to `anyOf` of one schema per type (`nullable` beside it when null was seen):
  OpenAPI 3.0 has no type lists, and `oneOf` would refuse values that fit two branches (an integer is
  also a number). In Draft 4 the same `anyOf` appears, and `nullable` becomes `type: [T, "null"]`.
- Events that are not EventBridge events (no string `detail-type`) describe themselves: one component
  named `Event`, its objects inline (as AWS answers for such events), so the registry can still tell which
  schema is the event.

`JSONSchemaDraft4` is the OpenAPI result in ExportSchema's layout (`export.openapi_to_draft4`).
Values nested deeper than `INLINE_LEVELS` below their component, or events nested deeper than the
registry validates (`EVENT_MAX_DEPTH`), keep contracts within the registry's nesting limit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from genson import SchemaBuilder  # type: ignore[import-untyped, unused-ignore]
from genson.schema.strategies import Number  # type: ignore[import-untyped, unused-ignore]
from jsonschema import Draft4Validator  # type: ignore[import-untyped, unused-ignore]

from registry.domain.errors import InvalidInput, JsonTooDeep, MalformedJson, UnsupportedContractType
from registry.domain.formats.contract import ContractType
from registry.domain.formats.document import first_too_deep
from registry.domain.formats.events import EVENT_MAX_DEPTH
from registry.domain.formats.export import openapi_to_draft4
from registry.domain.formats.openapi import AWS_ENVELOPE, DETAIL_TYPE_MARKER, SOURCE_MARKER
from registry.domain.json_input import parse_json

MAX_EVENTS = 10
MAX_EVENT_CHARS = 100_000
INLINE_LEVELS = 10
"""Inline schema levels (arrays, and objects of non-EventBridge events) below a component; deeper values
are `{}`. Each level costs up to five nesting levels of the Draft 4 form, which must stay within 64."""

PLAIN_ROOT = "Event"
# the order of AWS's own discovered envelopes, so a discovered envelope reads like one
ENVELOPE_ORDER = (
    "detail-type",
    "resources",
    "detail",
    "id",
    "source",
    "time",
    "region",
    "version",
    "account",
)
INT32 = range(-(2**31), 2**31)
INT64 = range(-(2**63), 2**63)
_WORDS = re.compile(r"[A-Za-z0-9]+")


def discover_contract(events: list[str], type_: str) -> dict[str, Any]:
    """The contract EventBridge's GetDiscoveredSchema would infer from `events` (1 to 10 JSON strings)."""
    contract_type = _contract_type(type_)
    samples = _read_events(events)
    document = _openapi_document(samples)
    if contract_type is ContractType.OPENAPI3:
        return document
    return openapi_to_draft4(document, next(iter(document["components"]["schemas"])))


# --- input --------------------------------------------------------------------------------------------------


def _contract_type(type_: str) -> ContractType:
    try:
        return ContractType(type_)
    except ValueError:
        accepted = " or ".join(repr(member.value) for member in ContractType)
        raise UnsupportedContractType(f"type {type_!r} is not supported; use {accepted}") from None


def _read_events(events: list[str]) -> list[dict[str, Any]]:
    if not isinstance(events, list) or not events:
        raise InvalidInput("Events must be a list of 1 to 10 sample events (JSON strings)")
    if len(events) > MAX_EVENTS:
        raise InvalidInput(
            f"Events holds {len(events)} sample events; at most {MAX_EVENTS} are accepted",
            details={"count": len(events), "limit": MAX_EVENTS},
        )
    return [_read_event(index, text) for index, text in enumerate(events)]


def _read_event(index: int, text: Any) -> dict[str, Any]:
    details = {"event": index}
    if not isinstance(text, str):
        raise InvalidInput(f"event {index} must be a string holding a JSON object", details=details)
    if len(text) > MAX_EVENT_CHARS:
        raise InvalidInput(
            f"event {index} is {len(text)} characters long; at most {MAX_EVENT_CHARS} are accepted",
            details={**details, "limit": MAX_EVENT_CHARS},
        )
    try:
        event = parse_json(text, where=f"event {index}")
    except MalformedJson as exc:  # not JSON, or NaN or Infinity
        raise MalformedJson(f"event {index} is not JSON: {exc.message}", details=details) from exc
    except JsonTooDeep as exc:
        raise InvalidInput(_too_deep(index), details=details) from exc
    if not isinstance(event, dict):
        raise InvalidInput(f"event {index} must be a JSON object, not {_kind(event)}", details=details)
    try:
        json.dumps(event, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate ("\\ud800"): no contract could name it
        raise InvalidInput(f"event {index} holds text that is not Unicode: {exc}", details=details) from exc
    if first_too_deep(event, EVENT_MAX_DEPTH) is not None:
        raise InvalidInput(_too_deep(index), details=details)
    return event


def _too_deep(index: int) -> str:
    return f"event {index} nests deeper than {EVENT_MAX_DEPTH} levels, more than an event may have"


def _kind(value: Any) -> str:
    kinds = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else kinds.get(type(value), type(value).__name__)


# --- inference ----------------------------------------------------------------------------------------------


class _SizedNumber(Number):  # type: ignore[misc]
    """genson's number strategy, also remembering whether integers fit 32 or 64 bits (`format`)."""

    def __init__(self, node_class: Any) -> None:
        super().__init__(node_class)
        self._width = 32

    def add_object(self, obj: Any) -> None:
        super().add_object(obj)
        if isinstance(obj, int) and obj not in INT32:
            self._width = max(self._width, 64 if obj in INT64 else 128)

    def to_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = super().to_schema()
        if schema["type"] == "number":
            schema["format"] = "double"
        elif self._width <= 64:
            schema["format"] = f"int{self._width}"
        return schema


class _Builder(SchemaBuilder):  # type: ignore[misc]
    EXTRA_STRATEGIES = (_SizedNumber,)


def _inferred(samples: list[dict[str, Any]]) -> dict[str, Any]:
    builder = _Builder(schema_uri=None)
    for sample in samples:
        builder.add_object(sample)
    schema: dict[str, Any] = builder.to_schema()
    return schema


# --- the EventBridge layout ---------------------------------------------------------------------------------


def _openapi_document(samples: list[dict[str, Any]]) -> dict[str, Any]:
    inferred = _inferred(samples)
    detail_type = _envelope_value(samples, "detail-type")
    if detail_type is None:
        shaper = _Shaper(inline_objects=True)
        shaper.component(PLAIN_ROOT, inferred, parent="", exact=True)
        return _document(PLAIN_ROOT, shaper.ordered(PLAIN_ROOT))
    detail_name = _camel(detail_type) or "Detail"
    if detail_name == AWS_ENVELOPE:
        detail_name += "Detail"
    shaper = _Shaper(inline_objects=False, reserved={AWS_ENVELOPE, detail_name})
    properties = inferred.get("properties", {})
    shaped = {
        name: shaper.schema(
            sub, detail_name if name == "detail" else name, AWS_ENVELOPE, exact=name == "detail"
        )
        for name, sub in sorted(properties.items(), key=lambda item: (item[0] != "detail", item[0]))
    }
    _envelope_formats(shaped, samples)
    envelope: dict[str, Any] = {"type": "object"}
    required = set(inferred.get("required", ()))
    if required:
        envelope["required"] = [key for key in ENVELOPE_ORDER if key in required] + sorted(
            required - set(ENVELOPE_ORDER)
        )
    envelope[DETAIL_TYPE_MARKER] = detail_type
    source = _envelope_value(samples, "source")
    if source is not None:
        envelope[SOURCE_MARKER] = source
    envelope["properties"] = shaped
    shaper.components[AWS_ENVELOPE] = envelope
    return _document(detail_name, shaper.ordered(AWS_ENVELOPE))


def _document(title: str, schemas: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": "3.0.0",
        "info": {"version": "1.0.0", "title": title},
        "paths": {},
        "components": {"schemas": schemas},
    }


def _envelope_value(samples: list[dict[str, Any]], key: str) -> str | None:
    """The first event's value, when every event has a string there (else they are not EventBridge's)."""
    values = [sample.get(key) for sample in samples]
    return values[0] if all(isinstance(value, str) for value in values) else None


def _envelope_formats(properties: dict[str, Any], samples: list[dict[str, Any]]) -> None:
    """What EventBridge guarantees of its envelope, where the samples agree: `time` is a date-time,
    `resources` are strings (ARNs) even when every sample's list was empty."""
    times = [sample.get("time") for sample in samples]
    if properties.get("time") == {"type": "string"} and all(
        Draft4Validator.FORMAT_CHECKER.conforms(time, "date-time") for time in times
    ):
        properties["time"] = {"type": "string", "format": "date-time"}
    if properties.get("resources") == {"type": "array", "items": {}}:
        properties["resources"] = {"type": "array", "items": {"type": "string"}}


def _camel(text: str) -> str:
    """AWS's CamelCase of a name: the ASCII words, each capitalised ("EC2 Instance State-change" → …)."""
    return "".join(word[0].upper() + word[1:] for word in _WORDS.findall(text))


@dataclass
class _Shaper:
    """Turns genson's schemas into OpenAPI 3.0 schema objects, collecting the components."""

    inline_objects: bool
    reserved: set[str] = field(default_factory=set)
    components: dict[str, dict[str, Any]] = field(default_factory=dict)
    named: dict[tuple[str, str], str] = field(default_factory=dict)  # (base name, shape) → component
    numbered: dict[str, int] = field(default_factory=dict)  # base name → last number appended to it

    def schema(
        self, inferred: dict[str, Any], hint: str, parent: str, *, exact: bool = False, level: int = 0
    ) -> dict[str, Any]:
        """The OpenAPI schema of what genson inferred at one place; `hint` names the components it makes,
        `parent` their fallback prefix, `exact` makes an object the component named `hint` itself."""
        if level > INLINE_LEVELS:
            return {}
        branches = _branches(inferred)
        if not branches or any(branch == {} for branch in branches):
            return {}
        typed = [branch for branch in branches if branch.get("type") != "null"]
        if not typed:
            return {}  # only ever null: AWS writes `{}`
        shaped = [self._typed(branch, hint, parent, exact, level) for branch in typed]
        result = shaped[0] if len(shaped) == 1 else {"anyOf": shaped}
        if len(typed) == len(branches):
            return result
        if "$ref" in result:
            return {"allOf": [result], "nullable": True}
        return {**result, "nullable": True}

    def _typed(
        self, inferred: dict[str, Any], hint: str, parent: str, exact: bool, level: int
    ) -> dict[str, Any]:
        kind = inferred["type"]
        if kind == "array":
            items = self.schema(inferred.get("items", {}), _camel(hint) + "Item", parent, level=level + 1)
            return {"type": "array", "items": items}
        if kind != "object":
            return dict(inferred)
        if not exact and (self.inline_objects or not inferred.get("properties")):
            return self._object(inferred, parent, level + 1)
        return {"$ref": f"#/components/schemas/{self.component(hint, inferred, parent, exact)}"}

    def component(self, hint: str, inferred: dict[str, Any], parent: str, exact: bool = False) -> str:
        """Register the object schema under a name derived from `hint`, or `hint` itself when `exact`."""
        base = hint if exact else _camel(hint) or "Value"
        schema = self._object(inferred, base, 0)
        if exact:
            self.components[base] = schema
            return base
        shape = (base, json.dumps(schema, sort_keys=True))
        if shape not in self.named:
            self.named[shape] = self._free_name(base, _camel(parent))
            self.components[self.named[shape]] = schema
        return self.named[shape]

    def _free_name(self, base: str, parent: str) -> str:
        """`base`, else `<parent><base>`, else `<base><n>`: a different shape under a name already taken."""
        for name in (base, parent + base):
            if name not in self.reserved and name not in self.components:
                return name
        number = self.numbered.get(base, 1)
        while True:
            number += 1
            name = f"{base}{number}"
            if name not in self.reserved and name not in self.components:
                self.numbered[base] = number
                return name

    def _object(self, inferred: dict[str, Any], name: str, level: int) -> dict[str, Any]:
        properties = inferred.get("properties", {})
        shaped: dict[str, Any] = {"type": "object"}
        if inferred.get("required"):
            shaped["required"] = list(inferred["required"])
        if properties:
            shaped["properties"] = {
                key: self.schema(sub, key, name, level=level) for key, sub in sorted(properties.items())
            }
        return shaped

    def ordered(self, root: str) -> dict[str, Any]:
        """The components from the root down, in the order their references are first met."""
        order = [root]
        for name in order:
            for ref in _refs(self.components[name]):
                if ref not in order:
                    order.append(ref)
        return {name: self.components[name] for name in order}


def _branches(inferred: dict[str, Any]) -> list[dict[str, Any]]:
    """genson's schema as one schema per JSON type: it writes unions as `anyOf` or as a `type` list."""
    if "anyOf" in inferred:
        return [branch for sub in inferred["anyOf"] for branch in _branches(sub)]
    kinds = inferred.get("type")
    if isinstance(kinds, list):
        return [{**inferred, "type": kind} for kind in kinds]
    return [inferred] if inferred else [{}]


def _refs(schema: Any) -> list[str]:
    found: list[str] = []
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                found.append(ref.rsplit("/", 1)[-1])
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return found

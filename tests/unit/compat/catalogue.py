"""Small producer/consumer pairs, named, per rule: the catalogue the rule tests run over.

Each pair says whether the consumer can read the producer (`compatible`); for the others, the rule must be
reported, with a verified witness unless `proven` is False. Schemas without `$schema` are Draft 4.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DRAFT7 = "http://json-schema.org/draft-07/schema#"
DRAFT2020 = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True)
class Pair:
    name: str
    producer: Any
    consumer: Any
    compatible: bool
    proven: bool = True  # for an incompatible pair: a verified witness is expected


def ok(name: str, producer: Any, consumer: Any) -> Pair:
    return Pair(name, producer, consumer, True)


def breaks(name: str, producer: Any, consumer: Any, proven: bool = True) -> Pair:
    return Pair(name, producer, consumer, False, proven)


def pattern(regex: str) -> dict[str, Any]:
    return {"type": "string", "pattern": regex}


def obj(properties: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, **more}


CATALOGUE: dict[str, list[Pair]] = {
    "type_narrowed": [
        ok("integer within number", {"type": "integer"}, {"type": "number"}),
        ok("type list widened", {"type": "string"}, {"type": ["string", "null"]}),
        breaks("number to integer", {"type": "number"}, {"type": "integer"}),
        breaks("null dropped", {"type": ["string", "null"]}, {"type": "string"}),
        breaks(
            "nested property type changed", obj({"a": {"type": "string"}}), obj({"a": {"type": "integer"}})
        ),
    ],
    "enum_narrowed": [
        ok("enum extended", {"enum": ["a", "b"]}, {"enum": ["a", "b", "c"]}),
        ok("enum into its type", {"enum": [1, 2]}, {"type": "integer"}),
        breaks("enum value removed", {"enum": ["a", "b", "c"]}, {"enum": ["a", "b"]}),
        breaks("string to enum", {"type": "string"}, {"enum": ["a"]}),
        breaks("const changed (Draft 7)", {"$schema": DRAFT7, "const": 1}, {"$schema": DRAFT7, "const": 2}),
    ],
    "minimum_raised": [
        ok("minimum lowered", {"type": "number", "minimum": 5}, {"type": "number", "minimum": 1}),
        ok(
            "Draft 4 exclusive within inclusive",
            {"type": "number", "minimum": 5, "exclusiveMinimum": True},
            {"type": "number", "minimum": 5},
        ),
        ok(
            "integers above 4.5 start at 5",
            {"type": "integer", "minimum": 4.5},
            {"type": "integer", "minimum": 5},
        ),
        breaks("minimum raised", {"type": "number", "minimum": 1}, {"type": "number", "minimum": 5}),
        breaks(
            "inclusive to Draft 4 exclusive",
            {"type": "number", "minimum": 5},
            {"type": "number", "minimum": 5, "exclusiveMinimum": True},
        ),
        breaks(
            "Draft 7 numeric exclusive",
            {"$schema": DRAFT7, "type": "number", "minimum": 0},
            {"$schema": DRAFT7, "type": "number", "exclusiveMinimum": 0},
        ),
        breaks("unbounded producer", {"type": "integer"}, {"type": "integer", "minimum": 0}),
    ],
    "maximum_lowered": [
        ok("maximum raised", {"type": "integer", "maximum": 5}, {"type": "integer", "maximum": 9}),
        breaks("maximum lowered", {"type": "integer", "maximum": 9}, {"type": "integer", "maximum": 5}),
        breaks(
            "Draft 7 exclusive maximum",
            {"$schema": DRAFT7, "type": "number", "maximum": 5},
            {"$schema": DRAFT7, "type": "number", "exclusiveMaximum": 5},
        ),
    ],
    "multiple_of_changed": [
        ok(
            "multiple of a multiple",
            {"type": "integer", "multipleOf": 6},
            {"type": "integer", "multipleOf": 3},
        ),
        ok("same step", {"type": "number", "multipleOf": 0.5}, {"type": "number", "multipleOf": 0.5}),
        breaks("step added", {"type": "integer"}, {"type": "integer", "multipleOf": 2}),
        breaks(
            "step not dividing", {"type": "integer", "multipleOf": 3}, {"type": "integer", "multipleOf": 2}
        ),
        # jsonschema divides by a float step in floating point: 2**60 + 1 passes 3.0, not 3
        breaks("float step to integer step", {"multipleOf": 3.0}, {"multipleOf": 3}),
        # and 3 * (2**53 // 3 + 1) fails 3.0: floats skip integers there
        breaks("integer step to float step", {"multipleOf": 3}, {"multipleOf": 3.0}),
        ok("integer step to a small float step", {"multipleOf": 6}, {"multipleOf": 1.5}),
    ],
    "min_length_raised": [
        ok("shorter minimum", {"type": "string", "minLength": 3}, {"type": "string", "minLength": 1}),
        ok(
            "a pattern's shortest match",
            {"type": "string", "pattern": "^a{3}"},
            {"type": "string", "minLength": 3},
        ),
        breaks("longer minimum", {"type": "string", "minLength": 1}, {"type": "string", "minLength": 3}),
    ],
    "max_length_lowered": [
        ok("longer maximum", {"type": "string", "maxLength": 3}, {"type": "string", "maxLength": 10}),
        breaks("shorter maximum", {"type": "string", "maxLength": 10}, {"type": "string", "maxLength": 3}),
        breaks("maximum added", {"type": "string"}, {"type": "string", "maxLength": 3}),
    ],
    "pattern_changed": [
        ok(
            "same pattern",
            {"type": "string", "pattern": "^[a-z]+$"},
            {"type": "string", "pattern": "^[a-z]+$"},
        ),
        ok(
            "same regular expression",
            {"type": "string", "pattern": "a.+"},
            {"type": "string", "pattern": "a.{1,}"},
        ),
        ok("pattern dropped", {"type": "string", "pattern": "^a"}, {"type": "string"}),
        breaks("pattern added", {"type": "string"}, {"type": "string", "pattern": "^[0-9]+$"}),
        breaks(
            "`.` misses line breaks", {"type": "string", "minLength": 1}, {"type": "string", "pattern": ".+"}
        ),
        # regular-expression inclusion (regex_inclusion.py): equivalent, wider and narrower patterns
        ok("equivalent but different patterns", {"type": "string", "pattern": "^[ab]$"}, pattern("^(a|b)$")),
        ok("a character class widened", pattern("^[a-z0-9-]+$"), pattern("^[a-z0-9-_]+$")),
        ok("an alternative added", pattern(r"\S/\S"), pattern(r"\S/\S|\$(\S+)")),
        ok("line breaks allowed", pattern(r"^\$\{\{.*\}\}$"), pattern("^\\$\\{\\{(.|[\r\n])*\\}\\}$")),
        ok(
            "the producer's length implies the match",
            {"type": "string", "minLength": 2},
            pattern("..|[\n\r\u2028\u2029]"),
        ),
        breaks("a character class narrowed", pattern("^[a-z.,]+$"), pattern("^[a-z]+$")),
        breaks("an anchor added", pattern("a"), pattern("^a")),
        breaks("one or more, not none", pattern("^a*$"), pattern("^a+$")),
        # a back-reference is beyond the automaton: not compared, unproven
        breaks("equal under a back-reference", pattern(r"^(a)\1$"), pattern("^aa$"), proven=False),
    ],
    "min_items_raised": [
        ok("fewer items needed", {"type": "array", "minItems": 2}, {"type": "array", "minItems": 1}),
        breaks("more items needed", {"type": "array", "minItems": 1}, {"type": "array", "minItems": 2}),
    ],
    "max_items_lowered": [
        ok("more items allowed", {"type": "array", "maxItems": 2}, {"type": "array", "maxItems": 5}),
        breaks("fewer items allowed", {"type": "array", "maxItems": 5}, {"type": "array", "maxItems": 2}),
        breaks(
            "tuple closed",
            {"type": "array", "items": [{"type": "string"}]},
            {"type": "array", "items": [{"type": "string"}], "additionalItems": False},
        ),
    ],
    "unique_items_added": [
        ok("at most one item", {"type": "array", "maxItems": 1}, {"type": "array", "uniqueItems": True}),
        breaks("distinct items required", {"type": "array"}, {"type": "array", "uniqueItems": True}),
    ],
    "required_added": [
        ok("required removed", obj({"a": {}}, required=["a"]), obj({"a": {}})),
        breaks(
            "required added", obj({"a": {"type": "string"}}), obj({"a": {"type": "string"}}, required=["a"])
        ),
        breaks("required swapped", obj({}, required=["foo"]), obj({}, required=["bar"])),
        # if/then/else is "(if and then) or (not if and else)": compared as such, with a witness
        breaks(
            "required under a condition (if/then)",
            {"$schema": DRAFT7, "type": "object"},
            {"$schema": DRAFT7, "if": {"required": ["a"]}, "then": {"required": ["b"]}},
        ),
        ok(
            "the producer meets the condition's requirement",
            {"$schema": DRAFT7, "type": "object", "required": ["a", "b"]},
            {"$schema": DRAFT7, "if": {"required": ["a"]}, "then": {"required": ["b"]}},
        ),
        ok(
            "the producer never meets the condition",
            {"$schema": DRAFT7, "type": "object", "properties": {"a": False}},
            {"$schema": DRAFT7, "if": {"required": ["a"]}, "then": {"required": ["b"]}, "else": {}},
        ),
    ],
    "property_added_to_open_model": [
        ok(
            "closed producer gains nothing",
            obj({"a": {"type": "string"}}, additionalProperties=False),
            obj({"a": {"type": "string"}, "b": {"type": "integer"}}),
        ),
        ok("untyped property", obj({"a": {"type": "string"}}), obj({"a": {"type": "string"}, "b": {}})),
        breaks(
            "typed property added", obj({"a": {"type": "string"}}), obj({"a": {}, "b": {"type": "integer"}})
        ),
    ],
    "property_removed_from_closed_model": [
        ok(
            "property added to a closed model",
            obj({"a": {}}, additionalProperties=False),
            obj({"a": {}, "b": {}}, additionalProperties=False),
        ),
        breaks(
            "property removed from a closed model",
            obj({"a": {}, "b": {}}, additionalProperties=False),
            obj({"a": {}}, additionalProperties=False),
        ),
    ],
    "additional_properties_narrowed": [
        ok("map values widened", obj({}, additionalProperties={"type": "integer"}), obj({})),
        breaks("open to closed", obj({"a": {}}), obj({"a": {}}, additionalProperties=False)),
        breaks(
            "map values narrowed",
            obj({}, additionalProperties={"type": "number"}),
            obj({}, additionalProperties={"type": "integer"}),
        ),
        breaks(
            "closed by unevaluatedProperties",
            {"$schema": DRAFT2020, "type": "object"},
            {"$schema": DRAFT2020, "type": "object", "unevaluatedProperties": False},
        ),
        ok(
            "unevaluatedProperties over the names of an allOf",
            {"$schema": DRAFT2020, **obj({"a": {}}, additionalProperties=False)},
            {"$schema": DRAFT2020, "allOf": [obj({"a": {}})], "unevaluatedProperties": False},
        ),
    ],
    "pattern_properties_changed": [
        ok(
            "same patterns, wider values",
            obj({}, patternProperties={"^x-": {"type": "integer"}}),
            obj({}, patternProperties={"^x-": {"type": "number"}}),
        ),
        breaks(
            "pattern values typed",
            obj({}, patternProperties={"^x-": {}}),
            obj({}, patternProperties={"^y-": {"type": "integer"}}),
        ),
    ],
    "min_properties_raised": [
        ok("required properties count", obj({}, required=["a", "b"]), {"type": "object", "minProperties": 2}),
        breaks("more properties needed", {"type": "object"}, {"type": "object", "minProperties": 1}),
    ],
    "max_properties_lowered": [
        ok(
            "closed model is small enough",
            obj({"a": {}}, additionalProperties=False),
            {"type": "object", "maxProperties": 1},
        ),
        breaks("fewer properties allowed", {"type": "object"}, {"type": "object", "maxProperties": 1}),
    ],
    "dependency_added": [
        ok(
            "dependency already there",
            {"type": "object", "dependencies": {"a": ["b"]}},
            {"type": "object", "dependencies": {"a": ["b"]}},
        ),
        ok("dependency on a required property", obj({}, required=["b"]), {"dependencies": {"a": ["b"]}}),
        ok(
            "schema dependency removed",
            {"$schema": DRAFT2020, "dependentSchemas": {"a": {"required": ["b"]}, "c": {"required": ["d"]}}},
            {"$schema": DRAFT2020, "dependentSchemas": {"a": {"required": ["b"]}}},
        ),
        breaks("dependency added", {"type": "object"}, {"type": "object", "dependencies": {"a": ["b"]}}),
        breaks(
            "schema dependency added",
            {"$schema": DRAFT2020, "type": "object"},
            {"$schema": DRAFT2020, "dependentSchemas": {"a": {"required": ["b"]}}},
        ),
    ],
    "negation_overlap": [
        ok("disjoint types", {"type": "string"}, {"not": {"type": "number"}}),
        ok("disjoint ranges", {"type": "integer", "maximum": 3}, {"not": {"type": "integer", "minimum": 5}}),
        ok(
            "oneOf branches told apart by a tag",
            obj({"kind": {"enum": ["a"]}}, required=["kind"]),
            {
                "oneOf": [
                    obj({"kind": {"enum": ["a"]}}, required=["kind"]),
                    obj({"kind": {"enum": ["b"]}}, required=["kind"]),
                ]
            },
        ),
        ok(
            "oneOf branches that only type the tag the producer requires",
            obj({"kind": {"enum": ["a"]}}, required=["kind"]),
            {"oneOf": [obj({"kind": {"enum": ["a"]}}), obj({"kind": {"enum": ["b"]}})]},
        ),
        breaks(
            "a producer without the tag matches every branch",
            obj({"kind": {"enum": ["a"]}}),
            {"oneOf": [obj({"kind": {"enum": ["a"]}}), obj({"kind": {"enum": ["b"]}})]},
        ),
        breaks("forbidden value", {"type": "string"}, {"not": {"enum": ["x"]}}),
        breaks(
            "oneOf branches overlap", {"type": "integer"}, {"oneOf": [{"type": "integer"}, {"minimum": 0}]}
        ),
    ],
    "unsupported_keyword": [
        ok(
            "same contains on both sides",
            {"$schema": DRAFT7, "type": "array", "contains": {"type": "integer"}},
            {"$schema": DRAFT7, "type": "array", "contains": {"type": "integer"}},
        ),
        ok(
            "keyword for another type",
            {"$schema": DRAFT7, "type": "string"},
            {"$schema": DRAFT7, "propertyNames": {"maxLength": 3}},
        ),
        ok(
            "contains with a wider count range",
            {"$schema": DRAFT2020, "type": "array", "contains": {"type": "integer"}, "minContains": 2},
            {"$schema": DRAFT2020, "type": "array", "contains": {"type": "integer"}},
        ),
        ok(
            "property names checked by a pattern every name matches",
            {"$schema": DRAFT7, "type": "object"},
            {"$schema": DRAFT7, "propertyNames": {"pattern": "a*"}},
        ),
        breaks(
            "contains count raised",
            {"$schema": DRAFT2020, "type": "array", "contains": {"type": "integer"}},
            {"$schema": DRAFT2020, "type": "array", "contains": {"type": "integer"}, "minContains": 2},
        ),
        breaks(
            "contains added",
            {"$schema": DRAFT7, "type": "array"},
            {"$schema": DRAFT7, "type": "array", "contains": {"type": "integer"}},
        ),
        breaks(
            "unevaluatedProperties whose names depend on an anyOf branch",
            {"$schema": DRAFT2020, "type": "object"},
            {
                "$schema": DRAFT2020,
                "type": "object",
                "anyOf": [{"properties": {"a": {}}}, {"required": ["b"]}],
                "unevaluatedProperties": False,
            },
        ),
    ],
}

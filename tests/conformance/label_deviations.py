"""Confluent and Karapace labels that depart from the semantics (set inclusion, STRICT), each explained.

Their labels come from structural diffs and registry behaviour, not from set inclusion; where the checker
answers otherwise, the pair is listed here with the reason (issue 3). Keys are record ids of cases.jsonl, or
id prefixes ending in "#" for a whole upstream test.
"""

from __future__ import annotations

_TRUE_READER = (
    "Karapace labels a `true` reader against a writer that is not an object schema incompatible (registry "
    "behaviour); `true` accepts every event"
)
_EMPTY_WRITER = (
    "Karapace labels pairs with a writer that accepts nothing (`false`, `not: {}`, `not: true`) "
    "incompatible; a writer without events is read by any reader"
)
_REQUIRED_SWAPPED = (
    '`required: [foo]` to `[bar]` is labelled compatible; `{"foo": ""}` lacks bar (corpus README)'
)
K1 = "karapace/test_jsonschema_compatibility.py#test_"
K2 = "karapace/test_jsonschema.py#test_schemaregistry_"
C1 = "confluent/SchemaDiffTest.java#test"
_ADDITIONAL_ITEMS = (
    "`additionalItems` without a tuple `items` constrains nothing, so both schemas accept everything; "
    "Confluent's diff reports the keyword change"
)

LABEL_DEVIATIONS: dict[str, str] = {
    K1 + "true_schema_is_compatible_with_object#": _TRUE_READER,
    K2 + "true_schema_is_compatible_with_object#": _TRUE_READER,
    K1 + "true_and_false_schemas#": _EMPTY_WRITER,
    K2 + "true_and_false_schemas#": _EMPTY_WRITER,
    K1 + "extra_field_with_closed_model_is_incompatible#1": _EMPTY_WRITER,
    K2 + "schemaregistry_extra_field_with_closed_model_is_incompatible#1": (_EMPTY_WRITER),
    K1 + "boolean_schemas_are_backward_compatible#1": (
        "`true` to `false` is labelled compatible; every event is a counterexample"
    ),
    K2 + "boolean_schemas_are_backward_compatible#2": (
        "`true` to `false` is labelled compatible; every event is a counterexample"
    ),
    K1 + "array_and_tuples_are_incompatible#1": (
        "an array of integers to an open tuple of one integer: every array of integers passes the tuple"
    ),
    K2 + "array_and_tuples_are_incompatible#1": (
        "an array of integers to an open tuple of one integer: every array of integers passes the tuple"
    ),
    K1 + "schema_restrict_attributes_is_incompatible#5": (
        'the added `pattern: "a*"` is unanchored and matches every string (corpus README)'
    ),
    K2 + "schema_restrict_attributes_is_incompatible#5": (
        'the added `pattern: "a*"` is unanchored and matches every string (corpus README)'
    ),
    K1 + "pattern_properties#5": (
        "the reader's only addition is `patternProperties` with the schema `{}`, which accepts any value"
    ),
    K1 + "object_properties#1": (
        "the reader declares property `a` with the schema `{}`, which accepts any value"
    ),
    K2 + "object_properties#1": (
        "the reader declares property `a` with the schema `{}`, which accepts any value"
    ),
    K1 + "property_names#2": (
        "the reader declares property `a` with the schema `{}`; the writer's `propertyNames` pattern `a*` "
        "matches every name"
    ),
    K2 + "property_names#2": (
        "the reader declares property `a` with the schema `{}`; the writer's `propertyNames` pattern `a*` "
        "matches every name"
    ),
    "confluent/diff-schema-examples.json#55": _REQUIRED_SWAPPED,
    "confluent/diff-schema-examples-2020-12.json#57": _REQUIRED_SWAPPED,
    "confluent/diff-schema-examples.json#87": _ADDITIONAL_ITEMS,
    "confluent/diff-schema-examples.json#88": _ADDITIONAL_ITEMS,
    "confluent/JsonSchemaTest.java#testStrictVsLenientAddRequiredWithDefaultToClosedModel": (
        "a required property with a `default` is counted compatible; earlier events lack it (corpus README)"
    ),
    C1 + "SchemaAddsProperties": ('`{}` to `{"properties": {}}`: both accept everything (corpus README)'),
    C1 + "ConnectTypeAsBytes": (
        "Confluent special-cases Kafka Connect types (string to number is labelled compatible); a string is "
        "a counterexample"
    ),
    C1 + "RecursiveOneOfUnionDetectsIncompatibleChange": (
        "the old `product` is a `oneOf` of twelve identical branches, which no value satisfies: old events "
        "never carry `product`, so changing `Asset.id` cannot break them"
    ),
}

CHECKER_GAPS: dict[str, str] = {
    "confluent/diff-schema-examples-2020-12.json#68": "`unevaluatedItems` in the reader is not compared",
    "confluent/diff-schema-examples-2020-12.json#72": "`unevaluatedItems` in the reader is not compared",
    "confluent/diff-schema-examples-2020-12.json#74": "`unevaluatedItems` in the reader is not compared",
}
"""Pairs labelled compatible that the checker answers conservatively (incompatible, unproven)."""


def explanation(record_id: str, table: dict[str, str]) -> str | None:
    if record_id in table:
        return table[record_id]
    prefixes = [key for key in table if key.endswith("#") and record_id.startswith(key)]
    return table[prefixes[0]] if prefixes else None

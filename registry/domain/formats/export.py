"""ExportSchema: a contract as one JSON Schema Draft 4 document, in the layout AWS's ExportSchema returns.

The layout (aws-cli `export-schemas.rst`): the event root schema is the document itself, every other entry
of `components.schemas` sits under `definitions`, `$ref`s point there (`#/components/schemas/X` becomes
`#/definitions/X`, and the root becomes `#`), `x-amazon-events-*` stay at the root, and `$schema` and
`title` (the document's `info.title`) are added. The event's description moves to the root as well (see
`_described`). A JSON Schema contract is exported as it is stored.

OpenAPI 3.0 schema objects are a Draft 4 dialect: only `nullable` changes what is valid, and it becomes
`type: [T, "null"]` where that is exactly equivalent (a single `type`, nothing that would refuse null: no
`enum`, `$ref` or combinator), otherwise `anyOf: [<schema>, {"type": "null"}]`, the union that
`oas30.translate_schema` builds for validation, so an export accepts exactly the events the registry accepts.
The OpenAPI-only annotations (`discriminator`, `example`, `xml`, `externalDocs`, `readOnly`, `writeOnly`,
`deprecated`) are dropped. `translate_schemas` itself is not called: the export must know where each
schema lands to rewrite references into schemas below a component, and it writes the type-list form.

OpenAPI 3.1 schema objects are JSON Schema 2020-12. Converted: boolean schemas, `const`, numeric
`exclusiveMinimum`/`exclusiveMaximum`, `prefixItems` (+ `items`), `contains`, `if`/`then`/`else`,
`dependentRequired`/`dependentSchemas`, `$ref` beside other keywords (wrapped in `allOf`: Draft 4 ignores a
`$ref`'s siblings), empty `enum`/`required`. Dropped, because 2020-12 ignores them while Draft 4 would not:
`id`, `dependencies`, `additionalItems`, `nullable`. Refused (InvalidInput naming the place), because
Draft 4 cannot express them: `unevaluatedProperties`, `unevaluatedItems`, `propertyNames`, `minContains`
(other than 0 or 1), `maxContains`, `$dynamicRef`, `$recursiveRef`, `$id` inside a schema, an array
`items`, and references to anything but a schema the conversion carries (an anchor, a schema inside an
unknown keyword); references to schemas the conversion moves follow them. One known difference remains:
2020-12 counts 1.0 as an integer, Draft 4 does not.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeGuard
from urllib.parse import unquote, urldefrag

from registry.domain.errors import InvalidInput
from registry.domain.formats.contract import Contract, ContractType
from registry.domain.formats.document import MAX_DEPTH, first_too_deep
from registry.domain.formats.oas30 import DROPPED as OAS30_DROPPED
from registry.domain.formats.oas30 import NULL_SCHEMA
from registry.domain.formats.openapi import DRAFT4_URI, spec_version
from registry.domain.formats.openapi_spec import SCHEMAS_POINTER, component_schemas
from registry.domain.formats.pointers import escape, quote_pointer

Path = str  # a JSON pointer

EVENTS_MARKER_PREFIX = "x-amazon-events-"
OPENAPI_ONLY = frozenset({*OAS30_DROPPED, "readOnly", "writeOnly", "deprecated"})
SCHEMA_MAPS = frozenset({"properties", "patternProperties", "definitions", "$defs"})
SCHEMA_VALUES = frozenset({"additionalProperties", "additionalItems", "not", "items"})
SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf"})
REFUSES_NULL = frozenset({"enum", "$ref", "allOf", "anyOf", "oneOf", "not"})
ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$comment"})

# JSON Schema 2020-12 (OpenAPI 3.1) → Draft 4
UNEXPRESSIBLE = frozenset(
    {"unevaluatedProperties", "unevaluatedItems", "propertyNames", "maxContains", "$dynamicRef"}
    | {"$recursiveRef", "$id"}
)
DROPPED_31 = frozenset(
    {"discriminator", "example", "xml", "externalDocs", "readOnly", "writeOnly", "deprecated"}
    | {"$schema", "$comment", "$anchor", "$dynamicAnchor", "$recursiveAnchor", "$vocabulary", "examples"}
    | {"contentMediaType", "contentEncoding", "contentSchema", "nullable", "id", "dependencies"}
    | {"additionalItems", "minContains"}
)
RESTRUCTURED_31 = frozenset(
    {"const", "exclusiveMinimum", "exclusiveMaximum", "prefixItems", "items", "contains"}
    | {"if", "then", "else", "dependentRequired", "dependentSchemas", "enum", "required"}
)


def export_draft4(contract: Contract) -> dict[str, Any]:
    """ExportSchema with `type=JSONSchemaDraft4`. A JSON Schema contract is returned as stored (a copy)."""
    if contract.type is ContractType.JSON_SCHEMA_DRAFT4:
        return copy.deepcopy(contract.content)
    assert contract.event_root is not None  # parse_contract and load_contract set it for OpenAPI
    return openapi_to_draft4(contract.content, contract.event_root)


def openapi_to_draft4(document: dict[str, Any], root: str) -> dict[str, Any]:
    """The Draft 4 form of an OpenAPI contract whose event root is `components.schemas[root]`."""
    schemas = component_schemas(document)
    converter = _Converter(spec_version(document))
    definitions = {
        name: converter.convert(schema, _at("", "components", "schemas", name), _at("", "definitions", name))
        for name, schema in schemas.items()
        if name != root
    }
    event = converter.convert(schemas[root], _at("", "components", "schemas", root), "")
    converter.rewrite_refs()
    envelope = _dict(schemas[root])
    described = _described(document, envelope, definitions.get(_detail_name(envelope), {}))
    result = {"$schema": DRAFT4_URI, **described, **_as_object(event)}
    result.update(
        {key: copy.deepcopy(value) for key, value in envelope.items() if key.startswith(EVENTS_MARKER_PREFIX)}
    )
    if definitions:
        result["definitions"] = _merged_definitions(result.get("definitions"), definitions)
    if first_too_deep(result, MAX_DEPTH) is not None:
        raise InvalidInput(f"the Draft 4 form of this contract nests deeper than {MAX_DEPTH} levels")
    return result


def _described(document: dict[str, Any], envelope: dict[str, Any], detail: Any) -> dict[str, Any]:
    """`title` and `description` for the root: its own, else the document's `info`.

    Failing both, the description of the detail schema moves to the root: the envelope is generic, the
    detail says what the event is, and in this layout the root is the event (as in the example conversion
    `draft4/custom-order-created.json`).
    """
    info = _dict(document.get("info"))
    described: dict[str, Any] = {}
    for key in ("title", "description"):
        value = envelope.get(key, info.get(key))
        if isinstance(value, str):
            described[key] = value
    if (
        "description" not in described
        and isinstance(detail, dict)
        and isinstance(detail.get("description"), str)
    ):
        described["description"] = detail.pop("description")
    return described


def _detail_name(envelope: dict[str, Any]) -> str:
    """The component that `properties.detail` refers to, or "" when it is not a reference to one."""
    detail = _dict(_dict(envelope.get("properties")).get("detail"))
    ref = detail.get("$ref")
    prefix = f"#{SCHEMAS_POINTER}/"
    return ref.removeprefix(prefix) if isinstance(ref, str) and ref.startswith(prefix) else ""


def _as_object(schema: Any) -> dict[str, Any]:
    return schema if isinstance(schema, dict) else ({} if schema else {"not": {}})


def _merged_definitions(own: Any, components: dict[str, Any]) -> dict[str, Any]:
    """The root's own `definitions` (a 3.1 schema may have some) and the components, which must not clash."""
    own = own if isinstance(own, dict) else {}
    clash = sorted(set(own) & set(components))
    if clash:
        raise InvalidInput(
            f"cannot export to Draft 4: the event root's own definitions {clash} clash with components "
            "of the same names, which move to `definitions`",
            details={"pointer": "/definitions"},
        )
    return {**own, **components}


class _Converter:
    """Converts schema objects one by one, remembering where each lands so `$ref`s can follow them."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.placed: dict[str, str] = {}  # JSON pointer in the OpenAPI document → pointer in the export
        self.refs: list[tuple[dict[str, Any], str, str]] = []  # (converted node, its $ref, where written)

    def convert(self, schema: Any, src: Path, dst: Path) -> Any:
        self.placed.setdefault(src, dst)
        if self.version == "3.0":
            return self._oas30(schema, src, dst)
        return self._oas31(schema, src, dst)

    def rewrite_refs(self) -> None:
        for node, ref, written in self.refs:
            url, fragment = urldefrag(ref)
            target = self.placed.get(unquote(fragment)) if not url and fragment.startswith("/") else None
            if target is None:
                raise InvalidInput(
                    f"cannot export to Draft 4: $ref {ref!r} points to a place that has no Draft 4 form "
                    "(only references to schemas that keep their place can follow the conversion)",
                    details={"pointer": f"{written}/$ref"},
                )
            node["$ref"] = "#" + quote_pointer(target)

    # --- OpenAPI 3.0 ----------------------------------------------------------------------------------------

    def _oas30(self, schema: Any, src: Path, dst: Path) -> Any:
        if not isinstance(schema, dict):
            return copy.deepcopy(schema)  # a boolean `additionalProperties`
        union = _nullable_union(schema)
        if union is not None:
            # `allOf: [X]` or `anyOf: [...]` with `nullable: true` (OpenAPI 3.0's idiom for a nullable X):
            # null joins the branches instead of wrapping them in one more `anyOf`
            keyword, branches = union
            converted = [
                self.convert(branch, _at(src, keyword, index), _at(dst, "anyOf", index))
                for index, branch in enumerate(branches)
            ]
            return {"anyOf": [*converted, dict(NULL_SCHEMA)]}
        wrapped = schema.get("nullable") is True and not _null_by_type(schema)
        inner = _at(dst, "anyOf", 0) if wrapped else dst
        out = {
            key: self._child(key, value, src, inner)
            for key, value in schema.items()
            if key not in OPENAPI_ONLY
        }
        self._note_ref(out, src)
        if schema.get("nullable") is not True:
            return out
        if wrapped:
            return {"anyOf": [out, dict(NULL_SCHEMA)]}
        return {**out, "type": [out["type"], "null"]}

    # --- OpenAPI 3.1 (JSON Schema 2020-12) ------------------------------------------------------------------

    def _oas31(self, schema: Any, src: Path, dst: Path) -> Any:
        if isinstance(schema, bool):
            return {} if schema else {"not": {}}
        if not isinstance(schema, dict):
            return copy.deepcopy(schema)
        _refuse_unexpressible(schema, src)
        out: dict[str, Any] = {
            key: self._child(key, value, src, dst)
            for key, value in schema.items()
            if key not in DROPPED_31 and key not in RESTRUCTURED_31
        }
        extra = _Extra(out, dst)
        self._values_31(schema, out, extra)
        self._bounds_31(schema, out)
        self._items_31(schema, src, dst, out, extra)
        self._conditional_31(schema, src, extra)
        self._dependencies_31(schema, src, dst, out)
        if "$ref" in out and (extra.pending or _constraints_beside_ref(out)):
            extra.add(lambda _: {"$ref": out.pop("$ref")})  # Draft 4 ignores the siblings of a $ref
        extra.flush()
        self._note_ref(extra.target_of_ref(), src)
        return out

    def _values_31(self, schema: dict[str, Any], out: dict[str, Any], extra: _Extra) -> None:
        required = schema.get("required")
        if isinstance(required, list) and required:  # Draft 4 requires a non-empty list
            out["required"] = list(required)
        enum = schema.get("enum")
        if isinstance(enum, list):
            if enum:
                out["enum"] = copy.deepcopy(enum)
            else:
                extra.add(lambda _: {"not": {}})  # an empty enum admits nothing
        if "const" in schema:
            if "enum" in out:
                extra.add(lambda _: {"enum": [copy.deepcopy(schema["const"])]})
            else:
                out["enum"] = [copy.deepcopy(schema["const"])]

    @staticmethod
    def _bounds_31(schema: dict[str, Any], out: dict[str, Any]) -> None:
        """2020-12's numeric exclusive bounds as Draft 4's boolean flags, keeping the stricter bound."""
        for inclusive, exclusive, sign in (
            ("minimum", "exclusiveMinimum", 1),
            ("maximum", "exclusiveMaximum", -1),
        ):
            bound = schema.get(exclusive)
            if not _is_number(bound):
                continue
            current = schema.get(inclusive)
            if _is_number(current) and sign * (current - bound) > 0:
                continue  # the inclusive bound is the stricter one; the exclusive one adds nothing
            out[inclusive] = bound
            out[exclusive] = True

    def _items_31(
        self, schema: dict[str, Any], src: Path, dst: Path, out: dict[str, Any], extra: _Extra
    ) -> None:
        prefix = schema.get("prefixItems")
        items = schema.get("items")
        if isinstance(items, list):
            raise _unexpressible("an array `items` is not a 2020-12 schema", _at(src, "items"))
        if isinstance(prefix, list) and prefix:
            out["items"] = [
                self.convert(item, _at(src, "prefixItems", index), _at(dst, "items", index))
                for index, item in enumerate(prefix)
            ]
            if "items" in schema:
                out["additionalItems"] = self._additional(
                    items, _at(src, "items"), _at(dst, "additionalItems")
                )
        elif "items" in schema:
            out["items"] = self.convert(items, _at(src, "items"), _at(dst, "items"))
        if "contains" in schema and schema.get("minContains", 1) != 0:
            # some item matches ⇔ not (every item fails); non-arrays pass, as with `contains`
            extra.add(
                lambda at: {
                    "not": {
                        "type": "array",
                        "items": {
                            "not": self.convert(
                                schema["contains"], _at(src, "contains"), _at(at, "not", "items", "not")
                            )
                        },
                    }
                }
            )

    def _additional(self, schema: Any, src: Path, dst: Path) -> Any:
        return schema if isinstance(schema, bool) else self.convert(schema, src, dst)

    def _conditional_31(self, schema: dict[str, Any], src: Path, extra: _Extra) -> None:
        """if/then/else as anyOf: [allOf: [if, then], allOf: [not: if, else]]."""
        if "if" not in schema:
            return

        def branch(at: Path, keyword: str) -> Any:
            return self.convert(schema.get(keyword, True), _at(src, keyword), at)

        def either(at: Path) -> dict[str, Any]:
            when, otherwise = _at(at, "anyOf", 0, "allOf"), _at(at, "anyOf", 1, "allOf")
            return {
                "anyOf": [
                    {"allOf": [branch(_at(when, 0), "if"), branch(_at(when, 1), "then")]},
                    {
                        "allOf": [
                            {"not": branch(_at(otherwise, 0, "not"), "if")},
                            branch(_at(otherwise, 1), "else"),
                        ]
                    },
                ]
            }

        extra.add(either)

    def _dependencies_31(self, schema: dict[str, Any], src: Path, dst: Path, out: dict[str, Any]) -> None:
        dependencies: dict[str, Any] = {}
        for name, names in _dict(schema.get("dependentRequired")).items():
            if isinstance(names, list) and names:
                dependencies[name] = list(names)
        for name, sub in _dict(schema.get("dependentSchemas")).items():
            if name in dependencies:
                at = _at(dst, "dependencies", name, "allOf", 0)
                converted = self.convert(sub, _at(src, "dependentSchemas", name), at)
                dependencies[name] = {"required": dependencies[name], "allOf": [converted]}
            else:
                at = _at(dst, "dependencies", name)
                dependencies[name] = self.convert(sub, _at(src, "dependentSchemas", name), at)
        if dependencies:
            out["dependencies"] = dependencies

    # --- shared ---------------------------------------------------------------------------------------------

    def _child(self, keyword: str, value: Any, src: Path, dst: Path) -> Any:
        if keyword in SCHEMA_MAPS and isinstance(value, dict):
            return {
                name: self.convert(sub, _at(src, keyword, name), _at(dst, keyword, name))
                for name, sub in value.items()
            }
        if keyword in SCHEMA_LISTS and isinstance(value, list):
            return [
                self.convert(sub, _at(src, keyword, index), _at(dst, keyword, index))
                for index, sub in enumerate(value)
            ]
        if keyword in {"additionalProperties", "additionalItems"}:
            return self._additional(value, _at(src, keyword), _at(dst, keyword))
        if keyword in SCHEMA_VALUES:
            return self.convert(value, _at(src, keyword), _at(dst, keyword))
        return copy.deepcopy(value)

    def _note_ref(self, node: dict[str, Any] | None, src: Path) -> None:
        if node is not None and isinstance(node.get("$ref"), str):
            self.refs.append((node, node["$ref"], src))


class _Extra:
    """Constraints a 2020-12 keyword turns into, appended to the node's `allOf` after its own entries."""

    def __init__(self, out: dict[str, Any], dst: Path) -> None:
        self.out = out
        self.dst = dst
        self.pending: list[Callable[[Path], dict[str, Any]]] = []
        self.ref_holder: dict[str, Any] | None = None

    def add(self, build: Callable[[Path], dict[str, Any]]) -> None:
        self.pending.append(build)

    def flush(self) -> None:
        if not self.pending:
            return
        entries = self.out.setdefault("allOf", [])
        for build in self.pending:
            entry = build(_at(self.dst, "allOf", len(entries)))
            if "$ref" in entry and len(entry) == 1:
                self.ref_holder = entry
            entries.append(entry)

    def target_of_ref(self) -> dict[str, Any]:
        """The dict holding the node's own `$ref`: the node, or the `allOf` entry it moved to."""
        return self.ref_holder if self.ref_holder is not None else self.out


def _null_by_type(schema: dict[str, Any]) -> bool:
    """Whether `type: [T, "null"]` admits null exactly as `anyOf: [schema, {"type": "null"}]` would: every
    other keyword of a typed schema constrains only values of its own type, except these."""
    return isinstance(schema.get("type"), str) and not REFUSES_NULL & set(schema)


def _nullable_union(schema: dict[str, Any]) -> tuple[str, list[Any]] | None:
    """(keyword, branches) when a nullable schema says nothing but `allOf: [X]` or `anyOf: [...]`."""
    if schema.get("nullable") is not True:
        return None
    kept = [key for key in schema if key not in OPENAPI_ONLY]
    if kept not in (["allOf"], ["anyOf"]) or not isinstance(schema[kept[0]], list):
        return None
    branches: list[Any] = schema[kept[0]]
    return (kept[0], branches) if kept == ["anyOf"] or len(branches) == 1 else None


def _constraints_beside_ref(schema: dict[str, Any]) -> bool:
    return any(key not in ANNOTATIONS and not key.startswith("x-") for key in schema if key != "$ref")


def _refuse_unexpressible(schema: dict[str, Any], src: Path) -> None:
    refused = sorted(UNEXPRESSIBLE & set(schema))
    if refused:
        raise _unexpressible(f"`{refused[0]}` has no Draft 4 equivalent", _at(src, refused[0]))
    if schema.get("minContains", 1) not in (0, 1):
        raise _unexpressible("`minContains` above 1 has no Draft 4 equivalent", _at(src, "minContains"))


def _unexpressible(reason: str, pointer: Path) -> InvalidInput:
    return InvalidInput(f"cannot export to Draft 4: {reason} (at {pointer})", details={"pointer": pointer})


def _at(pointer: Path, *tokens: str | int) -> Path:
    return pointer + "".join("/" + escape(token) for token in tokens)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}

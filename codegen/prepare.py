"""The contract as datamodel-code-generator should see it.

References are first resolved as the registry resolves them and rewritten as local pointers (refs.py), and
each schema is widened where the generator's models would refuse documents the contract accepts
(normalise.py). Then
three changes, none of which alters what an event may contain:
- schema keys (`components.schemas`, `definitions`, `$defs`) become plain CamelCase identifiers, with every
  `$ref` and discriminator mapping rewritten: a key such as `orders.Order` would otherwise split the output
  into modules, and a hostile key would choose file names;
- objects that do not close their content model say `additionalProperties: true`, so the models keep the
  members they do not declare (`extra='allow'`) and marshalling an event gives back what was read;
- a `RootModel` wrapper around the event root is added. The generator picks class names itself (a nested
  object can take a name first), so the class it wraps is how we learn, for certain, which class the root is
  (generate.py takes the wrapper out of the module again);
- patterns are rewritten for the engine the models run them with (`patterns_for_models`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from codegen.names import class_name
from codegen.normalise import widen_for_models
from codegen.refs import localise_refs
from codegen.schemas import walk as _walk
from registry.domain.formats.ecma_regex import rust_pattern

OPENAPI = "OpenApi3"
JSON_SCHEMA = "JSONSchemaDraft4"
WRAPPER = "RegistryEventRoot"
ENVELOPE = "AWSEvent"

# where refs to renamed keys start -> (where they start now, old key -> new key)
Renames = dict[str, tuple[str, dict[str, str]]]


@dataclass(frozen=True)
class ContractInput:
    """What generation needs: the contract as stored and, for OpenAPI, the schema describing the event."""

    type: str
    content: dict[str, Any]
    event_root: str | None = None


@dataclass(frozen=True)
class Prepared:
    document: dict[str, Any]
    is_openapi: bool
    wrapper: str  # the class name the generator gives the wrapper around the event root


def prepare(contract: ContractInput) -> Prepared:
    document = copy.deepcopy(contract.content)
    if contract.type == OPENAPI:
        prepared = _prepare_openapi(document, contract.event_root)
    elif contract.type == JSON_SCHEMA:
        prepared = _prepare_json_schema(document)
    else:
        raise ValueError(f"unknown contract type {contract.type!r}")
    patterns_for_models(prepared.document)
    return prepared


def _prepare_openapi(document: dict[str, Any], event_root: str | None) -> Prepared:
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    if event_root is None or event_root not in schemas:
        raise ValueError("an OpenAPI contract needs the name of its event root")
    renamed = _new_keys(schemas, reserved=set())
    prefix = "#/components/schemas/"
    _rewrite_refs(document, {prefix: (prefix, renamed)})
    fresh = {renamed[old]: schema for old, schema in schemas.items()}
    for schema in fresh.values():
        widen_for_models(schema)
        _open_objects(schema)
    wrapper = class_name(WRAPPER, set(fresh))
    fresh[wrapper] = {"$ref": prefix + renamed[event_root]}
    document["components"]["schemas"] = fresh
    # Only the schemas matter; paths and the rest could only slow the generator down or trip it.
    kept = {"openapi": document["openapi"], "info": {"title": "event", "version": "1"}, "paths": {}}
    return Prepared({**kept, "components": {"schemas": fresh}}, is_openapi=True, wrapper=wrapper)


def _prepare_json_schema(root: dict[str, Any]) -> Prepared:
    localise_refs(root)  # before anything moves: references are resolved where they are written
    containers = {key: root.pop(key) for key in ("definitions", "$defs") if isinstance(root.get(key), dict)}
    taken: set[str] = set()
    renames: Renames = {}
    for key, members in containers.items():
        mapping = _new_keys(members, reserved=taken)
        renames[f"#/{key}/"] = ("#/definitions/", mapping)  # `$defs` members move to `definitions`
        taken.update(mapping.values())
    root_key = class_name(_root_class_hint(root), taken)
    taken.add(root_key)
    dialect = root.pop("$schema", None)
    # Refs into the root itself (`#`, `#/properties/...`) follow it to its new place.
    _rewrite_refs(root, renames, root_place=f"#/definitions/{root_key}")
    for members in containers.values():
        _rewrite_refs(members, renames, root_place=f"#/definitions/{root_key}")
    definitions: dict[str, Any] = {}
    for key, members in containers.items():
        mapping = renames[f"#/{key}/"][1]
        definitions.update({mapping[old]: schema for old, schema in members.items()})
    definitions[root_key] = root
    for schema in definitions.values():
        _drop_ids(schema)
        widen_for_models(schema)
        _open_objects(schema)
    wrapper = class_name(WRAPPER, taken)
    document: dict[str, Any] = {"$ref": f"#/definitions/{root_key}", "definitions": definitions}
    if isinstance(dialect, str):
        document["$schema"] = dialect
    return Prepared(document, is_openapi=False, wrapper=wrapper)


def _root_class_hint(root: dict[str, Any]) -> str:
    properties = root.get("properties")
    if isinstance(properties, dict) and "detail" in properties and "detail-type" in properties:
        return ENVELOPE  # the EventBridge layout: the root is the envelope, whatever its title says
    title = root.get("title")
    return title if isinstance(title, str) and title.strip() else "Event"


def _new_keys(members: dict[str, Any], reserved: set[str]) -> dict[str, str]:
    taken = set(reserved)
    renamed = {}
    for old in members:
        renamed[old] = new = class_name(old, taken)
        taken.add(new)
    return renamed


def _decode_token(raw: str) -> str:
    return unquote(raw).replace("~1", "/").replace("~0", "~")


def _rewrite_ref(ref: str, renames: Renames, root_place: str | None) -> str:
    for prefix, (new_prefix, mapping) in renames.items():
        if ref.startswith(prefix):
            token, slash, rest = ref[len(prefix) :].partition("/")
            new = mapping.get(_decode_token(token))
            return ref if new is None else f"{new_prefix}{new}{slash}{rest}"
    if root_place is not None and (ref == "#" or ref.startswith("#/")):
        return root_place + ref[1:]
    return ref


def _rewrite_refs(node: Any, renames: Renames, root_place: str | None = None) -> None:
    """Every `$ref` string and OpenAPI discriminator mapping value anywhere under `node`."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str):
                current["$ref"] = _rewrite_ref(ref, renames, root_place)
            discriminator = current.get("discriminator")
            if isinstance(discriminator, dict) and isinstance(discriminator.get("mapping"), dict):
                discriminator["mapping"] = {
                    tag: _mapping_target(target, renames, root_place)
                    for tag, target in discriminator["mapping"].items()
                }
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def _mapping_target(target: Any, renames: Renames, root_place: str | None) -> Any:
    if not isinstance(target, str):
        return target
    if target.startswith("#"):
        return _rewrite_ref(target, renames, root_place)
    for _, mapping in renames.values():  # a bare schema name
        if target in mapping:
            return mapping[target]
    return target


def _open_objects(schema: dict[str, Any]) -> None:
    for node in _walk(schema):
        types = node.get("type")
        is_object = types == "object" or (isinstance(types, list) and "object" in types)
        if (is_object or "properties" in node) and "additionalProperties" not in node:
            node["additionalProperties"] = True


def _drop_ids(schema: dict[str, Any]) -> None:
    """Draft 4 `id` and later `$id` set base URIs; all our refs are local, and a base URI would make the
    generator treat `#/definitions/...` as a document to fetch."""
    for node in _walk(schema):
        for key in ("id", "$id"):
            if isinstance(node.get(key), str):
                del node[key]


def patterns_for_models(document: dict[str, Any]) -> None:
    """Rewrite the contract's ECMA-262 patterns into the syntax of the Rust `regex` crate, which pydantic runs
    for `Field(pattern=...)`, with the same meaning (`\\d` is [0-9] there too, `$` the very end); where that
    engine cannot say the same (lookarounds, back-references, Unicode properties), leave the constraint out.
    The models then accept more than the contract in those places, never less: a `pattern` goes, and a
    `patternProperties` key becomes "" (every name) with no constraint on the value."""
    roots = [document, *document.get("components", {}).get("schemas", {}).values()]
    for node in (node for root in roots if isinstance(root, dict) for node in _walk(root)):
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            rewritten = rust_pattern(pattern)
            if rewritten is None:
                del node["pattern"]
            else:
                node["pattern"] = rewritten
        if isinstance(node.get("patternProperties"), dict):
            node["patternProperties"] = _keys_for_models(node["patternProperties"])


def _keys_for_models(keyed: dict[str, Any]) -> dict[str, Any]:
    rewritten: dict[str, Any] = {}
    for key, schema in keyed.items():
        new = rust_pattern(key)
        new, schema = ("", {}) if new is None else (new, schema)
        # two keys may come out alike (`\\d` and `[0-9]`): a name matching one matches both
        rewritten[new] = {"allOf": [rewritten[new], schema]} if new in rewritten else schema
    return rewritten

"""Families of manifest-like contracts: cluster manifests with `allOf` hierarchies, compiler settings,
infrastructure code with recursive modules, large flat settings files, wide and deep inheritance.

Each family takes Blocks and returns the root schema; named definitions are left in `blocks.defs`.
"""

from __future__ import annotations

from tests.corpus.blocks import Blocks
from tests.corpus.dialects import Schema


def cluster_manifest(b: Blocks) -> Schema:
    """A manifest with an `allOf` hierarchy of metadata, object and spec bases, several levels deep."""
    quantity = {
        "oneOf": [
            {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G)?$"},
            {"type": "number", "minimum": 0},
        ]
    }
    meta = b.define(
        "ObjectMeta",
        b.obj(
            {
                "name": {"type": "string", "maxLength": 253},
                "namespace": {"type": "string"},
                "labels": b.pattern_map({"type": "string", "maxLength": 63}, with_properties=False),
                "annotations": b.string_map(),
                "uid": {"type": "string", "format": "uuid"},
                "generation": {"type": "integer", "minimum": 0},
            }
        ),
    )
    typed = b.define("TypeMeta", b.obj({"apiVersion": {"type": "string"}, "kind": {"type": "string"}}))
    base = b.define("Object", {"allOf": [typed, b.obj({"metadata": meta}, required=["metadata"])]})
    container = b.define(
        "Container",
        b.obj(
            {
                "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
                "image": {"type": "string"},
                "args": {"type": "array", "items": {"type": "string"}},
                "env": {
                    "type": "array",
                    "items": b.obj(
                        {
                            "name": {"type": "string"},
                            "value": {"type": "string"},
                            "valueFrom": b.record(2, depth=1),
                        },
                        required=["name"],
                    ),
                },
                "resources": b.obj(
                    {
                        "limits": {"type": "object", "additionalProperties": quantity},
                        "requests": {"type": "object", "additionalProperties": quantity},
                    }
                ),
                "imagePullPolicy": {"type": "string", "enum": ["Always", "Never", "IfNotPresent", ""]},
            },
            required=["name"],
        ),
    )
    volumes = [
        b.obj({kind: b.record(2)}, required=[kind], closed=True)
        for kind in ("configMap", "secret", "emptyDir", "hostPath", "persistentVolumeClaim")
    ]
    pod_spec = b.define(
        "PodSpec",
        b.obj(
            {
                "containers": {"type": "array", "items": container, "minItems": 1},
                "initContainers": {"type": "array", "items": container},
                "volumes": {
                    "type": "array",
                    "items": {
                        "allOf": [b.obj({"name": {"type": "string"}}, required=["name"]), {"oneOf": volumes}]
                    },
                },
                "nodeSelector": b.string_map(),
                "restartPolicy": {"type": "string", "enum": ["Always", "OnFailure", "Never"]},
                "affinity": b.record(3, depth=2),
            },
            required=["containers"],
        ),
    )
    levels = [base]
    for depth in range(b.rng.randint(2, 6)):
        levels.append(b.define(f"Level{depth}", {"allOf": [levels[-1], _part(b, f"l{depth}")]}))
    template = b.obj({"metadata": meta, "spec": pod_spec})
    spec = b.obj(
        {
            "replicas": {"type": "integer", "minimum": 0},
            "selector": b.record(2, depth=1),
            "template": template,
        },
        required=["template"],
    )
    return {"allOf": [levels[-1], b.obj({"spec": spec, "status": b.record(4, depth=1)})]}


def compiler_settings(b: Blocks) -> Schema:
    """Many booleans and enums of odd spellings, as compiler option files have."""
    targets = [
        "ES3",
        "ES5",
        "ES6",
        "ES2015",
        "ES2016",
        "ES2020",
        "ESNext",
        "es2015.collection",
        "dom.iterable",
        "node16",
        "bundler",
        "preserve",
        "",
        "Node",
        "react-jsx",
        "1.0",
        "NaN",
        "-",
    ]
    options = {
        name: b.rng.choice(
            [{"type": "boolean"}, {"type": "string", "enum": b.rng.sample(targets, 5)}, b.string()]
        )
        for name in b.names(b.rng.randint(20, 60), odd=0.25)
    }
    options["lib"] = {"type": "array", "items": {"type": "string", "enum": targets}, "uniqueItems": True}
    options["paths"] = {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    }
    reference = b.define(
        "ProjectReference",
        b.obj({"path": {"type": "string"}, "prepend": {"type": "boolean"}}, required=["path"], closed=True),
    )
    return b.obj(
        {
            "compilerOptions": b.obj(options, closed=b.rng.random() < 0.5),
            "extends": b.string_or_list(),
            "include": {"type": "array", "items": {"type": "string"}},
            "exclude": {"type": "array", "items": {"type": "string"}},
            "references": {"type": "array", "items": reference},
            "watchOptions": b.record(4),
        }
    )


def infrastructure(b: Blocks) -> Schema:
    """Resources keyed by type and name, variables with validations, recursive modules."""
    variable = b.define(
        "Variable",
        b.obj(
            {
                "type": {"type": "string"},
                "default": b.json_value(),
                "description": {"type": "string"},
                "sensitive": {"type": "boolean"},
                "nullable": {"type": "boolean"},
                "validation": {
                    "type": "array",
                    "items": b.obj(
                        {
                            "condition": {"type": "string"},
                            "error_message": {"type": "string", "minLength": 1},
                        },
                        required=["condition"],
                    ),
                },
            }
        ),
    )
    resource = b.define(
        "Resource",
        b.obj(
            {
                "count": {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string"}]},
                "for_each": {"oneOf": [{"type": "string"}, b.string_map(), {"type": "array"}]},
                "depends_on": {"type": "array", "items": {"type": "string"}},
                "lifecycle": b.obj(
                    {
                        "create_before_destroy": {"type": "boolean"},
                        "prevent_destroy": {"type": "boolean"},
                        "ignore_changes": b.string_or_list(),
                    },
                    closed=True,
                ),
                "provider": {"type": "string"},
                **b.record(b.rng.randint(3, 12), odd=0.4, depth=1)["properties"],
            }
        ),
    )
    module_ref = b.d.ref("Module")
    b.defs["Module"] = b.obj(
        {
            "variable": {"type": "object", "additionalProperties": variable},
            "resource": {
                "type": "object",
                "additionalProperties": {"type": "object", "additionalProperties": resource},
            },
            "module": {
                "type": "object",
                "additionalProperties": b.obj(
                    {
                        "source": {"type": "string"},
                        "version": {"type": "string"},
                        "inputs": b.json_value(),
                        "child": module_ref,
                    },
                    required=["source"],
                ),
            },
            "output": {
                "type": "object",
                "additionalProperties": b.obj(
                    {"value": b.json_value(), "sensitive": {"type": "boolean"}}, required=["value"]
                ),
            },
            "locals": {"type": "object", "additionalProperties": b.json_value()},
        }
    )
    return {"allOf": [module_ref, b.obj({"terraform": b.record(3, depth=1)})]}


def settings_file(b: Blocks) -> Schema:
    """A large flat settings file: dotted and odd keys, defaults, enums, nullable values."""
    properties: dict[str, Schema] = {}
    sections = b.rng.sample(
        ["editor", "files", "search", "terminal", "git", "python", "workbench", "http"], 4
    )
    for section in sections:
        for name in b.names(b.rng.randint(5, 25), odd=0.35):
            properties[f"{section}.{name}"] = b.leaf()
    for name in b.names(b.rng.randint(2, 6), odd=0.2):
        properties[f"[{name}]"] = b.record(3)  # language-specific sections
    closed = b.rng.random() < 0.4
    return b.obj(
        properties, closed=closed, title=b.rng.choice(["Settings", "settings", "Editor settings", None])
    )


def _part(b: Blocks, suffix: str) -> Schema:
    """A member of an allOf hierarchy: open (closed, it would refuse the members of the others), with names
    of its own (two members declaring one name differently would make the whole accept nothing)."""
    part = b.record(b.rng.randint(1, 4), odd=0.2, closed=False)
    part["properties"] = {f"{name}_{suffix}": schema for name, schema in part["properties"].items()}
    if "required" in part:
        part["required"] = [f"{name}_{suffix}" for name in part["required"]]
    return part


def big_hierarchy(b: Blocks) -> Schema:
    """Wide and deep `allOf` hierarchies with shared bases (diamonds) and re-declared members."""
    base = b.define("Base", b.obj({"id": {"type": "string"}, "kind": {"type": "string"}}, required=["id"]))
    layer = [base]
    for depth in range(b.rng.randint(3, 8)):
        next_layer = []
        for number in range(b.rng.randint(2, 5)):
            parents = b.rng.sample(layer, min(len(layer), b.rng.randint(1, 3)))
            own = _part(b, f"{depth}{number}")
            if b.rng.random() < 0.4:  # re-declares a member of a base, narrowing it as real hierarchies do
                own["properties"]["kind"] = {"type": "string", "maxLength": 40 - depth}
            next_layer.append(b.define(f"Node{depth}x{number}", {"allOf": [*parents, own]}))
        layer = next_layer
    return {"allOf": [b.rng.choice(layer), b.obj({"extra": b.leaf()})]}

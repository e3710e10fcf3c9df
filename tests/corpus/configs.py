"""Families of configuration-file contracts: CI pipelines, package manifests, linters, compose files.
Shapes only: written from scratch, after what such files commonly contain (maps keyed by patterns,
string-or-list unions, recursive sections, odd enums).

Each family takes Blocks and returns the root schema; named definitions are left in `blocks.defs`.
"""

from __future__ import annotations

from tests.corpus.blocks import Blocks
from tests.corpus.dialects import Schema


def ci_pipeline(b: Blocks) -> Schema:
    expression = {"type": "string", "pattern": "^\\$\\{\\{.*\\}\\}$"}
    run_step = b.obj(
        {
            "run": {"type": "string", "minLength": 1},
            "shell": b.odd_enum(),
            "name": {"type": "string"},
            "working-directory": {"type": "string"},
            "env": b.string_map(),
            "if": {"type": "string"},
        },
        required=["run"],
    )
    uses_step = b.obj(
        {
            "uses": {"type": "string", "pattern": "^[^@]+@[^@]+$"},
            "with": b.string_map(),
            "id": {"type": "string", "pattern": "^[a-zA-Z_][a-zA-Z0-9_-]*$"},
            "continue-on-error": {"oneOf": [{"type": "boolean"}, expression]},
        },
        required=["uses"],
        closed=b.rng.random() < 0.5,
    )
    step = b.define("Step", {"oneOf": [b.define("RunStep", run_step), b.define("UsesStep", uses_step)]})
    matrix = b.pattern_map({"type": "array", "items": {"type": ["string", "number"]}}, with_properties=False)
    if not b.d.has_type_lists:
        matrix = b.string_map()
    job = b.obj(
        {
            "runs-on": b.string_or_list(),
            "needs": b.string_or_list(),
            "steps": {"type": "array", "items": step, "minItems": 1},
            "timeout-minutes": {"type": "number", **b.d.exclusive_minimum(0), "maximum": 4320},
            "strategy": b.obj(
                {
                    "matrix": matrix,
                    "fail-fast": {"type": "boolean"},
                    "max-parallel": {"type": "integer", "minimum": 1},
                }
            ),
            "env": b.string_map(),
            "services": {"type": "object", "additionalProperties": b.define("Service", b.record(4, depth=1))},
            "outputs": b.string_map(),
        },
        required=["runs-on"],
        closed=b.rng.random() < 0.7,
    )
    trigger_names = ["push", "pull_request", "schedule", "workflow_dispatch", "release", "issues"]
    triggers = b.obj({name: {"anyOf": [{"type": "object"}, {"type": "null"}]} for name in trigger_names})
    if b.d.name == "oas30":
        triggers = b.obj({name: {"type": "object", "nullable": True} for name in trigger_names})
    return b.obj(
        {
            "name": {"type": "string"},
            "on": {"oneOf": [b.odd_enum(), {"type": "array", "items": {"type": "string"}}, triggers]},
            "env": b.string_map(),
            "jobs": b.pattern_map(b.define("Job", job), with_properties=False),
            "defaults": b.record(3, depth=1),
            "concurrency": {"oneOf": [{"type": "string"}, b.record(2)]},
        },
        required=["jobs"],
        closed=True,
    )


def package_manifest(b: Blocks) -> Schema:
    person = {
        "oneOf": [
            {"type": "string"},
            b.obj(
                {
                    "name": {"type": "string"},
                    "email": {"type": "string", "format": "email"},
                    "url": {"type": "string", "format": "uri"},
                },
                required=["name"],
            ),
        ]
    }
    exports_ref = b.d.ref("Exports")
    b.defs["Exports"] = {
        "anyOf": [
            {"type": "string", "pattern": "^\\./"},
            {"type": "array", "items": exports_ref},
            b.pattern_map(exports_ref, with_properties=False),
        ]
    }
    dependencies = b.pattern_map({"type": "string"}, with_properties=False)
    return b.obj(
        {
            "name": {
                "type": "string",
                "minLength": 1,
                "maxLength": 214,
                "pattern": "^(?:@[a-z0-9-~][a-z0-9-._~]*/)?[a-z0-9-~][a-z0-9-._~]*$",
            },
            "version": {"type": "string", "pattern": "^v?[0-9]+\\.[0-9]+\\.[0-9]+(-[a-z0-9.]+)?$"},
            "private": {"type": "boolean"},
            "author": b.define("Person", person),
            "contributors": {"type": "array", "items": b.d.ref("Person")},
            "bin": {"oneOf": [{"type": "string"}, b.string_map()]},
            "exports": exports_ref,
            "dependencies": dependencies,
            "devDependencies": dependencies,
            "scripts": b.string_map(),
            "engines": b.with_extras({"node": {"type": "string"}, "npm": {"type": "string"}}),
            "files": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "keywords": {"type": "array", "items": {"type": "string"}},
            "type": {"type": "string", "enum": ["module", "commonjs"]},
            "license": b.string(),
            "repository": {
                "oneOf": [
                    {"type": "string"},
                    b.obj(
                        {
                            "type": {"type": "string"},
                            "url": {"type": "string"},
                            "directory": {"type": "string"},
                        },
                        required=["url"],
                    ),
                ]
            },
            "config": b.json_value(),
            **b.record(b.rng.randint(2, 10), odd=0.5)["properties"],
        },
        required=["name"],
    )


def linter_config(b: Blocks) -> Schema:
    level = {
        "oneOf": [
            {"type": "string", "enum": ["off", "warn", "error"]},
            {"type": "integer", "minimum": 0, "maximum": 2},
        ]
    }
    rule = b.define(
        "Rule",
        {"oneOf": [level, b.d.tuple([level], b.json_value()) if b.d.name != "oas30" else {"type": "array"}]},
    )
    config_ref = b.d.ref("Config")
    globals_map = {
        "type": "object",
        "additionalProperties": {
            "oneOf": [
                {"type": "string", "enum": ["readonly", "writable", "off", "readable", "writeable"]},
                {"type": "boolean"},
            ]
        },
    }
    b.defs["Config"] = b.obj(
        {
            "extends": b.string_or_list(),
            "rules": b.pattern_map(rule, with_properties=False),
            "env": {"type": "object", "additionalProperties": {"type": "boolean"}},
            "globals": globals_map,
            "overrides": {
                "type": "array",
                "items": b.obj(
                    {"files": b.string_or_list(), "excludedFiles": b.string_or_list(), "config": config_ref},
                    required=["files"],
                ),
            },
            "parserOptions": b.obj(
                {
                    "ecmaVersion": {"oneOf": [{"type": "integer", "minimum": 3}, b.d.const("latest")]},
                    "sourceType": {"type": "string", "enum": ["script", "module", "commonjs"]},
                    "ecmaFeatures": b.string_map(),
                }
            ),
            "plugins": {"type": "array", "items": {"type": "string"}},
            "root": {"type": "boolean"},
            "ignorePatterns": b.string_or_list(),
            "settings": b.json_value(),
        },
        closed=b.rng.random() < 0.5,
    )
    return {"allOf": [config_ref]} if b.rng.random() < 0.5 else dict(config_ref)


def compose_file(b: Blocks) -> Schema:
    port = {
        "oneOf": [
            {"type": "integer", "minimum": 1, "maximum": 65535},
            {"type": "string", "pattern": "^\\d+(:\\d+)?(/(tcp|udp))?$"},
            b.obj(
                {
                    "target": {"type": "integer"},
                    "published": {"type": ["string", "integer"]}
                    if b.d.has_type_lists
                    else {"type": "string"},
                    "protocol": {"type": "string", "enum": ["tcp", "udp"]},
                    "mode": {"type": "string"},
                },
                required=["target"],
            ),
        ]
    }
    environment = {
        "oneOf": [
            b.string_map(),
            {"type": "array", "items": {"type": "string", "pattern": "^[^=]+=.*$"}, "uniqueItems": True},
        ]
    }
    healthcheck = b.obj(
        {
            "test": b.string_or_list(),
            "interval": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
            "retries": {"type": "integer", "minimum": 0},
            "disable": {"type": "boolean"},
        },
        closed=True,
    )
    service = b.obj(
        {
            "image": {"type": "string"},
            "build": {
                "oneOf": [
                    {"type": "string"},
                    b.obj(
                        {
                            "context": {"type": "string"},
                            "dockerfile": {"type": "string"},
                            "args": environment,
                            "target": {"type": "string"},
                        }
                    ),
                ]
            },
            "ports": {"type": "array", "items": port},
            "environment": environment,
            "depends_on": {
                "oneOf": [
                    {"type": "array", "items": {"type": "string"}},
                    b.pattern_map(
                        b.obj(
                            {
                                "condition": {
                                    "type": "string",
                                    "enum": [
                                        "service_started",
                                        "service_healthy",
                                        "service_completed_successfully",
                                    ],
                                }
                            },
                            required=["condition"],
                        ),
                        with_properties=False,
                    ),
                ]
            },
            "healthcheck": healthcheck,
            "restart": {"type": "string", "enum": ["no", "always", "on-failure", "unless-stopped"]},
            "deploy": b.obj(
                {"replicas": {"type": "integer", "minimum": 0}, "resources": b.record(3, depth=1)}
            ),
            "labels": {"oneOf": [b.string_map(), {"type": "array", "items": {"type": "string"}}]},
            "command": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        },
        closed=True,
    )
    root = b.obj(
        {
            "version": {"type": "string"},
            "services": b.pattern_map(b.define("Service", service), with_properties=False),
            "volumes": {"type": "object", "additionalProperties": b.d.nullable(b.record(3))},
            "networks": {"type": "object", "additionalProperties": b.d.nullable(b.record(3))},
        },
        required=["services"],
        closed=True,
    )
    if b.d.has_pattern_properties:  # `x-` members beside the declared ones
        root["patternProperties"] = {"^x-": {}}
    return root

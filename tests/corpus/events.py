"""Families of event contracts: EventBridge envelopes (OpenAPI 3.0 and 3.1, the Draft 4 export layout),
CloudEvents-like envelopes, bare event payloads. Written from scratch after the common shapes.
"""

from __future__ import annotations

from tests.corpus.blocks import Blocks
from tests.corpus.dialects import Schema

SOURCES = ["com.example.orders", "aws.ec2", "aws.partner/acme.com/123/tickets", "custom", "ünï.source", ""]


def order(b: Blocks) -> Schema:
    money = b.define(
        "Money",
        b.obj(
            {
                "amount": {"type": "number", "minimum": 0},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            },
            required=["amount", "currency"],
            closed=True,
        ),
    )
    line = b.define(
        "OrderLine",
        b.obj(
            {
                "sku": {"type": "string", "minLength": 1},
                "quantity": {"type": "integer", "minimum": 1},
                "unitPrice": money,
                "discount": b.d.nullable({"type": "number", "minimum": 0, "maximum": 1}),
                **b.record(b.rng.randint(0, 4))["properties"],
            },
            required=["sku", "quantity"],
        ),
    )
    return b.obj(
        {
            "orderId": {"type": "string", "format": "uuid"},
            "status": b.rng.choice(
                [{"type": "string", "enum": ["NEW", "PAID", "SHIPPED", "CANCELLED"]}, b.odd_enum()]
            ),
            "lines": {"type": "array", "items": line, "minItems": 1},
            "total": money,
            "createdAt": {"type": "string", "format": "date-time"},
            "customer": b.record(4, depth=1),
            "attributes": b.with_extras({"segment": b.odd_enum(), "score": b.number()}),
            "notes": b.d.nullable({"type": "string", "maxLength": 500}),
        },
        required=["orderId", "status", "lines"],
    )


def payment(b: Blocks) -> Schema:
    """A payment whose method is one of several kinds, told apart by a tag (with a discriminator in
    OpenAPI)."""
    kinds = b.rng.sample(["card", "bank_transfer", "wallet", "voucher", "crypto", "cash-on-delivery"], 3)
    refs, mapping = [], {}
    for kind in kinds:
        name = "".join(part.capitalize() for part in kind.replace("-", "_").split("_")) + "Method"
        branch = b.record(b.rng.randint(1, 4), odd=0.2)
        branch["properties"]["type"] = {"type": "string", "enum": [kind]}
        branch["required"] = sorted({*branch.get("required", []), "type"})
        refs.append(b.define(name, branch))
        mapping[kind] = refs[-1]["$ref"]
    method: Schema = {"oneOf": refs}
    if b.d.is_openapi and b.rng.random() < 0.7:
        method["discriminator"] = {"propertyName": "type", "mapping": mapping}
    return b.obj(
        {
            "paymentId": {"type": "string"},
            "method": method,
            "amount": {"type": "number", **b.d.exclusive_minimum(0)},
            "attempt": {"type": "integer", "minimum": 1, "maximum": 10},
            "metadata": b.string_map(),
        },
        required=["paymentId", "method", "amount"],
    )


def state_change(b: Blocks) -> Schema:
    """An AWS-service-like state change: an id, a state enum, resources, free-form request parameters."""
    states = b.rng.choice(
        [
            ["pending", "running", "stopping", "stopped", "shutting-down", "terminated"],
            ["STARTED", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"],
            b.odd_enum(6)["enum"],
        ]
    )
    return b.obj(
        {
            "instance-id": {"type": "string", "pattern": "^i-[0-9a-f]+$"},
            "state": {"type": "string", "enum": states},
            "previous-state": {"type": "string", "enum": states},
            "requestParameters": b.json_value(),
            "responseElements": b.d.nullable(b.record(3, depth=1)),
            "errorCode": {"type": "string"},
            **b.record(b.rng.randint(1, 8), odd=0.3, depth=1)["properties"],
        },
        required=["state"],
    )


def telemetry(b: Blocks) -> Schema:
    reading = b.define(
        "Reading",
        b.obj(
            {
                "sensor": {"type": "string"},
                "value": {"type": "number"},
                "unit": b.odd_enum(),
                "at": {"type": "string", "format": "date-time"},
                "quality": {"type": "integer", "minimum": 0, "maximum": 100},
            },
            required=["sensor", "value"],
        ),
    )
    position = b.d.tuple(
        [
            {"type": "number", "minimum": -180, "maximum": 180},
            {"type": "number", "minimum": -90, "maximum": 90},
        ],
        {"type": "number"},
    )
    return b.obj(
        {
            "deviceId": {"type": "string"},
            "readings": {"type": "array", "items": reading, "maxItems": 50},
            "position": position,
            "battery": {"type": "number", "minimum": 0, "maximum": 1},
            "firmware": {"type": "string", "pattern": "^\\d+(\\.\\d+){2}$"},
            "flags": b.string_map(),
        },
        required=["deviceId", "readings"],
    )


def audit(b: Blocks) -> Schema:
    """An audit record: actor, a tree of changed fields, before and after as any JSON."""
    change = b.tree("Change", "nested")
    return b.obj(
        {
            "actor": b.obj(
                {
                    "id": {"type": "string"},
                    "type": {"type": "string", "enum": ["user", "service", "system"]},
                    "@type": {"type": "string"},
                },
                required=["id"],
            ),
            "action": b.odd_enum(),
            "changes": {"type": "array", "items": change},
            "before": b.json_value(),
            "after": b.json_value(),
            "class": {"type": "string"},
            "from": {"type": "string"},
        },
        required=["actor", "action"],
    )


PAYLOADS = {
    "order": order,
    "payment": payment,
    "state-change": state_change,
    "telemetry": telemetry,
    "audit": audit,
}


def envelope(b: Blocks, detail: Schema, detail_type: str, source: str) -> Schema:
    """The EventBridge envelope around `detail`, with the identity extensions."""
    return {
        "type": "object",
        "required": [
            "detail-type",
            "resources",
            "id",
            "source",
            "time",
            "detail",
            "region",
            "version",
            "account",
        ],
        "x-amazon-events-detail-type": detail_type,
        "x-amazon-events-source": source,
        "properties": {
            "detail": detail,
            "account": {"type": "string"},
            "detail-type": {"type": "string"},
            "id": {"type": "string"},
            "region": {"type": "string"},
            "resources": {"type": "array", "items": {"type": "string"}},
            "source": {"type": "string"},
            "time": {"type": "string", "format": "date-time"},
            "version": {"type": "string"},
        },
    }


def cloud_event(b: Blocks) -> Schema:
    data = b.define("Data", PAYLOADS[b.rng.choice(sorted(PAYLOADS))](b))
    root = b.obj(
        {
            "specversion": b.d.const("1.0"),
            "id": {"type": "string", "minLength": 1},
            "source": {"type": "string", "format": "uri-reference", "minLength": 1},
            "type": {"type": "string", "minLength": 1},
            "datacontenttype": {"type": "string"},
            "dataschema": {"type": "string", "format": "uri"},
            "subject": {"type": "string"},
            "time": {"type": "string", "format": "date-time"},
            "data": {"oneOf": [data, {"type": "string"}]} if b.rng.random() < 0.5 else data,
            "data_base64": {"type": "string", "contentEncoding": "base64"}
            if b.d.draft >= 7
            else {"type": "string"},
        },
        required=["specversion", "id", "source", "type"],
    )
    if b.d.has_pattern_properties:  # extension attributes
        root["patternProperties"] = {"^[a-z0-9]{1,20}$": {"type": ["string", "integer", "boolean"]}}
        root["additionalProperties"] = False
    return root

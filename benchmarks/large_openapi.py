"""A large EventBridge OpenAPI 3 contract shaped like real ones, generated (our own data), and its release.

An `AWSEvent` envelope whose `detail` is an order aggregate: `components.schemas` holds about 150 schemas of
8 to 14 properties each (strings with patterns, formats and lengths, enums, bounded numbers, nullable fields,
arrays), with shared types (Money, Address, Party, Timestamps ...) referenced from many places, as teams
model their events. `release` makes the changes a typical new version makes: a property added, a field made
required, an enum value removed and another added, a bound loosened, descriptions reworded, and one component
renamed (every `$ref` updated: no change for the diff).
"""

from __future__ import annotations

import copy
import json
from typing import Any

SHARED = ("Money", "Address", "Party", "Timestamps", "Contact", "Reference")
DOMAINS = ("Line", "Payment", "Shipment", "Discount", "Tax", "Fee", "Promotion", "Return", "Invoice", "Audit")
VARIANTS = 14  # schemas per domain: LineItem0 ... LineItem13
STATUSES = ["PENDING", "CONFIRMED", "ON_HOLD", "SHIPPED", "DELIVERED", "CANCELLED", "REFUNDED"]


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _field(seed: int) -> dict[str, Any]:
    shapes: list[dict[str, Any]] = [
        {"type": "string", "maxLength": 64 + seed % 5 * 32, "description": f"a label ({seed})"},
        {"type": "string", "pattern": f"^[A-Z]{{3}}-[0-9]{{{4 + seed % 4}}}$"},
        {"type": "string", "format": "date-time"},
        {"type": "integer", "minimum": 0, "maximum": 10_000 + seed},
        {"type": "number", "minimum": 0, "exclusiveMinimum": seed % 2 == 0},
        {"type": "string", "enum": STATUSES[: 3 + seed % 5]},
        {"type": "boolean"},
        {"type": "string", "nullable": True, "maxLength": 255},
        {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 20 + seed % 7},
        {"type": "string", "format": "uuid"},
    ]
    return copy.deepcopy(shapes[seed % len(shapes)])


def _shared() -> dict[str, Any]:
    money = {
        "type": "object",
        "required": ["amount", "currency"],
        "properties": {
            "amount": {"type": "number", "minimum": 0},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        },
    }
    address = {
        "type": "object",
        "required": ["line1", "city", "country"],
        "properties": {
            "line1": {"type": "string", "maxLength": 120},
            "line2": {"type": "string", "maxLength": 120, "nullable": True},
            "city": {"type": "string", "maxLength": 80},
            "postalCode": {"type": "string", "pattern": "^[A-Z0-9 -]{3,10}$"},
            "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
        },
    }
    contact = {
        "type": "object",
        "properties": {
            "email": {"type": "string", "format": "email", "maxLength": 254},
            "phone": {"type": "string", "pattern": "^\\+[0-9]{6,15}$"},
        },
    }
    party = {
        "type": "object",
        "required": ["id", "name"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "name": {"type": "string", "maxLength": 200},
            "address": _ref("Address"),
            "contact": _ref("Contact"),
            "kind": {"type": "string", "enum": ["PERSON", "COMPANY"]},
        },
    }
    timestamps = {
        "type": "object",
        "required": ["createdAt"],
        "properties": {
            "createdAt": {"type": "string", "format": "date-time"},
            "updatedAt": {"type": "string", "format": "date-time", "nullable": True},
        },
    }
    reference = {
        "type": "object",
        "required": ["system", "value"],
        "properties": {"system": {"type": "string", "maxLength": 40}, "value": {"type": "string"}},
    }
    schemas = [money, address, party, timestamps, contact, reference]
    return dict(zip(SHARED, schemas, strict=True))


def _domain_schema(domain: str, variant: int) -> dict[str, Any]:
    seed = hash_seed(domain, variant)
    properties: dict[str, Any] = {"id": {"type": "string", "format": "uuid"}}
    for index in range(8 + seed % 7):
        properties[f"{domain[0].lower()}{variant}Field{index}"] = _field(seed + index)
    properties["amount"] = _ref("Money")
    properties["timestamps"] = _ref("Timestamps")
    if variant % 3 == 0:
        properties["party"] = _ref("Party")
    if variant % 4 == 1:
        properties["references"] = {"type": "array", "items": _ref("Reference"), "maxItems": 10}
    if variant + 1 < VARIANTS:  # each variant holds the next: a chain of nested types per domain
        properties["next"] = _ref(f"{domain}Item{variant + 1}")
    return {
        "type": "object",
        "description": f"{domain} item, variant {variant}",
        "required": ["id", "amount", "timestamps"],
        "properties": properties,
    }


def hash_seed(domain: str, variant: int) -> int:
    """A stable small number per schema (Python's hash() of a str changes between runs)."""
    return sum(ord(c) for c in domain) * 7 + variant * 13


def large_openapi() -> dict[str, Any]:
    schemas: dict[str, Any] = {
        "AWSEvent": {
            "type": "object",
            "x-amazon-events-detail-type": "OrderPlaced",
            "x-amazon-events-source": "com.example.orders",
            "required": ["version", "id", "detail-type", "source", "account", "time", "region", "detail"],
            "properties": {
                "version": {"type": "string"},
                "id": {"type": "string"},
                "detail-type": {"type": "string"},
                "source": {"type": "string"},
                "account": {"type": "string", "pattern": "^[0-9]{12}$"},
                "time": {"type": "string", "format": "date-time"},
                "region": {"type": "string"},
                "resources": {"type": "array", "items": {"type": "string"}},
                "detail": _ref("OrderPlaced"),
            },
        },
        "OrderPlaced": {
            "type": "object",
            "required": ["orderId", "status", "buyer", "total", "timestamps"],
            "properties": {
                "orderId": {"type": "string", "pattern": "^ORD-[0-9]{10}$"},
                "status": {"type": "string", "enum": STATUSES},
                "buyer": _ref("Party"),
                "seller": _ref("Party"),
                "shippingAddress": _ref("Address"),
                "billingAddress": _ref("Address"),
                "total": _ref("Money"),
                "timestamps": _ref("Timestamps"),
                **{
                    f"{domain.lower()}s": {"type": "array", "items": _ref(f"{domain}Item0"), "maxItems": 500}
                    for domain in DOMAINS
                },
            },
        },
        **_shared(),
    }
    for domain in DOMAINS:
        for variant in range(VARIANTS):
            schemas[f"{domain}Item{variant}"] = _domain_schema(domain, variant)
    return {
        "openapi": "3.0.3",
        "info": {"title": "OrderPlaced", "version": "1.0.0"},
        "paths": {},
        "components": {"schemas": schemas},
    }


def release(old: dict[str, Any]) -> dict[str, Any]:
    """The next version, as a team would write it (see the module's docstring)."""
    new = copy.deepcopy(old)
    schemas = new["components"]["schemas"]
    order = schemas["OrderPlaced"]
    order["properties"]["giftMessage"] = {"type": "string", "maxLength": 500}  # added, optional
    order["required"].append("seller")  # made required
    order["properties"]["status"]["enum"] = [*STATUSES[:-1], "PARTIALLY_SHIPPED"]  # one out, one in
    schemas["Address"]["properties"]["line1"]["maxLength"] = 200  # loosened
    schemas["Payment" + "Item3"]["description"] = "a payment, reworded"  # annotation only
    schemas["Contact"]["properties"]["email"]["description"] = "where receipts go"
    # a component renamed, every reference updated: the same events
    schemas["Counterparty"] = schemas.pop("Party")
    text = json.dumps(new).replace('"#/components/schemas/Party"', '"#/components/schemas/Counterparty"')
    renamed: dict[str, Any] = json.loads(text)
    renamed["info"]["version"] = "1.1.0"
    return renamed

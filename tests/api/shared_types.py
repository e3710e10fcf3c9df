"""The shared types the reference tests build on: common/Money, and an order event using it by URL."""

from __future__ import annotations

from typing import Any

MONEY_URI = "https://schemas.acme.example/money.json"
MONEY: dict[str, Any] = {
    "type": "object",
    "properties": {"amount": {"type": "number"}, "currency": {"$ref": "#/definitions/Currency"}},
    "required": ["amount", "currency"],
    "definitions": {"Currency": {"type": "string", "pattern": "^[A-Z]{3}$"}},
}
ORDER = {
    "type": "object",
    "properties": {
        "total": {"$ref": MONEY_URI},
        "currency": {"$ref": f"{MONEY_URI}#/definitions/Currency"},
    },
    "required": ["total"],
}
MONEY_REF = {"name": MONEY_URI, "registry": "common", "schema": "Money", "version": 1}

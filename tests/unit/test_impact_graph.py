"""The reference graph walked backwards (registry.domain.impact): nearest first, each dependent once, with
the path it reaches the schema by; and which dependents a scope asks about."""

from __future__ import annotations

from collections.abc import Collection

from registry.domain.formats.bundle import VersionKey
from registry.domain.impact import Dependent, Edge, ImpactScope, chosen, dependents_of

MONEY = {1: VersionKey("common", "Money", 1), 2: VersionKey("common", "Money", 2)}
# row id -> (key, schema id); Money's versions are rows 1 and 2 (schema 1)
VERSIONS = {
    10: (VersionKey("billing", "Payment", 1), 10),
    11: (VersionKey("billing", "Payment", 2), 10),
    20: (VersionKey("billing", "Invoice", 1), 20),
    30: (VersionKey("orders", "Refund", 1), 30),
    40: (VersionKey("orders", "Audit", 1), 40),
}
# (referencing row, referenced row, name)
REFERENCES = [
    (10, 1, "money.json"),
    (11, 2, "money.json"),
    (20, 10, "payment.json"),
    (30, 1, "money.json"),
    (30, 10, "payment.json"),  # a diamond: Refund reaches Money directly and through Payment
    (40, 20, "invoice.json"),  # three levels: Audit -> Invoice -> Payment -> Money
]


def referencing(targets: Collection[int]) -> list[Edge]:
    return [
        Edge(source, target, name, VERSIONS[source][0], VERSIONS[source][1], None)
        for source, target, name in REFERENCES
        if target in targets
    ]


def test_dependents_come_nearest_first_each_once_with_the_path_they_reach_the_schema_by() -> None:
    found = dependents_of(MONEY, referencing)
    assert [(each.key.label(), each.depth) for each in found] == [
        ("billing/Payment/1", 1),
        ("billing/Payment/2", 1),
        ("orders/Refund/1", 1),
        ("billing/Invoice/1", 2),
        ("orders/Audit/1", 3),
    ]
    audit = found[-1]
    assert [(step.name, step.key.label(), step.version_id) for step in audit.via] == [
        ("invoice.json", "billing/Invoice/1", 20),
        ("payment.json", "billing/Payment/1", 10),
        ("money.json", "common/Money/1", 1),
    ]


def test_nothing_references_the_schema_gives_no_dependents() -> None:
    assert dependents_of({99: VersionKey("common", "Lonely", 1)}, referencing) == []


def test_the_default_scope_keeps_latest_and_deployed_versions() -> None:
    found = dependents_of(MONEY, referencing)
    latest = {10: 2, 20: 1, 30: 1, 40: 1}
    kept = chosen(found, ImpactScope.DEFAULT, latest, deployed={(10, 1)})
    assert [each.key.label() for each in kept] == [each.key.label() for each in found]
    older: list[Dependent] = chosen(found, ImpactScope.DEFAULT, latest, deployed=set())
    assert "billing/Payment/1" not in [each.key.label() for each in older]
    assert chosen(found, ImpactScope.ALL, {}, set()) == found

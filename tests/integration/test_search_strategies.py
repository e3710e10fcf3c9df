"""Search reads its pages by strategies chosen for speed: on PostgreSQL the tiers best first, each by a
bounded walk in name order or by a trigram index asked for a term's rarest piece, the names tier's from
the narrow table `search_names` (migration 0012). Whatever the strategy, the pages must be the ranking the
rules define, which the oracle below computes from the stored documents: every term a substring of the
document, scoring 4 in the name, 2 in the description, 1 elsewhere; best first, then registry and schema.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, text

from codegen.names import distribution_name
from registry import services
from registry.domain.model import CompatibilityMode
from registry.domain.search import query_terms
from registry.storage.database import make_session_factory
from registry.storage.models import RegistryRow, SchemaRow
from registry.storage.search import MAX_WALK_ROWS, WALK_ROWS_PER_HIT, index_piece
from registry.storage.unit_of_work import UnitOfWork

# More schemas ahead of the hits in name order than a walk for a page of one hit tests: the walk ends
# empty and the trigram indexes answer.
FILLER = min(WALK_ROWS_PER_HIT * 2, MAX_WALK_ROWS) + 20


def contract(*properties: str, title: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "object", "properties": {name: {"type": "string"} for name in properties}}
    if title is not None:
        body["title"] = title
    return body


def store(uow: UnitOfWork, registry: str, schemas: dict[str, dict[str, Any]]) -> None:
    """Schemas with their search documents, written by the search's own write path in one transaction
    (hundreds of registrations through the service would take seconds)."""
    with uow.writing() as tx:
        registry_id = tx.session.scalar(select(RegistryRow.id).where(RegistryRow.name == registry))
        rows = [
            {"registry_id": registry_id, "name": name, "type": "JSONSchemaDraft4", "description": None,
             "package_name": distribution_name(registry, name)}
            for name in schemas
        ]  # fmt: skip
        created = tx.session.execute(insert(SchemaRow).returning(SchemaRow.id, SchemaRow.name), rows).all()
        for schema_id, name in created:
            tx.search.add_first_contract(schema_id, registry, name, schemas[name])
        tx.commit()


def ranking(engine: Engine, query: str) -> list[tuple[int, str, str]]:
    """(rank, registry, schema) of every hit, in order, by the rules alone."""
    terms = query_terms(query)
    with engine.connect() as connection:
        documents = connection.execute(
            text("SELECT registry_name, schema_name, name, description, document FROM search_documents")
        ).all()
    hits = []
    for registry, schema, name, description, document in documents:
        if all(term in document for term in terms):
            rank = sum(4 if term in name else 2 if term in description else 1 for term in terms)
            hits.append((rank, registry, schema))
    return sorted(hits, key=lambda hit: (-hit[0], hit[1], hit[2]))


def paged(uow: UnitOfWork, query: str, limit: int, registry: str | None = None) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    cursor = None
    while True:
        page = services.search(uow, query, registry=registry, only=None, limit=limit, cursor=cursor)
        found += [(hit.registry, hit.schema) for hit in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return found


@pytest.fixture
def uow(engine: Engine) -> UnitOfWork:
    uow = UnitOfWork(make_session_factory(engine))
    changes = services.RegistryChanges(compatibility=CompatibilityMode.NONE)
    for registry in ("alpha", "beta", "gamma"):
        services.put_registry(uow, registry, changes, actor="test")
    # alpha: nothing but filler, ahead of every hit in name order
    store(uow, "alpha", {f"com.acme.filler{n:04}@Noise": contract("someField") for n in range(FILLER)})
    store(
        uow,
        "beta",
        {
            "com.acme.orders@OrderPlaced": contract("orderId", "warehouseCode"),
            "com.acme.orders@OrderPlacedAgain": contract("amount"),
            "x.com.acme.orders@orderplaced.v2": contract("amount"),
            "com.acme.orders@OrderCancelled": contract("amount", title="after com.acme.orders@OrderPlaced"),
            "com.acme.billing@OrderPlacedFee": contract("fee"),  # the longest word, not the whole term
            "com.acme.stock@WarehouseMoved": contract("warehouseId"),
            "com.acme.stock@WarehouseCounted": contract("warehouseId", "orderplaced"),
        },
    )
    store(
        uow,
        "gamma",
        {f"com.acme.stock@Warehouse{n:02}": contract("binId", "placedAt") for n in range(12)}
        | {f"com.acme.misc@Thing{n:02}": contract("warehouseRef") for n in range(5)},
    )
    described = services.SchemaChanges(description="a WAREHOUSE fee")
    services.update_schema(uow, "beta", "com.acme.billing@OrderPlacedFee", described, actor="test")
    return uow


QUERIES = (
    "warehouse",  # a broad word: names, a description, keywords, in three registries
    "com.acme.orders@OrderPlaced",  # a whole name: its longest word asks the index, the whole is tested
    "orderplaced",
    "COM.ACME.ORDERS@orderplaced placed",  # several terms: the names tier, then ranked as a whole
    "warehouse placed",
    "com.acme.stock@warehouse",
    "acme",  # in every name: the walk fills the page
    "nothing.at@all",
)


def test_every_strategy_pages_through_the_ranking_the_rules_define(engine: Engine, uow: UnitOfWork) -> None:
    """Pages of 1 and 3 hits: a walk for them tests fewer rows than the filler ahead of the hits, so the
    trigram indexes answer; pages of 50: the walk covers every document."""
    for limit, query in itertools.product((1, 3, 50), QUERIES):
        expected = [(registry, schema) for _, registry, schema in ranking(engine, query)]
        if query == "acme":  # hundreds: the first pages are what the walk must get right
            found: list[tuple[str, str]] = []
            cursor = None
            for _ in range(3):
                page = services.search(uow, query, registry=None, only=None, limit=limit, cursor=cursor)
                found += [(hit.registry, hit.schema) for hit in page.items]
                cursor = page.next_cursor
            assert found == expected[: limit * 3], (query, limit)
        else:
            assert paged(uow, query, limit) == expected, (query, limit)
    assert ranking(engine, "com.acme.orders@OrderPlaced")[:4] == [
        (4, "beta", "com.acme.orders@OrderPlaced"),
        (4, "beta", "com.acme.orders@OrderPlacedAgain"),
        (4, "beta", "x.com.acme.orders@orderplaced.v2"),
        (1, "beta", "com.acme.orders@OrderCancelled"),
    ]
    in_gamma = [
        (registry, schema) for _, registry, schema in ranking(engine, "warehouse") if registry == "gamma"
    ]
    assert len(in_gamma) == 17
    for limit in (1, 3):
        assert paged(uow, "warehouse", limit, registry="gamma") == in_gamma


def test_the_index_piece_is_part_of_the_term_and_the_longest_word_of_a_namespaced_one() -> None:
    assert index_piece("com.acme.t0125000@ordercreated") == "ordercreated"
    assert index_piece("com.acme.orders@orderplaced") == "orderplaced"
    assert index_piece("order.created") == "order.created"  # two words stay whole
    assert index_piece("warehouse") == "warehouse"
    assert index_piece("a.b.c") == "a.b.c"  # no word long enough for a trigram
    assert index_piece("com.acme.orders@placed") == "placed"  # equal lengths: the last
    for term in ("com.acme.t0125000@ordercreated", "x_y.zz-top@übergröße"):
        assert index_piece(term) in term


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_the_names_table_follows_the_documents(engine: Engine, uow: UnitOfWork) -> None:
    """PostgreSQL's `search_names` (migration 0012) holds what `search_documents` holds of the names,
    through registrations, description changes, deletions of versions and schemas, and registries."""

    def both() -> tuple[list[Any], list[Any]]:
        with engine.connect() as connection:
            names = connection.execute(
                text("SELECT schema_id, registry_name, schema_name, name FROM search_names ORDER BY 1")
            ).all()
            documents = connection.execute(
                text("SELECT schema_id, registry_name, schema_name, name FROM search_documents ORDER BY 1")
            ).all()
        return names, documents

    names, documents = both()
    assert names == documents and len(names) == FILLER + 7 + 17
    for properties in (("parcelId",), ("parcelId", "carrier")):
        new = services.NewVersion(type="JSONSchemaDraft4", content=contract(*properties))
        services.register_version(uow, "beta", "ParcelShipped", new, actor="test")
    described = services.SchemaChanges(description="shipped")
    services.update_schema(uow, "beta", "ParcelShipped", described, actor="test")
    services.delete_version(uow, "beta", "ParcelShipped", 1, actor="test")
    services.delete_schema(uow, "beta", "com.acme.orders@OrderPlaced", actor="test")
    services.delete_registry(uow, "gamma", actor="test")
    names, documents = both()
    assert names == documents
    assert len(names) == FILLER + 7
    assert paged(uow, "parcelshipped", 5) == [("beta", "ParcelShipped")]

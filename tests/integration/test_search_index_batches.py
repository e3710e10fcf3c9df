"""On SQLite the FTS5 index takes changed documents in batches (migration 0013): between two batches, the
documents written since are listed and searched themselves, and what the index still holds of them (the
text before the change) must neither find them nor be left behind when they change again or go. Whatever
the mix of indexed, listed, changed and deleted documents, search answers what the stored documents say
(the oracle of test_search_strategies), and once the listed ones are moved in, the index is exactly the
documents (FTS5's own integrity check against its content table)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from registry import services
from registry.domain.model import CompatibilityMode
from registry.storage.database import make_engine, make_session_factory
from registry.storage.migrations import upgrade
from registry.storage.search import FTS_BATCH, MOVE_PENDING_SQL, _search_statement
from registry.storage.unit_of_work import UnitOfWork
from tests.integration.test_search_strategies import paged, ranking

REGISTRY = "teams"
# Enough schemas that the first batches went into the index and some wait in the list
SCHEMAS = FTS_BATCH * 2 + FTS_BATCH // 2
# FTS5's check of the index against its content table (the documents): raises when they differ
INTEGRITY_CHECK = (
    "INSERT INTO search_documents_fts (search_documents_fts, rank) VALUES ('integrity-check', 1)"
)
# the plan's steps reading the documents (`d` the ranked ones, `x` the listed ones)
READS_OF_DOCUMENTS = [["SCAN", "x"], ["SEARCH", "x"], ["SCAN", "d"], ["SEARCH", "d"]]
QUERIES = ("oldword", "newword", "common", "keep3x", "shared described", "schema0", "zz", "schema1 oldword")


def contract(*properties: str) -> dict[str, Any]:
    return {"type": "object", "properties": {name: {"type": "string"} for name in properties}}


def register(uow: UnitOfWork, schema: str, content: dict[str, Any]) -> None:
    new = services.NewVersion(type="JSONSchemaDraft4", content=content)
    services.register_version(uow, REGISTRY, schema, new, actor="test")


def name(number: int) -> str:
    return f"com.acme@Schema{number:03}"


def pending(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM search_fts_pending")).scalar_one())


def assert_search_is_exact(uow: UnitOfWork, engine: Engine) -> None:
    for query in QUERIES:
        expected = [(registry, schema) for _, registry, schema in ranking(engine, query)]
        assert paged(uow, query, limit=7) == expected, query


def registry_on(engine: Engine) -> UnitOfWork:
    uow = UnitOfWork(make_session_factory(engine))
    services.put_registry(
        uow, REGISTRY, services.RegistryChanges(compatibility=CompatibilityMode.NONE), actor="test"
    )
    return uow


@pytest.fixture
def uow(engine: Engine) -> UnitOfWork:
    return registry_on(engine)


def test_search_answers_the_stored_documents_across_batches_changes_and_deletes(
    uow: UnitOfWork, engine: Engine
) -> None:
    for number in range(SCHEMAS):
        register(uow, name(number), contract("oldword", "common", f"keep{number % 5}x"))
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:  # batches went into the index, the rest wait
        assert 0 < pending(engine) < FTS_BATCH
    assert_search_is_exact(uow, engine)

    # next versions: the old word leaves the documents (newest keywords first, within the bound: it stays;
    # so the changed ones are those whose description changes, and new words arrive in every changed one)
    for number in range(0, SCHEMAS, 3):  # indexed ones and listed ones alike
        register(uow, name(number), contract("newword", "common", f"keep{number % 5}x"))
    for number in range(1, SCHEMAS, 4):
        changes = services.SchemaChanges(description=f"shared described {number}")
        services.update_schema(uow, REGISTRY, name(number), changes, actor="test")
    assert_search_is_exact(uow, engine)

    # a version deleted: its schema's document is rebuilt from the versions left, without `newword`
    for number in range(0, SCHEMAS, 6):
        services.delete_version(uow, REGISTRY, name(number), 2, actor="test")
    assert_search_is_exact(uow, engine)
    for number in range(2, SCHEMAS, 5):  # indexed, listed, changed after being indexed
        services.delete_schema(uow, REGISTRY, name(number), actor="test")
    assert_search_is_exact(uow, engine)

    if sqlite:
        with uow.writing() as tx:
            tx.search.index_pending()
            tx.commit()
        assert pending(engine) == 0
        assert_search_is_exact(uow, engine)
        with engine.begin() as connection:  # raises when the index and the documents differ
            connection.execute(text(INTEGRITY_CHECK))


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'registry.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def test_a_word_a_document_no_longer_holds_is_not_found_while_the_index_still_holds_it(
    sqlite_engine: Engine,
) -> None:
    engine = sqlite_engine
    uow = registry_on(engine)
    for number in range(FTS_BATCH):  # the last one moves them all into the index
        register(uow, name(number), contract("common"))
    assert pending(engine) == 0
    changes = services.SchemaChanges(description="gone soon")
    services.update_schema(uow, REGISTRY, name(0), changes, actor="test")
    services.update_schema(uow, REGISTRY, name(1), changes, actor="test")
    assert paged(uow, "gone", limit=10) == [(REGISTRY, name(0)), (REGISTRY, name(1))]
    with uow.writing() as tx:
        tx.search.index_pending()
        tx.commit()
    # the index holds "gone soon" for both; one changes again (listed, with the text the index holds)
    services.update_schema(uow, REGISTRY, name(0), services.SchemaChanges(description="other"), actor="test")
    assert pending(engine) == 1
    assert paged(uow, "gone", limit=10) == [(REGISTRY, name(1))]
    assert paged(uow, "other", limit=10) == [(REGISTRY, name(0))]
    services.delete_schema(uow, REGISTRY, name(1), actor="test")  # indexed, not listed
    services.delete_schema(uow, REGISTRY, name(0), actor="test")  # listed, indexed before its change
    assert paged(uow, "gone", limit=10) == paged(uow, "other", limit=10) == []
    with engine.begin() as connection:
        connection.execute(text(INTEGRITY_CHECK))


@pytest.mark.parametrize("analyzed", [False, True], ids=["never analyzed", "analyzed with none listed"])
def test_sqlite_search_reads_the_listed_documents_by_the_list_not_every_document(
    tmp_path: Path, analyzed: bool
) -> None:
    """The listed documents are searched themselves: through the list (a few dozen rows), each read by its
    id, never by reading every stored document. For a join SQLite's planner chose to test the terms in
    every document (35 ms at 100,000 versions); told the order, and once the database was analyzed while
    nothing was listed (as after a bulk load, or an operator's ANALYZE), it built a Bloom filter over every
    document first (100 ms at 100,000 versions)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'registry.db'}")
    upgrade(engine)
    uow = registry_on(engine)
    for number in range(SCHEMAS):
        register(uow, name(number), contract("oldword", f"keep{number}x"))
    if analyzed:  # every document in the index, none listed, then ANALYZE
        with engine.begin() as connection:
            for statement in MOVE_PENDING_SQL:
                connection.execute(text(statement))
            connection.execute(text("ANALYZE"))
    for number in range(FTS_BATCH // 4):
        register(uow, name(number), contract("newword", f"keep{number}x"))
    assert pending(engine) > 0
    statement = _search_statement("sqlite", 2, 0, 0, fts=True, after=False)
    values = {
        "phrases": '"abc" "def"',
        "term0": "abc",
        "term1": "def",
        "indexed0": "abc",
        "indexed1": "def",
        "limit": 21,
    }
    with engine.connect() as connection:
        plan = [row[3] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {statement.text}"), values)]
    engine.dispose()
    assert "SCAN p" in plan, plan
    documents_read = [step for step in plan if step.split()[:2] in READS_OF_DOCUMENTS]
    assert documents_read, plan
    assert all("USING INTEGER PRIMARY KEY (rowid=?)" in step for step in documents_read), plan
    assert not any("BLOOM FILTER" in step for step in plan), plan

"""The search index: one document per schema (registry.domain.search), written in the transaction that
changes what it holds, and queried through a trigram index: FTS5 on SQLite, pg_trgm's GIN on PostgreSQL.

Both indexes answer substrings, which is what search promised before it had an index (`invoice` finds
`InvoiceIssued`); word-based full-text search (tsvector) would not. Each index only narrows the candidates:
every term is then checked as a plain substring of the folded document, so both databases give one answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, func, literal, or_, select, text, true, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from registry.domain.model import SearchHit
from registry.domain.search import (
    IN_DESCRIPTION,
    IN_KEYWORDS,
    IN_NAME,
    RankedHit,
    SearchAfter,
    contract_keywords,
    keywords_of,
    merge_keywords,
    search_document,
)
from registry.storage.models import RegistryRow, SchemaRow, SearchDocumentRow, VersionRow
from registry.storage.repositories import RESOLVED_CONTENT

# The FTS5 trigram tokenizer indexes substrings of 3 characters or more; shorter terms are only checked.
SHORTEST_INDEXED_TERM = 3


class SearchRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_contract(self, schema_id: int, contract: Any) -> None:
        """A new version (the newest) of the schema holds `contract` (parsed, references inlined)."""
        stored = self.session.scalar(
            select(SearchDocumentRow.document).where(SearchDocumentRow.schema_id == schema_id)
        )
        older = keywords_of(stored) if stored is not None else []
        self._write(schema_id, merge_keywords(contract_keywords(contract), older), exists=stored is not None)

    def describe(self, schema_id: int) -> None:
        """The schema's description changed: its document follows, keeping its keywords."""
        stored = self.session.scalar(
            select(SearchDocumentRow.document).where(SearchDocumentRow.schema_id == schema_id)
        )
        self._write(schema_id, keywords_of(stored) if stored is not None else [], exists=stored is not None)

    def rebuild(self, schema_id: int) -> None:
        """Build the document again from the versions left (after one was deleted), newest first, reading
        only as many as the keyword budget takes."""
        query = (
            select(RESOLVED_CONTENT)
            .where(VersionRow.schema_id == schema_id)
            .order_by(VersionRow.version.desc())
            .execution_options(yield_per=50)
        )
        keywords: list[str] = []
        for content in self.session.scalars(query):
            older = contract_keywords(json.loads(content))
            keywords = merge_keywords(keywords, older)
            if not set(older) <= set(keywords):  # the bound is reached: older versions add nothing
                break
        self._write(schema_id, keywords, exists=True)

    def _write(self, schema_id: int, keywords: list[str], *, exists: bool) -> None:
        name, description = self.session.execute(
            select(SchemaRow.name, SchemaRow.description).where(SchemaRow.id == schema_id)
        ).one()
        document = search_document(name, description, keywords)
        values = dict(name=document.name, description=document.description, document=document.text)
        if exists:
            self.session.execute(
                update(SearchDocumentRow).where(SearchDocumentRow.schema_id == schema_id).values(**values)
            )
        else:
            self.session.add(SearchDocumentRow(schema_id=schema_id, **values))
            self.session.flush()

    def search(
        self,
        terms: list[str],
        *,
        registry: str | None,
        only: str | None,
        after: SearchAfter | None,
        limit: int,
    ) -> list[RankedHit]:
        """The schemas whose document holds every (folded) term, best ranked first: a term scores
        IN_NAME, IN_DESCRIPTION or IN_KEYWORDS for the first of these parts holding it."""
        candidates = self._candidates(terms)
        rank = sum((_score(term) for term in terms), start=literal(0)).label("rank")
        ranked = (
            select(
                SearchDocumentRow.schema_id,
                rank,
                RegistryRow.name.label("registry"),
                SchemaRow.name.label("schema"),
            )
            .join(SchemaRow, SchemaRow.id == SearchDocumentRow.schema_id)
            .join(RegistryRow, RegistryRow.id == SchemaRow.registry_id)
            .where(candidates)
        )
        for name in (registry, only):
            if name is not None:
                ranked = ranked.where(RegistryRow.name == name)
        found = ranked.subquery()
        page = select(found.c.schema_id, found.c.rank, found.c.registry, found.c.schema)
        if after is not None:
            page = page.where(
                or_(
                    found.c.rank < after.rank,
                    and_(found.c.rank == after.rank, found.c.registry > after.registry),
                    and_(
                        found.c.rank == after.rank,
                        found.c.registry == after.registry,
                        found.c.schema > after.schema,
                    ),
                )
            )
        page = page.order_by(found.c.rank.desc(), found.c.registry, found.c.schema).limit(limit)
        hits = self.session.execute(page).all()
        return self._described(hits)

    def _candidates(self, terms: list[str]) -> ColumnElement[bool]:
        """The condition that lets the database's index narrow the documents."""
        if self.session.get_bind().dialect.name == "postgresql":
            # pg_trgm's GIN index answers LIKE '%term%' (terms too short for a trigram scan the rows)
            likes = (SearchDocumentRow.document.like(_like_pattern(term), escape="\\") for term in terms)
            return and_(true(), *likes)
        # FTS5 narrows by the terms it indexes; every term is then checked as a plain substring
        checks = [PositionOf(SearchDocumentRow.document, literal(term)) > 0 for term in terms]
        indexed = [term for term in terms if len(term) >= SHORTEST_INDEXED_TERM]
        if indexed:
            phrases = " ".join('"' + term.replace('"', '""') + '"' for term in indexed)
            matching = text(
                "SELECT rowid FROM search_documents_fts WHERE search_documents_fts MATCH :phrases"
            )
            checks.append(SearchDocumentRow.schema_id.in_(matching.bindparams(phrases=phrases)))
        return and_(true(), *checks)

    def _described(self, hits: Iterable[Any]) -> list[RankedHit]:
        """The hits of one page, with what the response shows of each schema."""
        hits = list(hits)
        if not hits:
            return []
        latest = (
            select(func.max(VersionRow.version)).where(VersionRow.schema_id == SchemaRow.id).scalar_subquery()
        )
        query = select(SchemaRow.id, SchemaRow.type, SchemaRow.description, latest).where(
            SchemaRow.id.in_([hit.schema_id for hit in hits])
        )
        details = {found[0]: found[1:] for found in self.session.execute(query)}
        return [
            RankedHit(
                SearchHit(
                    registry=hit.registry,
                    schema=hit.schema,
                    type=details[hit.schema_id][0],
                    latest_version=details[hit.schema_id][2],
                    description=details[hit.schema_id][1],
                ),
                hit.rank,
            )
            for hit in hits
        ]


def _score(term: str) -> ColumnElement[int]:
    return case(
        (PositionOf(SearchDocumentRow.name, literal(term)) > 0, IN_NAME),
        (PositionOf(SearchDocumentRow.description, literal(term)) > 0, IN_DESCRIPTION),
        else_=IN_KEYWORDS,
    )


class PositionOf(FunctionElement[int]):
    """Where a string first occurs in another (1-based; 0: nowhere): strpos on PostgreSQL, instr on
    SQLite."""

    type = Integer()
    inherit_cache = True


@compiles(PositionOf, "postgresql")
def _strpos(element: PositionOf, compiler: Any, **kw: Any) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)})"


@compiles(PositionOf, "sqlite")
def _instr(element: PositionOf, compiler: Any, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"

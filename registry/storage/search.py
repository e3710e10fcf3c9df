"""The search index: one document per schema (registry.domain.search), written in the transaction that
changes what it holds, and queried through a trigram index: FTS5 on SQLite, pg_trgm's GIN on PostgreSQL.

Both indexes answer substrings, which is what search promised before it had an index (`invoice` finds
`InvoiceIssued`); word-based full-text search (tsvector) would not. Both answer exactly, so the two databases
give one answer: PostgreSQL rechecks each candidate with the LIKE itself, FTS5's trigrams are case-sensitive
over the folded text. Terms shorter than a trigram are looked for in what the others found (alone, in every
document).

On PostgreSQL the best tier comes first (migration 0011: a trigram index on the names alone): schemas whose
name holds every term have the highest rank there is, so when they fill the page, it is theirs in name
order, and the matches elsewhere (thousands for a broad word at a million versions) are neither read nor
ranked. Otherwise every match is ranked, as before.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import TextClause, bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from registry.domain.model import SearchHit
from registry.domain.search import (
    IN_DESCRIPTION,
    IN_KEYWORDS,
    IN_NAME,
    RankedHit,
    SearchAfter,
    SearchDocument,
    contract_keywords,
    fold,
    keywords_of,
    merge_keywords,
    search_document,
)
from registry.storage.direct import Direct
from registry.storage.models import Base, RegistryRow, SchemaRow, VersionRow
from registry.storage.repositories import RESOLVED_CONTENT

# The FTS5 trigram tokenizer indexes substrings of 3 characters or more; shorter terms are only checked.
SHORTEST_INDEXED_TERM = 3
# The walk through the index of names tests this many documents per hit wanted (a word in 1 document in 100
# fills the page), and never more than MAX_WALK_ROWS
WALK_ROWS_PER_HIT = 100
MAX_WALK_ROWS = 5000
# The words of a term as pg_trgm cuts them (letters and digits; anything else separates)
_WORDS = re.compile(r"[^\W_]+")
# SQLite: what the FTS5 table over `search_documents.document` (rowid: the schema id, migration 0010) finds,
# but for the documents listed in `search_fts_pending` (migration 0013: changed since the index last took
# them, so what it holds of them may be stale), which are searched themselves (a few dozen at most).
IN_FTS = """d.schema_id IN (
    SELECT rowid FROM search_documents_fts
    WHERE search_documents_fts MATCH :phrases AND rowid NOT IN (SELECT schema_id FROM search_fts_pending)
    UNION ALL
    SELECT p.schema_id FROM search_fts_pending p WHERE {in_pending})"""
# A listed document, read by its id for each listed row. Not a join: SQLite's planner knows nothing of the
# list's size (empty whenever the database was analyzed), and for a join it tested the terms in every
# document (35 ms at 100,000 versions), or, told the order (CROSS JOIN), built a Bloom filter over every
# document first, reading them all (100 ms at 100,000 versions after the database was analyzed).
LISTED_DOCUMENT = "(SELECT x.document FROM search_documents x WHERE x.schema_id = p.schema_id)"
# SQLite: the changed documents are moved into the FTS5 index once this many are listed. FTS5 writes the
# terms of a transaction's documents as one new segment: a document written alone cost 170-360 µs (every
# distinct trigram of it a term of its own segment), 64 at a time about 60 µs each (the terms they share
# written once); searching the listed ones themselves costs little at this size.
FTS_BATCH = 64


# The statements of the write path, built once (every registration writes its schema's document): building
# a statement costs more than running it.
_DOCUMENTS = Base.metadata.tables["search_documents"]
_STORED_DOCUMENT = Direct(
    select(_DOCUMENTS.c.name, _DOCUMENTS.c.description, _DOCUMENTS.c.document).where(
        _DOCUMENTS.c.schema_id == bindparam("sid")
    )
)
_NEW_TEXT = Direct(
    update(_DOCUMENTS).where(_DOCUMENTS.c.schema_id == bindparam("sid")).values(document=bindparam("text"))
)
_NAMES = (
    select(RegistryRow.name, SchemaRow.name, SchemaRow.description)
    .join(RegistryRow, RegistryRow.id == SchemaRow.registry_id)
    .where(SchemaRow.id == bindparam("sid"))
)
_PARTS = ("registry_name", "schema_name", "name", "description", "document")
_NEW_DOCUMENT = Direct(insert(_DOCUMENTS), columns=("schema_id", *_PARTS))
_REWRITTEN = (
    update(_DOCUMENTS)
    .where(_DOCUMENTS.c.schema_id == bindparam("sid"))
    .values({part: bindparam(f"new_{part}") for part in _PARTS})
)


# SQLite (migration 0013): how many changed documents wait for the index, and moving them into it
_PENDING = Direct(text("SELECT count(*) FROM search_fts_pending"))
# (bulk loads writing rows directly run these at the end: the documents they inserted are listed)
MOVE_PENDING_SQL = (
    "INSERT INTO search_documents_fts (search_documents_fts, rowid, document)"
    " SELECT 'delete', schema_id, indexed FROM search_fts_pending WHERE indexed IS NOT NULL",
    "INSERT INTO search_documents_fts (rowid, document) SELECT d.schema_id, d.document"
    " FROM search_fts_pending p JOIN search_documents d ON d.schema_id = p.schema_id",
    "DELETE FROM search_fts_pending",
)
_MOVE_PENDING = tuple(Direct(text(statement)) for statement in MOVE_PENDING_SQL)


class SearchRepository:
    def __init__(self, session: Session, dialect: str) -> None:
        self.session = session
        self._batched_index = dialect == "sqlite"

    def add_contract(self, schema_id: int, contract: Any) -> None:
        """A new version (the newest) of the schema holds `contract` (parsed, references inlined)."""
        stored = _STORED_DOCUMENT.first(self.session, {"sid": schema_id})
        if stored is None:  # the schema's first version
            self._write(schema_id, contract_keywords(contract), exists=False)
            return
        name, description, text = stored
        keywords = merge_keywords(contract_keywords(contract), keywords_of(text))
        document = SearchDocument(name, description, tuple(keywords)).text
        if document != text:  # an unchanged document would only churn the index
            # (a registration reads no document after this: on PostgreSQL it goes with the COMMIT)
            _NEW_TEXT.run_at_commit(self.session, {"sid": schema_id, "text": document})
            self._written()

    def add_first_contract(self, schema_id: int, registry: str, schema: str, contract: Any) -> None:
        """The first version of a schema created in this transaction (no document yet, no description)."""
        document = search_document(schema, None, contract_keywords(contract))
        parts = (registry, schema, document.name, document.description, document.text)
        values = {"schema_id": schema_id, **dict(zip(_PARTS, parts, strict=True))}
        _NEW_DOCUMENT.run_at_commit(self.session, values)  # as in add_contract
        self._written()

    def describe(self, schema_id: int) -> None:
        """The schema's description changed: its document follows, keeping its keywords."""
        stored = _STORED_DOCUMENT.first(self.session, {"sid": schema_id})
        keywords = keywords_of(stored[2]) if stored is not None else []
        self._write(schema_id, keywords, exists=stored is not None)

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
        with self.session.scalars(query) as newest_first:  # closed before the write, even when cut short
            for content in newest_first:
                older = contract_keywords(json.loads(content))
                keywords = merge_keywords(keywords, older)
                if not set(older) <= set(keywords):  # the bound is reached: older versions add nothing
                    break
        self._write(schema_id, keywords, exists=True)

    def _write(self, schema_id: int, keywords: list[str], *, exists: bool) -> None:
        registry, name, description = self.session.execute(_NAMES, {"sid": schema_id}).one()
        document = search_document(name, description, keywords)
        parts = (registry, name, document.name, document.description, document.text)
        if exists:
            values = {f"new_{part}": value for part, value in zip(_PARTS, parts, strict=True)}
            self.session.execute(_REWRITTEN, {"sid": schema_id, **values})
        else:
            _NEW_DOCUMENT.run(self.session, {"schema_id": schema_id, **dict(zip(_PARTS, parts, strict=True))})
        self._written()

    def _written(self) -> None:
        """A document was written: on SQLite, the changed ones go into the index once FTS_BATCH wait."""
        if self._batched_index:
            waiting = _PENDING.first(self.session, {})
            if waiting is not None and waiting[0] >= FTS_BATCH:
                self.index_pending()

    def index_pending(self) -> None:
        """SQLite: every listed document into the FTS5 index now (bulk loads, writing rows directly, run
        MOVE_PENDING_SQL themselves)."""
        for statement in _MOVE_PENDING:
            statement.run(self.session, {})

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
        dialect = self.session.get_bind().dialect.name
        registries = tuple(name for name in (registry, only) if name is not None)
        indexed = [term for term in terms if len(term) >= SHORTEST_INDEXED_TERM]
        short = [term for term in terms if len(term) < SHORTEST_INDEXED_TERM]
        shape = (len(terms), len(short), len(registries))
        statement = _search_statement(dialect, *shape, fts=bool(indexed), after=after is not None)
        values: dict[str, Any] = {"limit": limit}
        values.update({f"short{index}": term for index, term in enumerate(short)})
        values.update({f"indexed{index}": term for index, term in enumerate(indexed)})
        for index, term in enumerate(terms):
            values[f"term{index}"] = term
            values[f"pattern{index}"] = _like_pattern(term)
            values[f"piece{index}"] = _like_pattern(index_piece(term))
        values["phrases"] = " ".join('"' + term.replace('"', '""') + '"' for term in indexed)
        values.update({f"registry{index}": name for index, name in enumerate(registries)})
        if after is not None:
            values.update(after_score=after.rank, after_registry=after.registry, after_schema=after.schema)
        if dialect == "postgresql" and indexed:
            tiers = _tiers(len(terms))
            if after is None or after.rank >= tiers[-1].rank:
                values["budget"] = min(WALK_ROWS_PER_HIT * limit, MAX_WALK_ROWS)
                hits = self._best_tiers_first(tiers, len(registries), after, limit, values)
                if hits is not None:
                    return hits
        return self._hits(statement, values)

    def _best_tiers_first(
        self, tiers: tuple[Tier, ...], registries: int, after: SearchAfter | None, limit: int,
        values: dict[str, Any],
    ) -> list[RankedHit] | None:  # fmt: skip
        """PostgreSQL: the page read tier by tier, best first, each in name order; None when the tiers
        read do not fill it and the rest must be ranked as a whole."""
        hits: list[RankedHit] = []
        whole_name = False  # the term is a whole schema's name
        for tier in tiers:
            if after is not None and after.rank < tier.rank:
                continue  # the cursor is past this tier
            resume = after is not None and after.rank == tier.rank
            tier_values = {**values, "limit": limit - len(hits)}
            found: list[RankedHit] = []
            # A whole name typed (one schema looked up) is rare in other documents: a walk through them
            # would test all its budget for nothing, where their trigram index finds the few at once.
            if tier.walk and not whole_name:
                found = self._hits(_tier_statement(tier, registries, resume=resume, walk=True), tier_values)
            if len(found) < tier_values["limit"]:  # the walk ended before the page filled: ask the index
                found = self._hits(_tier_statement(tier, registries, resume=resume, walk=False), tier_values)
            hits += found
            if len(hits) == limit:
                return hits
            whole_name = whole_name or any(fold(hit.hit.schema) == values["term0"] for hit in found)
        return hits if tiers[-1].rank == IN_KEYWORDS else None  # the last tier is the lowest rank there is

    def _hits(self, statement: TextClause, values: dict[str, Any]) -> list[RankedHit]:
        return [
            RankedHit(SearchHit(registry=found.registry, schema=found.schema, type=found.type,
                                latest_version=found.latest, description=found.description), found.score)
            for found in self.session.execute(statement, values)
        ]  # fmt: skip


@lru_cache(maxsize=512)
def _search_statement(
    dialect: str, terms: int, short: int, registries: int, *, fts: bool, after: bool
) -> TextClause:
    """The query for one shape of search, written once: built per request, a SQLAlchemy expression of
    this size costs several times what the database takes to answer it.

    The innermost query finds and scores the documents (no join: a document holds the names that order
    the hits), the middle one takes the page, the outer one adds what the page shows of each schema."""
    position = "strpos" if dialect == "postgresql" else "instr"
    scores = [
        f"CASE WHEN {position}(d.name, :term{i}) > 0 THEN {IN_NAME}"
        f" WHEN {position}(d.description, :term{i}) > 0 THEN {IN_DESCRIPTION} ELSE {IN_KEYWORDS} END"
        for i in range(terms)
    ]
    if dialect == "postgresql":  # pg_trgm's GIN index answers LIKE '%term%' (shorter than 3: it scans)
        conditions = [_contains("d.document", i, indexed=True) for i in range(terms)]
    else:  # FTS5 finds the terms of 3 characters or more (exactly: its trigrams are case-sensitive, over
        # a folded document), shorter ones are looked for in what it found
        conditions = [f"instr(d.document, :short{i}) > 0" for i in range(short)]
        if fts:
            in_pending = (f"instr({LISTED_DOCUMENT}, :indexed{i}) > 0" for i in range(terms - short))
            conditions.append(IN_FTS.format(in_pending=" AND ".join(in_pending)))
    conditions += [f"d.registry_name = :registry{i}" for i in range(registries)]
    resume = (
        "WHERE m.score < :after_score OR (m.score = :after_score AND (m.registry > :after_registry"
        " OR (m.registry = :after_registry AND m.schema > :after_schema)))"
        if after
        else ""
    )
    score = " + ".join(scores) or "0"
    return _with_schemas(
        f"""SELECT m.* FROM (
                SELECT d.schema_id, {score} AS score, d.registry_name AS registry, d.schema_name AS schema
                FROM search_documents d
                WHERE {" AND ".join(conditions) or "1 = 1"}
            ) m
            {resume}
            ORDER BY m.score DESC, m.registry, m.schema
            LIMIT :limit"""
    )


@dataclass(frozen=True)
class Tier:
    """Documents of one rank: those holding every term in the name (`part` "name"), or for one term,
    holding it in the description and not the name, or in the keywords only (`part` "document")."""

    rank: int
    part: str
    terms: int = 1
    walk: bool = True  # try a walk in name order first (not for descriptions: few, short, their index small)

    def condition(self, d: str, *, indexed: bool) -> str:
        """The condition on row `d`; `indexed`: written for the trigram index (see _contains)."""
        found = " AND ".join(_contains(f"{d}.{self.part}", i, indexed=indexed) for i in range(self.terms))
        outside = {"name": [], "description": ["name"], "document": ["name", "description"]}[self.part]
        return " AND ".join([found, *(f"strpos({d}.{part}, :term0) = 0" for part in outside)])


def _tiers(terms: int) -> tuple[Tier, ...]:
    """The tiers read one by one, best first: every term in the name (the highest rank there is); for one
    term, also in the description (not the name), then in the keywords only: the page is then exact without
    ranking anything. Below the names tier, several terms mix their ranks: they are ranked as a whole."""
    in_name = Tier(IN_NAME * terms, "name", terms)
    if terms > 1:
        return (in_name,)
    return (in_name, Tier(IN_DESCRIPTION, "description", walk=False), Tier(IN_KEYWORDS, "document"))


def _contains(column: str, term: int, *, indexed: bool) -> str:
    """`column` holds term number `term`. For a trigram index, the LIKE names the term's rarest piece
    (:piece, see index_piece) and strpos tests the whole term in the rows that index finds; elsewhere
    (a walk) the LIKE tests the whole term."""
    if not indexed:
        return f"{column} LIKE :pattern{term} ESCAPE '\\'"
    return f"{column} LIKE :piece{term} ESCAPE '\\' AND strpos({column}, :term{term}) > 0"


def index_piece(term: str) -> str:
    """The part of a (folded) term the trigram index is asked for; what it finds is then tested for the
    whole term, so any part gives the same answer, only at another cost.

    pg_trgm reads the posting list of every trigram of the pattern. A term of several words joined by
    dots, `@` or dashes (a whole schema name, `com.acme.orders@OrderPlaced`) holds namespace words found
    in nearly every document: their lists are as long as the table (250,000 entries at a million
    versions), and reading them cost 20-30 ms where the rows they leave are one. Its longest word (the
    last of equal ones: names end in what they name) is the rarest part by far in names; two words
    (`order.created`) stay whole: both are likely specific, and their trigrams together narrow more."""
    words = _WORDS.findall(term)
    if len(words) < 3:
        return term
    longest = max(reversed(words), key=len)
    return longest if len(longest) >= SHORTEST_INDEXED_TERM else term


@lru_cache(maxsize=256)
def _tier_statement(tier: Tier, registries: int, *, resume: bool, walk: bool) -> TextClause:
    """A page of one tier in name order (after the cursor's names when it resumes there).

    `walk`: through the index of names (migration 0011), testing at most :budget documents in name order:
    a broad word fills the page in the first few hundred, where the trigram index would read and order
    thousands (a name is tested in the index itself, a document in its row). Otherwise through the
    trigram indexes, which find the few matches of a selective word wherever they are; for the names tier
    that is the narrow table `search_names` (migration 0012): the rows holding a broad word in their name
    are read to be ordered (5,000 at a million versions), and its rows are a tenth of a document's size."""
    scope = [f"d.registry_name = :registry{i}" for i in range(registries)]
    if resume:
        scope.append("(d.registry_name, d.schema_name) > (:after_registry, :after_schema)")
    columns = "d.schema_id, d.registry_name AS registry, d.schema_name AS schema"
    where = " AND ".join(scope) or "1 = 1"
    if walk:
        if tier.rank >= IN_NAME:  # the names tier needs no more than the index of names holds
            rows = f"SELECT {columns}, d.name FROM search_documents d WHERE {where}"
        else:
            rows = (
                f"SELECT {columns}, d.name, d.description, d.document FROM search_documents d WHERE {where}"
            )
        return _with_schemas(
            f"""SELECT w.schema_id, {tier.rank} AS score, w.registry, w.schema
                FROM ({rows} ORDER BY d.registry_name, d.schema_name LIMIT :budget) w
                WHERE {tier.condition("w", indexed=False)}
                ORDER BY w.registry, w.schema
                LIMIT :limit"""
        )
    table = "search_names" if tier.part == "name" else "search_documents"
    return _with_schemas(
        f"""SELECT {columns.replace("d.schema_id", f"d.schema_id, {tier.rank} AS score")}
            FROM {table} d
            WHERE {tier.condition("d", indexed=True)} AND {where}
            ORDER BY d.registry_name, d.schema_name
            LIMIT :limit"""
    )


def _with_schemas(page: str) -> TextClause:
    """A page of hits (schema_id, score, registry, schema) with what the page shows of each schema."""
    return text(
        f"""SELECT h.registry, h.schema, s.type, s.description, h.score,
            (SELECT max(v.version) FROM schema_versions v WHERE v.schema_id = h.schema_id) AS latest
        FROM ({page}) h
        JOIN schemas s ON s.id = h.schema_id
        ORDER BY h.score DESC, h.registry, h.schema"""
    )


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"

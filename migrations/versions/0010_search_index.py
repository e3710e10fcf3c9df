"""a search index: one document per schema, under a trigram index (pg_trgm's GIN; SQLite's FTS5)

Revision ID: 0010_search_index
Revises: 0009_secret_encryption
Create Date: 2026-12-06

`search_documents` holds, per schema, its name, its description and the keywords of its contracts, folded
(registry.domain.search says what and how; the copy of that extraction below is the one of this revision,
a test keeps the two equal). The upgrade builds the documents of the schemas stored, then the index: on
PostgreSQL a GIN index with pg_trgm's operator class (`CREATE EXTENSION pg_trgm`: a trusted extension, so
the owner of the database may create it), on SQLite an FTS5 table with the trigram tokenizer over the
documents (external content; case-sensitive, the documents being folded already, so that a match is
exactly a substring), kept by triggers. A later batch migration of `search_documents` on SQLite
must create those triggers again. The downgrade drops all of it (pg_trgm stays: others may use it).
"""

import json
import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010_search_index"
down_revision = "0009_secret_encryption"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
BATCH = 500

MAX_KEYWORD_CHARS = 200
MAX_KEYWORDS_CHARS = 8000
_WHITESPACE = re.compile(r"\s+")
_NAMED_CHILDREN = ("properties", "patternProperties", "definitions", "$defs", "schemas")

FTS_TRIGGERS = (
    """CREATE TRIGGER search_documents_fts_insert AFTER INSERT ON search_documents BEGIN
        INSERT INTO search_documents_fts (rowid, document) VALUES (new.schema_id, new.document);
    END""",
    """CREATE TRIGGER search_documents_fts_delete AFTER DELETE ON search_documents BEGIN
        INSERT INTO search_documents_fts (search_documents_fts, rowid, document)
        VALUES ('delete', old.schema_id, old.document);
    END""",
    """CREATE TRIGGER search_documents_fts_update AFTER UPDATE ON search_documents BEGIN
        INSERT INTO search_documents_fts (search_documents_fts, rowid, document)
        VALUES ('delete', old.schema_id, old.document);
        INSERT INTO search_documents_fts (rowid, document) VALUES (new.schema_id, new.document);
    END""",
)


def upgrade() -> None:
    documents = op.create_table(
        "search_documents",
        sa.Column("schema_id", ID, nullable=False),
        sa.Column("registry_name", sa.String(64), nullable=False),
        sa.Column("schema_name", sa.String(385), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["schema_id"],
            ["schemas.id"],
            name="fk_search_documents_schema_id_schemas",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("schema_id", name="pk_search_documents"),
    )
    _build_documents(documents)
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_search_documents_document_trgm ON search_documents "
            "USING gin (document gin_trgm_ops)"
        )
        return
    op.execute(
        "CREATE VIRTUAL TABLE search_documents_fts USING fts5(document, content='search_documents', "
        "content_rowid='schema_id', tokenize='trigram case_sensitive 1')"
    )
    op.execute("INSERT INTO search_documents_fts (search_documents_fts) VALUES ('rebuild')")
    for trigger in FTS_TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER search_documents_fts_{event}")
        op.execute("DROP TABLE search_documents_fts")
    else:
        op.execute("DROP INDEX ix_search_documents_document_trgm")
    op.drop_table("search_documents")


def _build_documents(documents: sa.Table) -> None:
    """Every schema's document, its versions read newest first in one pass."""
    connection = op.get_bind()
    schemas = connection.execute(
        sa.text(
            "SELECT s.id, r.name, s.name, s.description"
            " FROM schemas s JOIN registries r ON r.id = s.registry_id ORDER BY s.id"
        )
    ).all()
    newest_first = sa.text(
        "SELECT schema_id, coalesce(bundle, content) FROM schema_versions ORDER BY schema_id, version DESC"
    )
    versions = connection.execute(newest_first.execution_options(yield_per=BATCH))
    keywords: dict[int, list[str]] = {}
    full: set[int] = set()  # schemas whose keywords reached the bound: older versions add nothing
    for schema_id, content in versions:
        if schema_id in full:
            continue
        older = _contract_keywords(json.loads(content))
        merged = _merge(keywords.get(schema_id, []), older)
        if not set(older) <= set(merged):
            full.add(schema_id)
        keywords[schema_id] = merged
    rows = []
    for schema_id, registry, name, description in schemas:
        parts = (_fold(name), _fold(description or ""))
        text = "\n".join((*parts, *keywords.get(schema_id, [])))
        names = {"schema_id": schema_id, "registry_name": registry, "schema_name": name}
        rows.append({**names, "name": parts[0], "description": parts[1], "document": text})
        if len(rows) == BATCH:
            connection.execute(documents.insert(), rows)
            rows = []
    if rows:
        connection.execute(documents.insert(), rows)


def _fold(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip().lower()


def _contract_keywords(contract: Any) -> list[str]:
    found: dict[str, None] = {}
    _collect(contract, found)
    return list(found)


def _collect(node: Any, found: dict[str, None]) -> None:
    if isinstance(node, list):
        for item in node:
            _collect(item, found)
        return
    if not isinstance(node, dict):
        return
    for key, value in sorted(node.items()):  # in key order, as stored (canonical JSON), whatever given
        if key in _NAMED_CHILDREN and isinstance(value, dict):
            for name in sorted(value):
                _add(name, found)
        elif key in ("title", "description") and isinstance(value, str):
            _add(value, found)
        elif key == "enum" and isinstance(value, list):
            for member in value:
                if isinstance(member, (str, int, float)) and not isinstance(member, bool):
                    _add(str(member), found)
        _collect(value, found)


def _add(text: str, found: dict[str, None]) -> None:
    keyword = _fold(text)[:MAX_KEYWORD_CHARS]
    if keyword:
        found[keyword] = None


def _merge(newer: list[str], older: list[str]) -> list[str]:
    merged: dict[str, None] = {}
    size = 0
    for keyword in (*newer, *older):
        if keyword in merged:
            continue
        size += len(keyword) + 1
        if size > MAX_KEYWORDS_CHARS:
            break
        merged[keyword] = None
    return list(merged)

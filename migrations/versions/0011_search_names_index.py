"""search: indexes to read the best-ranked tiers first, in name order (PostgreSQL)

Revision ID: 0011_search_names_index
Revises: 0010_search_index
Create Date: 2026-12-06

Hits come best ranked first, equal ranks in name order; the schemas whose name holds every term rank
highest. On PostgreSQL the search reads the tiers one by one (registry.storage.search) and stops once the
page is full, instead of reading and ranking every document holding the terms: trigram indexes on the names
and the descriptions alone, and a B-tree of the documents in name order (holding the folded name, so that
a walk tests names in the index itself). The upgrade builds them over the documents stored. SQLite needs
none: its FTS5 search met its target without them.
"""

from alembic import op

revision = "0011_search_names_index"
down_revision = "0010_search_index"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_search_documents_name_trgm": "USING gin (name gin_trgm_ops)",
    "ix_search_documents_description_trgm": "USING gin (description gin_trgm_ops)",
    "ix_search_documents_names": "(registry_name, schema_name) INCLUDE (name, schema_id)",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, definition in INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON search_documents {definition}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in INDEXES:
            op.execute(f"DROP INDEX {name}")

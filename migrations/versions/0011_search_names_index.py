"""search: a trigram index on the schemas' names alone (PostgreSQL)

Revision ID: 0011_search_names_index
Revises: 0010_search_index
Create Date: 2026-12-06

Schemas whose name holds every term of a query rank first; on PostgreSQL the search reads them first, through
this index, and stops there when they fill the page (registry.storage.search), instead of reading and ranking
every document holding the terms. The upgrade builds it over the documents stored. SQLite needs nothing:
its FTS5 search met its target without it.
"""

from alembic import op

revision = "0011_search_names_index"
down_revision = "0010_search_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_search_documents_name_trgm ON search_documents USING gin (name gin_trgm_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_search_documents_name_trgm")

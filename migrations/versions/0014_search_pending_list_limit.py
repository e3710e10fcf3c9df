"""search: PostgreSQL's trigram indexes keep a short pending list (PostgreSQL)

Revision ID: 0014_search_pending_list_limit
Revises: 0013_search_fts_pending
Create Date: 2026-12-06

A GIN index takes new entries into an unsorted pending list and merges them into its tree once the list
passes `gin_pending_list_limit` (4 MB by default) or a vacuum comes. Every search reads the whole list, and
the planner counts it: after about a thousand registrations of next versions at 100,000 versions (10,000
schemas) the documents' index held 371 pending pages, the planner judged it dearer than reading every
document, and a search by name read all 10,000 documents (decompressing each): 113-196 ms instead of 3-6
(measured 2026-12-06, `bench_scale.py`). At 256 kB the list holds at most 32 pages; a registration that
fills it merges it, a few milliseconds once every some 80 registrations.

SQLite: nothing (its FTS5 index is written in batches of its own, migration 0013).
"""

from alembic import op

revision = "0014_search_pending_list_limit"
down_revision = "0013_search_fts_pending"
branch_labels = None
depends_on = None

PENDING_LIST_KB = 256
TRIGRAM_INDEXES = (
    "ix_search_documents_document_trgm",
    "ix_search_documents_description_trgm",
    "ix_search_names_name_trgm",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for index in TRIGRAM_INDEXES:
            op.execute(f"ALTER INDEX {index} SET (gin_pending_list_limit = {PENDING_LIST_KB})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for index in TRIGRAM_INDEXES:
            op.execute(f"ALTER INDEX {index} RESET (gin_pending_list_limit)")

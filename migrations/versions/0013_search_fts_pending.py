"""search: SQLite's FTS5 index written in batches, the documents not yet in it listed (SQLite)

Revision ID: 0013_search_fts_pending
Revises: 0012_search_names_table
Create Date: 2026-12-06

FTS5 writes a new segment at every commit: every distinct trigram of the documents written in the
transaction is a term of it. Kept by 0010's triggers, a registration paid that for its one document, and a
next version paid it twice (the old text deleted, the new one inserted): 170-360 µs, the largest statement of
a registration. Written 64 documents at a time, the terms they share are written once: about 60 µs a
document (measured 2026-12-06).

So the triggers now only list the changed documents in `search_fts_pending` (with, for a document the index
already holds, the text it holds: what deleting it from the index needs), and the writer moves the listed
documents into the index once there are enough of them (registry.storage.search). Search looks in the index
for the others and in the listed documents themselves, so a registered version is found at once, as before.
Deleting a document deletes what the index holds of it. The upgrade lists nothing (the index is exact); the
downgrade moves the listed documents into the index, then puts 0010's triggers back.
PostgreSQL: nothing (its GIN index has a pending list of its own).
"""

from alembic import op

revision = "0013_search_fts_pending"
down_revision = "0012_search_names_table"
branch_labels = None
depends_on = None

PENDING_TRIGGERS = (
    """CREATE TRIGGER search_documents_fts_insert AFTER INSERT ON search_documents BEGIN
        INSERT OR IGNORE INTO search_fts_pending (schema_id, indexed) VALUES (new.schema_id, NULL);
    END""",
    # the first change after the index took the document: what it holds is the old text (later ones keep it)
    """CREATE TRIGGER search_documents_fts_update AFTER UPDATE OF document ON search_documents
        WHEN old.document IS NOT new.document BEGIN
        INSERT OR IGNORE INTO search_fts_pending (schema_id, indexed) VALUES (old.schema_id, old.document);
    END""",
    """CREATE TRIGGER search_documents_fts_delete AFTER DELETE ON search_documents BEGIN
        INSERT INTO search_documents_fts (search_documents_fts, rowid, document)
        SELECT 'delete', old.schema_id, old.document
        WHERE NOT EXISTS (SELECT 1 FROM search_fts_pending WHERE schema_id = old.schema_id);
        INSERT INTO search_documents_fts (search_documents_fts, rowid, document)
        SELECT 'delete', schema_id, indexed FROM search_fts_pending
        WHERE schema_id = old.schema_id AND indexed IS NOT NULL;
        DELETE FROM search_fts_pending WHERE schema_id = old.schema_id;
    END""",
)
# 0010's: the index written at every change
DIRECT_TRIGGERS = (
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
# The listed documents into the index (registry.storage.search runs the same statements)
MOVE_PENDING = (
    """INSERT INTO search_documents_fts (search_documents_fts, rowid, document)
    SELECT 'delete', schema_id, indexed FROM search_fts_pending WHERE indexed IS NOT NULL""",
    """INSERT INTO search_documents_fts (rowid, document)
    SELECT d.schema_id, d.document
    FROM search_fts_pending p JOIN search_documents d ON d.schema_id = p.schema_id""",
    "DELETE FROM search_fts_pending",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE TABLE search_fts_pending (schema_id INTEGER NOT NULL PRIMARY KEY, indexed TEXT)")
    _replace_triggers(PENDING_TRIGGERS)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in MOVE_PENDING:
        op.execute(statement)
    _replace_triggers(DIRECT_TRIGGERS)
    op.execute("DROP TABLE search_fts_pending")


def _replace_triggers(triggers: tuple[str, ...]) -> None:
    for event in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER search_documents_fts_{event}")
    for trigger in triggers:
        op.execute(trigger)

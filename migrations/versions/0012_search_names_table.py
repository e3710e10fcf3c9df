"""search: the names tier read from a narrow table of names (PostgreSQL)

Revision ID: 0012_search_names_table
Revises: 0011_search_names_index
Create Date: 2026-12-06

When the walk in name order does not fill a page of the names tier (registry.storage.search), the rows
whose name holds the terms are found through a trigram index and read to be put in name order: 5,000 for a
broad word at a million versions. Read from `search_documents` each is a row of ~900 bytes on a page of
its own (24 ms at load 7); `search_names` holds the four columns that tier needs, ~110 bytes a row, a
tenth of the pages (7 ms). It follows `search_documents` by a trigger (registration writes only the
document: no new statement in its code) and goes with it by `ON DELETE CASCADE`. The trigram index on
names moves there. The upgrade copies the names stored and builds the index. SQLite needs none of it:
its FTS5 search met its target without it.
"""

from alembic import op

revision = "0012_search_names_table"
down_revision = "0011_search_names_index"
branch_labels = None
depends_on = None

FOLLOW = """CREATE FUNCTION search_names_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO search_names (schema_id, registry_name, schema_name, name)
        VALUES (NEW.schema_id, NEW.registry_name, NEW.schema_name, NEW.name);
    ELSIF (NEW.registry_name, NEW.schema_name, NEW.name)
            IS DISTINCT FROM (OLD.registry_name, OLD.schema_name, OLD.name) THEN
        UPDATE search_names
        SET registry_name = NEW.registry_name, schema_name = NEW.schema_name, name = NEW.name
        WHERE schema_id = NEW.schema_id;
    END IF;
    RETURN NULL;
END
$$"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """CREATE TABLE search_names (
            schema_id BIGINT NOT NULL,
            registry_name VARCHAR(64) NOT NULL,
            schema_name VARCHAR(385) NOT NULL,
            name TEXT NOT NULL,
            CONSTRAINT pk_search_names PRIMARY KEY (schema_id),
            CONSTRAINT fk_search_names_schema_id_search_documents FOREIGN KEY (schema_id)
                REFERENCES search_documents (schema_id) ON DELETE CASCADE
        )"""
    )
    op.execute(
        "INSERT INTO search_names (schema_id, registry_name, schema_name, name)"
        " SELECT schema_id, registry_name, schema_name, name FROM search_documents"
    )
    op.execute("CREATE INDEX ix_search_names_name_trgm ON search_names USING gin (name gin_trgm_ops)")
    op.execute(FOLLOW)
    op.execute(
        "CREATE TRIGGER search_names_follow AFTER INSERT OR UPDATE OF registry_name, schema_name, name"
        " ON search_documents FOR EACH ROW EXECUTE FUNCTION search_names_follow()"
    )
    op.execute("DROP INDEX ix_search_documents_name_trgm")
    op.execute("ANALYZE search_names")  # its size known to the planner at once, not at autovacuum's pace


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_search_documents_name_trgm ON search_documents USING gin (name gin_trgm_ops)")
    op.execute("DROP TRIGGER search_names_follow ON search_documents")
    op.execute("DROP FUNCTION search_names_follow()")
    op.execute("DROP TABLE search_names")

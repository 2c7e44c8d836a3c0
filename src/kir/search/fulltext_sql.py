"""The engine-specific DDL behind kir.search.index, applied by the search migrations.

Kept in a module, not inline in a migration, so that a later migration which rebuilds the
document table on SQLite (and so loses its triggers) can apply `SQLITE_TRIGGERS` again.
"""

from __future__ import annotations

from typing import Any

DOCUMENT_TABLE = "search_issuesearchdocument"
FTS_TABLE = "search_issue_fts"

# External-content FTS5: the text lives once, in the document table; rowid is the issue id.
SQLITE_FTS_TABLE = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(body, content='{DOCUMENT_TABLE}', "
    "content_rowid='issue_id', tokenize='porter unicode61 remove_diacritics 2')"
)
SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER search_document_ai AFTER INSERT ON {DOCUMENT_TABLE} BEGIN
        INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.issue_id, new.body);
    END""",
    f"""CREATE TRIGGER search_document_ad AFTER DELETE ON {DOCUMENT_TABLE} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, body) VALUES ('delete', old.issue_id, old.body);
    END""",
    f"""CREATE TRIGGER search_document_au AFTER UPDATE ON {DOCUMENT_TABLE} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, body) VALUES ('delete', old.issue_id, old.body);
        INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.issue_id, new.body);
    END""",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS search_document_ai",
    "DROP TRIGGER IF EXISTS search_document_ad",
    "DROP TRIGGER IF EXISTS search_document_au",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)
SQLITE_REBUILD = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"

# Migration 0002 indexed the expression; 0003 replaced it with a stored column, because counting
# thousands of matches recomputed to_tsvector for each one (seconds at 20,000 issues).
POSTGRES_EXPRESSION_INDEX = (
    f"CREATE INDEX search_document_body_tsv ON {DOCUMENT_TABLE} "
    "USING gin (to_tsvector('english'::regconfig, body))"
)
POSTGRES_VECTOR_COLUMN = "body_tsv"
POSTGRES_STORED_VECTOR = (
    "DROP INDEX IF EXISTS search_document_body_tsv",
    f"ALTER TABLE {DOCUMENT_TABLE} ADD COLUMN {POSTGRES_VECTOR_COLUMN} tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english'::regconfig, body)) STORED",
    # fastupdate off: entries go straight into the index. With the pending list on, the planner
    # prices every search by the list's size after a bulk load and chose sequential scans.
    f"CREATE INDEX search_document_body_tsv ON {DOCUMENT_TABLE} "
    f"USING gin ({POSTGRES_VECTOR_COLUMN}) WITH (fastupdate = off)",
)
POSTGRES_DROP_STORED_VECTOR = (
    "DROP INDEX IF EXISTS search_document_body_tsv",
    f"ALTER TABLE {DOCUMENT_TABLE} DROP COLUMN IF EXISTS {POSTGRES_VECTOR_COLUMN}",
    POSTGRES_EXPRESSION_INDEX,
)
POSTGRES_DROP = ("DROP INDEX IF EXISTS search_document_body_tsv",)

# Migration 0004 moves the vector onto the issue row. With it in the document table, a search
# joined its matches back to the visible issues: PostgreSQL either probed the issue table once per
# match or, with the simpler visibility filter, hashed every issue row, and either cost more than
# the text match. On the issue row, one bitmap scan finds the matching issues and tests
# visibility and filters on the row it reads. A trigger keeps it in step with the document table,
# as the SQLite triggers keep FTS5 in step, so every writer of documents (index_issue,
# reindex_all) stays as it is. The column is unknown to the Issue model, so ordinary issue reads
# and writes never carry it.
ISSUE_TABLE = "register_issue"
ISSUE_VECTOR_COLUMN = "search_vector"
ISSUE_VECTOR_INDEX = "register_issue_search_vector"
POSTGRES_ISSUE_VECTOR = (
    f"ALTER TABLE {ISSUE_TABLE} ADD COLUMN {ISSUE_VECTOR_COLUMN} tsvector",
    f"""CREATE FUNCTION search_document_to_issue() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            UPDATE {ISSUE_TABLE} SET {ISSUE_VECTOR_COLUMN} = NULL WHERE id = OLD.issue_id;
            RETURN OLD;
        END IF;
        IF TG_OP = 'UPDATE' AND OLD.issue_id <> NEW.issue_id THEN
            UPDATE {ISSUE_TABLE} SET {ISSUE_VECTOR_COLUMN} = NULL WHERE id = OLD.issue_id;
        END IF;
        UPDATE {ISSUE_TABLE} SET {ISSUE_VECTOR_COLUMN} = to_tsvector('english'::regconfig, NEW.body)
        WHERE id = NEW.issue_id;
        RETURN NEW;
    END $$""",
    f"""CREATE TRIGGER search_document_to_issue
        AFTER INSERT OR UPDATE OR DELETE ON {DOCUMENT_TABLE}
        FOR EACH ROW EXECUTE FUNCTION search_document_to_issue()""",
    f"""UPDATE {ISSUE_TABLE} i SET {ISSUE_VECTOR_COLUMN} = to_tsvector('english'::regconfig, d.body)
        FROM {DOCUMENT_TABLE} d WHERE d.issue_id = i.id""",
    f"CREATE INDEX {ISSUE_VECTOR_INDEX} ON {ISSUE_TABLE} "
    f"USING gin ({ISSUE_VECTOR_COLUMN}) WITH (fastupdate = off)",
    # The document's own vector and index are no longer read.
    *POSTGRES_DROP,
    f"ALTER TABLE {DOCUMENT_TABLE} DROP COLUMN {POSTGRES_VECTOR_COLUMN}",
)
POSTGRES_DROP_ISSUE_VECTOR = (
    f"DROP TRIGGER IF EXISTS search_document_to_issue ON {DOCUMENT_TABLE}",
    "DROP FUNCTION IF EXISTS search_document_to_issue()",
    f"DROP INDEX IF EXISTS {ISSUE_VECTOR_INDEX}",
    f"ALTER TABLE {ISSUE_TABLE} DROP COLUMN IF EXISTS {ISSUE_VECTOR_COLUMN}",
    *POSTGRES_STORED_VECTOR,
)


def create_fulltext(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements: tuple[str, ...] = (SQLITE_FTS_TABLE, *SQLITE_TRIGGERS, SQLITE_REBUILD)
    elif vendor == "postgresql":
        statements = (POSTGRES_EXPRESSION_INDEX,)
    else:
        raise NotImplementedError(f"full-text search supports SQLite and PostgreSQL, not {vendor}")
    for sql in statements:
        schema_editor.execute(sql)


def drop_fulltext(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for sql in SQLITE_DROP if vendor == "sqlite" else POSTGRES_DROP:
        schema_editor.execute(sql)


def store_postgres_vector(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES_STORED_VECTOR:
            schema_editor.execute(sql)


def unstore_postgres_vector(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES_DROP_STORED_VECTOR:
            schema_editor.execute(sql)


def move_postgres_vector_to_issue(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES_ISSUE_VECTOR:
            schema_editor.execute(sql)


def move_postgres_vector_to_document(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES_DROP_ISSUE_VECTOR:
            schema_editor.execute(sql)

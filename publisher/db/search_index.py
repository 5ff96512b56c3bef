"""The substring index behind search (title, body, 文号, 索引号), one per database kind.

SQLite: ``items_search``, a contentless FTS5 table with the trigram tokenizer whose rowid is the item's id, kept by
triggers on ``items``, and ``ix_items_titles`` (office, title, 文号, 索引号), which a search the trigrams cannot answer
reads instead of the table (on PostgreSQL a title may outgrow a b-tree entry, and ``pg_trgm`` covers the rest). PostgreSQL: ``ix_items_search``, a GIN index with ``pg_trgm``'s trigram operator class on
:data:`PG_DOCUMENT`, which a ``LIKE '%…%'`` on the same expression uses. Neither is in :mod:`publisher.db.schema`
(SQLAlchemy cannot describe them); :data:`NAMES` lists what a schema comparison should leave out.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

NAMES = ("items_search", "ix_items_search", "ix_items_titles")
#: SQLite only: what a search shorter than a trigram (or by characters in order) reads instead of the whole table
TITLES_INDEX = "ix_items_titles"
COLUMNS = ("title", "doc_no", "index_no", "body_html")
#: the searched document on PostgreSQL (the GIN index's expression: queries must spell it the same way)
PG_DOCUMENT = ("(title || ' ' || coalesce(doc_no, '') || ' ' || coalesce(index_no, '') || ' ' || body_html)")


def _values(row: str) -> str:
    return ", ".join(f"coalesce({row}.{c}, '')" for c in COLUMNS)


SQLITE_STATEMENTS = (
    "CREATE VIRTUAL TABLE items_search USING fts5(title, doc_no, index_no, body_html, content='', "
    "tokenize='trigram')",
    f"INSERT INTO items_search(rowid, {', '.join(COLUMNS)}) SELECT id, {_values('items')} FROM items",
    f"CREATE TRIGGER items_search_insert AFTER INSERT ON items BEGIN "
    f"INSERT INTO items_search(rowid, {', '.join(COLUMNS)}) VALUES (new.id, {_values('new')}); END",
    f"CREATE TRIGGER items_search_delete AFTER DELETE ON items BEGIN "
    f"INSERT INTO items_search(items_search, rowid, {', '.join(COLUMNS)}) VALUES ('delete', old.id, "
    f"{_values('old')}); END",
    f"CREATE TRIGGER items_search_update AFTER UPDATE OF {', '.join(COLUMNS)} ON items BEGIN "
    f"INSERT INTO items_search(items_search, rowid, {', '.join(COLUMNS)}) VALUES ('delete', old.id, "
    f"{_values('old')}); INSERT INTO items_search(rowid, {', '.join(COLUMNS)}) VALUES (new.id, {_values('new')}); "
    f"END",
    f"CREATE INDEX {TITLES_INDEX} ON items (office, title, doc_no, index_no)",
)


def create_search_index(conn: Connection) -> bool:
    """Make the index for ``conn``'s database; False when PostgreSQL has no ``pg_trgm`` it may use."""
    if conn.dialect.name == "sqlite":
        for statement in SQLITE_STATEMENTS:
            conn.exec_driver_sql(statement)
        return True
    schema = _trgm_schema(conn)
    if schema is None:
        try:
            with conn.begin_nested():
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
        except Exception:  # no right to create extensions: search still works, without the index
            return False
        schema = _trgm_schema(conn)
    conn.exec_driver_sql(f'CREATE INDEX ix_items_search ON items USING gin ({PG_DOCUMENT} "{schema}".gin_trgm_ops)')
    return True


def drop_search_index(conn: Connection) -> None:
    """Undo :func:`create_search_index`."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {TITLES_INDEX}")
        for name in ("insert", "delete", "update"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS items_search_{name}")
        conn.exec_driver_sql("DROP TABLE IF EXISTS items_search")
    else:
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_items_search")


def _trgm_schema(conn: Connection) -> str | None:
    return conn.execute(text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                             "WHERE e.extname = 'pg_trgm'")).scalar()


def has_index(conn: Connection) -> bool:
    """Whether the database has the substring index (PostgreSQL without ``pg_trgm`` has not)."""
    if conn.dialect.name == "sqlite":
        return True
    return conn.execute(text("SELECT 1 FROM pg_indexes WHERE indexname = 'ix_items_search' "
                             "AND schemaname = current_schema()")).first() is not None

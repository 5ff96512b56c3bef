"""Several statements in one round trip on PostgreSQL: sent without parameters, they go as one simple query, and
each statement reads the database as committed when it starts (so one that follows a lock sees what the lock
waited for)."""

from __future__ import annotations


def results(cursor, statements: str) -> list[list[tuple]]:
    """Run ``statements`` (``;``-separated, no parameters) on a psycopg ``cursor``; the rows of each, in order
    (an empty list for a statement that returns none)."""
    cursor.execute(statements)
    found = []
    while True:
        found.append(cursor.fetchall() if cursor.description is not None else [])
        if not cursor.nextset():
            return found


def on_connection(conn, statements: str) -> list[list[tuple]]:
    """:func:`results` on the driver's cursor of a SQLAlchemy ``conn``, inside its transaction."""
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        return results(cursor, statements)
    finally:
        cursor.close()

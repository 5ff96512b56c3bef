"""Schema versions: each migration moves the database one version up, in a transaction, never losing data."""

from __future__ import annotations

from typing import Callable

from sqlalchemy import Connection, Engine, inspect, select, text

from . import schema
from .clock import utcnow
from .errors import ConfigError

# Version 1 is the first release's schema. Later versions append (number, function) pairs that ALTER
# tables in place; never edit a released migration.
_V1_TABLES = ("items", "attachments", "deliveries", "events", "channel_state", "channel_pauses", "series_occurrences",
              "series_state")


def _v1(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=[t for t in schema.metadata.sorted_tables if t.name in _V1_TABLES])


def _v2(conn: Connection) -> None:
    """Series watermarks (``series_state``). A database created at version 2 or later already has the table."""
    schema.series_state.create(conn, checkfirst=True)


def _v3(conn: Connection) -> None:
    """The report's registers (applications, appeals), frozen reports and back-filled publications."""
    from .registers import tables

    for table in (tables.applications, tables.appeals, tables.report_freezes, tables.backfilled):
        table.create(conn, checkfirst=True)


MIGRATIONS: list[tuple[int, Callable[[Connection], None]]] = [(1, _v1), (2, _v2), (3, _v3)]
LATEST = MIGRATIONS[-1][0]


def current_version(conn: Connection) -> int:
    """The database's schema version (0 for an empty database)."""
    if not inspect(conn).has_table("schema_version"):
        return 0
    return conn.execute(select(schema.schema_version.c.version).order_by(schema.schema_version.c.version.desc())).scalar() or 0


def migrate(engine: Engine) -> int:
    """Bring the schema up to date; safe when several processes start at once. Returns the version."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
        schema.schema_version.create(conn, checkfirst=True)
        version = current_version(conn)
        if version > LATEST:
            raise ConfigError([f"database.url: the database's schema version {version} is newer than this "
                               f"publisher's ({LATEST}); upgrade publisher"])
        for number, step in MIGRATIONS:
            if number > version:
                step(conn)
                conn.execute(schema.schema_version.insert().values(version=number, applied_at=utcnow()))
                version = number
        return version

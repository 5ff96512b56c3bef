"""Engines: SQLite (WAL, busy timeout, immediate transactions) or PostgreSQL, from one URL."""

from __future__ import annotations

import threading
from pathlib import Path

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Connection, Engine, create_engine, event

from .errors import ConfigError
from .migrations import migrate

SQLITE_BUSY_MS = 30_000
READ_ONLY = "publisher_read_only"


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads only: on SQLite it takes no write lock, so it never waits for writers."""
    with engine.connect() as conn:
        conn.execution_options(**{READ_ONLY: True})
        yield conn


def make_engine(url: str, *, migrate_schema: bool = True) -> Engine:
    """Create an engine for ``url`` and bring its schema up to date."""
    if url.startswith("sqlite"):
        engine = _sqlite_engine(url)
    elif url.startswith("postgresql"):
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    else:
        raise ConfigError([f"database.url: unsupported database {url.split(':', 1)[0]!r} (use sqlite:/// or postgresql+psycopg://)"])
    if migrate_schema:
        try:
            migrate(engine)
        except Exception as exc:
            if exc.__class__.__module__.startswith("sqlalchemy"):
                raise ConfigError([f"database.url: cannot open the database: {_short(exc)}"]) from None
            raise
    return engine


def _sqlite_engine(url: str) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError([f"database.url: cannot create the folder {Path(path).parent}: {exc.strerror}"]) from None
    engine = create_engine(url, pool_size=16, max_overflow=16,
                           connect_args={"timeout": SQLITE_BUSY_MS / 1000, "check_same_thread": False})
    # Threads of one process queue on this lock rather than in SQLite's busy handler, which sleeps
    # in coarse steps; other processes still wait on the database lock (busy timeout).
    writer = threading.RLock()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")  # WAL readers see a snapshot and never wait for writers
            return
        # IMMEDIATE takes the write lock up front, so two writers wait for each other (busy timeout)
        # instead of failing when a read transaction tries to upgrade.
        writer.acquire()
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            writer.release()
            raise
        conn.info["publisher_locked"] = True

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(conn):
        if conn.info.pop("publisher_locked", False):
            writer.release()

    return engine


def _short(exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc)).strip().splitlines()
    return text[0] if text else exc.__class__.__name__

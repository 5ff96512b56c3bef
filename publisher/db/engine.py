"""Engines: SQLite (WAL, busy timeout, immediate transactions) or PostgreSQL, from one URL."""

from __future__ import annotations

import threading
from pathlib import Path

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Connection, Engine, create_engine, event

from publisher.errors import ConfigError
from publisher.foundation.i18n import _
from publisher.foundation.private_files import private_dir, private_file, tighten
from publisher.db.migrations import current_revision, head, migrate

URL_HINT = "use sqlite:///path/to/publisher.db or postgresql+psycopg://user@host/db"
POSTGRESQL_EXTRA = "pip install 'publisher[postgresql]'"

SQLITE_BUSY_MS = 30_000
READ_ONLY = "publisher_read_only"


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads only: on SQLite it takes no write lock, so it never waits for writers."""
    with engine.connect() as conn:
        conn.execution_options(**{READ_ONLY: True})
        yield conn


def check_url(url: str) -> None:
    """ValueError unless ``url`` names a database publisher can open (dialect, driver installed, a file for SQLite)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise ValueError(_("not a database URL ({url_hint})").format(url_hint=URL_HINT)) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(_("unsupported database {backend!r} ({url_hint})").format(
                             backend=backend, url_hint=URL_HINT))
    if backend == "sqlite":
        if parsed.drivername not in ("sqlite", "sqlite+pysqlite"):
            raise ValueError(_("unknown SQLite driver {drivername!r} (use sqlite:///path.db)").format(
                                 drivername=parsed.drivername))
        if not parsed.database or parsed.database == ":memory:":
            raise ValueError(_("sqlite:// without a file is a database in memory: nothing would be kept (use "
                               "sqlite:///path/to/publisher.db)"))
        return
    if parsed.drivername not in ("postgresql", "postgresql+psycopg"):
        raise ValueError(_("unsupported PostgreSQL driver {drivername!r} (use postgresql+psycopg://)").format(
                             drivername=parsed.drivername))
    try:
        parsed.set(drivername="postgresql+psycopg").get_dialect().import_dbapi()
    except (ImportError, NoSuchModuleError):
        raise ValueError(_("the PostgreSQL driver (psycopg) is not installed: {postgresql_extra}").format(
                             postgresql_extra=POSTGRESQL_EXTRA)) from None


class SchemaPolicy:
    """What opening a database may do to its schema."""

    UPGRADE = "upgrade"  # apply pending migrations (``publisher migrate``, tests)
    CREATE = "create"  # create an empty database; refuse an older schema (every other command)
    READ = "read"  # never write: an empty or missing database is read as an empty one (tally, report)


def make_engine(url: str, *, migrate_schema: bool | str = True) -> Engine:
    """Create an engine for ``url``; ``migrate_schema`` is True (upgrade), False (leave it) or a SchemaPolicy."""
    policy = SchemaPolicy.UPGRADE if migrate_schema is True else migrate_schema
    try:
        check_url(url)
    except ValueError as exc:
        raise ConfigError([f"database.url: {exc}"]) from None
    if policy == SchemaPolicy.READ and url.startswith("sqlite"):
        state = _sqlite_file_state(url)
        if state:
            return _empty_reading_engine(url, state)
    if url.startswith("sqlite"):
        engine = _sqlite_engine(url)
    elif url.startswith("postgresql"):
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    else:
        raise ConfigError([f"database.url: unsupported database {url.split(':', 1)[0]!r} (use sqlite:/// or postgresql+psycopg://)"])
    if not policy:
        return engine
    try:
        if policy == SchemaPolicy.UPGRADE:
            migrate(engine)
            return engine
        with engine.connect() as conn:
            revision = current_revision(conn)
        if revision is None and policy == SchemaPolicy.READ:
            engine.dispose()
            return _empty_reading_engine(url, "is empty")
        if revision is None:
            migrate(engine)  # a new database
        elif revision != head():
            engine.dispose()
            _refuse_old(revision)
    except Exception as exc:
        if exc.__class__.__module__.startswith("sqlalchemy"):
            engine.dispose()
            raise ConfigError([f"database.url: cannot open the database: {_short(exc)}"]) from None
        raise
    return engine


def _refuse_old(revision: str) -> None:
    from publisher.db.migrations import check_known

    check_known(revision)  # newer than this publisher: refused with its own message
    raise ConfigError(["database.url: " + _("the database's schema is at revision {revision}, this publisher needs "
                                            "{head}: stop the daemons, back it up, then run `publisher migrate`")
                       .format(revision=revision, head=head())])


def _sqlite_file_state(url: str) -> str | None:
    """"does not exist" or "is empty" for a SQLite file a report would read nothing from (looked at read-only)."""
    import sqlite3

    path = Path(url.split("///", 1)[-1])
    if not path.exists():
        return "does not exist"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None  # the normal open says what is wrong
    return "is empty" if tables == 0 else None


def _empty_reading_engine(url: str, why: str) -> Engine:
    """An empty in-memory database in place of a missing or empty one, with a warning on stderr."""
    import sys

    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import StaticPool

    shown = make_url(url).render_as_string(hide_password=True)
    message = (_("warning: the database {url} does not exist: nothing has been published there (check database.url); "
                 "it was not created") if why == "does not exist" else
               _("warning: the database {url} is empty: nothing has been published there (check database.url)"))
    print(message.format(url=shown), file=sys.stderr, flush=True)
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    migrate(engine)
    return engine


def _sqlite_engine(url: str) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        try:
            private_dir(Path(path).parent)
            private_file(Path(path))  # SQLite gives the -wal and -shm files the database file's mode
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
        if path and path != ":memory:":
            for suffix in ("", "-wal", "-shm"):
                tighten(Path(path + suffix))

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

"""Whether some ``publisher run`` uses a database, so that ``publisher restore`` can refuse to replace it underneath.

On SQLite ``run`` holds a lock file beside the database (shared: several runs may share it); on PostgreSQL a
session-level shared advisory lock keyed by the schema, on a connection of its own for as long as it runs (daemons
may run on other hosts). ``in_use`` tries the same lock exclusively.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

_KEY = "2036395598, hashtext('publisher-running:' || current_schema())"  # two-int key space: no clash with others


def lock_path(database_url: str) -> Path | None:
    """The lock file of an SQLite database file; None for other databases (and in-memory ones)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(f"{url.database}.running")


@contextlib.contextmanager
def running_on(database_url: str) -> Iterator[None]:
    """Hold the database's lock file (shared: several runs may share a database) while the block runs."""
    if make_url(database_url).get_backend_name() == "postgresql":
        with _pg_running(database_url):
            yield
        return
    path = lock_path(database_url)
    if path is None:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def in_use(database_url: str) -> bool:
    """True while some ``publisher run`` holds the database."""
    if make_url(database_url).get_backend_name() == "postgresql":
        return _pg_in_use(database_url)
    path = lock_path(database_url)
    if path is None or not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


@contextlib.contextmanager
def _pg_running(database_url: str) -> Iterator[None]:
    """Hold the schema's shared advisory lock on a connection of its own while the block runs."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text(f"SELECT pg_advisory_lock_shared({_KEY})"))
            conn.commit()  # the lock is the session's: it outlives the transaction, until the connection closes
            yield
    finally:
        engine.dispose()


def _pg_in_use(database_url: str) -> bool:
    """True while some session holds the schema's running lock."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            free = conn.execute(text(f"SELECT pg_try_advisory_lock({_KEY})")).scalar()
            if free:
                conn.execute(text(f"SELECT pg_advisory_unlock({_KEY})"))
            conn.commit()
        return not free
    finally:
        engine.dispose()

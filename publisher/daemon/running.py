"""Which process runs publisher on an SQLite database: ``publisher run`` holds a lock file beside it while it runs,
so that ``publisher restore`` can refuse to replace the file under it (the daemon would keep using the old one)."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Iterator

from sqlalchemy.engine import make_url


def lock_path(database_url: str) -> Path | None:
    """The lock file of an SQLite database file; None for other databases (and in-memory ones)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(f"{url.database}.running")


@contextlib.contextmanager
def running_on(database_url: str) -> Iterator[None]:
    """Hold the database's lock file (shared: several runs may share a database) while the block runs."""
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
    """True while some ``publisher run`` holds the database (only known for SQLite)."""
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

"""On SQLite, the file beside the database that fences changes of channel pauses: ``<database>.holds``.

Whoever changes a pause (a Retry-After hold, an operator's pause or resume) holds an exclusive flock on it for
the whole transaction and, after the commit, moves on a counter kept in the file; the check before each request
holds it shared. So a check never reads between a change and its commit, and a check whose counter has not moved
since its last read of the pauses may reuse that read. On PostgreSQL there is no file (advisory locks fence it).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine

_COUNTER = struct.Struct("<Q")


class PauseFile:
    """The fence file of one SQLite database (nothing to do for other databases or an in-memory one)."""

    def __init__(self, database: Path | None):
        self.path = database.resolve().with_name(database.name + ".holds") if database is not None else None

    @classmethod
    def of(cls, engine: Engine) -> "PauseFile":
        """The fence file of ``engine``'s database (none for PostgreSQL or an in-memory SQLite)."""
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        return cls(Path(database) if database and database != ":memory:" else None)

    @contextlib.contextmanager
    def locked(self, *, exclusive: bool) -> Iterator[int | None]:
        """Hold the flock for the block; yields the file descriptor (None when there is no file)."""
        if self.path is None:
            yield None
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield fd
        finally:
            os.close(fd)  # closing the descriptor releases its flock

    @contextlib.contextmanager
    def changing(self) -> Iterator[None]:
        """Hold the flock exclusively for a change of pauses (its transaction inside the block, committed when
        the block ends) and move the counter on after it."""
        with self.locked(exclusive=True) as fd:
            yield
            if fd is not None:
                _move_on(fd)

    def replaced(self) -> None:
        """Move the counter on for pauses changed outside a transaction of ours (the whole database replaced)."""
        with self.locked(exclusive=True) as fd:
            if fd is not None:
                _move_on(fd)


def _move_on(fd: int) -> None:
    os.pwrite(fd, _COUNTER.pack(counter(fd) + 1), 0)


def counter(fd: int) -> int:
    """The change counter in the fence file (0 in a new file)."""
    data = os.pread(fd, _COUNTER.size, 0)
    return _COUNTER.unpack(data)[0] if len(data) == _COUNTER.size else 0

"""The fence between recording a channel's hold and starting a request, across every daemon on one database.

Recording a hold takes the channel's fence exclusively for its whole transaction; checking for a hold before a
request takes it shared for the read. So no daemon starts a request on a channel between another daemon's
receipt of a Retry-After and the commit of its hold: the check waits for the commit and then sees it. On
PostgreSQL the fence is a transaction-level advisory lock (daemons may run on other hosts), and the check is one
round trip: the shared lock and the read of the pauses as two statements of one simple query (each statement
reads the database as committed when it starts, so the read sees a hold whose recording the lock waited for). On
SQLite, where every daemon runs beside the database file, the fence is an flock on a file next to it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import zlib
from datetime import datetime
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, text

from publisher.db.thread_reads import thread_reads

_NAMESPACE = 0x5055_0000  # high bits of the advisory key: "PU", so other users of advisory locks are not hit
_LOCK_SHARED = text("SELECT pg_advisory_xact_lock_shared(:key)")
_LOCK_EXCLUSIVE = text("SELECT pg_advisory_xact_lock(:key)")


def _second_result(cursor) -> list:
    cursor.nextset()
    return cursor.fetchall()


def advisory_key(channel: str) -> int:
    """The advisory-lock key of ``channel``'s fence (a signed 64-bit integer)."""
    return (_NAMESPACE << 32) | zlib.crc32(channel.encode("utf-8"))


class HoldFence:
    """Per channel, a lock shared by request checks and exclusive for the recording of a hold."""

    def __init__(self, engine):
        self.postgres = engine.dialect.name == "postgresql"
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        self.folder = Path(database).resolve().parent if database and database != ":memory:" else None
        self.stem = Path(database).name if self.folder is not None else ""

    def read_pauses(self, engine, channel: str) -> tuple[bool, datetime | str | None] | None:
        """The channel's pause as (found, until) read behind the shared fence, on the driver's own cursor (this
        runs before every request). The until is as stored: naive UTC on PostgreSQL, text on SQLite."""
        reads = thread_reads(engine)
        if not self.postgres:
            with self.file_lock(channel, exclusive=False):
                row = reads.run(lambda cursor: cursor.execute(
                    "SELECT until FROM channel_pauses WHERE channel = ?", (channel,)).fetchone())
            return None if row is None else (True, row[0])
        # no parameters: the simple query protocol, both statements in one round trip (one implicit transaction)
        query = f"SELECT pg_advisory_xact_lock_shared({advisory_key(channel)}); SELECT channel, until FROM channel_pauses"
        rows = reads.run(lambda cursor: _second_result(cursor.execute(query)))
        for name, until in rows:
            if name == channel:
                return True, until
        return None

    def in_transaction(self, conn: Connection, channel: str, *, exclusive: bool) -> None:
        """Take the PostgreSQL fence for the rest of ``conn``'s transaction (nothing on SQLite)."""
        if self.postgres:
            conn.execute(_LOCK_EXCLUSIVE if exclusive else _LOCK_SHARED, {"key": advisory_key(channel)})

    @contextlib.contextmanager
    def file_lock(self, channel: str, *, exclusive: bool) -> Iterator[None]:
        """Hold the SQLite fence (an flock on ``<database>.holds``) for the block; nothing on PostgreSQL."""
        if self.folder is None:
            yield
            return
        fd = os.open(self.folder / f"{self.stem}.holds", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases its flock

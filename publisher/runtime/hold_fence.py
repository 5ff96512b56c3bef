"""The fence between recording a channel's hold and starting a request, across every daemon on one database.

Recording a hold takes the channel's fence exclusively for its whole transaction; checking for a hold before a
request takes it shared for the read. So no daemon starts a request on a channel between another daemon's
receipt of a Retry-After and the commit of its hold: the check waits for the commit and then sees it. On
PostgreSQL the fence is a transaction-level advisory lock (daemons may run on other hosts), and the check is one
round trip: the shared lock and the read of the pauses as two statements of one simple query (each statement
reads the database as committed when it starts, so the read sees a hold whose recording the lock waited for). On
SQLite, where every daemon runs beside the database file, the fence is an flock on a file next to it, which also
counts the changes of pauses: a check reads the pauses again only when that count moved (:mod:`publisher.db.pause_file`).
"""

from __future__ import annotations

import zlib
from datetime import datetime

from sqlalchemy import Connection, text

from publisher.db import script
from publisher.db.pause_file import PauseFile, counter
from publisher.db.thread_reads import thread_reads

_NAMESPACE = 0x5055_0000  # high bits of the advisory key: "PU", so other users of advisory locks are not hit
_LOCK_SHARED = text("SELECT pg_advisory_xact_lock_shared(:key)")
_LOCK_EXCLUSIVE = text("SELECT pg_advisory_xact_lock(:key)")


def advisory_key(channel: str) -> int:
    """The advisory-lock key of ``channel``'s fence (a signed 64-bit integer)."""
    return (_NAMESPACE << 32) | zlib.crc32(channel.encode("utf-8"))


class HoldFence:
    """Per channel, a lock shared by request checks and exclusive for the recording of a hold."""

    def __init__(self, engine):
        self.postgres = engine.dialect.name == "postgresql"
        self.file = PauseFile.of(engine)
        self._last_read: tuple[int, dict] | None = None  # (the file's counter, channel → until) on SQLite

    def read_pauses(self, engine, channel: str) -> tuple[bool, datetime | str | None] | None:
        """The channel's pause as (found, until) read behind the shared fence, on the driver's own cursor (this
        runs before every request). The until is as stored: naive UTC on PostgreSQL, text on SQLite."""
        reads = thread_reads(engine)
        if not self.postgres:
            with self.file.locked(exclusive=False) as fd:
                changes, last = counter(fd) if fd is not None else None, self._last_read
                if last is None or changes is None or last[0] != changes:
                    last = self._last_read = (changes, dict(reads.run(lambda cursor: cursor.execute(
                        "SELECT channel, until FROM channel_pauses").fetchall())))
            return (True, last[1][channel]) if channel in last[1] else None
        # no parameters: the simple query protocol, both statements in one round trip (one implicit transaction)
        query = f"SELECT pg_advisory_xact_lock_shared({advisory_key(channel)}); SELECT channel, until FROM channel_pauses"
        rows = reads.run(lambda cursor: script.results(cursor, query)[1])
        for name, until in rows:
            if name == channel:
                return True, until
        return None

    def in_transaction(self, conn: Connection, channel: str, *, exclusive: bool) -> None:
        """Take the PostgreSQL fence for the rest of ``conn``'s transaction (nothing on SQLite)."""
        if self.postgres:
            conn.execute(_LOCK_EXCLUSIVE if exclusive else _LOCK_SHARED, {"key": advisory_key(channel)})

    def changing(self):
        """Hold the SQLite fence exclusively for a change of pauses (see :class:`PauseFile`); nothing on PostgreSQL."""
        return self.file.changing()

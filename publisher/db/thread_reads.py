"""One-statement reads on the delivery path (before every request): each thread keeps a database connection of
its own, outside the pool, so such a read is one round trip with no pool checkout, ping or transaction around it.

The connection reads in autocommit mode, so every read sees what is committed when it starts. A thread's
connection is closed when the thread ends or the engine is disposed; a broken one (the database restarted) is
replaced and the read run once more (a read is safe to repeat).
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from typing import Callable, TypeVar

from sqlalchemy import Engine, event

T = TypeVar("T")


class ThreadReads:
    """Per thread, one open connection of ``engine`` for reads on the driver's own cursor."""

    def __init__(self, engine: Engine):
        self._engine = weakref.ref(engine)  # the engine's table of these holds them: no cycle back to it
        self.dialect = engine.dialect
        self.placeholder = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        self._local = threading.local()
        self._open: weakref.WeakSet = weakref.WeakSet()
        self._lock = threading.Lock()

    def run(self, read: Callable[[object], T]) -> T:
        """``read(cursor)``'s answer, on this thread's connection (a new one, once, if that one broke)."""
        broken = self.dialect.dbapi.OperationalError, self.dialect.dbapi.InterfaceError
        for last in (False, True):
            held = self._held()
            try:
                cursor = held.connection.cursor()
                try:
                    return read(cursor)
                finally:
                    cursor.close()
            except broken:
                held.close()
                self._local.held = None
                if last:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close every thread's connection (each thread opens a new one at its next read)."""
        with self._lock:
            open_now = list(self._open)
        for held in open_now:
            held.close()

    def _held(self) -> "_Held":
        held = getattr(self._local, "held", None)
        if held is None or held.closed:
            fairy = self._engine().raw_connection()
            fairy.detach()  # no longer the pool's: it stays open for this thread and does not count against the pool
            if self.dialect.name == "postgresql":
                fairy.dbapi_connection.rollback()  # the pool's ping may have opened a transaction
                fairy.dbapi_connection.autocommit = True
            held = self._local.held = _Held(fairy.dbapi_connection)
            with self._lock:
                self._open.add(held)
        return held


class _Held:
    """A thread's connection; closed when the thread ends (its thread-local slot is dropped) or on close()."""

    def __init__(self, connection):
        self.connection = connection
        self.closed = False
        self._finalizer = weakref.finalize(self, _close_quietly, connection)

    def close(self) -> None:
        self.closed = True
        self._finalizer()


def _close_quietly(connection) -> None:
    with contextlib.suppress(Exception):  # already broken: nothing left to close
        connection.close()


def thread_reads(engine: Engine) -> ThreadReads:
    """The engine's :class:`ThreadReads` (one per engine; its connections close when the engine is disposed)."""
    reads = _READS.get(engine)
    if reads is None:
        with _READS_LOCK:
            reads = _READS.get(engine)
            if reads is None:
                reads = _READS[engine] = ThreadReads(engine)
                event.listen(engine, "engine_disposed", lambda _engine: reads.close())
    return reads


_READS: "weakref.WeakKeyDictionary[Engine, ThreadReads]" = weakref.WeakKeyDictionary()
_READS_LOCK = threading.Lock()

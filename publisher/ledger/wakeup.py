"""Wake-ups: a sleeping daemon wakes at once when something is queued, approved, edited or retried.

A write to ``items`` or ``deliveries`` inside :meth:`Store.transaction` (other than the dispatcher's own,
made under :func:`quiet`) marks the transaction. On PostgreSQL the transaction then sends ``NOTIFY
publisher_due`` (delivered to every daemon's ``LISTEN`` exactly when it commits); on SQLite the commit touches
``<database file>.wake``, whose mtime sleeping daemons watch. Within one process a threading.Event is set too.
"""

from __future__ import annotations

from pathlib import Path

import contextvars
import logging
import os
import threading
import time
import weakref
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Engine, event, text
from sqlalchemy.sql.dml import Insert, Update

log = logging.getLogger("publisher.wakeup")
CHANNEL = "publisher_due"
MARK = "publisher_wake"
WATCH_EVERY = 0.05  # seconds between looks at the SQLite wake-up file's mtime (one stat() each)
WATCHED = ("items", "deliveries")
_quiet: contextvars.ContextVar[bool] = contextvars.ContextVar("publisher_wakeup_quiet", default=False)


@contextmanager
def quiet() -> Iterator[None]:
    """Writes made inside (the dispatcher's claims and outcomes) wake no one."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


class Wakeup:
    """The wake-up signal of one database, as seen from one process."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.local = threading.Event()
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        self.path = f"{database}.wake" if database and database != ":memory:" else None
        self._listener: threading.Thread | None = None
        self._stopped = threading.Event()
        self._seen: float | None = None
        self._listening = threading.Event()
        event.listen(engine, "before_execute", self._mark)

    # -- the writing side --------------------------------------------------------------------------------------
    def _mark(self, conn, clause, multiparams, params, execution_options) -> None:
        if isinstance(clause, (Insert, Update)) and getattr(clause.table, "name", None) in WATCHED \
                and not _quiet.get():
            conn.info[MARK] = True

    def before_commit(self, conn) -> None:
        """Inside the transaction, just before it commits: PostgreSQL's NOTIFY (sent by the commit)."""
        if conn.info.get(MARK) and conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})

    def after_commit(self, marked: bool) -> None:
        """After the commit: wake this process's daemon, and (SQLite) other processes'."""
        if not marked:
            return
        self.local.set()
        if self.path:
            try:
                Path(self.path).touch()  # creates it, or moves its mtime on
            except OSError as exc:  # a read-only folder: daemons still wake at their poll interval
                log.debug("cannot touch %s: %s", self.path, exc)

    def notify(self) -> None:
        """Wake sleeping daemons now (for changes made outside Store.transaction)."""
        self.after_commit(True)
        if self.engine.dialect.name == "postgresql":
            with self.engine.begin() as conn:
                conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})

    # -- the sleeping side -------------------------------------------------------------------------------------
    def begin_pass(self) -> None:
        """Call before looking for due work: a change from then on ends the next :meth:`wait`."""
        self._listen()
        self._seen = self._mtime()

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds; True when woken by a change since :meth:`begin_pass` (or interrupt)."""
        self._listen()
        deadline = time.monotonic() + max(0.0, timeout)
        seen = self._seen
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self.local.wait(min(left, WATCH_EVERY) if self.path else left):
                self.local.clear()
                return True
            if self.path and self._mtime() != seen:
                return True

    def interrupt(self) -> None:
        """End a :meth:`wait` at once (stopping)."""
        self.local.set()

    def close(self) -> None:
        """Stop listening."""
        self._stopped.set()
        self.local.set()

    def _mtime(self) -> float | None:
        try:
            return os.stat(self.path).st_mtime_ns if self.path else None
        except OSError:
            return None

    def _listen(self) -> None:
        if self.engine.dialect.name != "postgresql" or self._listener is not None:
            return
        self._listener = threading.Thread(target=self._listen_loop, name="wakeup-listen", daemon=True)
        self._listener.start()
        self._listening.wait(5.0)  # a change committed from now on is heard

    def _listen_loop(self) -> None:
        import psycopg

        dsn = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stopped.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    self.local.set()  # something may have changed while we were not listening
                    while not self._stopped.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self.local.set()
            except Exception as exc:  # the server went away: the poll interval still applies; retry
                log.warning("LISTEN %s failed (%s); retrying", CHANNEL, exc)
                self._stopped.wait(2.0)


_BY_ENGINE: "weakref.WeakKeyDictionary[Engine, Wakeup]" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def for_engine(engine: Engine) -> Wakeup:
    """The one :class:`Wakeup` of ``engine`` in this process."""
    with _LOCK:
        wakeup = _BY_ENGINE.get(engine)
        if wakeup is None:
            wakeup = _BY_ENGINE[engine] = Wakeup(engine)
        return wakeup

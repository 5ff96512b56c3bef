"""Group commit: threads that finish at the same moment record their outcomes in one transaction.

Each thread hands in a function that writes its outcome on a connection, and waits. Whichever thread takes
the writer's turn writes every waiting function in one :meth:`Store.transaction` (one audit-chain seal, one
commit), so under load many deliveries share a commit, and a lone one commits at once (no timer). When the
shared transaction fails, each function is retried in its own, so one bad write never loses the others'.

Inside :meth:`Dispatcher.run_due` (:mod:`publisher.delivery.loop`) workers do not wait at all: they hand their outcome to an
:class:`OutcomeBatch`, which the dispatcher thread writes in the same transaction as its next claim.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from sqlalchemy import Connection

from publisher.ledger.lifecycle import MOVE_KEYS, move_together

Write = Callable[[Connection], Any]
_log = logging.getLogger("publisher.dispatcher")


class _Entry:
    __slots__ = ("write", "done", "result", "error")

    def __init__(self, write: Write):
        self.write = write
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None


class GroupCommit:
    """Writes handed in by many threads, committed together."""

    def __init__(self, store, max_batch: int = 200):
        self.store = store
        self.max_batch = max_batch
        self._waiting: list[_Entry] = []
        self._queue_lock = threading.Lock()
        self._turn = threading.Lock()
        self.commits = 0  # transactions written (a benchmark figure)

    def run(self, write: Write) -> Any:
        """Run ``write(conn)`` in a transaction shared with other threads' writes; returns its result once committed."""
        entry = _Entry(write)
        with self._queue_lock:
            self._waiting.append(entry)
        while True:
            with self._turn:
                if entry.done:
                    break
                with self._queue_lock:
                    batch, self._waiting = self._waiting[:self.max_batch], self._waiting[self.max_batch:]
                self._commit(batch)
        if entry.error is not None:
            raise entry.error
        return entry.result

    def _commit(self, batch: list[_Entry]) -> None:
        try:
            with self.store.transaction() as conn:
                results = [entry.write(conn) for entry in batch]
            for entry, result in zip(batch, results):
                entry.result = result
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
            else:
                for entry in batch:  # one by one, so each gets its own result or error
                    try:
                        with self.store.transaction() as conn:
                            entry.result = entry.write(conn)
                    except Exception as exc:
                        entry.error = exc
        finally:
            self.commits += 1
            for entry in batch:
                entry.done = True


class Handed:
    """An outcome a worker handed in without waiting: its name, its write, what the write returned, and — when
    it is one delivery move — the move (for :func:`publisher.ledger.lifecycle.move_many`) and the lease it needs."""

    __slots__ = ("outcome", "write", "result", "move", "owner", "after")

    def __init__(self, outcome: str, write: Write, move: dict[str, Any] | None = None, owner: str | None = None,
                 after: Write | None = None):
        self.outcome = outcome
        self.write = write
        self.result: Any = None
        self.move = move
        self.owner = owner
        self.after = after  # what a move written together with others also writes (``write`` includes it)

    def shape(self) -> tuple | None:
        """Moves of one shape (the same columns, the same lease) share one statement; None: written alone."""
        if self.move is None:
            return None
        return self.owner, tuple(sorted(k for k in self.move if k not in MOVE_KEYS))


def write_afters(conn: Connection, afters: list[Write]) -> None:
    """Write what moves written together also write: those of one kind that know how (a ``many`` attribute) in
    a few statements for all, the others one by one, in the order handed in."""
    kinds: dict[Any, list] = {}
    for after in afters:
        many = getattr(after, "many", None)
        if many is None:
            after(conn)
        else:
            kinds.setdefault(many, []).append(after)
    for many, group in kinds.items():
        many(conn, group)


class OutcomeBatch:
    """Outcomes handed in by worker threads that do not wait for them; the dispatcher thread writes them all in
    its next transaction (together with its next claim). Until that commits the deliveries stay leased
    ``publishing``: a crash before it is a crash between the channel's answer and the commit, and the expired
    lease leads to a look-up before anything is sent again."""

    def __init__(self, store):
        self.store = store
        self._handed: list[Handed] = []
        self._lock = threading.Lock()

    def hand_in(self, outcome: str, write: Write, move: dict[str, Any] | None = None,
                owner: str | None = None, after: Write | None = None) -> None:
        """Queue ``write`` (equivalently ``move``, leased by ``owner``, then ``after``) for the dispatcher thread's
        next transaction."""
        with self._lock:
            self._handed.append(Handed(outcome, write, move, owner, after))

    def take(self) -> list[Handed]:
        """Everything handed in so far (the caller writes it)."""
        with self._lock:
            taken, self._handed = self._handed, []
        return taken

    @staticmethod
    def write(conn: Connection, handed: list[Handed]) -> None:
        """Write ``handed`` on ``conn`` (inside the caller's transaction): moves of one shape in one statement,
        each alone when one of them lost its lease meanwhile, and the rest one by one."""
        shapes: dict[tuple, list[Handed]] = {}
        alone = []
        for entry in handed:
            shape = entry.shape()
            (alone if shape is None else shapes.setdefault(shape, [])).append(entry)
        afters = []
        for (owner, _columns), entries in shapes.items():
            if len(entries) > 1 and move_together(conn, [e.move for e in entries], owned_by=owner):
                for entry in entries:
                    entry.result = entry.outcome
                    if entry.after is not None:
                        afters.append(entry.after)
            else:
                alone += entries
        write_afters(conn, afters)
        for entry in alone:
            entry.result = entry.write(conn)

    def record(self, handed: list[Handed]) -> None:
        """Write ``handed`` in one transaction of its own (each alone when that fails)."""
        if not handed:
            return
        try:
            with self.store.transaction() as conn:
                self.write(conn, handed)
        except Exception:
            _log.exception("recording %d outcomes together failed; recording each alone", len(handed))
            self.write_each(handed)

    def write_each(self, handed: list[Handed]) -> None:
        """Write each in its own transaction (after a shared one failed), so one bad write loses no other."""
        for entry in handed:
            try:
                with self.store.transaction() as conn:
                    entry.result = entry.write(conn)
            except Exception:  # the lease runs out and the delivery is looked up before anything is sent again
                _log.exception("recording %s failed", entry.outcome)
                entry.result = "error"

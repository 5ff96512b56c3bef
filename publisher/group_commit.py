"""Group commit: threads that finish at the same moment record their outcomes in one transaction.

Each thread hands in a function that writes its outcome on a connection, and waits. Whichever thread takes
the writer's turn writes every waiting function in one :meth:`Store.transaction` (one audit-chain seal, one
commit), so under load many deliveries share a commit, and a lone one commits at once (no timer). When the
shared transaction fails, each function is retried in its own, so one bad write never loses the others'.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from sqlalchemy import Connection

Write = Callable[[Connection], Any]


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


"""One watchdog thread that calls a function when its deadline passes, unless it was cancelled first."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from typing import Callable

log = logging.getLogger("publisher.http")


class Watchdog:
    """Runs ``action`` ``seconds`` from now on its own thread (one thread for every deadline in the process)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._pending: set[int] = set()
        self._ids = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def after(self, seconds: float, action: Callable[[], None]) -> int:
        """Call ``action`` in ``seconds`` (monotonic time); returns a handle for :meth:`cancel`."""
        handle = next(self._ids)
        with self._wake:
            heapq.heappush(self._heap, (time.monotonic() + seconds, handle, action))
            self._pending.add(handle)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="deadlines", daemon=True)
                self._thread.start()
            if self._heap[0][1] == handle:  # else the thread already wakes earlier than this deadline
                self._wake.notify()
        return handle

    def cancel(self, handle: int) -> None:
        """Forget ``handle``'s action (harmless once it ran)."""
        with self._wake:
            self._pending.discard(handle)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    while self._heap and self._heap[0][1] not in self._pending:  # cancelled: no need to wake for it
                        heapq.heappop(self._heap)
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._wake.wait(timeout)
                _, handle, action = heapq.heappop(self._heap)
                if handle not in self._pending:
                    continue
                self._pending.discard(handle)
            try:
                action()
            except Exception:  # a failed action must not stop every other deadline
                log.exception("a request deadline's action failed")


WATCHDOG = Watchdog()

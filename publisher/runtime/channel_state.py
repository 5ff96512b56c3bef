"""Per-channel persistent state (tokens, cached media ids, term ids): in memory, or in the database."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any, Callable

from publisher.foundation.clock import Clock, SystemClock


class MemoryChannelState:
    """A ChannelState kept in this process only (unit tests, one-off tools)."""

    def __init__(self, clock: Clock | None = None):
        self.clock = clock or SystemClock()
        self._data: dict[str, tuple[Any, datetime | None]] = {}
        self._lock = threading.RLock()
        self.creates: dict[str, int] = {}

    def get(self, key: str) -> Any | None:
        """The value, or None when missing or expired."""
        with self._lock:
            entry = self._data.get(key)
        if entry is None:
            return None
        value, expires_at = entry
        if expires_at is not None and expires_at <= self.clock.now():
            return None
        return value

    def put(self, key: str, value: Any, *, expires_at: datetime | None = None) -> None:
        """Store a value."""
        with self._lock:
            self._data[key] = (value, expires_at)

    def delete(self, key: str) -> None:
        """Forget a key."""
        with self._lock:
            self._data.pop(key, None)

    def get_or_create(
        self,
        key: str,
        create: Callable[[], tuple[Any, datetime | None]],
        *,
        refresh_before: timedelta = timedelta(0),
        force: bool = False,
        stale: Any = None,
    ) -> Any:
        """Return the value, creating it once when missing, expiring, or ``force``d (see ChannelState)."""
        with self._lock:
            entry = self._data.get(key)
            now = self.clock.now()
            fresh = entry is not None and (entry[1] is None or entry[1] - refresh_before > now)
            if fresh and force and stale is not None and entry[0] != stale:
                return entry[0]  # someone already replaced the value the caller found stale
            if fresh and not force:
                return entry[0]
            value, expires_at = create()
            self.creates[key] = self.creates.get(key, 0) + 1
            self._data[key] = (value, expires_at)
            return value

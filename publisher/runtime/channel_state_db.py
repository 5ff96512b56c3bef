"""ChannelState kept in the database: one token or cache entry shared by every worker and daemon."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from sqlalchemy import Engine, and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from publisher.foundation.clock import Clock
from publisher.db.engine import reading
from publisher.db.schema import UTCDateTime, channel_pauses, channel_state
from publisher.runtime.hold_fence import HoldFence

LOCK_TTL = timedelta(seconds=60)
OPEN_ENDED = datetime(9999, 1, 1, tzinfo=timezone.utc)  # "held until an operator resumes the channel"


class DbChannelState:
    """A ChannelState for one channel, stored in the ``channel_state`` table."""

    def __init__(self, engine: Engine, channel: str, clock: Clock, poll: float = 0.05):
        self.engine = engine
        self.channel = channel
        self.clock = clock
        self.poll = poll
        self.owner = uuid.uuid4().hex

    def _row(self, conn, key: str):
        return conn.execute(select(channel_state).where(and_(
            channel_state.c.channel == self.channel, channel_state.c.key == key))).first()

    def get(self, key: str) -> Any | None:
        """The value, or None when missing or expired."""
        with reading(self.engine) as conn:
            row = self._row(conn, key)
        if row is None or row.value is None:
            return None
        if row.expires_at is not None and row.expires_at <= self.clock.now():
            return None
        return row.value

    def put(self, key: str, value: Any, *, expires_at: datetime | None = None) -> None:
        """Store a value (insert or replace)."""
        with self.engine.begin() as conn:
            self._ensure_row(conn, key)
            conn.execute(update(channel_state).where(and_(
                channel_state.c.channel == self.channel, channel_state.c.key == key)).values(
                value=value, expires_at=expires_at, version=channel_state.c.version + 1))

    def delete(self, key: str) -> None:
        """Forget a key."""
        with self.engine.begin() as conn:
            conn.execute(delete(channel_state).where(and_(
                channel_state.c.channel == self.channel, channel_state.c.key == key)))

    def get_or_create(
        self,
        key: str,
        create: Callable[[], tuple[Any, datetime | None]],
        *,
        refresh_before: timedelta = timedelta(0),
        force: bool = False,
        stale: Any = None,
    ) -> Any:
        """Single-flight across processes: one worker holds a row lock while it creates; others wait and read."""
        deadline = time.monotonic() + LOCK_TTL.total_seconds()

        def usable(row, now: datetime) -> bool:
            if row is None or row.value is None:
                return False
            fresh = row.expires_at is None or row.expires_at - refresh_before > now
            return fresh and (not force or (stale is not None and row.value != stale))

        while True:
            now = self.clock.now()
            with reading(self.engine) as conn:
                row = self._row(conn, key)
            if usable(row, now):
                return row.value
            if self._lock(key, now):
                try:
                    # Another worker may have created it between our read and our lock: read again.
                    with reading(self.engine) as conn:
                        row = self._row(conn, key)
                    if usable(row, now):
                        self._unlock(key)
                        return row.value
                    value, expires_at = create()
                    with self.engine.begin() as conn:
                        conn.execute(update(channel_state).where(and_(
                            channel_state.c.channel == self.channel, channel_state.c.key == key)).values(
                            value=value, expires_at=expires_at, version=channel_state.c.version + 1,
                            lock_owner=None, lock_until=None))
                    return value
                except BaseException:
                    self._unlock(key)
                    raise
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited too long for another worker to refresh {self.channel}/{key}")
            time.sleep(self.poll)  # another worker is creating the value right now

    def _me(self) -> str:
        return f"{self.owner}-{threading.get_ident()}"

    def _ensure_row(self, conn, key: str) -> None:
        if self._row(conn, key) is None:
            with contextlib.suppress(IntegrityError), conn.begin_nested():  # or another worker just made it
                conn.execute(insert(channel_state).values(channel=self.channel, key=key, version=0))

    def _lock(self, key: str, now: datetime) -> bool:
        with self.engine.begin() as conn:
            self._ensure_row(conn, key)
            taken = conn.execute(update(channel_state).where(and_(
                channel_state.c.channel == self.channel, channel_state.c.key == key,
                or_(channel_state.c.lock_owner.is_(None), channel_state.c.lock_until < now,
                    channel_state.c.lock_owner == self._me()),
            )).values(lock_owner=self._me(), lock_until=now + LOCK_TTL)).rowcount
        return taken == 1

    def _unlock(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(channel_state).where(and_(
                channel_state.c.channel == self.channel, channel_state.c.key == key,
                channel_state.c.lock_owner == self._me())).values(lock_owner=None, lock_until=None))


class ChannelHolds:
    """Channel-wide holds (a Retry-After answer) kept in ``channel_pauses``, read by every worker and daemon.

    A hold is a pause with an end: the claim query skips held channels, and :func:`publisher.http.send` refuses
    to start a request on one. A hold only ever lengthens a pause; an operator's open-ended pause stands.
    """

    def __init__(self, store, clock: Clock):
        self.store = store
        self.clock = clock
        # holds this process knows of (shared by every dispatcher on the same database), so its threads stop at once
        self._seen = _SEEN.setdefault(str(store.engine.url), {})
        self._lock = _SEEN_LOCK
        self.fence = HoldFence(store.engine)

    def hold(self, channel: str, until: datetime, reason: str, actor: str) -> bool:
        """Hold ``channel`` until ``until``; False when it was already held at least that long."""
        with self._lock:
            if self._seen.get(channel, until) > until:
                return False
            self._seen[channel] = until
        now = self.clock.now()
        values = dict(since=now, until=until, reason=reason)
        with self.fence.changing(), self.store.transaction() as conn:
            self.fence.in_transaction(conn, channel, exclusive=True)
            done = conn.execute(update(channel_pauses).where(and_(
                channel_pauses.c.channel == channel, channel_pauses.c.until.is_not(None),
                channel_pauses.c.until < until)).values(**values)).rowcount
            if not done and conn.execute(select(channel_pauses.c.channel).where(
                    channel_pauses.c.channel == channel)).first() is None:
                with contextlib.suppress(IntegrityError), conn.begin_nested():  # or another worker held it first
                    done = conn.execute(insert(channel_pauses).values(channel=channel, **values)).rowcount
            if done:
                self.store.event(conn, "held", actor=actor, channel=channel, reason=reason, until=until.isoformat())
        return bool(done)

    def gate(self, channel: str) -> threading.Lock:
        """The process-wide lock of ``channel`` on this database (see :class:`publisher.http.RequestScope`)."""
        with self._lock:
            return _GATES.setdefault((id(self._seen), channel), threading.Lock())

    def seen_until(self, channel: str) -> datetime | None:
        """The end of a hold this process recorded or read, while it lasts (a memory read)."""
        with self._lock:
            seen = self._seen.get(channel)
        return seen if seen is not None and seen > self.clock.now() else None

    def held_until(self, channel: str) -> datetime | None:
        """The end of the channel's hold or pause when it is held now (an open-ended pause: far ahead)."""
        now = self.clock.now()
        with self._lock:
            seen = self._seen.get(channel)
        if seen is not None and seen > now:
            return seen
        found = self.fence.read_pauses(self.store.engine, channel)
        if found is None:
            return None
        until = found[1]
        if until is None:
            return OPEN_ENDED
        until = UTCDateTime().process_result_value(until, None)
        return until if until > now else None


_SEEN: dict[str, dict[str, datetime]] = {}
_SEEN_LOCK = threading.Lock()
_GATES: dict[tuple[int, str], threading.Lock] = {}

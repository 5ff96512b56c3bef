"""Who is working on which occurrence: each runner's heartbeat and its claims, as rows of ``channel_state``.

No schema of its own: rows under the pseudo-channel ``_series`` (channel names start with a letter).
``runner:OWNER`` is a runner's heartbeat, renewed every poll and stale after :data:`STALE_BEATS` polls.
``occurrence:ID`` (``lock_owner`` = OWNER, ``value`` = the claimed try) is written in the transaction that
claims the occurrence and deleted in the one that records its outcome. While its owner beats, the
occurrence's lease (``next_try_at``, ``retry.lease`` ahead) is renewed; once the heartbeat is stale, any
other runner makes the occurrence due at once instead of waiting for the lease to run out.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import Connection, and_, delete, insert, select, update

from publisher.foundation.clock import Clock
from publisher.db.engine import reading
from publisher.db.schema import channel_state as cs, series_occurrences as occ
from publisher.series.occurrence_status import OccurrenceStatus

log = logging.getLogger("publisher.series")

CHANNEL = "_series"
STALE_BEATS = 3  # polls a runner may miss before its claims are taken over
MIN_STALE = timedelta(seconds=10)  # so a short poll interval and a slow database do not cause take-overs


def stale_after(poll_interval: float) -> timedelta:
    """How long after its last beat a runner counts as stopped: three polls, at least 10 seconds."""
    return max(MIN_STALE, timedelta(seconds=STALE_BEATS * poll_interval))


class Claims:
    """One runner's heartbeat and claims (``owner`` is unique per runner instance)."""

    def __init__(self, engine, clock: Clock, owner: str, *, lease: timedelta, poll_interval: float):
        self.engine = engine
        self.clock = clock
        self.owner = owner
        self.lease = lease
        self.stale = stale_after(poll_interval)
        self._held: dict[int, int] = {}  # occurrence id -> claimed try, while this runner works on it
        self._lock = threading.Lock()

    def claim(self, conn: Connection, occurrence_id: int, tries: int) -> None:
        """Record, in the claiming transaction, that this runner holds try ``tries`` of the occurrence."""
        key = _claim_key(occurrence_id)
        conn.execute(delete(cs).where(and_(cs.c.channel == CHANNEL, cs.c.key == key)))
        conn.execute(insert(cs).values(channel=CHANNEL, key=key, value={"tries": tries}, version=0,
                                       lock_owner=self.owner))
        with self._lock:
            self._held[occurrence_id] = tries

    def release(self, conn: Connection, occurrence_id: int) -> None:
        """Drop this runner's claim, in the transaction that records the outcome (its lease is no longer renewed,
        even if that transaction fails)."""
        with self._lock:
            self._held.pop(occurrence_id, None)
        conn.execute(delete(cs).where(and_(cs.c.channel == CHANNEL, cs.c.key == _claim_key(occurrence_id),
                                           cs.c.lock_owner == self.owner)))

    def beat(self) -> None:
        """Say this runner is alive, and extend the leases of the occurrences it is still working on."""
        now = self.clock.now()
        key = _runner_key(self.owner)
        with self._lock:
            held = list(self._held.items())
        with self.engine.begin() as conn:
            renewed = conn.execute(update(cs).where(and_(cs.c.channel == CHANNEL, cs.c.key == key))
                                   .values(expires_at=now + self.stale, version=cs.c.version + 1)).rowcount
            if not renewed:
                conn.execute(insert(cs).values(channel=CHANNEL, key=key, value={}, version=0,
                                               expires_at=now + self.stale, lock_owner=self.owner))
            for occurrence_id, tries in held:
                conn.execute(update(occ).where(and_(
                    occ.c.id == occurrence_id, occ.c.status == OccurrenceStatus.WAITING, occ.c.tries == tries))
                    .values(next_try_at=now + self.lease))

    def take_over(self) -> list[int]:
        """Make the occurrences claimed by runners whose heartbeat is stale due now; returns their ids."""
        now = self.clock.now()
        with reading(self.engine) as conn:
            rows = conn.execute(select(cs.c.key, cs.c.value, cs.c.lock_owner, cs.c.expires_at)
                                .where(cs.c.channel == CHANNEL)).all()
        live = {r.lock_owner for r in rows if r.key.startswith("runner:") and r.expires_at is not None
                and r.expires_at > now}
        live.add(self.owner)
        orphans = [r for r in rows if r.key.startswith("occurrence:") and r.lock_owner not in live]
        stale_runners = [r.key for r in rows if r.key.startswith("runner:") and r.lock_owner not in live]
        if not orphans and not stale_runners:
            return []
        made_due = []
        with self.engine.begin() as conn:
            for row in orphans:
                occurrence_id = _occurrence_id(row.key)
                if conn.execute(update(occ).where(and_(
                        occ.c.id == occurrence_id, occ.c.status == OccurrenceStatus.WAITING,
                        occ.c.tries == (row.value or {}).get("tries"))).values(next_try_at=now)).rowcount:
                    made_due.append(occurrence_id)
                conn.execute(delete(cs).where(and_(cs.c.channel == CHANNEL, cs.c.key == row.key,
                                                   cs.c.lock_owner == row.lock_owner)))
            if stale_runners:  # a runner that is only slow writes its row again at its next beat
                conn.execute(delete(cs).where(and_(cs.c.channel == CHANNEL, cs.c.key.in_(stale_runners),
                                                   cs.c.expires_at <= now)))
        for row in orphans:
            if _occurrence_id(row.key) in made_due:
                log.info("series: occurrence %s was being worked on by %s, which stopped; trying it again now",
                         _occurrence_id(row.key), row.lock_owner)
        return made_due


def _claim_key(occurrence_id: int) -> str:
    return f"occurrence:{occurrence_id}"


def _occurrence_id(key: str) -> int:
    return int(key.split(":", 1)[1])


def _runner_key(owner: str) -> str:
    return f"runner:{owner}"[:200]

"""The dispatcher: claim due deliveries with a lease, run them through adapters, record every outcome.

A delivery's life (:mod:`publisher.delivery_lifecycle`): ``pending`` → ``publishing`` (claimed, leased) →
``published`` | ``failed`` (retry later) | ``dead`` (gave up) | ``in_doubt`` (the channel may have it). An
``in_doubt`` delivery, or a ``publishing`` one whose lease expired (its worker crashed), is settled by the
adapter's look-up before anything is sent again; "absent" counts only once the earlier request can no longer be
in flight (``in_flight_until``); a channel that cannot look up waits for an operator. A published delivery older
than its item's approved revision is updated in place (``update``, :mod:`publisher.updating`); only a revision
read while the item was approved at it is ever sent. A Retry-After holds the whole channel for every worker and
daemon (:class:`publisher.db_state.ChannelHolds`). Claims and outcomes are compare-and-set moves, so any number
of workers and daemons can share one database; a channel's ``concurrency`` is shared by all of them (each claim
counts the leases other workers hold on the channel). Inside :meth:`Dispatcher.run_due` the workers hand their
outcomes to the dispatcher thread, which writes them in the transaction of its next claim.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import random
import threading
import time
import uuid
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, Future, InvalidStateError, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

from sqlalchemy import Integer, and_, bindparam, exists, func, not_, or_, select, text, update

from publisher.ledger import audit, wakeup
from publisher.delivery import corrections as updating
from publisher.adapter import DeliveryContext, ItemView, Receipt
from publisher.runtime.app import App
from publisher.delivery.backoff import backoff_seconds
from publisher.runtime.channel_state_db import OPEN_ENDED, ChannelHolds
from publisher.ledger.lifecycle import DeliveryStatus as S, UpdateState, WaitingFor, event, move, move_many
from publisher.http import RequestScope, request_scope
from publisher.foundation.durations import parse_duration
from publisher.delivery.group_commit import GroupCommit, Handed, OutcomeBatch
from publisher.errors import (
    ChannelPaused, LookupUnsupported, OutcomeUnknown, PermanentError, RetryableError, StillProcessing,
)
from publisher.db.schema import channel_pauses, deliveries, items
from publisher.db.engine import reading

log = logging.getLogger("publisher.dispatcher")
HOLD_FRESH = 0.02  # seconds a "channel not held" answer is reused before the next request
WAIT_CAP = timedelta(minutes=30)  # how long a delivery waits for the channel it links to
UNSETTLED = tuple(s.value for s in (S.PENDING, S.PUBLISHING, S.FAILED, S.IN_DOUBT))


@dataclass
class Claim:
    """A delivery this worker holds the lease on, and what to do with it."""

    id: int
    item_id: int
    channel: str
    action: str  # publish | settle | retract | update | drop
    attempts: int
    idempotency_key: str
    checkpoint: dict
    external_id: str | None
    external_url: str | None
    first_attempt_at: datetime | None
    lease_owner: str
    status: str  # what the claim left the row in
    in_flight_until: datetime | None = None  # an earlier request may still be in flight until then
    item_retracted: bool = False
    previous: str = ""  # the row's status before the claim
    item: ItemView | None = None  # what the adapter sees, read with the claim (execute checks its revision)

    @property
    def releasable(self) -> bool:
        """Claimed ahead to be sent, and nothing sent yet: it can go back to where it was."""
        return self.action == "publish" and self.previous in (S.PENDING.value, S.FAILED.value)


@dataclass
class RunStats:
    """What one :meth:`Dispatcher.run_due` did, by outcome."""

    outcomes: Counter = field(default_factory=Counter)

    @property
    def failures(self) -> int:
        """Outcomes that mean something could not be delivered (yet)."""
        return sum(self.outcomes[k] for k in ("failed", "dead", "in_doubt", "paused", "retract_failed", "retract_retry",
                                               "processing", "held", "error", "update_failed", "update_retry"))

    @property
    def total(self) -> int:
        """How many claims were processed."""
        return sum(self.outcomes.values())


class Dispatcher:
    """Runs due deliveries for one App, concurrently, with a per-channel limit."""

    def __init__(self, app: App, *, worker_id: str | None = None, workers: int | None = None,
                 rng: random.Random | None = None, heartbeat: float | None = None):
        self.app = app
        self.store = app.store
        self.clock = app.clock
        self.retry = app.config.retry
        self.lease = parse_duration(self.retry.lease)
        # how long after its timeout a request is still taken to be possibly in flight (a slow save committing)
        self.margin = timedelta(seconds=self.retry.in_doubt_delay)
        self.holds = ChannelHolds(self.store, self.clock)
        self.max_age = parse_duration(self.retry.max_age)
        self.worker_id = worker_id or f"{app.actor}/{uuid.uuid4().hex[:8]}"
        # real seconds between lease renewals while deliveries are in flight (a slow site must not lose its lease)
        self.heartbeat = heartbeat or max(1.0, self.lease.total_seconds() / 3)
        self.workers = workers or app.config.daemon.workers
        self.rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self.shares: dict[str, int] = {}  # per channel: how much of its concurrency this worker may use now
        self.exhausted: set[str] = set()  # channels whose last claim found fewer due deliveries than it asked for
        self._first_channel = 0  # rotates, so that no channel always claims first when room is short
        self._retracts_read: dict[str, float] = {}  # channel → monotonic time of its next look for retractions
        self._waits_for: dict[str, tuple[str, ...]] = {}
        self._executor: ThreadPoolExecutor | None = None
        self.outcomes = GroupCommit(self.store)  # outcomes of deliveries executed outside run_due
        self.handed = OutcomeBatch(self.store)  # outcomes of run_due's workers, written with the next claim
        self._not_held: dict[str, float] = {}  # channel → monotonic time until which "not held" is taken as read

    # -- the loop -----------------------------------------------------------------------------
    def run_due(self, stop: threading.Event | None = None, *, item_id: int | None = None) -> RunStats:
        """Process everything due now (claiming more as slots free up); return when nothing is due or in flight."""
        with wakeup.quiet():
            return self._run_due(stop, item_id)

    def _run_due(self, stop: threading.Event | None, item_id: int | None) -> RunStats:
        # Claims are taken ahead (up to a second round per channel, ``ready``) so that one claim transaction
        # serves many deliveries; what was claimed ahead is still run when stopping (its lease is held). A worker
        # that finishes takes the next claim of its channel from ``ready`` itself (its slot passes on), and wakes
        # this thread to claim more when ``ready`` runs low: no worker waits for this thread between deliveries.
        stats = RunStats()
        self._retracts_read.clear()  # every pass looks for retractions at its first claim
        channels = self.app.config.enabled_channels()
        limit = {name: self.app.config.channels[name].concurrency for name in channels}
        depth = {name: self.claim_depth(name, n) for name, n in limit.items()}  # leased at most: running, ahead
        # in all: twice the workers, or what the channels that claim deeply ahead keep (see claim_depth)
        leased_at_most = max(2 * self.workers, sum(depth[c] for c in channels if self.ahead_deeply(c)))
        pool = self._pool()
        inflight: dict[Future, list[Claim]] = {}  # each worker's run → [the claim it is on now]
        ready: dict[str, deque[Claim]] = {name: deque() for name in channels}
        busy: Counter = Counter()
        exhausted: set[str] = set()
        paused = self.store.paused_channels()  # read again only when a delivery here pauses a channel
        low = [Future()]  # set by a worker when its channel's ``ready`` runs low
        renewed = time.monotonic()

        def wake() -> None:
            with contextlib.suppress(InvalidStateError):
                low[0].set_result(None)

        def run_on(claim: Claim, current: list[Claim]) -> list[str]:
            outcomes = []
            while True:
                current[0] = claim
                try:
                    outcomes.append(self._execute_quietly(claim))
                except Exception:  # a bug in our own bookkeeping: keep the daemon alive, the lease expires
                    log.exception("delivery %s crashed the worker", claim.id)
                    outcomes.append("error")
                name = claim.channel
                if outcomes[-1] == "paused" or busy[name] > self.shares.get(name, limit[name]):
                    return outcomes
                waiting = ready[name]
                try:
                    claim = waiting.popleft()
                except IndexError:
                    return outcomes
                finally:
                    if len(waiting) <= depth[name] // 2:
                        wake()

        def start_ready() -> None:
            for name, waiting in ready.items():
                share = self.shares.get(name, limit[name])  # this channel's concurrency less other daemons' part
                while waiting and busy[name] < share and len(inflight) < self.workers:
                    claim = waiting.popleft()
                    busy[name] += 1
                    current = [claim]
                    inflight[pool.submit(run_on, claim, current)] = current

        while True:
            start_ready()  # a freed worker takes what was claimed ahead before this round's claim
            queued = sum(len(q) for q in ready.values())
            handed = self.handed.take()  # outcomes the workers handed in: written with this claim
            written = False
            if stop is None or not stop.is_set():
                slots = {}
                for name in channels:
                    if name not in paused and name not in exhausted:
                        want = depth[name] - busy[name] - len(ready[name])
                        if len(ready[name]) <= depth[name] // 2 and want > 0:
                            slots[name] = want
                room = leased_at_most - len(inflight) - queued
                claims = []
                if slots and room > 0:
                    claims, written = self.claim_many(slots, room, item_id=item_id, outcomes=handed), True
                    exhausted.update(self.exhausted)
                for claim in claims:
                    ready[claim.channel].append(claim)
            if handed and not written:
                self.record(handed)
            for entry in handed:  # a lease lost meanwhile shows as such
                if entry.result != entry.outcome:
                    stats.outcomes[entry.outcome] -= 1
                    stats.outcomes[entry.result] += 1
            start_ready()
            if not inflight:  # every outcome was handed in before its worker's run ended: all are written
                stats.outcomes = +stats.outcomes
                return stats
            if low[0].done():
                low[0] = Future()
            done, _ = wait([*inflight, low[0]], timeout=self.heartbeat, return_when=FIRST_COMPLETED)
            if time.monotonic() - renewed >= self.heartbeat:  # a slow site must not lose its lease
                ahead = [c for q in list(ready.values()) for c in list(q)]  # list(deque): one step, workers pop
                self.renew_leases([c[0] for c in inflight.values()] + ahead)
                renewed = time.monotonic()
            for future in done:
                if future not in inflight:
                    continue  # the wake-up: ``ready`` runs low
                current = inflight.pop(future)
                busy[current[0].channel] -= 1
                exhausted.clear()  # a finished delivery may free another channel's (waits_for)
                for outcome in future.result():
                    stats.outcomes[outcome] += 1
                    if outcome == "paused":
                        paused = self.store.paused_channels()
                        for name in paused:  # what was claimed ahead for a paused channel goes back unsent
                            if name in ready:
                                ready[name] = self._release_all(ready[name])

    def _release_all(self, waiting: deque[Claim]) -> deque[Claim]:
        """Give back everything in ``waiting`` that can go back; the rest, in a new queue. Workers may take from
        ``waiting`` meanwhile, so it is emptied one claim at a time."""
        keep: deque[Claim] = deque()
        while True:
            try:
                claim = waiting.popleft()
            except IndexError:
                return keep
            if not (claim.releasable and self.release(claim)):
                keep.append(claim)

    def release(self, claim: Claim) -> bool:
        """Give back a claim taken ahead that was never started (its channel was paused meanwhile)."""
        recorded = event("released", actor=self.worker_id, at=self.clock.now(), item_id=claim.item_id,
                         channel=claim.channel, reason="claimed ahead; its channel was paused before it was sent")
        with wakeup.quiet(), self.store.transaction() as conn:
            return move(conn, claim.id, current=claim.status, to=claim.previous, owned_by=claim.lease_owner,
                        event=recorded, lease_owner=None, lease_expires_at=None, attempts=claim.attempts - 1,
                        updated_at=self.clock.now())

    def record(self, handed: list[Handed]) -> None:
        """Write outcomes handed in by workers, in one transaction (each alone when that fails)."""
        if not handed:
            return
        try:
            with self.store.transaction() as conn:
                OutcomeBatch.write(conn, handed)
        except Exception:
            log.exception("recording %d outcomes together failed; recording each alone", len(handed))
            self.handed.write_each(handed)

    def _execute_quietly(self, claim: Claim) -> str:
        token = _HAND_IN.set(True)
        try:
            with wakeup.quiet():
                return self.execute(claim)
        finally:
            _HAND_IN.reset(token)

    def _pool(self) -> ThreadPoolExecutor:
        # One pool for the dispatcher's life: worker threads keep their HTTP sessions between runs.
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="deliver")
        return self._executor

    def close(self) -> None:
        """Stop the worker threads (after in-flight work finishes)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def next_due(self) -> datetime | None:
        """When some delivery next becomes due (a retry, a look-up, a lease or a hold running out); None when none
        will. Items not approved, or held, and channels paused until an operator resumes them, count as never."""
        d, p = deliveries, channel_pauses
        now = self.clock.now()
        stopped = exists().where(and_(p.c.channel == d.c.channel, or_(p.c.until.is_(None), p.c.until > now)))
        waiting = or_(
            and_(d.c.status.in_((S.PENDING.value, S.FAILED.value)), items.c.review_state == "approved",
                 items.c.held.is_(False)),
            and_(d.c.status == S.IN_DOUBT.value, d.c.waiting_for.is_(None)),
            and_(d.c.status == S.PUBLISHED.value, d.c.retract_requested.is_(True)),
            and_(_update_due(d), or_(d.c.lease_expires_at.is_(None), d.c.lease_expires_at < now)),
        )
        channels = list(self.app.config.enabled_channels())
        with reading(self.store.engine) as conn:
            times = [
                conn.execute(select(func.min(d.c.next_attempt_at)).select_from(d.join(items, items.c.id == d.c.item_id))
                             .where(and_(waiting, d.c.channel.in_(channels), not_(stopped)))).scalar(),
                conn.execute(select(func.min(d.c.lease_expires_at)).where(d.c.status == S.PUBLISHING.value)).scalar(),
                conn.execute(select(func.min(p.c.until)).where(and_(p.c.until > now, p.c.until < OPEN_ENDED,
                                                                      p.c.channel.in_(channels)))).scalar(),
            ]
        aware = [t if t.tzinfo else t.replace(tzinfo=timezone.utc) for t in times if t is not None]
        return min(aware) if aware else None

    def renew_leases(self, claims: list[Claim]) -> None:
        """Extend the leases of deliveries still being worked on, so no other worker takes them over."""
        now = self.clock.now()
        with self.store.transaction() as conn:
            conn.execute(update(deliveries).where(and_(
                deliveries.c.id.in_([c.id for c in claims]), deliveries.c.lease_owner == self.worker_id))
                .values(lease_expires_at=now + self.lease))

    # -- claiming -----------------------------------------------------------------------------
    def claim(self, channel: str, limit: int, *, item_id: int | None = None) -> list[Claim]:
        """Take the lease on up to ``limit`` due deliveries of ``channel`` (of one item, when given)."""
        return self.claim_many({channel: limit}, limit, item_id=item_id)

    def claim_many(self, slots: dict[str, int], limit: int, *, item_id: int | None = None,
                   outcomes: list[Handed] = ()) -> list[Claim]:
        """Take leases on due deliveries: at most ``slots[channel]`` per channel and ``limit`` in all.

        One transaction: first the ``outcomes`` workers handed in, then per channel one query for the due rows
        (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so daemons never wait for each other's rows) and one
        statement moving them all. A channel's ``concurrency`` is shared by every daemon: what other workers
        hold leased on it now is taken off this one's share.
        """
        if outcomes:
            try:
                return self._claim(slots, limit, item_id, outcomes)
            except Exception:
                log.exception("recording %d outcomes with a claim failed; recording each alone", len(outcomes))
                self.handed.write_each(outcomes)
        return self._claim(slots, limit, item_id, ())

    def _claim(self, slots: dict[str, int], limit: int, item_id: int | None, outcomes) -> list[Claim]:
        now = self.clock.now()
        waits = self._waits(slots)
        claims: list[Claim] = []
        moves: list[dict] = []
        log_rows: list[dict] = []
        self.exhausted = set()
        order = list(slots)
        if order:
            self._first_channel = (self._first_channel + 1) % len(order)
            order = order[self._first_channel:] + order[:self._first_channel]
        try:
            with self.store.transaction() as conn:
                OutcomeBatch.write(conn, outcomes)
                held = self._holdings(conn, order, now)
                for channel in order:
                    mine, others = held.get(channel, (0, 0))
                    share = max(0, self.app.config.channels[channel].concurrency - others)
                    self.shares[channel] = share
                    want = min(slots[channel], limit - len(claims), self.claim_depth(channel, share, others=others) - mine)
                    if want <= 0:
                        continue
                    rows = self._due(conn, channel, want, now, item_id, tuple(w for w in waits if w[0] == channel))
                    if len(rows) < want:
                        self.exhausted.add(channel)
                    for row in rows:
                        claim, moved = self._plan(row, now, log_rows)
                        claims.append(claim)
                        moves.append(moved)
                if moves and move_many(conn, moves) != len(moves):
                    raise _LostRace
                self._read_items(conn, [c for c in claims if c.status == S.PUBLISHING])
                if log_rows:
                    audit.append(conn, log_rows)
        except _LostRace:  # rows are held while claimed, so this is a bug elsewhere; nothing was claimed
            log.warning("a claim lost a race although its rows were locked; claiming again next round")
            self.record(list(outcomes))
            return []
        return claims

    def _due(self, conn, channel: str, want: int, now: datetime, item_id: int | None, waits) -> list:
        """Up to ``want`` due deliveries of ``channel``, oldest first: each part of the due query read in index
        order; retractions and updates in a pass's first claim, then at most every RETRACT_EVERY s (every time for
        one item)."""
        params = {"now": now, "channels": [channel], "lim": want, "item_id": item_id, "wait_since": now - WAIT_CAP}
        parts = list(DUE_PARTS)
        if item_id is None and time.monotonic() < self._retracts_read.get(channel, 0.0):
            parts = [part for part in parts if part not in PUBLISHED_PARTS]
        else:
            self._retracts_read[channel] = time.monotonic() + RETRACT_EVERY
        rows = [row for part in parts for row in conn.execute(_due_query(item_id is not None, waits, part), params)]
        return sorted(rows, key=lambda r: (_utc(r.next_attempt_at), r.id))[:want]

    def _read_items(self, conn, claims: list[Claim]) -> None:
        """Read what the adapters will see of the claimed items, in three queries for all of them."""
        try:
            views = self.store.item_views(conn, [(c.item_id, c.channel) for c in claims])
        except Exception:  # each worker reads its own item, and fails there, on its delivery alone
            log.exception("reading the claimed items failed; each delivery reads its own")
            return
        for claim in claims:
            claim.item = views.get((claim.item_id, claim.channel))

    def _holdings(self, conn, channels: list[str], now: datetime) -> dict[str, tuple[int, int]]:
        """Per channel: (deliveries this worker holds leased, deliveries other workers hold leased), serialised
        across daemons so that two claims never both count the other's as not there yet."""
        if conn.dialect.name == "postgresql":  # SQLite writers are serialised already (BEGIN IMMEDIATE)
            conn.execute(_CLAIM_LOCK)
        held: dict[str, list[int]] = {}
        for channel, owner, count in conn.execute(_HOLDINGS, {"channels": channels, "now": now}):
            held.setdefault(channel, [0, 0])[0 if owner == self.worker_id else 1] += count
        return {channel: (mine, others) for channel, (mine, others) in held.items()}

    def claim_depth(self, channel: str, share: int, *, others: int = 0) -> int:
        """How many deliveries of ``channel`` this dispatcher holds leased at most (running and claimed ahead)
        when it may run ``share`` of them at once and other workers hold ``others`` leased.

        Twice the share, or CLAIM_AHEAD when the channel can look up earlier attempts, no other worker is on
        it, and one daemon fills it anyway (its ``concurrency`` is at most twice this daemon's workers): claims
        taken ahead count against the channel's concurrency for other daemons, so a channel that allows more
        than one daemon's workers keeps twice the share and leaves the rest to a second daemon.
        """
        if share <= 0:
            return 0
        if others or not self.ahead_deeply(channel):
            return 2 * share
        return max(2 * share, CLAIM_AHEAD)

    def ahead_deeply(self, channel: str) -> bool:
        """Whether ``channel`` may keep CLAIM_AHEAD deliveries claimed ahead (see :meth:`claim_depth`)."""
        return (self.app.channel(channel).supports_lookup
                and self.app.config.channels[channel].concurrency <= 2 * self.workers)

    def _waits(self, channels) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The channels among ``channels`` that link to other channels' copies, with those channels."""
        for name in channels:
            if name not in self._waits_for:
                self._waits_for[name] = tuple(c for c in self.app.channel(name).waits_for() if c != name)
        return tuple((name, self._waits_for[name]) for name in sorted(channels) if self._waits_for[name])

    def _plan(self, row, now: datetime, log_rows: list[dict]) -> tuple[Claim, dict]:
        """What claiming ``row`` does: the claim, its move (for :func:`move_many`), and its events."""
        if row.status in (S.PENDING, S.FAILED):
            action = "drop" if row.item_status == "retracted" or row.retract_requested else "publish"
        elif row.status == S.PUBLISHED:
            action = "retract" if row.retract_requested else "update"
        else:
            action = "settle"
        moving = action in ("publish", "settle")
        attempts = row.attempts + (1 if action == "publish" else 0)
        status = S.PUBLISHING if moving else S(row.status)
        in_flight_until = row.in_flight_until
        stopped = row.status == S.PUBLISHING or (row.status == S.PUBLISHED and row.lease_owner is not None)
        if stopped and not self.app.channel(row.channel).local_only:
            # its worker stopped; a request it started before its lease ran out may not have timed out yet
            timeout = timedelta(seconds=self.app.config.channels[row.channel].timeout)
            bound = row.lease_expires_at + timeout + self.margin
            in_flight_until = max(in_flight_until, bound) if in_flight_until else bound
        claimed = event("claimed", actor=self.worker_id, at=now, item_id=row.item_id, channel=row.channel,
                        action=action, previous=row.status, attempt=attempts if action == "publish" else None)
        moved = dict(id=row.id, current=row.status, to=status, version=row.version, event=claimed,
                     lease_owner=self.worker_id, lease_expires_at=now + self.lease, updated_at=now,
                     attempts=attempts, in_flight_until=in_flight_until,
                     first_attempt_at=(row.first_attempt_at or now) if moving else row.first_attempt_at)
        base = {"at": now, "item_id": row.item_id, "delivery_id": row.id, "channel": row.channel, "actor": self.worker_id}
        if row.status == S.PUBLISHING:
            log_rows.append({**base, "kind": "in_doubt",
                             "detail": {"reason": "lease expired: the worker holding it stopped mid-attempt"}})
        claim = Claim(id=row.id, item_id=row.item_id, channel=row.channel, action=action, attempts=attempts,
                      idempotency_key=row.idempotency_key, checkpoint=dict(row.checkpoint or {}),
                      external_id=row.external_id, external_url=row.external_url,
                      first_attempt_at=row.first_attempt_at or now, lease_owner=self.worker_id, status=status,
                      in_flight_until=in_flight_until, previous=row.status,
                      item_retracted=row.item_status == "retracted" or bool(row.retract_requested))
        return claim, moved

    # -- executing ----------------------------------------------------------------------------
    def execute(self, claim: Claim) -> str:
        """Run one claimed delivery to its next state; returns the outcome name."""
        if claim.action == "drop":
            return self._finish(claim, S.RETRACTED, "retracted", reason="item retracted before it was published")
        adapter = self.app.channel(claim.channel)
        item = claim.item  # read with the claim
        if item is None:
            with reading(self.store.engine) as conn:
                item = self.store.item_view(conn, claim.item_id, claim.channel)
        # read after the view: the view is an approved revision only if the item still is at that revision
        now_at = item_state(self.store.engine, claim.item_id, claim.id) if claim.action != "retract" else None
        sendable = now_at is not None and now_at.revision == item.revision and now_at.review_state == "approved"
        ctx = DeliveryContext(
            delivery_id=claim.id, channel=claim.channel, idempotency_key=claim.idempotency_key,
            attempt=claim.attempts, checkpoint=claim.checkpoint, external_id=claim.external_id,
            external_url=claim.external_url, save_checkpoint=lambda cp: self._save_checkpoint(claim, cp),
        )
        if claim.action == "retract":
            return self._retract(claim, adapter, item, ctx)
        if claim.action == "update":
            return self._update(claim, adapter, item, ctx, sendable=sendable, copy_revision=now_at.copy_revision)
        if claim.action == "settle":
            settled = self._settle(claim, adapter, item, ctx)
            if settled is not None:
                return settled
            if updating.sent_revision(self.store, claim.item_id, claim.id) < item.revision:
                # an earlier attempt carried an older revision: a multi-step publish starts over with this one
                ctx.checkpoint.clear()
                claim.checkpoint = {}
            if not sendable:
                return self._finish(claim, S.PENDING, "released", checkpoint={}, unsent=True,
                                    reason="look-up found nothing; the item's new revision waits for its review")
            claim = self._count_attempt(claim)
        elif not sendable:  # edited since it was claimed: the new revision waits for its review, unsent
            return self._finish(claim, S(claim.previous), "released", attempts=claim.attempts - 1, unsent=True,
                                reason="the item was edited after it was claimed; its new revision waits for review")
        return self._publish(claim, adapter, item, ctx)

    def _scope(self, claim: Claim) -> RequestScope:
        return RequestScope(self.clock.now, lambda: self._held_until(claim.channel))

    def _held_until(self, channel: str) -> datetime | None:
        """The channel's hold, read again at most every HOLD_FRESH seconds while there is none (this dispatcher's
        own holds are seen at once; another daemon's Retry-After within that time)."""
        now = time.monotonic()
        if self._not_held.get(channel, 0.0) > now:
            return None
        self._not_held[channel] = now + HOLD_FRESH  # one worker reads; the others keep the last answer meanwhile
        until = self.holds.held_until(channel)
        if until is not None:
            self._not_held.pop(channel, None)
        return until

    def _settle(self, claim: Claim, adapter, item, ctx) -> str | None:
        """Look up an in-doubt delivery; None when it is absent and may be sent again."""
        scope = self._scope(claim)
        try:
            if not adapter.supports_lookup:
                raise LookupUnsupported(f"channel {claim.channel} cannot look up earlier attempts")
            with request_scope(scope):
                receipt = adapter.lookup(item, ctx)
        except LookupUnsupported as exc:
            todo = ("the item is retracted: remove it there by hand if it arrived" if claim.item_retracted else
                    f"then `publisher item settle {claim.item_id} --channel {claim.channel} --url URL` if it is "
                    f"there, or `publisher item retry {claim.item_id} --channel {claim.channel}` to send it again")
            return self._finish(claim, S.IN_DOUBT, "in_doubt", error=f"{exc}; check the channel by hand, {todo}",
                                next_at=self.clock.now(), waiting_for=WaitingFor.OPERATOR.value)
        except ChannelPaused as exc:
            return self._paused(claim, exc, status=S.IN_DOUBT)
        except Exception as exc:  # look-up failed: stay in doubt, try the look-up again later
            if scope.refused_until is not None:
                return self._held(claim, S.IN_DOUBT, scope.refused_until)
            self._hold(claim, scope, exc)
            return self._finish(claim, S.IN_DOUBT, "in_doubt", error=f"look-up failed: {_describe(exc)}",
                                next_at=self.clock.now() + timedelta(seconds=self._delay(claim, exc)))
        if receipt is not None:
            return self._published(claim, receipt, via="look-up")
        now = self.clock.now()
        if claim.in_flight_until is not None and now < claim.in_flight_until:
            # "absent" is not an answer yet: the earlier request may still be committing on the channel
            return self._finish(claim, S.IN_DOUBT, "in_doubt", next_at=claim.in_flight_until,
                                error=f"look-up found nothing yet; the earlier request may still be in flight until "
                                      f"{claim.in_flight_until:%H:%M:%S} UTC")
        if claim.item_retracted:
            return self._finish(claim, S.RETRACTED, "retracted", reason="look-up found nothing; item retracted")
        return None

    def _publish(self, claim: Claim, adapter, item, ctx) -> str:
        ctx.attempt = claim.attempts
        scope = self._scope(claim)
        try:
            with request_scope(scope):
                receipt = adapter.publish(item, ctx)
        except OutcomeUnknown as exc:
            return self._in_doubt(claim, scope, str(exc))
        except ChannelPaused as exc:
            return self._paused(claim, exc, status=S.FAILED, uncount=True)
        except PermanentError as exc:
            return self._finish(claim, S.DEAD, "dead", error=str(exc), permanent=True)
        except StillProcessing as exc:
            return self._failed(claim, exc, counts=False)
        except RetryableError as exc:
            if scope.refused_until is not None:
                return self._held(claim, S.FAILED, scope.refused_until, uncount=True)
            self._hold(claim, scope, exc)
            return self._failed(claim, exc)
        except Exception as exc:  # an adapter bug: after a request went out the outcome is unknown
            log.exception("adapter %s raised unexpectedly for delivery %s", claim.channel, claim.id)
            if scope.sent:
                return self._in_doubt(claim, scope, f"{_describe(exc)} after a request was sent")
            return self._failed(claim, exc)
        return self._published(claim, receipt, via="publish", revision=item.revision)

    def _update(self, claim: Claim, adapter, item, ctx, *, sendable: bool, copy_revision: int | None) -> str:
        """Replace a published copy with the item's approved revision, in place (never a second copy).

        An update is idempotent (the copy is replaced by its external id), so one whose outcome is unknown (a
        timeout, a dropped connection, a crash of its worker) is simply sent again — but only once the earlier
        request can no longer be in flight, so that an older revision never lands after a newer one.
        """
        now = self.clock.now()
        if not sendable:  # edited again since it was claimed: that revision waits for its review
            return self._finish(claim, S.PUBLISHED, "released", next_at=now,
                                reason="the item was edited after it was claimed; its new revision waits for review")
        if (copy_revision or 0) >= item.revision:
            return self._finish(claim, S.PUBLISHED, "current", next_at=now, reason="the copy is current")
        if claim.in_flight_until is not None and now < claim.in_flight_until:
            return self._finish(claim, S.PUBLISHED, "update_retry", next_at=claim.in_flight_until,
                                error=f"update waits: an earlier request may still be in flight until "
                                      f"{claim.in_flight_until:%H:%M:%S} UTC")
        if not adapter.supports_update:
            return self._finish(claim, S.PUBLISHED, "update_failed", update_state=UpdateState.FAILED.value,
                                error=f"channel {claim.channel} cannot update a published item", permanent=True)
        scope = self._scope(claim)
        try:
            with request_scope(scope):
                receipt = adapter.update(item, ctx)
        except PermanentError as exc:
            return self._finish(claim, S.PUBLISHED, "update_failed", update_state=UpdateState.FAILED.value,
                                error=f"update failed: {exc}", permanent=True, revision_wanted=item.revision)
        except ChannelPaused as exc:
            return self._paused(claim, exc, status=S.PUBLISHED)
        except Exception as exc:  # OutcomeUnknown included: repeating an update is safe, see above
            if scope.refused_until is not None:
                return self._held(claim, S.PUBLISHED, scope.refused_until)
            if not isinstance(exc, (RetryableError, OutcomeUnknown)):
                log.exception("adapter %s raised unexpectedly updating delivery %s", claim.channel, claim.id)
            self._hold(claim, scope, exc)
            next_at = now + timedelta(seconds=self._delay(claim, exc))
            in_flight_until = None
            if scope.sent:
                in_flight_until = max(scope.in_flight_until or now, now) + self.margin
                next_at = max(next_at, in_flight_until)
            return self._finish(claim, S.PUBLISHED, "update_retry", next_at=next_at, in_flight_until=in_flight_until,
                                error=f"update failed, will retry: {_describe(exc)}", revision_wanted=item.revision)
        return self._finish(claim, S.PUBLISHED, "updated", revision=item.revision, previous_revision=copy_revision,
                            external_url=receipt.external_url or claim.external_url, keep_published_at=True,
                            receipt=receipt.detail or None)

    def _retract(self, claim: Claim, adapter, item, ctx) -> str:
        scope = self._scope(claim)
        try:
            with request_scope(scope):
                adapter.retract(item, ctx)
        except PermanentError as exc:
            return self._finish(claim, S.PUBLISHED, "retract_failed", error=f"retraction failed: {exc}",
                                retract_requested=False)
        except ChannelPaused as exc:
            return self._paused(claim, exc, status=S.PUBLISHED)
        except Exception as exc:
            if scope.refused_until is not None:
                return self._held(claim, S.PUBLISHED, scope.refused_until)
            self._hold(claim, scope, exc)
            return self._finish(claim, S.PUBLISHED, "retract_retry",
                                error=f"retraction failed, will retry: {_describe(exc)}",
                                next_at=self.clock.now() + timedelta(seconds=self._delay(claim, exc)))
        return self._finish(claim, S.RETRACTED, "retracted", retract_requested=False)

    # -- recording outcomes -------------------------------------------------------------------
    def _published(self, claim: Claim, receipt: Receipt, *, via: str, revision: int | None = None) -> str:
        now = self.clock.now()
        # The channel's own time when it gives one (a look-up after midnight must not move the item to the next
        # year); never a time in the future or before the first attempt (a skewed remote clock).
        remote = receipt.published_at
        first = claim.first_attempt_at or now
        when = remote if remote is not None and remote.tzinfo is not None and first <= remote <= now else now
        if revision is None:  # found by look-up: the oldest revision an attempt of this delivery may have carried
            revision = updating.sent_revision(self.store, claim.item_id, claim.id)
        return self._finish(
            claim, S.PUBLISHED, "published", external_id=str(receipt.external_id), external_url=receipt.external_url,
            published_at=when, error=None, via=via, revision=revision,
            remote_time=receipt.published_at.isoformat() if receipt.published_at else None,
            receipt=receipt.detail or None,
        )

    def _in_doubt(self, claim: Claim, scope: RequestScope, error: str) -> str:
        """The attempt may have arrived: look it up later, and only conclude "absent" once nothing is in flight."""
        now = self.clock.now()
        in_flight_until = max(scope.in_flight_until or now, now) + self.margin
        return self._finish(claim, S.IN_DOUBT, "in_doubt", error=error, in_flight_until=in_flight_until,
                            next_at=now + timedelta(seconds=self.retry.in_doubt_delay))

    def _hold(self, claim: Claim, scope: RequestScope, exc: Exception) -> None:
        """The channel answered with Retry-After (429/503): no worker or daemon sends to it until then.

        Only the channel's own header holds the channel; an adapter's "look again later" paces one delivery.
        """
        if not scope.retry_after:
            return
        until = self.clock.now() + timedelta(seconds=scope.retry_after)
        held = self.holds.hold(claim.channel, until, f"Retry-After {scope.retry_after:g}s: {_describe(exc)}",
                               self.worker_id)
        self._not_held.pop(claim.channel, None)  # this dispatcher's other workers stop at once
        if held:
            log.warning("channel %s held until %s (Retry-After)", claim.channel, until)

    def _held(self, claim: Claim, status: str, until: datetime, *, uncount: bool = False) -> str:
        """The channel was held before the request left: wait for the hold, nothing was sent."""
        pause = self.store.paused_channels().get(claim.channel)
        reason = pause["reason"] if pause else "Retry-After"
        if until >= OPEN_ENDED:  # paused until an operator resumes it
            outcome, next_at, error = "paused", self.clock.now(), f"channel paused: {reason}"
        else:
            outcome, next_at, error = "held", until, f"not sent, channel held until {until:%H:%M:%S} UTC: {reason}"
        return self._finish(claim, status, outcome, error=error, next_at=next_at,
                            attempts=claim.attempts - 1 if uncount else None)

    def _failed(self, claim: Claim, exc: Exception, *, counts: bool = True) -> str:
        now = self.clock.now()
        too_old = claim.first_attempt_at is not None and now - claim.first_attempt_at > self.max_age
        if not counts and not too_old:  # accepted and still being processed: look again, attempt not used up
            delay = getattr(exc, "retry_after", None) or self.retry.base_delay
            return self._finish(claim, S.FAILED, "processing", error=str(exc), attempts=claim.attempts - 1,
                                next_at=now + timedelta(seconds=delay))
        if claim.attempts >= self.retry.max_attempts or too_old:
            why = f"gave up after {claim.attempts} attempts" if not too_old else f"gave up after {self.retry.max_age}"
            return self._finish(claim, S.DEAD, "dead", error=f"{_describe(exc)} ({why})")
        delay = self._delay(claim, exc)
        return self._finish(claim, S.FAILED, "failed", error=_describe(exc), next_at=now + timedelta(seconds=delay),
                            retry_in=round(delay, 1))

    def _paused(self, claim: Claim, exc: ChannelPaused, *, status: str, uncount: bool = False) -> str:
        reason = f"{exc}"
        self.store.pause_channel(claim.channel, reason, exc.until, self.worker_id)
        self._not_held.pop(claim.channel, None)
        log.error("channel %s paused%s: %s", claim.channel, f" until {exc.until}" if exc.until else "", reason)
        next_at = exc.until or self.clock.now()
        return self._finish(claim, status, "paused", error=f"channel paused: {reason}", next_at=next_at,
                            attempts=claim.attempts - 1 if uncount else None)

    def _delay(self, claim: Claim, exc: Exception) -> float:
        with self._rng_lock:
            return backoff_seconds(claim.attempts or 1, self.retry, retry_after=getattr(exc, "retry_after", None),
                                   rng=self.rng)

    def _count_attempt(self, claim: Claim) -> Claim:
        with self.store.transaction() as conn:
            conn.execute(update(deliveries).where(and_(deliveries.c.id == claim.id, deliveries.c.lease_owner == claim.lease_owner))
                         .values(attempts=deliveries.c.attempts + 1))
            self.store.event(conn, "attempt", actor=self.worker_id, item_id=claim.item_id, delivery_id=claim.id,
                             channel=claim.channel, attempt=claim.attempts + 1, after="look-up found nothing")
        claim.attempts += 1
        return claim

    def _save_checkpoint(self, claim: Claim, checkpoint: dict) -> None:
        now = self.clock.now()
        with self.store.transaction() as conn:
            conn.execute(update(deliveries).where(and_(deliveries.c.id == claim.id, deliveries.c.lease_owner == claim.lease_owner))
                         .values(checkpoint=checkpoint, lease_expires_at=now + self.lease, updated_at=now))
            self.store.event(conn, "checkpoint", actor=self.worker_id, item_id=claim.item_id, delivery_id=claim.id,
                             channel=claim.channel, **{k: v for k, v in checkpoint.items() if isinstance(v, (str, int, float))})

    def _finish(self, claim: Claim, status: str, outcome: str, *, error: str | None = None,
                next_at: datetime | None = None, permanent: bool = False, attempts: int | None = None,
                retract_requested: bool | None = None, external_id: str | None = None,
                external_url: str | None = None, published_at: datetime | None = None,
                waiting_for: str | None = None, in_flight_until: datetime | None = None, revision: int | None = None,
                update_state: str | None = None, checkpoint: dict | None = None, keep_published_at: bool = False,
                unsent: bool = False, **detail: Any) -> str:
        now = self.clock.now()
        values: dict[str, Any] = dict(lease_owner=None, lease_expires_at=None, updated_at=now, last_error=error,
                                      waiting_for=waiting_for)
        given = dict(next_attempt_at=next_at, attempts=attempts, retract_requested=retract_requested,
                     in_flight_until=in_flight_until, revision=revision, update_state=update_state,
                     checkpoint=checkpoint)
        values.update({column: value for column, value in given.items() if value is not None})
        if external_id is not None:
            values.update(external_id=external_id, external_url=external_url, published_at=published_at)
        elif keep_published_at and external_url:  # an update: same copy, same publication time, maybe a new url
            values["external_url"] = external_url
        if unsent:  # put back unsent: its max_age counts again from the attempt that sends it
            values["first_attempt_at"] = None
        if status == S.PUBLISHED and outcome == "published":
            values["next_attempt_at"] = now  # a pending retraction may run at once
        kind = {"retract_retry": "failed", "retract_failed": "retract_failed"}.get(outcome, outcome)
        recorded = event(kind, actor=self.worker_id, at=now, item_id=claim.item_id, channel=claim.channel,
                         error=error, permanent=permanent or None, external_id=external_id, external_url=external_url,
                         waiting_for=waiting_for, revision=revision, **detail)

        def write(conn) -> str:
            if not move(conn, claim.id, current=claim.status, to=status, owned_by=claim.lease_owner, event=recorded,
                        **values):
                self.store.event(conn, "lease_lost", actor=self.worker_id, item_id=claim.item_id, delivery_id=claim.id,
                                 channel=claim.channel, outcome=outcome, error=error)
                return "lease_lost"
            return outcome

        if _HAND_IN.get():  # a run_due worker: the dispatcher thread writes it with its next claim
            together = dict(id=claim.id, current=claim.status, to=status, event=recorded, **values)
            self.handed.hand_in(outcome, write, together, claim.lease_owner)
            return outcome
        result = self.outcomes.run(write)  # shares a commit with other workers' outcomes finishing now
        if result == "lease_lost":
            log.warning("delivery %s: lease lost before recording %s", claim.id, outcome)
        return result


#: Deliveries a channel keeps leased (running and claimed ahead) at least, where Dispatcher.claim_depth allows:
#: one claim transaction then serves many deliveries, so its fixed cost (the due queries, the items' reads,
#: the audit seal, the commit) is shared.
CLAIM_AHEAD = 32


_HAND_IN: contextvars.ContextVar[bool] = contextvars.ContextVar("publisher_hand_in_outcomes", default=False)


class _LostRace(Exception):
    """A claimed row had moved on although it was locked: roll the claim back."""


PG_CLAIM_LOCK = 4242003
_CLAIM_LOCK = text(f"SELECT pg_advisory_xact_lock({PG_CLAIM_LOCK})")
# leased deliveries per channel and owner, live leases only (a stopped worker's run out and count no longer)
_HOLDINGS = (select(deliveries.c.channel, deliveries.c.lease_owner, func.count())
             .where(and_(deliveries.c.status == S.PUBLISHING.value,
                         deliveries.c.channel.in_(bindparam("channels", expanding=True)),
                         deliveries.c.lease_expires_at > bindparam("now", type_=deliveries.c.lease_expires_at.type)))
             .group_by(deliveries.c.channel, deliveries.c.lease_owner))


#: The due query's parts, each answered from the (status, next_attempt_at) index in due order, so a claim
#: reads only the rows it takes however long the queue is: pending, failed, unsettled (a lease run out, a
#: look-up due), and retractions and updates (which walk the published rows: looked at in a pass's first
#: claim, then once per RETRACT_EVERY).
DUE_PARTS = ("pending", "failed", "unsettled", "retract", "update")
PUBLISHED_PARTS = ("retract", "update")
RETRACT_EVERY = 1.0  # seconds


@lru_cache(maxsize=256)
def _due_query(one_item: bool, waits: tuple[tuple[str, tuple[str, ...]], ...] = (), part: str | None = None):
    """Due deliveries of some channels, oldest first; built once so SQLAlchemy's statement cache applies.
    ``part`` (one of DUE_PARTS) narrows it to one part; None: all.

    A pending delivery of a channel in ``waits`` is held back (for up to WAIT_CAP) while a channel it links
    to has not settled the same item; held-back rows are left out here so they never crowd out due work.
    """
    d = deliveries
    now = bindparam("now", type_=deliveries.c.next_attempt_at.type)
    lease_free = or_(d.c.lease_expires_at.is_(None), d.c.lease_expires_at < now)
    approved = and_(d.c.next_attempt_at <= now, items.c.review_state == "approved", items.c.held.is_(False))
    parts = {
        "pending": and_(d.c.status == S.PENDING.value, approved),
        "failed": and_(d.c.status == S.FAILED.value, approved),
        "unsettled": or_(
            and_(d.c.status == S.PUBLISHING.value, d.c.lease_expires_at < now),
            and_(d.c.status == S.IN_DOUBT.value, d.c.next_attempt_at <= now, lease_free, d.c.waiting_for.is_(None))),
        "retract": and_(d.c.status == S.PUBLISHED.value, d.c.retract_requested.is_(True), d.c.next_attempt_at <= now,
                        lease_free),
        "update": and_(_update_due(d), d.c.next_attempt_at <= now, lease_free),
    }
    due = parts[part] if part else or_(*parts.values())
    # a channel held (Retry-After) or paused, by any worker or daemon, is skipped
    held = exists().where(and_(channel_pauses.c.channel == d.c.channel,
                               or_(channel_pauses.c.until.is_(None), channel_pauses.c.until > now)))
    query = (
        select(d, items.c.status.label("item_status"))
        .join(items, items.c.id == d.c.item_id)
        .where(and_(d.c.channel.in_(bindparam("channels", expanding=True)), due, not_(held)))
        .order_by(d.c.next_attempt_at, d.c.id)
        .limit(bindparam("lim", type_=Integer))
        .with_for_update(skip_locked=True, of=d)  # PostgreSQL: rows another daemon is claiming are skipped
    )
    if waits:
        sibling = deliveries.alias("sibling")
        since = bindparam("wait_since", type_=deliveries.c.next_attempt_at.type)
        held = or_(*(and_(d.c.channel == name, d.c.status == S.PENDING.value, d.c.next_attempt_at > since,
                          exists().where(and_(sibling.c.item_id == d.c.item_id, sibling.c.channel.in_(targets),
                                              sibling.c.status.in_(UNSETTLED))))
                     for name, targets in waits))
        query = query.where(not_(held))
    return query.where(d.c.item_id == bindparam("item_id")) if one_item else query


def _update_due(d):
    """A published copy older than its item's approved revision, neither left there nor refused for good."""
    return and_(d.c.status == S.PUBLISHED.value, d.c.retract_requested.is_(False), d.c.update_state.is_(None),
                d.c.revision < items.c.revision, items.c.review_state == "approved")


class ItemState(NamedTuple):
    """An item's revision and review state now, and the revision its delivery's copy shows."""

    revision: int
    review_state: str
    copy_revision: int | None


_ITEM_STATE_SQL = ("SELECT items.revision, items.review_state, deliveries.revision FROM items "
                   "JOIN deliveries ON deliveries.item_id = items.id WHERE items.id = {p} AND deliveries.id = {p}")


def item_state(engine, item_id: int, delivery_id: int) -> ItemState | None:
    """The item's state as it is now, read just before a request is sent (each delivery, so on the driver's own
    cursor: a prepared statement without SQLAlchemy's per-statement work, a third of the cost)."""
    mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(_ITEM_STATE_SQL.format(p=mark), (item_id, delivery_id))
            row = cursor.fetchone()
        finally:
            cursor.close()
    return ItemState(*row) if row else None


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _describe(exc: Exception) -> str:
    text = str(exc) or exc.__class__.__name__
    if not isinstance(exc, (RetryableError, PermanentError, OutcomeUnknown)):
        text = f"{exc.__class__.__name__}: {text}"
    return text

"""Claiming due deliveries with a lease: the due queries, how far ahead a channel claims, the claim transaction,
lease renewal, and giving back claims never started.

Claims are compare-and-set moves, so any number of workers and daemons can share one database; a channel's
``concurrency`` is shared by all of them (each claim counts the leases other workers hold on the channel).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from sqlalchemy import Integer, and_, bindparam, exists, func, not_, or_, select, union_all, update

from publisher.adapter import ItemView
from publisher.db import script
from publisher.db.engine import reading
from publisher.db.schema import channel_pauses, deliveries, items
from publisher.delivery.group_commit import Handed, OutcomeBatch
from publisher.ledger import audit, wakeup
from publisher.ledger.lifecycle import UNSETTLED as UNSETTLED_STATUSES, DeliveryStatus as S, event, move, move_many
from publisher.runtime.app import App
from publisher.runtime.channel_state_db import OPEN_ENDED
from publisher.ledger.item_status import ItemStatus
from publisher.ledger.review_state import ReviewState
from publisher.ledger import index_numbers

log = logging.getLogger("publisher.dispatcher")
WAIT_CAP = timedelta(minutes=30)  # how long a delivery waits for the channel it links to
UNSETTLED = tuple(s.value for s in UNSETTLED_STATUSES)

#: Deliveries a channel keeps leased (running and claimed ahead) at least, where Claims.claim_depth allows:
#: one claim transaction then serves many deliveries, so its fixed cost (the due queries, the items' reads,
#: the audit seal, the commit) is shared.
CLAIM_AHEAD = 32

PG_CLAIM_LOCK = 4242003
# keyed by the schema too: offices in other schemas of the same database do not wait for each other
_CLAIM_LOCK_SQL = f"SELECT pg_advisory_xact_lock({PG_CLAIM_LOCK}, hashtext(current_schema()))"
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


class _LostRace(Exception):
    """A claimed row had moved on although it was locked: roll the claim back."""


class Claims:
    """Takes, renews and gives back one worker's leases on due deliveries."""

    def __init__(self, app: App, batch: OutcomeBatch, *, worker_id: str, lease: timedelta, margin: timedelta,
                 workers: int):
        self.app = app
        self.store = app.store
        self.clock = app.clock
        self.batch = batch  # outcomes handed in by workers, written in the claim's transaction
        self.worker_id = worker_id
        self.lease = lease
        self.margin = margin
        self.workers = workers
        self.shares: dict[str, int] = {}  # per channel: how much of its concurrency this worker may use now
        self.exhausted: set[str] = set()  # channels whose last claim found fewer due deliveries than it asked for
        self._first_channel = 0  # rotates, so that no channel always claims first when room is short
        self._retracts_read: dict[str, float] = {}  # channel → monotonic time of its next look for retractions
        self._waits_for: dict[str, tuple[str, ...]] = {}

    def new_pass(self) -> None:
        """Start a pass: its first claim looks for retractions and updates on every channel."""
        self._retracts_read.clear()

    def claim_many(self, slots: dict[str, int], limit: int, *, item_id: int | None = None,
                   outcomes: list[Handed] = ()) -> list[Claim]:
        """Take leases on due deliveries: at most ``slots[channel]`` per channel and ``limit`` in all, writing
        ``outcomes`` (handed in by workers) in the same transaction."""
        if outcomes:
            try:
                return self._claim(slots, limit, item_id, outcomes)
            except Exception:
                log.exception("recording %d outcomes with a claim failed; recording each alone", len(outcomes))
                self.batch.write_each(outcomes)
        return self._claim(slots, limit, item_id, ())

    def _claim(self, slots: dict[str, int], limit: int, item_id: int | None, outcomes) -> list[Claim]:
        now = self.clock.now()
        waits = self._waits(slots)
        claims: list[Claim] = []
        moves: list[dict] = []
        log_rows: list[dict] = []
        self.exhausted = set()
        order = self._rotated(list(slots))
        try:
            with self.store.transaction() as conn:
                OutcomeBatch.write(conn, outcomes)
                held, paused = self._holdings_and_pauses(conn, order, now)
                for channel in order:
                    mine, others = held.get(channel, (0, 0))
                    share = max(0, self.app.config.channels[channel].concurrency - others)
                    self.shares[channel] = share
                    want = min(slots[channel], limit - len(claims), self.claim_depth(channel, share, others=others) - mine)
                    if want <= 0:
                        continue
                    rows = [] if channel in paused else self._due(  # held (Retry-After) or paused, by anyone
                        conn, channel, want, now, item_id, tuple(w for w in waits if w[0] == channel))
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
            self.batch.record(list(outcomes))
            return []
        return claims

    def _rotated(self, order: list[str]) -> list[str]:
        """``order`` starting one channel further along than the last claim started."""
        if not order:
            return order
        self._first_channel = (self._first_channel + 1) % len(order)
        return order[self._first_channel:] + order[:self._first_channel]

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
        rows = conn.execute(_due_union(item_id is not None, waits, tuple(parts)), params).all()
        return sorted(rows, key=lambda r: (_utc(r.next_attempt_at), r.id))[:want]

    def _read_items(self, conn, claims: list[Claim]) -> None:
        """Read what the adapters will see of the claimed items, in three queries for all of them."""
        wanted = [(c.item_id, c.channel) for c in claims]
        sent_first = {(c.item_id, c.channel): c.first_attempt_at for c in claims}
        try:
            views = self.store.item_views(conn, wanted, sent_first=sent_first)
            unnumbered = sorted({item_id for (item_id, _ch), view in views.items() if view.catalogue.index_no is None})
            if unnumbered:  # a record goes out with its 索引号: one approved without it gets it now
                for item_id in unnumbered:
                    index_numbers.assign(self.app, conn, item_id, self.worker_id)
                views.update(self.store.item_views(conn, [w for w in wanted if w[0] in unnumbered],
                                                   sent_first=sent_first))
        except Exception:  # each worker reads its own item, and fails there, on its delivery alone
            log.exception("reading the claimed items failed; each delivery reads its own")
            return
        for claim in claims:
            claim.item = views.get((claim.item_id, claim.channel))

    def _holdings_and_pauses(self, conn, channels: list[str], now: datetime) -> tuple[dict[str, tuple[int, int]],
                                                                                      set[str]]:
        """Per channel: (deliveries this worker holds leased, deliveries other workers hold leased), serialised
        across daemons so that two claims never both count the other's as not there yet; and the channels held or
        paused now. On PostgreSQL the claim lock and both reads are one round trip."""
        if conn.dialect.name == "postgresql":
            _lock, counts, pauses = script.on_connection(conn, _pg_lock_holdings_pauses(conn, channels, now))
        else:  # SQLite writers are serialised already (BEGIN IMMEDIATE)
            counts = conn.execute(_HOLDINGS, {"channels": channels, "now": now}).all()
            pauses = conn.execute(_PAUSES).all()
        held: dict[str, list[int]] = {}
        for channel, owner, count in counts:
            held.setdefault(channel, [0, 0])[0 if owner == self.worker_id else 1] += count
        paused = {channel for channel, until in pauses if until is None or _utc(until) > now}
        return {channel: (mine, others) for channel, (mine, others) in held.items()}, paused

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
        action = _action(row)
        moving = action in ("publish", "settle")
        attempts = row.attempts + (1 if action == "publish" else 0)
        status = S.PUBLISHING if moving else S(row.status)
        in_flight_until = self._in_flight_until(row)
        claimed = event("claimed", actor=self.worker_id, at=now, item_id=row.item_id, channel=row.channel,
                        action=action, previous=row.status, attempt=attempts if action == "publish" else None)
        moved = dict(id=row.id, current=row.status, to=status, version=row.version, event=claimed,
                     lease_owner=self.worker_id, lease_expires_at=now + self.lease, updated_at=now,
                     attempts=attempts, in_flight_until=in_flight_until,
                     first_attempt_at=(row.first_attempt_at or now) if moving else row.first_attempt_at)
        if row.status == S.PUBLISHING:
            log_rows.append({"at": now, "item_id": row.item_id, "delivery_id": row.id, "channel": row.channel,
                             "actor": self.worker_id, "kind": "in_doubt",
                             "detail": {"reason": "lease expired: the worker holding it stopped mid-attempt"}})
        claim = Claim(id=row.id, item_id=row.item_id, channel=row.channel, action=action, attempts=attempts,
                      idempotency_key=row.idempotency_key, checkpoint=dict(row.checkpoint or {}),
                      external_id=row.external_id, external_url=row.external_url,
                      first_attempt_at=row.first_attempt_at or now, lease_owner=self.worker_id, status=status,
                      in_flight_until=in_flight_until, previous=row.status,
                      item_retracted=row.item_status == ItemStatus.RETRACTED or bool(row.retract_requested))
        return claim, moved

    def _in_flight_until(self, row) -> datetime | None:
        """Until when an earlier request of ``row`` may still be in flight: a worker that stopped holding it may
        have started a request before its lease ran out that has not timed out yet."""
        in_flight_until = row.in_flight_until
        stopped = row.status == S.PUBLISHING or (row.status == S.PUBLISHED and row.lease_owner is not None)
        if stopped and not self.app.channel(row.channel).local_only:
            timeout = timedelta(seconds=self.app.config.channels[row.channel].timeout)
            bound = row.lease_expires_at + timeout + self.margin
            in_flight_until = max(in_flight_until, bound) if in_flight_until else bound
        return in_flight_until

    def release(self, claim: Claim, reason: str = "claimed ahead; its channel was paused before it was sent") -> bool:
        """Give back a claim taken ahead that was never started (its channel was paused, or the daemon stops)."""
        recorded = event("released", actor=self.worker_id, at=self.clock.now(), item_id=claim.item_id,
                         channel=claim.channel, reason=reason)
        attempts = claim.attempts - 1 if claim.action == "publish" else claim.attempts
        with wakeup.quiet(), self.store.transaction() as conn:
            return move(conn, claim.id, current=claim.status, to=claim.previous, owned_by=claim.lease_owner,
                        event=recorded, lease_owner=None, lease_expires_at=None, attempts=attempts,
                        updated_at=self.clock.now())

    def abandon(self, claim: Claim, in_flight_until: datetime) -> bool:
        """The daemon stops while ``claim`` is mid-request: in doubt (looked up once nothing can be in flight), its
        lease given back now instead of running out."""
        now = self.clock.now()
        recorded = event("in_doubt", actor=self.worker_id, at=now, item_id=claim.item_id, channel=claim.channel,
                         reason="the daemon stopped while a request was in flight")
        with wakeup.quiet(), self.store.transaction() as conn:
            if claim.status == S.PUBLISHING:
                return move(conn, claim.id, current=S.PUBLISHING, to=S.IN_DOUBT, owned_by=claim.lease_owner,
                            event=recorded, lease_owner=None, lease_expires_at=None, updated_at=now,
                            in_flight_until=in_flight_until, next_attempt_at=in_flight_until)
            return move(conn, claim.id, current=claim.status, to=claim.status, owned_by=claim.lease_owner,
                        event=None, lease_owner=None, lease_expires_at=None, updated_at=now,
                        in_flight_until=in_flight_until, next_attempt_at=in_flight_until)

    def renew_leases(self, claims: list[Claim]) -> None:
        """Extend the leases of deliveries still being worked on, so no other worker takes them over."""
        now = self.clock.now()
        with self.store.transaction() as conn:
            conn.execute(update(deliveries).where(and_(
                deliveries.c.id.in_([c.id for c in claims]), deliveries.c.lease_owner == self.worker_id))
                .values(lease_expires_at=now + self.lease))

    def next_due(self) -> datetime | None:
        """When some delivery next becomes due (a retry, a look-up, a lease or a hold running out); None when none
        will. Items not approved, or held, and channels paused until an operator resumes them, count as never."""
        d, p = deliveries, channel_pauses
        now = self.clock.now()
        stopped = exists().where(and_(p.c.channel == d.c.channel, or_(p.c.until.is_(None), p.c.until > now)))
        waiting = or_(
            and_(d.c.status.in_((S.PENDING.value, S.FAILED.value)), items.c.review_state == ReviewState.APPROVED.value,
                 items.c.held.is_(False), policy_out(d)),
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
        aware = [_utc(t) for t in times if t is not None]
        return min(aware) if aware else None


_PAUSES = select(channel_pauses.c.channel, channel_pauses.c.until)


def _pg_lock_holdings_pauses(conn, channels: list[str], now: datetime) -> str:
    """The claim lock, then the same holdings and pauses queries SQLite runs, as one PostgreSQL script (the values
    rendered as literals by SQLAlchemy, each by its column's type)."""
    holdings = _HOLDINGS.params(channels=channels, now=now).compile(dialect=conn.dialect,
                                                                    compile_kwargs={"literal_binds": True})
    return f"{_CLAIM_LOCK_SQL}; {holdings}; {_PAUSES.compile(dialect=conn.dialect)}"


def _action(row) -> str:
    """What a claim of ``row`` does: publish, drop (retracted before it was sent), retract, update or settle."""
    if row.status in (S.PENDING, S.FAILED):
        return "drop" if row.item_status == ItemStatus.RETRACTED or row.retract_requested else "publish"
    if row.status == S.PUBLISHED:
        return "retract" if row.retract_requested else "update"
    return "settle"


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
    approved = and_(d.c.next_attempt_at <= now, items.c.review_state == ReviewState.APPROVED.value, items.c.held.is_(False),
                    policy_out(d))
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
    # no test of channel_pauses here (the claim skips a held or paused channel before it asks): PostgreSQL's
    # planner, estimating that anti-join at one row, would read and sort the whole queue instead of the index
    query = (
        select(d, items.c.status.label("item_status"))
        .join(items, items.c.id == d.c.item_id)
        .where(and_(d.c.channel.in_(bindparam("channels", expanding=True)), due))
        .order_by(d.c.next_attempt_at, d.c.id)
        .limit(bindparam("lim", type_=Integer))
        .with_for_update(skip_locked=True, of=d)  # PostgreSQL: rows another daemon is claiming are skipped
    )
    if waits:
        query = query.where(not_(_waiting_for_linked(d, waits)))
    return query.where(d.c.item_id == bindparam("item_id")) if one_item else query


@lru_cache(maxsize=256)
def _due_union(one_item: bool, waits: tuple[tuple[str, tuple[str, ...]], ...], parts: tuple[str, ...]):
    """The due query's ``parts`` as one statement (one round trip): each part a subquery read in its index's
    order up to the limit, their rows together (the caller orders them)."""
    if len(parts) == 1:
        return _due_query(one_item, waits, parts[0])
    subqueries = [_due_query(one_item, waits, part).subquery(part) for part in parts]
    return union_all(*(select(sub) for sub in subqueries))


def _waiting_for_linked(d, waits: tuple[tuple[str, tuple[str, ...]], ...]):
    """A pending delivery (queued less than WAIT_CAP ago) of a channel in ``waits`` whose linked channels have not
    settled the same item."""
    sibling = deliveries.alias("sibling")
    since = bindparam("wait_since", type_=deliveries.c.next_attempt_at.type)
    return or_(*(and_(d.c.channel == name, d.c.status == S.PENDING.value, d.c.next_attempt_at > since,
                      exists().where(and_(sibling.c.item_id == d.c.item_id, sibling.c.channel.in_(targets),
                                          sibling.c.status.in_(UNSETTLED))))
                 for name, targets in waits))


def policy_out(d=None):
    """SQL: the ``items`` row is no 解读, or its policy has been published (a 解读 never goes out before it) and,
    for a delivery ``d``, the policy's copy on the same channel is no longer on its way (so the 解读's copy links to
    it). Cheap: the item's own column; for a 解读 only, the policy and its delivery looked up by their keys."""
    policy = items.alias("policy")
    out = exists().where(and_(policy.c.id == items.c.interprets, policy.c.first_published_at.is_not(None)))
    if d is not None:
        sibling = deliveries.alias("policy_copy")
        on_its_way = (S.PENDING.value, S.FAILED.value, S.PUBLISHING.value, S.IN_DOUBT.value)
        out = and_(out, not_(exists().where(and_(sibling.c.item_id == items.c.interprets,
                                                 sibling.c.channel == d.c.channel, sibling.c.status.in_(on_its_way)))))
    return or_(items.c.interprets.is_(None), out)


def _update_due(d):
    """A published copy older than its item's approved revision, neither left there nor refused for good."""
    return and_(d.c.status == S.PUBLISHED.value, d.c.retract_requested.is_(False), d.c.update_state.is_(None),
                d.c.revision < items.c.revision, items.c.review_state == ReviewState.APPROVED.value)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

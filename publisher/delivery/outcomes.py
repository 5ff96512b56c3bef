"""Recording what became of a claimed delivery: one lifecycle move and its audit event per outcome (published,
retry after a backoff, in doubt, dead, held for Retry-After or a pause, lease lost).

A Retry-After holds the whole channel for every worker and daemon (:class:`ChannelHolds`). Outcomes are
compare-and-set moves guarded by the lease: a worker whose lease was taken over records ``lease_lost`` instead.
Inside :meth:`Dispatcher.run_due` workers hand their outcomes in (:data:`HAND_IN`) for the loop's next claim
transaction; elsewhere outcomes finishing together share one commit (:class:`GroupCommit`).
"""

from __future__ import annotations

import contextvars
import logging
import random
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, update

from publisher.adapter import Receipt
from publisher.db.schema import deliveries
from publisher.delivery import corrections as updating, record_copies
from publisher.delivery.backoff import backoff_seconds
from publisher.delivery.claims import Claim
from publisher.delivery.group_commit import GroupCommit, OutcomeBatch
from publisher.errors import ChannelPaused, OutcomeUnknown, PermanentError, RetryableError
from publisher.http import RequestScope
from publisher.ledger.lifecycle import DeliveryStatus as S, event, move
from publisher.runtime.app import App
from publisher.runtime.channel_state_db import OPEN_ENDED, ChannelHolds
from publisher.ledger.index_numbers import record_first_publications
from publisher.ledger.event_kinds import EventKind
from publisher.foundation.i18n import N_

log = logging.getLogger("publisher.dispatcher")
HOLD_FRESH = 0.0  # seconds a "channel not held" answer is reused (0: every request reads another daemon's hold)

#: Set in run_due's workers: outcomes are handed in, and written with the loop's next claim.
HAND_IN: contextvars.ContextVar[bool] = contextvars.ContextVar("publisher_hand_in_outcomes", default=False)


class Outcomes:
    """Turns what a channel answered for one claim into the delivery's next state, for one worker."""

    def __init__(self, app: App, *, worker_id: str, lease: timedelta, margin: timedelta, max_age: timedelta,
                 rng: random.Random):
        self.app = app
        self.store = app.store
        self.clock = app.clock
        self.retry = app.config.retry
        self.channels = app.config.channels
        self.worker_id = worker_id
        self.lease = lease
        self.margin = margin  # how long after its timeout a request may still be in flight
        self.max_age = max_age
        self.holds = ChannelHolds(self.store, self.clock)
        self.rng = rng
        self._rng_lock = threading.Lock()
        self.committed = GroupCommit(self.store)  # outcomes of deliveries executed outside run_due
        self.handed = OutcomeBatch(self.store)  # outcomes of run_due's workers, written with the next claim
        self._not_held: dict[str, float] = {}  # channel → monotonic time until which "not held" is taken as read

    # -- channel holds ----------------------------------------------------------------------------
    def scope(self, claim: Claim) -> RequestScope:
        """The request scope an adapter call for ``claim`` runs in (it refuses to send while the channel is held)."""
        settings = self.channels[claim.channel] if claim.channel in self.channels else None
        return RequestScope(self.clock.now, lambda: self.held_until(claim.channel),
                            hold=lambda seconds, why: self.hold_now(claim.channel, seconds, why),
                            answer_limit=getattr(settings, "max_answer_bytes", None),
                            gate=self.holds.gate(claim.channel), held_here=lambda: self.holds.seen_until(claim.channel))

    def hold_now(self, channel: str, seconds: float, reason: str) -> None:
        """A 429/503 with Retry-After was just received: hold ``channel`` for every worker and daemon now, before
        the adapter even sees the answer."""
        until = self.clock.now() + timedelta(seconds=seconds)
        self._not_held.pop(channel, None)
        if self.holds.hold(channel, until, f"Retry-After {seconds:g}s: {reason}", self.worker_id):
            log.warning("channel %s held until %s (Retry-After)", channel, until)

    def held_until(self, channel: str) -> datetime | None:
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

    def hold(self, claim: Claim, scope: RequestScope, exc: Exception) -> None:
        """The channel answered with Retry-After (429/503): no worker or daemon sends to it until then.

        Only the channel's own header holds the channel; an adapter's "look again later" paces one delivery.
        """
        if not scope.retry_after or scope.hold is not None:  # recorded the moment it was received (hold_now)
            return
        until = self.clock.now() + timedelta(seconds=scope.retry_after)
        held = self.holds.hold(claim.channel, until, f"Retry-After {scope.retry_after:g}s: {describe(exc)}",
                               self.worker_id)
        self._not_held.pop(claim.channel, None)  # this dispatcher's other workers stop at once
        if held:
            log.warning("channel %s held until %s (Retry-After)", claim.channel, until)

    # -- outcomes ---------------------------------------------------------------------------------
    def published(self, claim: Claim, receipt: Receipt, *, via: str, revision: int | None = None) -> str:
        """The channel has it: published, at the channel's own time when that is plausible."""
        now = self.clock.now()
        # The channel's own time when it gives one (a look-up after midnight must not move the item to the next
        # year); never a time in the future or before the first attempt (a skewed remote clock).
        remote = receipt.published_at
        first = claim.first_attempt_at or now
        when = remote if remote is not None and remote.tzinfo is not None and first <= remote <= now else now
        if revision is None:  # found by look-up: the oldest revision an attempt of this delivery may have carried
            revision = updating.sent_revision(self.store, claim.item_id, claim.id)
        return self.finish(
            claim, S.PUBLISHED, "published", external_id=str(receipt.external_id), external_url=receipt.external_url,
            published_at=when, error=None, via=via, revision=revision,
            remote_time=receipt.published_at.isoformat() if receipt.published_at else None,
            receipt=receipt.detail or None,
        )

    def in_doubt(self, claim: Claim, scope: RequestScope, error: str) -> str:
        """The attempt may have arrived: look it up later, and only conclude "absent" once nothing is in flight."""
        now = self.clock.now()
        in_flight_until = max(scope.in_flight_until or now, now) + self.doubt_window(claim)
        return self.finish(claim, S.IN_DOUBT, "in_doubt", error=error, in_flight_until=in_flight_until,
                           next_at=now + timedelta(seconds=self.retry.in_doubt_delay))

    def doubt_window(self, claim: Claim) -> timedelta:
        """How long after its timeout an unanswered request may still be saving: a slow save outlives its timeout
        by up to the timeout again, so at least that (or ``in_doubt_delay``), doubled with each attempt."""
        settings = self.channels[claim.channel] if claim.channel in self.channels else None
        timeout = timedelta(seconds=getattr(settings, "timeout", 0.0))
        return max(self.margin, timeout) * 2 ** min(max(claim.attempts, 1) - 1, 4)

    def held(self, claim: Claim, status: str, until: datetime, *, uncount: bool = False) -> str:
        """The channel was held before the request left: wait for the hold, nothing was sent."""
        pause = self.store.paused_channels().get(claim.channel)
        reason = pause["reason"] if pause else "Retry-After"
        if until >= OPEN_ENDED:  # paused until an operator resumes it
            outcome, next_at, error = "paused", self.clock.now(), f"channel paused: {reason}"
        else:
            outcome, next_at, error = "held", until, f"not sent, channel held until {until:%H:%M:%S} UTC: {reason}"
        return self.finish(claim, status, outcome, error=error, next_at=next_at,
                           attempts=claim.attempts - 1 if uncount else None)

    def failed(self, claim: Claim, exc: Exception, *, counts: bool = True) -> str:
        """The attempt failed: retry after a backoff, or give up (dead) after max_attempts or max_age."""
        now = self.clock.now()
        too_old = claim.first_attempt_at is not None and now - claim.first_attempt_at > self.max_age
        if not counts and not too_old:  # accepted and still being processed: look again, attempt not used up
            delay = getattr(exc, "retry_after", None) or self.retry.base_delay
            return self.finish(claim, S.FAILED, "processing", error=str(exc), attempts=claim.attempts - 1,
                               next_at=now + timedelta(seconds=delay))
        if claim.attempts >= self.retry.max_attempts or too_old:
            why = (N_("gave up after {attempts} attempts").format(attempts=claim.attempts) if not too_old
                   else N_("gave up after {age}").format(age=self.retry.max_age))
            return self.finish(claim, S.DEAD, "dead", error=f"{describe(exc)} ({why})")
        delay = self.delay(claim, exc)
        return self.finish(claim, S.FAILED, "failed", error=describe(exc), next_at=now + timedelta(seconds=delay),
                           retry_in=round(delay, 1))

    def paused(self, claim: Claim, exc: ChannelPaused, *, status: str, uncount: bool = False) -> str:
        """The adapter paused the whole channel (until an operator resumes it, or until ``exc.until``)."""
        reason = f"{exc}"
        self.store.pause_channel(claim.channel, reason, exc.until, self.worker_id)
        self._not_held.pop(claim.channel, None)
        log.error("channel %s paused%s: %s", claim.channel, f" until {exc.until}" if exc.until else "", reason)
        next_at = exc.until or self.clock.now()
        return self.finish(claim, status, "paused", error=f"channel paused: {reason}", next_at=next_at,
                           attempts=claim.attempts - 1 if uncount else None)

    def delay(self, claim: Claim, exc: Exception) -> float:
        """Seconds until the next try of ``claim`` after ``exc`` (backoff with jitter, at least its Retry-After)."""
        with self._rng_lock:
            return backoff_seconds(claim.attempts or 1, self.retry, retry_after=getattr(exc, "retry_after", None),
                                   rng=self.rng)

    # -- writes while an attempt runs -------------------------------------------------------------
    def count_attempt(self, claim: Claim) -> Claim:
        """A look-up found nothing, so the delivery is sent again: that is one more attempt."""
        with self.store.transaction() as conn:
            conn.execute(update(deliveries).where(and_(deliveries.c.id == claim.id, deliveries.c.lease_owner == claim.lease_owner))
                         .values(attempts=deliveries.c.attempts + 1))
            self.store.event(conn, "attempt", actor=self.worker_id, item_id=claim.item_id, delivery_id=claim.id,
                             channel=claim.channel, attempt=claim.attempts + 1, after="look-up found nothing")
        claim.attempts += 1
        return claim

    def save_checkpoint(self, claim: Claim, checkpoint: dict) -> None:
        """Persist a multi-step publish's progress (and extend the lease), so a crash resumes instead of repeating."""
        now = self.clock.now()
        with self.store.transaction() as conn:
            conn.execute(update(deliveries).where(and_(deliveries.c.id == claim.id, deliveries.c.lease_owner == claim.lease_owner))
                         .values(checkpoint=checkpoint, lease_expires_at=now + self.lease, updated_at=now))
            self.store.event(conn, "checkpoint", actor=self.worker_id, item_id=claim.item_id, delivery_id=claim.id,
                             channel=claim.channel, **{k: v for k, v in checkpoint.items() if isinstance(v, (str, int, float))})

    # -- the one write ----------------------------------------------------------------------------
    def finish(self, claim: Claim, status: str, outcome: str, *, error: str | None = None,
               next_at: datetime | None = None, permanent: bool = False, attempts: int | None = None,
               retract_requested: bool | None = None, external_id: str | None = None,
               external_url: str | None = None, published_at: datetime | None = None,
               waiting_for: str | None = None, in_flight_until: datetime | None = None, revision: int | None = None,
               update_state: str | None = None, checkpoint: dict | None = None, keep_published_at: bool = False,
               unsent: bool = False, **detail: Any) -> str:
        """Move ``claim`` to ``status`` (releasing its lease) with the event ``outcome``; returns the outcome, or
        ``lease_lost`` when another worker took the delivery over meanwhile."""
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
        if status == S.PUBLISHED and outcome == EventKind.PUBLISHED:
            values["next_attempt_at"] = now  # a pending retraction may run at once
        kind = {"retract_retry": "failed", "retract_failed": "retract_failed"}.get(outcome, outcome)
        recorded = event(kind, actor=self.worker_id, at=now, item_id=claim.item_id, channel=claim.channel,
                         error=error, permanent=permanent or None, external_id=external_id, external_url=external_url,
                         waiting_for=waiting_for, revision=revision, **detail)
        return self._write(claim, status, outcome, recorded, values)

    def _write(self, claim: Claim, status: str, outcome: str, recorded: dict, values: dict[str, Any]) -> str:
        """Write the move: handed in (a run_due worker), or in a commit shared with others finishing now."""
        first = status == S.PUBLISHED and outcome == EventKind.PUBLISHED
        after = self._first_publication(claim, values) if first else None

        def write(conn) -> str:
            if not move(conn, claim.id, current=claim.status, to=status, owned_by=claim.lease_owner, event=recorded,
                        **values):
                self.store.event(conn, "lease_lost", actor=self.worker_id, item_id=claim.item_id, delivery_id=claim.id,
                                 channel=claim.channel, outcome=outcome, error=values["last_error"])
                return "lease_lost"
            if after is not None:
                after(conn)
            return outcome

        if HAND_IN.get():  # a run_due worker: the dispatcher thread writes it with its next claim
            together = dict(id=claim.id, current=claim.status, to=status, event=recorded, **values)
            self.handed.hand_in(outcome, write, together, claim.lease_owner, after=after)
            return outcome
        result = self.committed.run(write)  # shares a commit with other workers' outcomes finishing now
        if result == "lease_lost":
            log.warning("delivery %s: lease lost before recording %s", claim.id, outcome)
        return result


    def _first_publication(self, claim: Claim, values: dict[str, Any]) -> "FirstPublication":
        """What a publication also writes: the item's first publication time (and 索引号, if it has none yet)."""
        return FirstPublication(self.app, claim.item_id, values["published_at"], self.worker_id)


class FirstPublication:
    """What a publication also writes, for one delivery or (:meth:`many`) for all written together: the item's
    first publication time and 索引号 once, and a 解读's links on its policy's copies."""

    def __init__(self, app: App, item_id: int, at: datetime, actor: str):
        self.app, self.item_id, self.at, self.actor = app, item_id, at, actor

    def __call__(self, conn) -> None:
        self.many(conn, [self])

    @staticmethod
    def many(conn, entries: list["FirstPublication"]) -> None:
        """Write every entry's share in a few statements for all of them."""
        app, actor = entries[0].app, entries[0].actor
        firsts: dict[int, datetime] = {}
        for entry in entries:  # two copies of one item: the earlier one is its first publication
            firsts[entry.item_id] = min(entry.at, firsts.get(entry.item_id, entry.at))
        record_first_publications(app, conn, firsts, actor=actor)
        record_copies.after_publications(app, conn, [entry.item_id for entry in entries], actor)


def describe(exc: Exception) -> str:
    """``exc`` as an error text: its message, with its class name when it is not one of the channel errors."""
    text = str(exc) or exc.__class__.__name__
    if not isinstance(exc, (RetryableError, PermanentError, OutcomeUnknown)):
        text = f"{exc.__class__.__name__}: {text}"
    return text

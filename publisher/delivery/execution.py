"""Running one claimed delivery through its channel's adapter: publish, settle (look up an earlier attempt),
update in place, retract, or drop; each answer or error becomes an outcome (:mod:`publisher.delivery.outcomes`).

An ``in_doubt`` delivery, or a ``publishing`` one whose lease expired, is settled by the adapter's look-up before
anything is sent again; "absent" counts only once the earlier request can no longer be in flight
(``in_flight_until``); a channel that cannot look up waits for an operator. Only a revision read while the item
was approved at it is ever sent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable, NamedTuple

from publisher.adapter import DeliveryContext
from publisher.db.engine import reading
from publisher.db.thread_reads import thread_reads
from publisher.delivery import corrections as updating
from publisher.delivery.claims import Claim
from publisher.delivery.outcomes import Outcomes, describe
from publisher.errors import (
    ChannelPaused, LookupUnsupported, OutcomeUnknown, PermanentError, RetryableError, StillProcessing,
)
from publisher.foundation.i18n import N_
from publisher.http import request_scope
from publisher.ledger.lifecycle import DeliveryStatus as S, UpdateState, WaitingFor
from publisher.runtime.app import App
from publisher.ledger.review_state import ReviewState

log = logging.getLogger("publisher.dispatcher")


class Execution:
    """Runs claimed deliveries through their adapters, recording each outcome."""

    def __init__(self, app: App, outcomes: Outcomes, save_checkpoint: Callable[[Claim, dict], None]):
        self.app = app
        self.store = app.store
        self.clock = app.clock
        self.outcomes = outcomes
        self.save_checkpoint = save_checkpoint  # (claim, checkpoint): the adapter's progress, persisted

    def execute(self, claim: Claim) -> str:
        """Run one claimed delivery to its next state; returns the outcome name."""
        out = self.outcomes
        if claim.action == "drop":
            return out.finish(claim, S.RETRACTED, "retracted", reason="item retracted before it was published")
        adapter = self.app.channel(claim.channel)
        item = claim.item  # read with the claim
        if item is None:
            with reading(self.store.engine) as conn:
                item = self.store.item_view(conn, claim.item_id, claim.channel, sent_first=claim.first_attempt_at)
        # read after the view: the view is an approved revision only if the item still is at that revision
        now_at = item_state(self.store.engine, claim.item_id, claim.id) if claim.action != "retract" else None
        sendable = now_at is not None and now_at.revision == item.revision and now_at.review_state == ReviewState.APPROVED
        ctx = DeliveryContext(
            delivery_id=claim.id, channel=claim.channel, idempotency_key=claim.idempotency_key,
            attempt=claim.attempts, checkpoint=claim.checkpoint, external_id=claim.external_id,
            external_url=claim.external_url, save_checkpoint=lambda cp: self.save_checkpoint(claim, cp),
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
                return out.finish(claim, S.PENDING, "released", checkpoint={}, unsent=True,
                                  reason="look-up found nothing; the item's new revision waits for its review")
            claim = out.count_attempt(claim)
        elif not sendable:  # edited since it was claimed: the new revision waits for its review, unsent
            return out.finish(claim, S(claim.previous), "released", attempts=claim.attempts - 1, unsent=True,
                              reason="the item was edited after it was claimed; its new revision waits for review")
        return self._publish(claim, adapter, item, ctx)

    def _settle(self, claim: Claim, adapter, item, ctx) -> str | None:
        """Look up an in-doubt delivery; None when it is absent and may be sent again."""
        out = self.outcomes
        scope = out.scope(claim)
        try:
            if not adapter.supports_lookup:
                raise LookupUnsupported(N_("channel {name} cannot look up earlier attempts").format(name=claim.channel))
            with request_scope(scope):
                receipt = adapter.lookup(item, ctx)
        except LookupUnsupported as exc:
            return out.finish(claim, S.IN_DOUBT, "in_doubt", error=f"{exc}; {operator_choices(claim)}",
                              next_at=self.clock.now(), waiting_for=WaitingFor.OPERATOR.value)
        except ChannelPaused as exc:
            return out.paused(claim, exc, status=S.IN_DOUBT)
        except Exception as exc:  # look-up failed: stay in doubt, try the look-up again later
            if scope.refused_until is not None:
                return out.held(claim, S.IN_DOUBT, scope.refused_until)
            out.hold(claim, scope, exc)
            return out.finish(claim, S.IN_DOUBT, "in_doubt", error=f"look-up failed: {describe(exc)}",
                              next_at=self.clock.now() + timedelta(seconds=out.delay(claim, exc)))
        if receipt is not None:
            return out.published(claim, receipt, via="look-up")
        return self._absent(claim)

    def _absent(self, claim: Claim) -> str | None:
        """The look-up found nothing: wait while the earlier request may be in flight; None: send it again."""
        now = self.clock.now()
        if claim.in_flight_until is not None and now < claim.in_flight_until:
            # "absent" is not an answer yet: the earlier request may still be committing on the channel
            return self.outcomes.finish(
                claim, S.IN_DOUBT, "in_doubt", next_at=claim.in_flight_until,
                error=f"look-up found nothing yet; the earlier request may still be in flight until "
                      f"{claim.in_flight_until:%H:%M:%S} UTC")
        if claim.item_retracted:
            return self.outcomes.finish(claim, S.RETRACTED, "retracted", reason="look-up found nothing; item retracted")
        return None

    def _publish(self, claim: Claim, adapter, item, ctx) -> str:
        out = self.outcomes
        ctx.attempt = claim.attempts
        scope = out.scope(claim)
        try:
            with request_scope(scope):
                receipt = adapter.publish(item, ctx)
        except OutcomeUnknown as exc:
            return out.in_doubt(claim, scope, str(exc))
        except ChannelPaused as exc:
            return out.paused(claim, exc, status=S.FAILED, uncount=True)
        except PermanentError as exc:
            return out.finish(claim, S.DEAD, "dead", error=str(exc), permanent=True)
        except StillProcessing as exc:
            return out.failed(claim, exc, counts=False)
        except RetryableError as exc:
            if scope.refused_until is not None:
                return out.held(claim, S.FAILED, scope.refused_until, uncount=True)
            out.hold(claim, scope, exc)
            return out.failed(claim, exc)
        except Exception as exc:  # an adapter bug: after a request went out the outcome is unknown
            log.exception("adapter %s raised unexpectedly for delivery %s", claim.channel, claim.id)
            if scope.sent:
                return out.in_doubt(claim, scope, f"{describe(exc)} after a request was sent")
            return out.failed(claim, exc)
        return out.published(claim, receipt, via="publish", revision=item.revision)

    def _update(self, claim: Claim, adapter, item, ctx, *, sendable: bool, copy_revision: int | None) -> str:
        """Replace a published copy with the item's approved revision, in place (never a second copy).

        An update is idempotent (the copy is replaced by its external id), so one whose outcome is unknown (a
        timeout, a dropped connection, a crash of its worker) is simply sent again — but only once the earlier
        request can no longer be in flight, so that an older revision never lands after a newer one.
        """
        out = self.outcomes
        now = self.clock.now()
        waits = self._update_waits(claim, adapter, item, now, sendable=sendable, copy_revision=copy_revision)
        if waits is not None:
            return waits
        scope = out.scope(claim)
        try:
            with request_scope(scope):
                receipt = adapter.update(item, ctx)
        except PermanentError as exc:
            return out.finish(claim, S.PUBLISHED, "update_failed", update_state=UpdateState.FAILED.value,
                              error=f"update failed: {exc}", permanent=True, revision_wanted=item.revision)
        except ChannelPaused as exc:
            return out.paused(claim, exc, status=S.PUBLISHED)
        except Exception as exc:  # OutcomeUnknown included: repeating an update is safe, see above
            if scope.refused_until is not None:
                return out.held(claim, S.PUBLISHED, scope.refused_until)
            if not isinstance(exc, (RetryableError, OutcomeUnknown)):
                log.exception("adapter %s raised unexpectedly updating delivery %s", claim.channel, claim.id)
            out.hold(claim, scope, exc)
            next_at = now + timedelta(seconds=out.delay(claim, exc))
            in_flight_until = None
            if scope.sent:
                in_flight_until = max(scope.in_flight_until or now, now) + out.margin
                next_at = max(next_at, in_flight_until)
            return out.finish(claim, S.PUBLISHED, "update_retry", next_at=next_at, in_flight_until=in_flight_until,
                              error=f"update failed, will retry: {describe(exc)}", revision_wanted=item.revision)
        return out.finish(claim, S.PUBLISHED, "updated", revision=item.revision, previous_revision=copy_revision,
                          external_url=receipt.external_url or claim.external_url, keep_published_at=True,
                          receipt=receipt.detail or None)

    def _update_waits(self, claim: Claim, adapter, item, now: datetime, *, sendable: bool,
                      copy_revision: int | None) -> str | None:
        """The outcome of an update that is not sent now (edited again, current already, an earlier request maybe
        in flight, a channel that cannot update); None: send it."""
        out = self.outcomes
        if not sendable:  # edited again since it was claimed: that revision waits for its review
            return out.finish(claim, S.PUBLISHED, "released", next_at=now,
                              reason="the item was edited after it was claimed; its new revision waits for review")
        if (copy_revision or 0) >= item.revision:
            return out.finish(claim, S.PUBLISHED, "current", next_at=now, reason="the copy is current")
        if claim.in_flight_until is not None and now < claim.in_flight_until:
            return out.finish(claim, S.PUBLISHED, "update_retry", next_at=claim.in_flight_until,
                              error=f"update waits: an earlier request may still be in flight until "
                                    f"{claim.in_flight_until:%H:%M:%S} UTC")
        if not adapter.supports_update:
            return out.finish(claim, S.PUBLISHED, "update_failed", update_state=UpdateState.FAILED.value,
                              error=f"channel {claim.channel} cannot update a published item", permanent=True)
        return None

    def _retract(self, claim: Claim, adapter, item, ctx) -> str:
        out = self.outcomes
        scope = out.scope(claim)
        try:
            with request_scope(scope):
                adapter.retract(item, ctx)
        except PermanentError as exc:
            return out.finish(claim, S.PUBLISHED, "retract_failed", error=f"retraction failed: {exc}",
                              retract_requested=False)
        except ChannelPaused as exc:
            return out.paused(claim, exc, status=S.PUBLISHED)
        except Exception as exc:
            if scope.refused_until is not None:
                return out.held(claim, S.PUBLISHED, scope.refused_until)
            out.hold(claim, scope, exc)
            return out.finish(claim, S.PUBLISHED, "retract_retry",
                              error=f"retraction failed, will retry: {describe(exc)}",
                              next_at=self.clock.now() + timedelta(seconds=out.delay(claim, exc)))
        return out.finish(claim, S.RETRACTED, "retracted", retract_requested=False)


def operator_choices(claim: Claim) -> str:
    """What a person does with a delivery no look-up can settle: the two ways out, as commands."""
    if claim.item_retracted:
        return N_("the item is retracted: remove it there by hand if it arrived")
    return N_("check the channel by hand: if the item is there, record its address with `publisher item settle "
              "{item_id} --channel {channel} --url URL`; if it is not, `publisher item retry {item_id} --channel "
              "{channel}` publishes it again").format(item_id=claim.item_id, channel=claim.channel)


class ItemState(NamedTuple):
    """An item's revision and review state now, and the revision its delivery's copy shows."""

    revision: int
    review_state: str
    copy_revision: int | None


_ITEM_STATE_SQL = ("SELECT items.revision, items.review_state, deliveries.revision FROM items "
                   "JOIN deliveries ON deliveries.item_id = items.id WHERE items.id = {p} AND deliveries.id = {p}")


def item_state(engine, item_id: int, delivery_id: int) -> ItemState | None:
    """The item's state as it is now, read just before a request is sent (each delivery, so on the thread's own
    connection and the driver's cursor: no pool checkout and none of SQLAlchemy's per-statement work)."""
    reads = thread_reads(engine)
    sql = _ITEM_STATE_SQL.format(p=reads.placeholder)
    row = reads.run(lambda cursor: cursor.execute(sql, (item_id, delivery_id)).fetchone())
    return ItemState(*row) if row else None

"""What a batch run (``run --once``, ``run --until-settled``) leaves undone: every unsettled delivery of an approved
item that is due by its schedule, named by why it is still open."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import and_, or_, select

from publisher.db.engine import reading
from publisher.db.schema import deliveries, items
from publisher.foundation.i18n import N_
from publisher.ledger.lifecycle import DeliveryStatus as S, WaitingFor
from publisher.ledger.review_state import ReviewState
from publisher.runtime.app import App
from publisher.runtime.channel_state_db import OPEN_ENDED

#: Why a delivery is still open, worst first; ``PERSON`` and ``PAUSED`` need a person, the others only time.
PERSON, PAUSED, HELD, LEASED, IN_DOUBT, FAILED, DUE = (
    N_("in doubt, waiting for a person (item settle / item retry)"), N_("on a paused channel (channel resume)"),
    N_("on a channel held for its Retry-After"),
    N_("leased by a worker that may have stopped"), N_("in doubt, looked up again later"),
    N_("failed, tried again after a backoff"), N_("due, not tried yet"))
NEEDS_A_PERSON = (PERSON, PAUSED)


@dataclass
class Remaining:
    """Open deliveries by reason (with up to ten ``item/channel`` examples each)."""

    counts: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, reason: str, item_id: int, channel: str) -> None:
        self.counts[reason] += 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < 10:
            shown.append(f"#{item_id} {channel}")

    @property
    def total(self) -> int:
        """How many deliveries are open."""
        return sum(self.counts.values())

    @property
    def only_for_people(self) -> bool:
        """True when nothing open would move without a person (time alone settles none of it)."""
        return all(reason in NEEDS_A_PERSON for reason in self.counts)


def remaining(app: App) -> Remaining:
    """The open deliveries of approved items that are due by their schedule, on the enabled channels."""
    d = deliveries
    now = app.clock.now()
    paused = app.store.paused_channels()
    unsettled = (S.PENDING.value, S.FAILED.value, S.PUBLISHING.value, S.IN_DOUBT.value)
    query = (select(d.c.item_id, d.c.channel, d.c.status, d.c.waiting_for, d.c.next_attempt_at)
             .join(items, items.c.id == d.c.item_id)
             .where(and_(d.c.status.in_(unsettled), d.c.channel.in_(list(app.config.enabled_channels())),
                         items.c.review_state == ReviewState.APPROVED.value, items.c.held.is_(False),
                         or_(d.c.status != S.PENDING.value, d.c.next_attempt_at <= now)))
             .order_by(d.c.item_id))
    found = Remaining()
    with reading(app.store.engine) as conn:
        for row in conn.execute(query):
            found.add(_reason(row, paused, now), row.item_id, row.channel)
    return found


def _reason(row, paused: dict[str, dict], now: datetime) -> str:
    if row.status == S.IN_DOUBT and row.waiting_for == WaitingFor.OPERATOR:
        return PERSON
    if row.channel in paused:
        until = paused[row.channel]["until"]
        return PAUSED if until is None or until >= OPEN_ENDED.replace(tzinfo=until.tzinfo) else HELD
    if row.status == S.PUBLISHING:
        return LEASED
    if row.status == S.IN_DOUBT:
        return IN_DOUBT
    due = row.next_attempt_at if row.next_attempt_at.tzinfo else row.next_attempt_at.replace(tzinfo=timezone.utc)
    return FAILED if row.status == S.FAILED and due > now else DUE

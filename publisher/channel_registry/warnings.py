"""Warnings ahead of the inspection limits, told through the notifications (``review.notify``): an
``idle_warning`` event once per clock and deadline."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, insert, select, update

from publisher.channel_registry.clocks import Clock, clocks, warn_days
from publisher.db.engine import reading
from publisher.db.schema import channel_state
from publisher.ledger.event_kinds import EventKind
from publisher.runtime.app import App

MEMO = "inspection"  # channel_state.channel of the memo: key what:name → the deadline already warned of


def warn_idle(app: App, office: str | None = None) -> list[Clock]:
    """Append an ``idle_warning`` event for every clock within ``report.idle.warn_days`` of its limit (or past it,
    or never published), once per deadline; returns the clocks warned of now."""
    office = office or app.config.office.code
    ahead = warn_days(app)
    due = [c for c in clocks(app, office) if c.days_left is None or c.days_left <= ahead]
    with reading(app.store.engine) as conn:
        memo = {r.key: (r.value or {}).get("deadline") for r in conn.execute(
            select(channel_state.c.key, channel_state.c.value).where(channel_state.c.channel == MEMO))}
    warned = []
    for c in due:
        key = f"{c.what}:{c.channel or ''}:{c.category or ''}"
        deadline = (c.last + timedelta(days=c.limit)).astimezone(app.config.tz).date().isoformat() if c.last else "never"
        if memo.get(key) == deadline:
            continue
        with app.store.transaction() as conn:
            values = {"value": {"deadline": deadline}}
            if key in memo:
                conn.execute(update(channel_state).where(and_(channel_state.c.channel == MEMO,
                                                              channel_state.c.key == key)).values(**values))
            else:
                conn.execute(insert(channel_state).values(channel=MEMO, key=key, version=0, **values))
            app.store.event(conn, EventKind.IDLE_WARNING, actor=app.actor, office=office, channel=c.channel,
                            what=c.what, label=c.label, limit=c.limit, days_left=c.days_left, deadline=deadline)
        warned.append(c)
    return warned

"""What keeps reconciliation from rewriting the statutory record: observations, the threshold, frozen years.

A removal read back from a channel is an observation (an audit event with what was asked and answered), never a
change by itself. A run that finds more removals on one channel than ``reconcile.max_removed`` or, counting at
least :data:`SHARE_FLOOR`, more than ``reconcile.max_removed_share`` of what it read back is a likely outage or
misconfiguration: its removals are held, an event alerts the operators (notifications) and the 工作台 shows it
until a later run of that channel is plausible again.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import and_, column, delete, func, insert, select, table

from publisher.db.engine import reading
from publisher.db.schema import channel_state, deliveries, events, items
from publisher.foundation.i18n import N_
from publisher.ledger.audit import append
from publisher.ledger.event_kinds import EventKind
from publisher.runtime.app import App

log = logging.getLogger("publisher.reconcile")
SHARE_FLOOR = 5  # the share rule applies from this many removals: two of three posts deleted by hand is plausible
REMOVED = "removed"  # FindingKind.REMOVED's value (the findings are publisher.delivery.reconcile's)
ALERT_KEY = "reconcile_alert"  # channel_state row of a channel whose last run was refused
_FREEZES = table("report_freezes", column("year"))  # owned by publisher.report; read here by name only


def observe(app: App, row, finding) -> None:
    """Record a removal read back from the channel as an observation, once per delivery and reason."""
    with reading(app.store.engine) as conn:
        seen = conn.execute(select(events.c.detail).where(and_(
            events.c.delivery_id == row.id, events.c.kind == EventKind.REMOVAL_OBSERVED))).scalars().all()
    if any((d or {}).get("reason") == finding.reason for d in seen):
        return
    with app.store.transaction() as conn:
        append(conn, [{"at": app.clock.now(), "kind": EventKind.REMOVAL_OBSERVED, "actor": app.actor,
                       "item_id": row.item_id, "delivery_id": row.id, "channel": row.channel,
                       "detail": {"reason": finding.reason, "evidence": finding.evidence}}])


def suspicious(app: App, removed: int, checked: int) -> bool:
    """True when ``removed`` of ``checked`` read-backs in one run is more than the office allows."""
    return _too_many(app.config, removed, checked)


def suspicious_jump(config, removed: int, before: int, published: int) -> bool:
    """A year's platform removals on a channel jumped: too many (as for one run) and over twice last year's."""
    return removed > 2 * before and _too_many(config, removed, published)


def removals_per_channel(store, config, year: int) -> dict[str, int]:
    """Removals found on the platforms and recorded during local ``year``, per channel, of the office's items."""
    from publisher.ledger.years import year_bounds

    start, end = year_bounds(year, config)
    d = deliveries
    with reading(store.engine) as conn:
        rows = conn.execute(select(d.c.channel, func.count()).join(items, items.c.id == d.c.item_id)
                            .where(and_(d.c.removed_at >= start, d.c.removed_at < end,
                                        items.c.office == config.office.code))
                            .group_by(d.c.channel)).all()
    return {channel: n for channel, n in rows}


def _too_many(config, removed: int, checked: int) -> bool:
    limits = config.reconcile
    if removed > limits.max_removed:
        return True
    return removed >= SHARE_FLOOR and removed > limits.max_removed_share * max(checked, 1)


def guard(app: App, name: str, report) -> None:
    """Hold a channel's removals when there are too many of them, and alert; clear an old alert otherwise."""
    removals = [f for f in report.findings if f.channel == name and f.kind.value == REMOVED]
    checked = report.checked.get(name, 0)
    if not suspicious(app, len(removals), checked):
        if removals or checked:
            _clear_alert(app, name)
        return
    report.refused[name] = {"removed": len(removals), "checked": checked}
    for finding in removals:
        finding.held = N_("refused: {removed} of {checked} read back as removed at once is likely an outage or a "
                          "misconfiguration, not removals").format(removed=len(removals), checked=checked)
    _alert(app, name, len(removals), checked)


def _alert(app: App, name: str, removed: int, checked: int) -> None:
    now = app.clock.now()
    detail: dict[str, Any] = {"removed": removed, "checked": checked, "at": now.isoformat()}
    log.error("reconcile: %s read back %d of %d publications as removed; refused as a likely outage or "
              "misconfiguration", name, removed, checked)
    with app.store.transaction() as conn:
        conn.execute(delete(channel_state).where(and_(channel_state.c.channel == name,
                                                      channel_state.c.key == ALERT_KEY)))
        conn.execute(insert(channel_state).values(channel=name, key=ALERT_KEY, value=detail, version=0))
        append(conn, [{"at": now, "kind": EventKind.RECONCILE_REFUSED, "actor": app.actor, "channel": name,
                       "detail": {"removed": removed, "checked": checked}}])


def _clear_alert(app: App, name: str) -> None:
    with app.store.transaction() as conn:
        conn.execute(delete(channel_state).where(and_(channel_state.c.channel == name,
                                                      channel_state.c.key == ALERT_KEY)))


def alerts(app: App) -> dict[str, dict[str, Any]]:
    """Channels whose last reconciliation was refused: name → {removed, checked, at} (for the 工作台)."""
    with reading(app.store.engine) as conn:
        rows = conn.execute(select(channel_state.c.channel, channel_state.c.value)
                            .where(channel_state.c.key == ALERT_KEY)).all()
    return {r.channel: dict(r.value or {}) for r in rows}


def frozen_year(app: App, row) -> int | None:
    """The year of the delivery's publication (office time) when that year's report is frozen, else None."""
    if row.published_at is None:
        return None
    year = row.published_at.astimezone(app.config.tz).year
    with reading(app.store.engine) as conn:
        found = conn.execute(select(_FREEZES.c.year).where(_FREEZES.c.year == year)).first()
    return year if found else None

"""Find published items that a platform has since removed (deleted, banned) and record it in the ledger."""

from __future__ import annotations

import logging

from sqlalchemy import and_, select

from .adapter import Channel, DeliveryContext
from .app import App
from .db import reading
from .delivery_lifecycle import DeliveryStatus as S, event, move
from .errors import ChannelError
from .schema import deliveries

log = logging.getLogger("publisher.reconcile")


def reconcile(app: App, channel: str | None = None) -> list[dict]:
    """Ask each channel about its published deliveries; removed ones become ``retracted`` with the reason."""
    names = [channel] if channel else app.config.enabled_channels()
    found = []
    for name in names:
        adapter = app.channel(name)
        if type(adapter).removed is Channel.removed:  # the channel cannot tell
            continue
        with reading(app.store.engine) as conn:
            rows = conn.execute(select(deliveries).where(and_(
                deliveries.c.channel == name, deliveries.c.status == S.PUBLISHED.value,
                deliveries.c.lease_owner.is_(None)))).all()
        for row in rows:
            with reading(app.store.engine) as conn:
                item = app.store.item_view(conn, row.item_id, name)
            ctx = DeliveryContext(delivery_id=row.id, channel=name, idempotency_key=row.idempotency_key,
                                  attempt=row.attempts, checkpoint=row.checkpoint, external_id=row.external_id,
                                  external_url=row.external_url)
            try:
                reason = adapter.removed(item, ctx)
            except ChannelError as exc:
                log.warning("reconcile %s delivery %s: %s", name, row.id, exc)
                continue
            if reason:
                _record(app, row, reason)
                found.append({"item_id": row.item_id, "channel": name, "reason": reason})
    return found


def _record(app: App, row, reason: str) -> None:
    now = app.clock.now()
    with app.store.transaction() as conn:
        done = move(conn, row.id, current=row.status, to=S.RETRACTED, version=row.version, last_error=reason,
                    updated_at=now, event=event("removed_on_platform", actor=app.actor, at=now, item_id=row.item_id,
                                                channel=row.channel, reason=reason))
    if done:
        log.warning("item %s was removed from %s: %s", row.item_id, row.channel, reason)

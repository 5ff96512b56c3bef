"""Closing an account (停更), a guided action: its 停更公告 is queued for that channel alone and goes through review
as usual; once the channel has published it, the channel is disabled and the closure recorded. From the first step
nothing new is queued for the channel (``items.intake`` refuses it: rule ``channel_closed``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, insert, select, update

from publisher.accounts.users import Actor, Role
from publisher.db.engine import reading
from publisher.db.schema import channel_closures, deliveries
from publisher.errors import InputError, Refused
from publisher.foundation.i18n import _
from publisher.items.intake import ItemRequest, queue_one
from publisher.ledger.closure_state import ClosureState, allowed, closure_states
from publisher.ledger.event_kinds import EventKind
from publisher.ledger.lifecycle import DeliveryStatus
from publisher.review import workflow as review
from publisher.runtime.app import App

OPERATORS = (Role.APPROVER, Role.ADMIN)


def notice_category(app: App) -> str:
    """Where a 停更公告 is filed: the first category named like 公告 or 通知, else the first."""
    return next((c for c in app.config.categories if "公告" in c or "通知" in c), app.config.categories[0])


def start_close(app: App, actor: Actor, name: str, *, title: str, body: str | None = None,
                body_file: str | None = None, category: str | None = None) -> int:
    """Queue the channel's 停更公告 (submitted for review) and mark the channel closing; returns the item's id."""
    if actor.is_user:
        actor.require(actor.role in OPERATORS, "role", _("closing an account takes an approver or an admin"))
    settings = app.config.channels.get(name)
    if settings is None or not settings.enabled:
        raise InputError(_("{name!r} is not an enabled channel").format(name=name), field="channel")
    with reading(app.store.engine) as conn:
        current = closure_states(conn).get(name)
    if not allowed(current, ClosureState.CLOSING):
        raise Refused("channel_closed", _("{name} is already {state}").format(name=name, state=current))
    if not (title or "").strip():
        raise InputError(_("required"), field="title")
    item_id = queue_one(app, ItemRequest(title=title, category=category or notice_category(app), body=body,
                                         body_file=body_file, channels=[name]), actor=actor)
    with app.store.transaction() as conn:
        conn.execute(insert(channel_closures).values(channel=name, office=actor.office, state=ClosureState.CLOSING,
                                                     notice_item_id=item_id, requested_by=actor.name,
                                                     requested_at=app.clock.now()))
        app.store.event(conn, EventKind.CHANNEL_CLOSING, actor=actor.name, office=actor.office, channel=name,
                        item_id=item_id)
    if app.config.review.enabled:
        review.submit(app, actor, item_id)
    return item_id


def finish_closures(app: App) -> list[str]:
    """Close every closing channel whose 停更公告 it has published: the channel is disabled (in this process at
    once; every other one when it next starts) and the closure recorded. Returns the channels closed now."""
    with reading(app.store.engine) as conn:
        ready = conn.execute(
            select(channel_closures.c.channel, channel_closures.c.office, channel_closures.c.notice_item_id,
                   deliveries.c.external_url)
            .join(deliveries, and_(deliveries.c.item_id == channel_closures.c.notice_item_id,
                                   deliveries.c.channel == channel_closures.c.channel))
            .where(and_(channel_closures.c.state == ClosureState.CLOSING,
                        deliveries.c.status == DeliveryStatus.PUBLISHED))).all()
    closed = []
    for row in ready:
        with app.store.transaction() as conn:
            moved = conn.execute(update(channel_closures).where(and_(
                channel_closures.c.channel == row.channel, channel_closures.c.state == ClosureState.CLOSING))
                .values(state=ClosureState.CLOSED, closed_at=app.clock.now(), notice_url=row.external_url)).rowcount
            if moved:
                app.store.event(conn, EventKind.CHANNEL_CLOSED, actor=app.actor, office=row.office,
                                channel=row.channel, item_id=row.notice_item_id, notice_url=row.external_url)
                closed.append(row.channel)
    app.disable_closed_channels()
    return closed


def closures(app: App) -> dict[str, dict[str, Any]]:
    """Channel → its closure record (state, the notice item, who asked, when it was closed)."""
    with reading(app.store.engine) as conn:
        rows = conn.execute(select(channel_closures)).mappings().all()
    return {r["channel"]: {**dict(r), "state": ClosureState(r["state"])} for r in rows}

"""Editor actions on queued items: retract everywhere, retry, and resume a paused channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, select, update

from publisher.delivery import corrections as updating
from publisher.runtime.app import App
from publisher.db.engine import reading
from publisher.ledger.lifecycle import DeliveryStatus as S, WaitingFor, event, move
from publisher.delivery.dispatcher import Dispatcher, RunStats
from publisher.foundation.i18n import _
from publisher.foundation.urls import web_url_problem
from publisher.errors import InputError, Refused
from publisher.accounts.scope import item_in_office
from publisher.accounts.users import Actor
from publisher.db.schema import deliveries, items
from publisher.ledger.item_status import ItemStatus


def _acting(app: App, actor: Actor | None, item_id: int, *, operates: bool) -> Actor:
    """The actor, checked: the item is in their office; retracting and settling need an approver or admin."""
    actor = actor or app.current_actor()
    with reading(app.store.engine) as conn:
        item_in_office(conn, actor, item_id)
    if operates and actor.is_user and not actor.role.operates:
        raise Refused("role", _("{user} is a {role}: only an approver or an admin does this").format(
            user=actor.name, role=_(actor.role.value)))
    return actor


def retract_item(app: App, item_id: int, reason: str = "", *, actor: Actor | None = None) -> RunStats:
    """Retract an item on every channel: unsent deliveries are cancelled, published ones taken down now."""
    actor = _acting(app, actor, item_id, operates=True)
    with app.store.transaction() as conn:
        request_retraction(app, conn, item_id, reason, actor=actor)
    return take_down(app, item_id)


def request_retraction(app: App, conn, item_id: int, reason: str, *, actor: Actor) -> None:
    """Inside the caller's transaction: mark the item retracted, cancel what was never sent, and ask the
    dispatcher to take down the rest (durably: a daemon does it if :func:`take_down` never runs)."""
    store = app.store
    now = app.clock.now()
    row = store.item_row(conn, item_id)
    if row["status"] != ItemStatus.RETRACTED:
        conn.execute(update(items).where(items.c.id == item_id).values(
            status="retracted", retracted_at=now, retract_reason=reason or None))
    store.event(conn, "retract_requested", actor=actor.name, item_id=item_id, reason=reason or None)
    for d in conn.execute(select(deliveries).where(deliveries.c.item_id == item_id)).all():
        if d.status == S.RETRACTED:
            continue
        cancelled = d.status in (S.PENDING, S.FAILED, S.DEAD) and d.lease_owner is None and move(
            conn, d.id, current=d.status, to=S.RETRACTED, version=d.version, updated_at=now,
            retract_requested=True, event=event("retracted", actor=actor.name, at=now, item_id=item_id,
                                                channel=d.channel, reason="never published"))
        if not cancelled:  # in flight or published, or claimed by another daemon since we read it: take it down after
            conn.execute(update(deliveries).where(deliveries.c.id == d.id).values(
                retract_requested=True, next_attempt_at=now, updated_at=now))


def take_down(app: App, item_id: int) -> RunStats:
    """Run the retraction of ``item_id`` on its channels now (what :func:`request_retraction` asked for)."""
    dispatcher = Dispatcher(app)
    try:
        return dispatcher.run_due(item_id=item_id)
    finally:
        dispatcher.close()


def retry_item(app: App, item_id: int, channel: str | None = None, *, actor: Actor | None = None) -> list[str]:
    """Send dead, failed or in-doubt deliveries again now (with a fresh attempt budget), and ask again for updates
    a channel refused; returns the channels.

    An in-doubt delivery whose channel can look it up is looked up first; only one set aside because the
    channel cannot (the operator has checked by hand) is sent afresh.
    """
    actor = _acting(app, actor, item_id, operates=False)
    store = app.store
    now = app.clock.now()
    done = []
    with store.transaction() as conn:
        row = store.item_row(conn, item_id)
        if row["status"] == ItemStatus.RETRACTED:
            raise InputError(_("item {id} is retracted; queue it again instead").format(id=item_id), field="id")
        rows = conn.execute(select(deliveries).where(deliveries.c.item_id == item_id)).all()
        if channel and channel not in {d.channel for d in rows}:
            raise InputError(_("item {id} has no delivery to {channel!r}").format(id=item_id, channel=channel), field="channel")
        for d in rows:
            if channel and d.channel != channel:
                continue
            if d.lease_owner is None and updating.retry_failed_update(conn, d, actor, now):
                done.append(d.channel)
            elif d.status in (S.DEAD, S.FAILED, S.IN_DOUBT) and d.lease_owner is None:
                if not _retry_one(conn, d, actor, now):
                    raise InputError(_("the {channel} delivery is being worked on right now; try again in a moment").format(
                        channel=d.channel), field="channel")
                done.append(d.channel)
            elif channel:
                raise InputError(_("the {channel} delivery is {status}; only dead, failed or in_doubt ones (or a "
                                   "failed update) can be retried").format(channel=channel, status=_(d.status)),
                                 field="channel")
    return done


def _retry_one(conn, d, actor: Actor, now: datetime, **detail) -> bool:
    """Put one dead, failed or in-doubt delivery back to work with a fresh attempt budget; False when a worker
    changed it meanwhile."""
    values: dict = {}
    if d.status != S.IN_DOUBT:
        to, values = S.PENDING, {"first_attempt_at": None}
    elif d.waiting_for == WaitingFor.OPERATOR:
        # the channel could not look it up, so an operator has checked it by hand: start afresh instead of
        # resuming the doubtful attempt, but keep its first attempt's time: under the same idempotency key the
        # copy must be the one sent then, publication time included
        to, values = S.PENDING, {"checkpoint": {}}
    else:  # the channel can still look it up: do that now, before anything is sent again
        to = S.IN_DOUBT
    return move(conn, d.id, current=d.status, to=to, version=d.version,
                event=event("retry", actor=actor.name, at=now, item_id=d.item_id, channel=d.channel,
                            previous=d.status, **detail),
                attempts=0, next_attempt_at=now, updated_at=now, last_error=None, waiting_for=None, **values)


def retry_channel(app: App, channel: str, *, actor: Actor | None = None, resume: bool = True) -> dict:
    """Every failed or dead delivery of ``channel`` (items of the actor's office still active) back to work at
    once — after a credential or whitelist was fixed; with ``resume``, a pause of the channel is lifted first.
    Returns ``{"channel", "retried", "resumed"}``. Approvers and admins only."""
    actor = actor or app.current_actor()
    if channel not in app.config.channels:
        raise InputError(_("{name!r} is not configured").format(name=channel), field="channel")
    if actor.is_user and not actor.role.operates:
        raise Refused("role", _("{user} is a {role}: only an approver or an admin does this").format(
            user=actor.name, role=_(actor.role.value)))
    resumed = bool(resume and channel in app.store.paused_channels() and app.store.resume_channel(channel, actor.name))
    now = app.clock.now()
    retried = 0
    with app.store.transaction() as conn:
        rows = conn.execute(select(deliveries).join(items, items.c.id == deliveries.c.item_id).where(and_(
            deliveries.c.channel == channel, deliveries.c.status.in_((S.FAILED, S.DEAD)),
            deliveries.c.lease_owner.is_(None), items.c.office == actor.office,
            items.c.status == ItemStatus.ACTIVE))).all()
        for d in rows:
            retried += bool(_retry_one(conn, d, actor, now, bulk=True))
    return {"channel": channel, "retried": retried, "resumed": resumed}


def settle_item(app: App, item_id: int, channel: str, *, url: str | None, external_id: str | None = None,
                published_at: datetime | None = None, actor: Actor | None = None) -> None:
    """Record by hand that an in-doubt delivery did arrive (an operator found it on the channel)."""
    url = url.strip() if isinstance(url, str) and url.strip() else None
    problem = web_url_problem(url) if url is not None else None
    if problem:
        raise InputError(problem, field="url")
    actor = _acting(app, actor, item_id, operates=True)
    store = app.store
    now = app.clock.now()
    with store.transaction() as conn:
        store.item_row(conn, item_id)
        d = conn.execute(select(deliveries).where(and_(deliveries.c.item_id == item_id,
                                                       deliveries.c.channel == channel))).first()
        if d is None:
            raise InputError(_("item {id} has no delivery to {channel!r}").format(id=item_id, channel=channel), field="channel")
        if d.status not in (S.IN_DOUBT, S.DEAD, S.FAILED) or d.lease_owner is not None:
            raise InputError(_("the {channel} delivery is {status}; only in_doubt, failed or dead ones can be "
                               "settled by hand").format(channel=channel, status=_(d.status)), field="channel")
        when = published_at or now
        if when > now:
            raise InputError(_("cannot be in the future"), field="--at")
        revision = updating.sent_revision(store, item_id, d.id)
        taken = move(conn, d.id, current=d.status, to=S.PUBLISHED, version=d.version,
                     event=event("published", actor=actor.name, at=now, item_id=item_id, channel=channel,
                                 via="settled by hand", previous=d.status, external_url=url, revision=revision),
                     external_url=url, external_id=external_id or url or "manual", published_at=when,
                     last_error=None, updated_at=now, waiting_for=None, revision=revision)
        if not taken:
            raise InputError(_("the {channel} delivery is being worked on right now; try again in a moment").format(
                channel=channel), field="channel")

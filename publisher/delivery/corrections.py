"""Corrections of published items: which copies an edit touches, and what each channel's copy shows.

An edit of an item a channel already has makes a new revision and restarts its review like any edit; the copies
stay as they are. On the last approval every published copy older than the approved revision becomes due for an
``update`` (run by the daemon, :meth:`publisher.delivery.dispatcher.Dispatcher.execute`); channels that have not published
it yet just publish the approved revision. A channel that cannot update (``Channel.supports_update`` is False)
keeps its old copy only when the editor says so (``item edit --leave CHANNEL``): otherwise the edit is refused
(rule ``cannot_update``). An update is never a new publication: ``published_at`` stays, the tally is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, and_, exists, func, select, update

from publisher.runtime.app import App
from publisher.db.engine import reading
from publisher.ledger.lifecycle import DeliveryStatus as S, UpdateState, event, move_update
from publisher.errors import InputError, Refused
from publisher.foundation.i18n import _
from publisher.db.schema import deliveries, events, item_revisions, items
from publisher.accounts.users import Actor
from publisher.ledger.review_state import ReviewState

#: Deliveries whose channel has, or may have, a copy of the item.
OUT = (S.PUBLISHED.value, S.PUBLISHING.value, S.IN_DOUBT.value)


class CopyState(StrEnum):
    """What ``item show`` says of a channel's copy (``"update"`` in the JSON); derived, never stored."""

    CURRENT = "current"  # shows the item's current revision
    WAITING_REVIEW = "waiting_review"  # older; the new revision is still in review
    PENDING = "pending"  # older; the update is due
    UPDATING = "updating"  # a worker is sending it
    FAILED = UpdateState.FAILED.value  # the channel refused it for good (see last_error; `item retry`)
    LEFT = UpdateState.LEFT.value  # the editor left the old copy there


def copy_state(delivery: dict, item: dict) -> CopyState | None:
    """The state of a delivery's copy against the item (None: the channel holds no copy to speak of)."""
    if delivery["status"] != S.PUBLISHED or delivery["retract_requested"]:
        return None
    if (delivery.get("revision") or 0) >= item["revision"]:
        return CopyState.CURRENT
    if delivery.get("update_state"):
        return CopyState(delivery["update_state"])
    if item["review_state"] != ReviewState.APPROVED:
        return CopyState.WAITING_REVIEW
    return CopyState.UPDATING if delivery.get("lease_owner") else CopyState.PENDING


@dataclass(frozen=True)
class EditPlan:
    """What an edit of the text does to the copies already out."""

    leave: tuple[str, ...]  # channels whose old copy stays (update_state left)
    update: tuple[str, ...]  # channels whose copy is updated once the new revision is approved


def plan_edit(app: App, item_id: int, rows: list[dict], leave: list[str], *, channels_after: list[str]) -> EditPlan:
    """Check an edit of the text against the copies out; Refused (``cannot_update``, ``published``) or the plan."""
    out = [d for d in rows if d["status"] in OUT and not d["retract_requested"]]
    out_names = {d["channel"] for d in out}
    unknown = [c for c in leave if c not in out_names]
    if unknown:
        raise InputError(_("--leave {channels}: the item is not published there").format(
            channels=", ".join(unknown)), field="leave")
    dropped = [c for c in out_names if c not in channels_after]
    if dropped:
        raise Refused("published", _("item {id} is out on {channels}; an edit does not take it off a channel "
                                     "(retract the item instead)").format(
            id=item_id, channels=", ".join(sorted(dropped))))
    stuck = [d["channel"] for d in out if d["channel"] not in leave and not can_update(app, d["channel"])]
    if stuck:
        raise Refused("cannot_update", _("item {id} is published on {channels}, which cannot update a published "
                                         "item; edit with --leave {first} to leave the old version there, or retract "
                                         "the item and queue a corrected one").format(
            id=item_id, channels=", ".join(stuck), first=stuck[0]))
    busy = [d["channel"] for d in out if d["status"] == S.PUBLISHED and d["lease_owner"] is not None]
    if busy:
        raise Refused("concurrent", _("the copy on {channels} is being changed right now; try again in a "
                                      "moment").format(channels=", ".join(busy)))
    return EditPlan(leave=tuple(c for c in leave), update=tuple(sorted(out_names - set(leave))))


def apply_edit(app: App, conn: Connection, rows: list[dict], plan: EditPlan, actor: Actor, revision: int,
               reason: str | None) -> None:
    """Record the plan in the edit's transaction: left copies marked (with the reason), earlier marks cleared."""
    now = app.clock.now()
    for d in rows:
        channel = d["channel"]
        if channel in plan.leave:
            why = reason or (_("the channel cannot update a published item") if not can_update(app, channel)
                             else _("the editor left the old version there"))
            moved = move_update(conn, d["id"], current=d["update_state"], to=UpdateState.LEFT.value, event=event(
                "update_left", actor=actor.name, at=now, item_id=d["item_id"], channel=channel, revision=revision,
                copy_revision=d["revision"], reason=why))
        elif channel in plan.update and d["update_state"] is not None:
            moved = move_update(conn, d["id"], current=d["update_state"], to=None, event=None, last_error=None)
        else:
            continue
        if not moved:
            raise Refused("concurrent", _("the copy on {channel} changed meanwhile; look again").format(
                channel=channel))


def request_updates(app: App, conn: Connection, item_id: int, revision: int, actor: Actor) -> list[str]:
    """On the approval of ``revision``: record each copy that will be updated and make it due now."""
    now = app.clock.now()
    rows = conn.execute(select(deliveries).where(and_(
        deliveries.c.item_id == item_id, deliveries.c.status.in_(OUT), deliveries.c.retract_requested.is_(False),
        deliveries.c.update_state.is_(None)))).mappings().all()
    requested = []
    for d in rows:
        if d["status"] == S.PUBLISHED and (d["revision"] or 0) >= revision:
            continue
        app.store.event(conn, "update_requested", actor=actor.name, item_id=item_id, delivery_id=d["id"],
                        channel=d["channel"], revision=revision, copy_revision=d["revision"],
                        after=None if d["status"] == S.PUBLISHED else d["status"])
        if d["status"] == S.PUBLISHED and d["lease_owner"] is None:
            conn.execute(update(deliveries).where(deliveries.c.id == d["id"]).values(next_attempt_at=now))
        requested.append(d["channel"])
    return requested


def is_out(conn: Connection, item_id: int) -> bool:
    """Whether some channel has, or may have, a copy of the item."""
    return conn.execute(select(func.count()).select_from(deliveries).where(and_(
        deliveries.c.item_id == item_id, deliveries.c.status.in_(OUT)))).scalar() > 0


def out_somewhere():
    """SQL: the ``items`` row has a copy out on some channel (its review is a correction, never late)."""
    return exists().where(and_(deliveries.c.item_id == items.c.id, deliveries.c.status.in_(OUT)))


def retry_failed_update(conn: Connection, d, actor: Actor, now: datetime) -> bool:
    """``item retry``: ask again for an update the channel refused for good; False when there is none."""
    if d.status != S.PUBLISHED or d.update_state != UpdateState.FAILED:
        return False
    return move_update(conn, d.id, current=UpdateState.FAILED.value, to=None, last_error=None, next_attempt_at=now,
                       event=event("retry", actor=actor.name, at=now, item_id=d.item_id, channel=d.channel,
                                   previous="update failed"))


def can_update(app: App, channel: str) -> bool:
    """Whether the channel's adapter replaces a published copy in place (its class says so)."""
    from publisher.config import channel_types

    settings = app.config.channels.get(channel)
    return settings is not None and bool(channel_types.adapter_class(settings.type).supports_update)


def sent_revision(store, item_id: int, delivery_id: int) -> int:
    """The oldest revision an attempt of this delivery may have carried (for a copy found by look-up or by hand).

    That is the revision current at the delivery's first claim: later attempts carried it or a newer approved
    one. Erring old is safe: an older revision is updated to the approved one, at worst once too often.
    """
    with reading(store.engine) as conn:
        first = conn.execute(select(func.min(events.c.at)).where(and_(
            events.c.item_id == item_id, events.c.delivery_id == delivery_id, events.c.kind == "claimed"))).scalar()
        return revision_at(conn, item_id, first)


def revision_at(conn: Connection, item_id: int, when: datetime | None) -> int:
    """The item's revision written before ``when`` (its first revision when none was, or when unknown)."""
    revs = item_revisions.c
    found = None
    if when is not None:
        found = conn.execute(select(func.max(revs.revision)).where(and_(revs.item_id == item_id,
                                                                       revs.created_at < when))).scalar()
    return found or conn.execute(select(func.min(revs.revision)).where(revs.item_id == item_id)).scalar() or 1

"""Correction tasks: one per finding a re-scan makes in an item already out, listed until the item is corrected
(the re-scan no longer finds it) or a person dismisses it with a reason.

A task names the item, the field, the place, the masked excerpt and the suggestion, and per channel how the fix
reaches it: ``update`` (the channel replaces its copy in place: edit the item, the approved edit is sent as an
update) or ``retract_requeue`` (it cannot: retract the item there and queue the corrected one).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, insert, select, update

from publisher.accounts.scope import item_in_office
from publisher.accounts.users import Actor
from publisher.db.engine import reading
from publisher.db.schema import corrections, deliveries, items
from publisher.delivery.corrections import can_update
from publisher.errors import InputError, NotFound, Refused
from publisher.foundation.i18n import N_, _
from publisher.inspection.correction_status import CorrectionStatus, allowed
from publisher.ledger.event_kinds import EventKind
from publisher.ledger.lifecycle import DeliveryStatus
from publisher.runtime.app import App

Key = tuple[str, str, str, str]


def finding_key(finding: dict) -> Key:
    """What makes two findings the same task: kind, field, place and excerpt."""
    return (finding["kind"], finding["field"][:600], finding["where"][:200], finding["text"])


def _row_key(row) -> Key:
    return (row["kind"], row["field"], row["location"], row["text"])


def sync_item(app: App, conn: Connection, *, office: str, item_id: int, revision: int, found: list[dict],
              fingerprint: str, actor: str) -> tuple[list[int], int]:
    """Open a task for each finding not yet open or dismissed; close as corrected the open tasks no longer found.
    Returns (ids opened, count corrected)."""
    rows = conn.execute(select(corrections).where(corrections.c.item_id == item_id)).mappings().all()
    known = {_row_key(r) for r in rows if r["status"] in (CorrectionStatus.OPEN, CorrectionStatus.DISMISSED)}
    now, opened = app.clock.now(), []
    for finding in found:
        key = finding_key(finding)
        if key in known:
            continue
        known.add(key)
        opened.append(conn.execute(insert(corrections).values(
            office=office, item_id=item_id, revision=revision, kind=key[0], field=key[1], location=key[2],
            text=key[3], suggestion=finding.get("suggestion"), fingerprint=fingerprint,
            status=CorrectionStatus.OPEN.value, opened_at=now)).inserted_primary_key[0])
        app.store.event(conn, EventKind.CORRECTION_OPENED, actor=actor, item_id=item_id, office=office,
                        correction=opened[-1], finding=finding["kind"], field=key[1], where=key[2])
    still = {finding_key(f) for f in found}
    gone = [r for r in rows if r["status"] == CorrectionStatus.OPEN and _row_key(r) not in still]
    for row in gone:
        _close(app, conn, row, CorrectionStatus.CORRECTED, actor, N_("no longer found in revision {revision}").format(
            revision=revision), now)
    return opened, len(gone)


def items_with_open_tasks(conn: Connection, office: str) -> set[int]:
    """Ids of the office's items with an open task."""
    return set(conn.execute(select(corrections.c.item_id).distinct().where(and_(
        corrections.c.office == office, corrections.c.status == CorrectionStatus.OPEN.value))).scalars())


def close_unpublished(app: App, conn: Connection, office: str, actor: str) -> int:
    """Close as corrected the open tasks of items no channel shows any more (retracted everywhere)."""
    out = select(deliveries.c.item_id).where(and_(deliveries.c.status == DeliveryStatus.PUBLISHED.value,
                                                  deliveries.c.retract_requested.is_(False)))
    rows = conn.execute(select(corrections).where(and_(
        corrections.c.office == office, corrections.c.status == CorrectionStatus.OPEN.value,
        corrections.c.item_id.not_in(out)))).mappings().all()
    now = app.clock.now()
    for row in rows:
        _close(app, conn, row, CorrectionStatus.CORRECTED, actor, N_("retracted: no channel shows the item"), now)
    return len(rows)


def _close(app: App, conn: Connection, row, to: CorrectionStatus, actor: str, reason: str, now: datetime) -> None:
    if not allowed(row["status"], to):
        raise Refused("state", _("correction {id} is {state}; it cannot become {to}").format(
            id=row["id"], state=_(row["status"]), to=_(to.value)))
    changed = conn.execute(update(corrections).where(and_(
        corrections.c.id == row["id"], corrections.c.status == row["status"])).values(
        status=to.value, closed_at=now, closed_by=actor, reason=reason)).rowcount
    if changed != 1:
        raise Refused("concurrent", _("correction {id} changed meanwhile; look again").format(id=row["id"]))
    kind = EventKind.CORRECTION_DISMISSED if to is CorrectionStatus.DISMISSED else EventKind.CORRECTION_CORRECTED
    app.store.event(conn, kind, actor=actor, item_id=row["item_id"], office=row["office"], correction=row["id"],
                    reason=reason)


def dismiss(app: App, actor: Actor, correction_id: int, reason: str) -> dict:
    """Dismiss an open task with a reason (an approver or an admin; recorded in the audit chain)."""
    reason = (reason or "").strip()
    if not reason:
        raise InputError(_("a dismissal says why"), field="reason")
    if actor.is_user and not actor.role.operates:
        raise Refused("role", _("only an approver or an admin dismisses a correction"))
    with app.store.transaction() as conn:
        row = conn.execute(select(corrections).where(corrections.c.id == correction_id)).mappings().first()
        if row is None or row["office"] != actor.office:
            raise NotFound(_("no correction with id {id}").format(id=correction_id))
        _close(app, conn, row, CorrectionStatus.DISMISSED, actor.name, reason, app.clock.now())
    return show(app, actor, correction_id)


def show(app: App, actor: Actor, correction_id: int) -> dict:
    """One task as ``corrections list --json`` gives it."""
    found = listing(app, actor, status=None, ids=[correction_id])
    if not found:
        raise NotFound(_("no correction with id {id}").format(id=correction_id))
    return found[0]


def listing(app: App, actor: Actor, *, status: str | None = CorrectionStatus.OPEN.value, item_id: int | None = None,
            ids: list[int] | None = None, limit: int = 500) -> list[dict]:
    """The office's tasks (open ones by default), newest first, each with its item's title and remedies."""
    if status is not None and status not in set(CorrectionStatus):
        raise InputError(_("status must be one of {values}").format(values=", ".join(CorrectionStatus)),
                         field="status")
    q = select(corrections, items.c.title).join(items, items.c.id == corrections.c.item_id).where(
        corrections.c.office == actor.office)
    if status is not None:
        q = q.where(corrections.c.status == status)
    if item_id is not None:
        q = q.where(corrections.c.item_id == item_id)
    if ids is not None:
        q = q.where(corrections.c.id.in_(ids))
    with reading(app.store.engine) as conn:
        if item_id is not None:
            item_in_office(conn, actor, item_id)
        rows = conn.execute(q.order_by(corrections.c.id.desc()).limit(limit)).mappings().all()
        channels = _channels_out(conn, {r["item_id"] for r in rows})
    return [_shown(app, r, channels.get(r["item_id"], [])) for r in rows]


def _channels_out(conn: Connection, item_ids: set[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if not item_ids:
        return out
    rows = conn.execute(select(deliveries.c.item_id, deliveries.c.channel).where(and_(
        deliveries.c.item_id.in_(sorted(item_ids)), deliveries.c.status == DeliveryStatus.PUBLISHED.value,
        deliveries.c.retract_requested.is_(False))).order_by(deliveries.c.channel))
    for item_id, channel in rows:
        out.setdefault(item_id, []).append(channel)
    return out


def _shown(app: App, row, channels: list[str]) -> dict:
    return {"id": row["id"], "item_id": row["item_id"], "title": row["title"], "revision": row["revision"],
            "kind": row["kind"], "field": row["field"], "where": row["location"], "text": row["text"],
            "suggestion": row["suggestion"], "status": row["status"], "opened_at": row["opened_at"],
            "closed_at": row["closed_at"], "closed_by": row["closed_by"], "reason": row["reason"],
            "remedies": [{"channel": c, "remedy": "update" if can_update(app, c) else "retract_requeue"}
                         for c in channels]}


def open_count(app: App, office: str) -> int:
    """How many tasks of the office are open."""
    from sqlalchemy import func

    with reading(app.store.engine) as conn:
        return conn.execute(select(func.count()).select_from(corrections).where(and_(
            corrections.c.office == office, corrections.c.status == CorrectionStatus.OPEN.value))).scalar()

"""Bringing the channel copies of a record up to date when the record changes without an edit of its text: its
validity changed (a person's decision, so no new review round) or a 解读 of it came out (its 相关链接 block).

The item gets a new revision with the same text, still approved; each copy that can be updated becomes due for an
update (:func:`publisher.delivery.corrections.request_updates`), each other copy is marked left with the reason."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from publisher.db.schema import deliveries, item_revisions, items
from publisher.delivery import corrections
from publisher.delivery.corrections import OUT, EditPlan
from publisher.foundation.i18n import _
from publisher.ledger.review_state import ReviewState
from publisher.runtime.app import App


@dataclass(frozen=True)
class By:
    """Who asks for the update (a person, or the daemon that published a 解读)."""

    name: str


@dataclass(frozen=True)
class Refreshed:
    """What became of the copies: channels to be updated, and channels left with the reason."""

    updated: tuple[str, ...] = ()
    left: tuple[tuple[str, str], ...] = ()


def refresh(app: App, conn: Connection, item_id: int, actor_name: str) -> Refreshed:
    """A new revision of the record with the same text, and its copies out made due for an update (or left)."""
    row = conn.execute(select(items.c.revision, items.c.review_state).where(items.c.id == item_id)).one()
    rows = [dict(r._mapping) for r in conn.execute(select(deliveries).where(deliveries.c.item_id == item_id))]
    out = [d for d in rows if d["status"] in OUT and not d["retract_requested"]]
    if row.review_state != ReviewState.APPROVED or not out:
        return Refreshed()  # nothing out yet, or a correction in review: what goes out next shows the record as it is
    revision = row.revision + 1
    _copy_revision(app, conn, item_id, row.revision, revision, actor_name)
    cannot = [d["channel"] for d in out if d["update_state"] is None and not corrections.can_update(app, d["channel"])]
    plan = EditPlan(leave=tuple(cannot), update=tuple(sorted({d["channel"] for d in out} - set(cannot))))
    by = By(actor_name)
    reason = _("the channel cannot update a published item")
    corrections.apply_edit(app, conn, [d for d in rows if d["channel"] in cannot], plan, by, revision, reason)
    updated = corrections.request_updates(app, conn, item_id, revision, by)
    left = [(d["channel"], reason) for d in out if d["channel"] in cannot]
    left += [(d["channel"], reason if not corrections.can_update(app, d["channel"])
              else _("the editor left the old version there")) for d in out if d["update_state"] == "left"]
    return Refreshed(updated=tuple(updated), left=tuple(left))


def _copy_revision(app: App, conn: Connection, item_id: int, old: int, new: int, actor_name: str) -> None:
    r = item_revisions.c
    text = conn.execute(select(r.title, r.summary, r.body_html, r.attachments).where(
        r.item_id == item_id, r.revision == old)).one()
    conn.execute(insert(item_revisions).values(item_id=item_id, revision=new, title=text.title, summary=text.summary,
                                               body_html=text.body_html, attachments=text.attachments,
                                               created_at=app.clock.now(), created_by=actor_name))
    conn.execute(update(items).where(items.c.id == item_id, items.c.revision == old).values(revision=new))


def after_publications(app: App, conn: Connection, item_ids: list[int], actor_name: str) -> None:
    """Copies of ``item_ids`` were just accepted (in this order): each that is a 解读 gets its policy's copies the
    link to it (one query for all of them)."""
    policies = dict(conn.execute(select(items.c.id, items.c.interprets).where(
        items.c.id.in_(sorted(set(item_ids))), items.c.interprets.is_not(None))).all())
    for item_id in item_ids:
        if item_id in policies:
            refresh(app, conn, policies[item_id], actor_name)

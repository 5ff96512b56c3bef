"""Change an item: a new revision of its text, the gate run again, review restarted.

An item already published goes the same way; its copies are updated once the new revision is approved
(:mod:`publisher.updating`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import and_, delete, insert, select, update

from publisher.items import checking as gate_check
from publisher.review import workflow as review
from publisher.delivery import corrections as updating
from publisher.runtime.app import App
from publisher.ledger.blobs import blob_path, store_file
from publisher.ledger.deliveries import new_delivery
from publisher.db.engine import reading
from publisher.foundation.i18n import _
from publisher.errors import ConfigError, Refused
from publisher.items.intake import ItemRequest, _check_channels, prepare
from publisher.db.schema import attachments, deliveries, item_revisions, items
from publisher.accounts.users import Actor

TEXT_FIELDS = ("title", "summary", "body_html", "category", "department", "author", "channel_options", "files",
               "channels")
UNSENT = ("pending", "failed", "dead")  # what an earlier attempt checkpointed is of the old text: start over


def edit_item(app: App, actor: Actor, item_id: int, *, title: str | None = None, body: str | None = None,
              body_file: str | None = None, encoding: str | None = None, summary: str | None = None,
              category: str | None = None, channels: list[str] | None = None, at: str | None = None,
              department: str | None = None, author: str | None = None, options: dict | None = None,
              attach: list[str] | None = None, reason: str | None = None, leave: list[str] | None = None) -> dict:
    """Apply the given changes (None: unchanged); returns ``review.show`` of the item afterwards.

    A change of the text after an approval restarts the review; a change of the time alone does not, and
    releases an item held for a new time. Copies already published are updated after the new revision's last
    approval; ``leave`` names channels whose old copy stays (required for those that cannot update).
    """
    leave = list(dict.fromkeys(leave or []))
    with reading(app.store.engine) as conn:
        row = review.item_in_office(conn, actor, item_id)
        current_files = [dict(r) for r in conn.execute(select(attachments).where(attachments.c.item_id == item_id)
                                                       .order_by(attachments.c.id)).mappings()]
        delivery_rows = _deliveries(conn, item_id)
        current_channels = [d["channel"] for d in delivery_rows]
    if row["status"] != "active":
        raise Refused("retracted", _("item {id} was retracted").format(id=item_id))
    if actor.is_user and not (actor.role.edits or actor.name in _authors(app, item_id)):
        raise Refused("role", _("{user} is a {role}: only editors change items").format(
            user=actor.name, role=_(actor.role.value)))

    inline = [f for f in current_files if f["inline"]]
    request = ItemRequest(
        title=row["title"] if title is None else title,
        category=row["category"] if category is None else category,
        body=(row["body_html"] if body is None and body_file is None else body), body_file=body_file,
        encoding=encoding,
        channels=current_channels if channels is None else list(channels),
        at=row["publish_at"].isoformat() if at is None else at,
        department=row["department"] if department is None else department,
        summary=row["summary"] if summary is None else summary,
        author=row["author"] if author is None else author,
        options=row["channel_options"] if options is None else options,
        attach=list(attach or []),
    )
    prepared = prepare(app, request)
    if attach is None:  # keep the attachments as they are (prepare read none)
        prepared.files = [f for f in prepared.files if f["inline"]] + [
            {**{k: f[k] for k in ("sha256", "filename", "mime", "size", "inline")},
             "source": str(blob_path(app.config.attachments_dir, f["sha256"]))}
            for f in current_files if not f["inline"]]
    prepared.files += [{**{k: f[k] for k in ("sha256", "filename", "mime", "size", "inline")},
                        "source": str(blob_path(app.config.attachments_dir, f["sha256"]))}
                       for f in inline if not any(p["sha256"] == f["sha256"] and p["inline"] for p in prepared.files)]
    _check_channels(app, prepared)

    before = {"title": row["title"], "summary": row["summary"], "body_html": row["body_html"],
              "category": row["category"], "department": row["department"], "author": row["author"],
              "channel_options": row["channel_options"] or {}, "channels": current_channels,
              "files": sorted((f["sha256"], f["filename"]) for f in current_files)}
    after = {"title": prepared.title, "summary": prepared.summary, "body_html": prepared.body_html,
             "category": prepared.category, "department": prepared.department, "author": prepared.author,
             "channel_options": prepared.options or {}, "channels": prepared.channels,
             "files": sorted((f["sha256"], f["filename"]) for f in prepared.files)}
    changed = [k for k in TEXT_FIELDS if before[k] != after[k]]
    retimed = prepared.publish_at != row["publish_at"]
    if not changed and not retimed:
        return review.show(app, actor, item_id)
    if changed:  # refused now, before the gate reads the attachments; checked again in the transaction
        updating.plan_edit(app, item_id, delivery_rows, leave, channels_after=prepared.channels)

    result = None
    if changed:
        result = gate_check.run(app, title=prepared.title, summary=prepared.summary, body_html=prepared.body_html,
                                files=[(f["filename"], Path(f["source"])) for f in prepared.files if not f["inline"]])
        for f in prepared.files:
            try:
                store_file(app.config.attachments_dir, Path(f["source"]), f["sha256"])
            except OSError as exc:
                raise ConfigError([f"storage.attachments: cannot store {f['filename']}: {exc.strerror}"]) from None

    now = app.clock.now()
    with app.store.transaction() as conn:
        fresh = review.item_in_office(conn, actor, item_id)
        if fresh["revision"] != row["revision"]:
            raise Refused("concurrent", _("item {id} was changed by someone else meanwhile; look again").format(id=item_id))
        revision = row["revision"] + (1 if changed else 0)
        if changed:
            delivery_rows = _deliveries(conn, item_id)
            plan = updating.plan_edit(app, item_id, delivery_rows, leave, channels_after=prepared.channels)
        values: dict[str, Any] = {"publish_at": prepared.publish_at, "held": False}
        if changed:
            values.update(title=prepared.title, summary=prepared.summary, body_html=prepared.body_html,
                          category=prepared.category, department=prepared.department, author=prepared.author,
                          channel_options=prepared.options or {}, revision=revision)
        conn.execute(update(items).where(items.c.id == item_id).values(**values))
        if "files" in changed:
            conn.execute(delete(attachments).where(attachments.c.item_id == item_id))
            for f in prepared.files:
                conn.execute(insert(attachments).values(item_id=item_id, **{
                    k: f[k] for k in ("sha256", "filename", "mime", "size", "inline")}))
        if "channels" in changed:
            _replace_channels(app, conn, row, current_channels, prepared.channels, prepared.publish_at)
        conn.execute(update(deliveries).where(and_(deliveries.c.item_id == item_id,
                                                   deliveries.c.status.in_(("pending", "failed"))))
                     .values(next_attempt_at=prepared.publish_at, updated_at=now))
        if changed:
            conn.execute(update(deliveries).where(and_(deliveries.c.item_id == item_id, deliveries.c.status.in_(UNSENT),
                                                       deliveries.c.lease_owner.is_(None))).values(checkpoint={}))
        if changed:
            conn.execute(insert(item_revisions).values(
                item_id=item_id, revision=revision, title=prepared.title, summary=prepared.summary,
                body_html=prepared.body_html, created_at=now, created_by=actor.name,
                attachments=[{"sha256": f["sha256"], "filename": f["filename"]}
                             for f in prepared.files if not f["inline"]]))
            gate_check.record(conn, item_id, revision, result)
        app.store.event(conn, "edited", actor=actor.name, item_id=item_id, office=row["office"], revision=revision,
                        changed=changed or None, publish_at=prepared.publish_at.isoformat() if retimed else None,
                        reason=reason, left=list(plan.leave) if changed and plan.leave else None,
                        to_update=list(plan.update) if changed and plan.update else None)
        if changed:
            updating.apply_edit(app, conn, delivery_rows, plan, actor, revision, reason)
            state = review.restart(app, conn, {**row, "revision": revision}, actor, revision)
            if state is review.ReviewState.APPROVED:  # review is off: the copies are updated at once
                updating.request_updates(app, conn, item_id, revision, actor)
    return review.show(app, actor, item_id)


def _replace_channels(app: App, conn, row: dict, old: list[str], new: list[str], publish_at) -> None:
    now = app.clock.now()
    gone = [c for c in old if c not in new]
    if gone:
        conn.execute(delete(deliveries).where(and_(deliveries.c.item_id == row["id"], deliveries.c.channel.in_(gone))))
    for channel in new:
        if channel not in old:
            conn.execute(insert(deliveries).values(
                new_delivery(row["id"], row["uid"], channel, next_attempt_at=publish_at, now=now)))


def _deliveries(conn, item_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute(select(deliveries).where(deliveries.c.item_id == item_id)
                                          .order_by(deliveries.c.id)).mappings()]


def _authors(app: App, item_id: int) -> set[str]:
    with reading(app.store.engine) as conn:
        return review.authors(conn, item_id)

"""Change an item: a new revision of its text, the gate run again, review restarted.

An item already published goes the same way; its copies are updated once the new revision is approved
(:mod:`publisher.delivery.corrections`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select, update

from publisher.items import gate_runs
from publisher.accounts.scope import item_in_office
from publisher.review import workflow as review
from publisher.delivery import corrections as updating
from publisher.runtime.app import App
from publisher.ledger.blobs import blob_path, store_file
from publisher.ledger.deliveries import new_delivery
from publisher.ledger.event_kinds import EventKind
from publisher.ledger.item_status import ItemStatus
from publisher.ledger.lifecycle import DeliveryStatus
from publisher.db.engine import reading
from publisher.foundation.i18n import _
from publisher.errors import ConfigError, InputError, Refused
from publisher.items.intake import ItemRequest, PreparedItem, check_channels, prepare
from publisher.db.schema import attachments, deliveries, item_revisions, items
from publisher.accounts.users import Actor, Role

TEXT_FIELDS = ("title", "summary", "body_html", "category", "department", "author", "channel_options", "files",
               "channels")
# what an earlier attempt checkpointed is of the old text: start over
UNSENT = (DeliveryStatus.PENDING, DeliveryStatus.FAILED, DeliveryStatus.DEAD)
FILE_COLUMNS = ("sha256", "filename", "mime", "size", "inline")


@dataclass
class Current:
    """The item as an edit finds it: its row, its attachments and its deliveries."""

    row: dict
    files: list[dict]
    deliveries: list[dict]

    @property
    def channels(self) -> list[str]:
        """The channels it goes to now."""
        return [d["channel"] for d in self.deliveries]


@dataclass
class Edit:
    """One edit being applied: the item before, the validated item after, and what differs."""

    actor: Actor
    current: Current
    prepared: PreparedItem
    changed: list[str]  # the TEXT_FIELDS that differ: a new revision when any
    retimed: bool
    reason: str | None
    leave: list[str]
    gate: Any = None  # the gate's result on the new text
    time_given: bool = True  # whether the item has a publish time its editor chose

    @property
    def item_id(self) -> int:
        return self.current.row["id"]

    @property
    def revision(self) -> int:
        """The item's revision after the edit."""
        return self.current.row["revision"] + (1 if self.changed else 0)


def edit_item(app: App, actor: Actor, item_id: int, *, title: str | None = None, body: str | None = None,
              body_file: str | None = None, encoding: str | None = None, summary: str | None = None,
              category: str | None = None, channels: list[str] | None = None, at: str | None = None,
              department: str | None = None, author: str | None = None, options: dict | None = None,
              attach: list[str] | None = None, reason: str | None = None, leave: list[str] | None = None,
              base_dir: Path | None = None, retime_only: bool = False) -> dict:
    """Apply the given changes (None: unchanged); returns ``review.show`` of the item afterwards.

    A change of the text, the channels or the time after an approval restarts the review; only an item held for
    a new time (approved late, ``review.late: wait``) takes a new time without a new review. Copies already published are updated after the new revision's last
    approval; ``leave`` names channels whose old copy stays (required for those that cannot update).
    """
    current = load_current(app, actor, item_id, retime_only=retime_only)
    request = merged_request(current, title=title, category=category, department=department, summary=summary,
                             author=author, body=body, body_file=body_file, encoding=encoding, channels=channels,
                             at=at, options=options, attach=attach)
    request.base_dir = base_dir  # pictures the body names by file, relative to it (the console's editor)
    prepared = prepare(app, request)
    keep_files(app, prepared, current.files, keep_attached=attach is None)
    check_channels(app, prepared)
    edit = Edit(actor, current, prepared, changed_fields(current, prepared),
                prepared.publish_at != current.row["publish_at"], reason, list(dict.fromkeys(leave or [])))
    if edit.changed or edit.retimed:
        edit.time_given = bool(current.row.get("time_given", True)) or at is not None
        if edit.changed:  # refused now, before the gate reads the attachments; checked again in the transaction
            updating.plan_edit(app, item_id, current.deliveries, edit.leave, channels_after=prepared.channels)
            edit.gate = check_and_store_files(app, prepared)
        with app.store.transaction() as conn:
            apply_edit(app, conn, edit)
    return review.show(app, actor, item_id)


def reschedule(app: App, actor: Actor, item_id: int, at: str) -> dict:
    """Give the item a new publish time and nothing else (the 已过期待审 one-click, the calendar's drag). Editors, its
    authors, reviewers and approvers may; an approval already given goes back as after any edit."""
    if not str(at or "").strip():
        raise InputError(_("give the new publish time"), field="at")
    return edit_item(app, actor, item_id, at=at, retime_only=True)


def load_current(app: App, actor: Actor, item_id: int, *, retime_only: bool = False) -> Current:
    """The item of the actor's office with its files and deliveries; Refused when it may not be changed
    (``retime_only``: reviewers and approvers may change the time alone)."""
    with reading(app.store.engine) as conn:
        row = item_in_office(conn, actor, item_id)
        files = [dict(r) for r in conn.execute(select(attachments).where(attachments.c.item_id == item_id)
                                               .order_by(attachments.c.id)).mappings()]
        current = Current(row, files, _deliveries(conn, item_id))
    if row["status"] != ItemStatus.ACTIVE:
        raise Refused("retracted", _("item {id} was retracted").format(id=item_id))
    reviews = retime_only and actor.is_user and actor.role in (Role.REVIEWER, Role.APPROVER)
    if actor.is_user and not (actor.role.edits or reviews or actor.name in _authors(app, item_id)):
        raise Refused("role", _("{user} is a {role}: only editors change items").format(
            user=actor.name, role=_(actor.role.value)))
    return current


def merged_request(current: Current, *, body: str | None, body_file: str | None, encoding: str | None,
                   channels: list[str] | None, at: str | None, options: dict | None, attach: list[str] | None,
                   **text: str | None) -> ItemRequest:
    """What the edited item asks for: each field as given, the item's own where it is None (``text``: title,
    category, department, summary, author)."""
    row = current.row
    return ItemRequest(
        **{name: row[name] if value is None else value for name, value in text.items()},
        body=(row["body_html"] if body is None and body_file is None else body), body_file=body_file,
        encoding=encoding,
        channels=current.channels if channels is None else list(channels),
        at=row["publish_at"].isoformat() if at is None else at,
        options=row["channel_options"] if options is None else options,
        attach=list(attach or []),
    )


def _stored(app: App, f: dict) -> dict:
    """A stored attachment as a prepared file: its columns and its path in the content store."""
    return {**{k: f[k] for k in FILE_COLUMNS}, "source": str(blob_path(app.config.attachments_dir, f["sha256"]))}


def keep_files(app: App, prepared: PreparedItem, files: list[dict], *, keep_attached: bool) -> None:
    """Carry the item's stored files into ``prepared``: its attachments when none were given (``keep_attached``),
    and its inline images the new body does not bring again."""
    if keep_attached:  # keep the attachments as they are (prepare read none)
        prepared.files = [f for f in prepared.files if f["inline"]] + [
            _stored(app, f) for f in files if not f["inline"]]
    prepared.files += [_stored(app, f) for f in files if f["inline"] and not any(
        p["sha256"] == f["sha256"] and p["inline"] for p in prepared.files)]


def changed_fields(current: Current, prepared: PreparedItem) -> list[str]:
    """The TEXT_FIELDS in which ``prepared`` differs from the item as it is."""
    row = current.row
    before = {"title": row["title"], "summary": row["summary"], "body_html": row["body_html"],
              "category": row["category"], "department": row["department"], "author": row["author"],
              "channel_options": row["channel_options"] or {}, "channels": current.channels,
              "files": sorted((f["sha256"], f["filename"]) for f in current.files)}
    after = {"title": prepared.title, "summary": prepared.summary, "body_html": prepared.body_html,
             "category": prepared.category, "department": prepared.department, "author": prepared.author,
             "channel_options": prepared.options or {}, "channels": prepared.channels,
             "files": sorted((f["sha256"], f["filename"]) for f in prepared.files)}
    return [k for k in TEXT_FIELDS if before[k] != after[k]]


def check_and_store_files(app: App, prepared: PreparedItem) -> Any:
    """Run the gate on the new text and attachments, then copy the files into the content store."""
    result = gate_runs.run(app, title=prepared.title, summary=prepared.summary, body_html=prepared.body_html,
                           files=[(f["filename"], Path(f["source"])) for f in prepared.files if not f["inline"]],
                           department=prepared.department, author=prepared.author, options=prepared.options)
    for f in prepared.files:
        try:
            store_file(app.config.attachments_dir, Path(f["source"]), f["sha256"])
        except OSError as exc:
            raise ConfigError([f"storage.attachments: cannot store {f['filename']}: {exc.strerror}"]) from None
    return result


def apply_edit(app: App, conn: Connection, edit: Edit) -> None:
    """Write the edit in one transaction: the item, its files and channels, its deliveries' times, the new
    revision and its findings, the event; then the copies to update and the review to restart."""
    fresh = item_in_office(conn, edit.actor, edit.item_id)
    if fresh["revision"] != edit.current.row["revision"]:
        raise Refused("concurrent", _("item {id} was changed by someone else meanwhile; look again").format(
            id=edit.item_id))
    plan = delivery_rows = None
    if edit.changed:
        delivery_rows = _deliveries(conn, edit.item_id)
        plan = updating.plan_edit(app, edit.item_id, delivery_rows, edit.leave, channels_after=edit.prepared.channels)
    _write_item(conn, edit)
    if "files" in edit.changed:
        _replace_files(conn, edit)
    if "channels" in edit.changed:
        _replace_channels(app, conn, edit.current.row, edit.current.channels, edit.prepared.channels,
                          edit.prepared.publish_at)
    _reschedule(app, conn, edit)
    if edit.changed:
        _add_revision(app, conn, edit)
    _record_event(app, conn, edit, plan)
    if edit.changed:
        updating.apply_edit(app, conn, delivery_rows, plan, edit.actor, edit.revision, edit.reason)
    if edit.changed or (edit.retimed and not fresh["held"]):
        state = review.restart(app, conn, {**fresh, "revision": edit.revision}, edit.actor, edit.revision,
                               because="text" if edit.changed else "time")
        if edit.changed and state is review.ReviewState.APPROVED:  # review is off: the copies are updated at once
            updating.request_updates(app, conn, edit.item_id, edit.revision, edit.actor)


def _write_item(conn: Connection, edit: Edit) -> None:
    """The item's row: its time (released if held) and, for a new revision, its text."""
    prepared = edit.prepared
    values: dict[str, Any] = {"publish_at": prepared.publish_at, "held": False, "time_given": edit.time_given}
    if edit.changed:
        values.update(title=prepared.title, summary=prepared.summary, body_html=prepared.body_html,
                      category=prepared.category, department=prepared.department, author=prepared.author,
                      channel_options=prepared.options or {}, revision=edit.revision)
    conn.execute(update(items).where(items.c.id == edit.item_id).values(**values))


def _replace_files(conn: Connection, edit: Edit) -> None:
    conn.execute(delete(attachments).where(attachments.c.item_id == edit.item_id))
    for f in edit.prepared.files:
        conn.execute(insert(attachments).values(item_id=edit.item_id, **{k: f[k] for k in FILE_COLUMNS}))


def _reschedule(app: App, conn: Connection, edit: Edit) -> None:
    """Deliveries not sent yet go at the new time; after a new text, unsent ones forget their checkpoints."""
    now = app.clock.now()
    conn.execute(update(deliveries).where(and_(
        deliveries.c.item_id == edit.item_id, deliveries.c.status.in_((DeliveryStatus.PENDING, DeliveryStatus.FAILED))))
        .values(next_attempt_at=edit.prepared.publish_at, updated_at=now))
    if edit.changed:
        conn.execute(update(deliveries).where(and_(deliveries.c.item_id == edit.item_id,
                                                   deliveries.c.status.in_(UNSENT),
                                                   deliveries.c.lease_owner.is_(None))).values(checkpoint={}))


def _add_revision(app: App, conn: Connection, edit: Edit) -> None:
    """The new revision's text and attachment list, and the gate's findings on it."""
    prepared = edit.prepared
    conn.execute(insert(item_revisions).values(
        item_id=edit.item_id, revision=edit.revision, title=prepared.title, summary=prepared.summary,
        body_html=prepared.body_html, created_at=app.clock.now(), created_by=edit.actor.name,
        attachments=[{"sha256": f["sha256"], "filename": f["filename"]} for f in prepared.files if not f["inline"]]))
    gate_runs.record(conn, edit.item_id, edit.revision, edit.gate)


def _record_event(app: App, conn: Connection, edit: Edit, plan: Any) -> None:
    app.store.event(conn, EventKind.EDITED, actor=edit.actor.name, item_id=edit.item_id,
                    office=edit.current.row["office"], revision=edit.revision, changed=edit.changed or None,
                    publish_at=edit.prepared.publish_at.isoformat() if edit.retimed else None, reason=edit.reason,
                    left=list(plan.leave) if plan and plan.leave else None,
                    to_update=list(plan.update) if plan and plan.update else None)


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

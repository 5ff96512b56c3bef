"""``publisher check --published``: the gate again over every item already out, with today's list and rules.

Each published item (its current revision: every published field and its attachments, as the gate reads them at
queue time) is checked; each finding opens a correction task (:mod:`publisher.inspection.corrections`), an open
task no longer found is closed as corrected. The fingerprint of the rules used is stored, so the daemon knows
when the list or the rules changed (:mod:`publisher.inspection.jobs`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone

from sqlalchemy import and_, select

from publisher.db.engine import reading
from publisher.db.schema import deliveries, item_revisions, items
from publisher.gate.rules import rules_fingerprint
from publisher.inspection import state
from publisher.inspection.corrections import close_unpublished, items_with_open_tasks, sync_item
from publisher.items.checking import stored_files
from publisher.items.gate_runs import run, terms
from publisher.ledger.blobs import blob_path
from publisher.ledger.event_kinds import EventKind
from publisher.ledger.lifecycle import DeliveryStatus
from publisher.runtime.app import App


def current_fingerprint(app: App) -> str:
    """The fingerprint of the term list and gate rules this App checks with."""
    return rules_fingerprint(terms(app), app.config.gate)


def published_items(app: App, office: str, *, since: date | None = None, channel: str | None = None) -> list[int]:
    """Ids of the office's items some channel shows (published on ``channel``, on or after ``since``)."""
    condition = and_(deliveries.c.item_id == items.c.id, deliveries.c.status == DeliveryStatus.PUBLISHED.value,
                     deliveries.c.retract_requested.is_(False))
    if channel is not None:
        condition = and_(condition, deliveries.c.channel == channel)
    if since is not None:
        start = datetime.combine(since, time(), app.config.tz).astimezone(timezone.utc)
        condition = and_(condition, deliveries.c.published_at >= start)
    q = select(items.c.id).where(items.c.office == office).where(
        select(deliveries.c.id).where(condition).exists()).order_by(items.c.id)
    with reading(app.store.engine) as conn:
        return list(conn.execute(q).scalars())


def rescan(app: App, *, office: str, actor: str, since: date | None = None, channel: str | None = None) -> dict:
    """Re-check the office's published items; open and close correction tasks. Returns what was done:
    ``{"scanned", "opened", "corrected", "fingerprint", "items": [{"id", "opened": [...]}]}``."""
    fingerprint = current_fingerprint(app)
    ids = published_items(app, office, since=since, channel=channel)
    with reading(app.store.engine) as conn:
        with_tasks = items_with_open_tasks(conn, office)
    report = {"scanned": 0, "opened": 0, "corrected": 0, "fingerprint": fingerprint, "items": []}
    for item_id in ids:
        opened, corrected = _rescan_item(app, office, item_id, fingerprint, actor, item_id in with_tasks)
        report["scanned"] += 1
        report["opened"] += len(opened)
        report["corrected"] += corrected
        if opened:
            report["items"].append({"id": item_id, "opened": opened})
    with app.store.transaction() as conn:
        report["corrected"] += close_unpublished(app, conn, office, actor)
        if since is None and channel is None:  # only a whole re-scan settles the rules' fingerprint
            state.write(conn, office, state.RULES, fingerprint, app.clock.now())
        app.store.event(conn, EventKind.RESCANNED, actor=actor, office=office, scanned=report["scanned"],
                        opened=report["opened"], corrected=report["corrected"], fingerprint=fingerprint[:16],
                        since=since.isoformat() if since else None, channel=channel)
    return report


def _rescan_item(app: App, office: str, item_id: int, fingerprint: str, actor: str,
                 has_tasks: bool) -> tuple[list[int], int]:
    """Check every revision a channel shows (the current one, and an older one an editor left on a channel): a
    finding stays open while any copy still shows it."""
    with reading(app.store.engine) as conn:
        row = conn.execute(select(items).where(items.c.id == item_id)).mappings().one()
        shown = _shown_revisions(conn, item_id, row["revision"])
        texts = [_revision_text(app, conn, row, revision) for revision in shown]
    found: list[dict] = []
    for text in texts:
        result = run(app, department=row["department"], author=row["author"], options=row["channel_options"], **text)
        found += [f for f in result.to_json()["findings"] if f not in found]
    if not found and not has_tasks:  # nothing to open, nothing to close: no write
        return [], 0
    with app.store.transaction() as conn:
        return sync_item(app, conn, office=office, item_id=item_id, revision=row["revision"], found=found,
                         fingerprint=fingerprint, actor=actor)


def _shown_revisions(conn, item_id: int, current: int) -> list[int]:
    """The revisions the item's published copies show (the current one first)."""
    shown = conn.execute(select(deliveries.c.revision).distinct().where(and_(
        deliveries.c.item_id == item_id, deliveries.c.status == DeliveryStatus.PUBLISHED.value,
        deliveries.c.retract_requested.is_(False)))).scalars()
    return [current] + sorted({r for r in shown if r is not None and r != current})


def _revision_text(app: App, conn, row, revision: int) -> dict:
    """Title, summary, body and files of one revision of the item (the item's row for the current one)."""
    if revision == row["revision"]:
        return {"title": row["title"], "summary": row["summary"], "body_html": row["body_html"],
                "files": stored_files(app, conn, row["id"])}
    old = conn.execute(select(item_revisions).where(and_(item_revisions.c.item_id == row["id"],
                                                         item_revisions.c.revision == revision))).mappings().first()
    if old is None:
        return {"title": row["title"], "summary": row["summary"], "body_html": row["body_html"],
                "files": stored_files(app, conn, row["id"])}
    files = [(f["filename"], blob_path(app.config.attachments_dir, f["sha256"])) for f in old["attachments"] or []
             if not f.get("inline")]
    return {"title": old["title"], "summary": old["summary"], "body_html": old["body_html"], "files": files}

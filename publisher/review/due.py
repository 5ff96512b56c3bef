"""Due times of review steps: each step may take ``review.step_due_days`` working days (the office's calendar,
:mod:`publisher.foundation.workdays`), counted from the day the item reached the step."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, func, select

from publisher.db.schema import review_decisions
from publisher.foundation.workdays import add_workdays
from publisher.runtime.app import App


def reached(conn: Connection, item_ids: list[int]) -> dict[int, datetime]:
    """When each item reached the step it waits at: its latest review decision (submit, approval, restart)."""
    if not item_ids:
        return {}
    rows = conn.execute(select(review_decisions.c.item_id, func.max(review_decisions.c.at))
                        .where(review_decisions.c.item_id.in_(item_ids)).group_by(review_decisions.c.item_id))
    return {item_id: at for item_id, at in rows}


def due_on(app: App, step_name: str, since: datetime | None) -> date | None:
    """The last working day a step reached at ``since`` may take; None when the step has no due time."""
    days = app.config.review.due_days(step_name)
    if not days or since is None:
        return None
    return add_workdays(since.astimezone(app.config.tz).date(), days)


def annotate(app: App, conn: Connection, entries: list[dict]) -> None:
    """Add ``since``, ``due_on`` (YYYY-MM-DD) and ``overdue`` to in-review inbox entries (those with a ``step``)."""
    waiting = [e for e in entries if e.get("step")]
    since = reached(conn, [e["id"] for e in waiting])
    today = app.clock.now().astimezone(app.config.tz).date()
    for entry in waiting:
        entry["since"] = since.get(entry["id"])
        due = due_on(app, entry["step"]["name"], entry["since"])
        entry["due_on"] = due.isoformat() if due else None  # as ``review list --json`` prints it
        entry["overdue"] = due is not None and today > due


def overdue_by_step(app: App, entries: list[dict]) -> list[dict]:
    """The overdue entries grouped by step, in the configured order: ``[{"step", "items"}]``."""
    groups = {s.name: [] for s in app.config.review.steps}
    for entry in entries:
        if entry.get("overdue"):
            groups.setdefault(entry["step"]["name"], []).append(entry)
    return [{"step": name, "items": found} for name, found in groups.items() if found]

"""The console's notification list: the notices :data:`publisher.review.notify.NOTICES` addresses to a user
(their item published, rejected, failed …), read live from the audit chain, and how far the user has read."""

from __future__ import annotations

from sqlalchemy import and_, insert, select, update

from publisher.db.engine import reading
from publisher.db.schema import channel_state, events, item_revisions
from publisher.review.notify import NOTICES, notices_for
from publisher.runtime.app import App

READ = "notify-read"  # channel_state rows (READ, user name): the last event id the user has seen
SCAN = 1000  # recent events of the notified kinds looked at


def for_user(app: App, user: str, office: str, *, limit: int = 30) -> list[dict]:
    """The user's latest notices, newest first: ``{"event", "kind", "text", "item_id", "at", "unread"}``."""
    with reading(app.store.engine) as conn:
        seen = _read_upto(conn, user)
        rows = [dict(r) for r in conn.execute(
            select(events).where(and_(events.c.kind.in_(list(NOTICES)), events.c.office.is_(None)
                                      | (events.c.office == office)))
            .order_by(events.c.id.desc()).limit(SCAN)).mappings()]
        mine = _authored(conn, user, {r["item_id"] for r in rows if r["item_id"] is not None})
        out = []
        for row in rows:
            if row["item_id"] is not None and row["item_id"] not in mine:
                continue
            for notice in notices_for(app, conn, row):
                if user in notice.recipients:
                    out.append({"event": row["id"], "kind": notice.kind, "text": notice.text,
                                "item_id": notice.item_id, "at": row["at"], "unread": row["id"] > seen})
            if len(out) >= limit:
                break
    return out[:limit]


def unread(app: App, user: str, office: str) -> int:
    """How many of the user's latest notices are unread (the menu's badge)."""
    return sum(1 for n in for_user(app, user, office) if n["unread"])


def mark_read(app: App, user: str, upto: int) -> None:
    """Record that the user has seen every notice up to event ``upto``."""
    with app.store.engine.begin() as conn:
        if _read_upto(conn, user, missing=None) is None:
            conn.execute(insert(channel_state).values(channel=READ, key=user, version=0, value={"last_event": upto}))
        else:
            conn.execute(update(channel_state).where(and_(channel_state.c.channel == READ,
                                                          channel_state.c.key == user))
                         .values(value={"last_event": upto}))


def _read_upto(conn, user: str, missing: int | None = 0) -> int | None:
    value = conn.execute(select(channel_state.c.value).where(and_(channel_state.c.channel == READ,
                                                                  channel_state.c.key == user))).scalar()
    return int(value["last_event"]) if isinstance(value, dict) and "last_event" in value else missing


def _authored(conn, user: str, item_ids: set[int]) -> set[int]:
    if not item_ids:
        return set()
    return set(conn.execute(select(item_revisions.c.item_id).distinct().where(and_(
        item_revisions.c.item_id.in_(list(item_ids)), item_revisions.c.created_by == user))).scalars())

"""``publisher status``: what an operator checks first — daemons and their heartbeat, the backlog, what waits for a
person, the next series occurrences, the last backup, the database's size and the version."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import and_, func, select, text
from sqlalchemy.engine import make_url

from publisher import __version__
from publisher.db.engine import reading
from publisher.db.schema import channel_pauses, channel_state, deliveries, events, items
from publisher.ledger.event_kinds import EventKind
from publisher.ledger.lifecycle import DeliveryStatus as S
from publisher.ledger.review_state import ReviewState

RUNNERS = "_series"  # series.claims keeps each daemon's heartbeat there as ``runner:OWNER``
RECENT_DAEMONS = timedelta(days=1)  # a daemon silent for longer is no longer listed


def collect(app) -> dict:
    """Everything ``status`` shows, as one JSON-ready dict."""
    now = app.clock.now()
    with reading(app.store.engine) as conn:
        data = {
            "version": __version__,
            "now": now,
            "daemons": _daemons(conn, now),
            "due": conn.execute(select(func.count()).select_from(deliveries).where(and_(
                deliveries.c.status.in_([S.PENDING.value, S.FAILED.value]),
                deliveries.c.next_attempt_at <= now))).scalar(),
            "in_doubt": _count_status(conn, S.IN_DOUBT),
            "dead": _count_status(conn, S.DEAD),
            "paused_channels": [{"channel": r.channel, "since": r.since, "until": r.until, "reason": r.reason}
                                for r in conn.execute(select(channel_pauses).order_by(channel_pauses.c.channel))],
            "waiting_for_review": conn.execute(select(func.count()).select_from(items).where(
                items.c.review_state == ReviewState.IN_REVIEW.value)).scalar(),
            "last_backup": _last_backup(conn),
        }
    data["series"] = _next_series(app)
    data["database"] = {"url": _shown_url(app.config.database_url), "size_bytes": _database_size(app)}
    return data


def _count_status(conn, status) -> int:
    return conn.execute(select(func.count()).select_from(deliveries).where(deliveries.c.status == status.value)).scalar()


def _daemons(conn, now) -> list[dict]:
    rows = conn.execute(select(channel_state.c.key, channel_state.c.expires_at).where(and_(
        channel_state.c.channel == RUNNERS, channel_state.c.key.like("runner:%")))).all()
    out = []
    for key, expires in rows:
        if expires is None or expires < now - RECENT_DAEMONS:
            continue
        out.append({"daemon": key.split(":", 1)[1], "alive": expires >= now, "heartbeat_until": expires})
    return sorted(out, key=lambda d: (not d["alive"], d["daemon"]))


def _last_backup(conn) -> dict | None:
    row = conn.execute(select(events.c.at, events.c.actor, events.c.detail)
                       .where(events.c.kind == EventKind.BACKUP_TAKEN.value)
                       .order_by(events.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    return {"at": row.at, "by": row.actor, "file": (row.detail or {}).get("file")}


def _next_series(app) -> list[dict]:
    if not app.config.series:
        return []
    from publisher.series.runner import SeriesRunner

    return [{"series": r["series"], "next_occurrence": r["next_occurrence"],
             "last": r["last"]["status"] if r["last"] else None} for r in SeriesRunner(app).overview()]


def _shown_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _database_size(app) -> int | None:
    url = make_url(app.config.database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.is_file()) if url.database else None
    with reading(app.store.engine) as conn:
        return conn.execute(text("SELECT pg_database_size(current_database())")).scalar()

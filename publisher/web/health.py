"""``GET /healthz`` and ``GET /metrics`` (Prometheus text) for the machine room's monitoring."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import and_, func, select, text

from publisher.db.engine import reading
from publisher.db.schema import channel_state, deliveries, items
from publisher.series.claims import CHANNEL as RUNNERS
from publisher.delivery.corrections import out_somewhere
from publisher.ledger.item_status import ItemStatus
from publisher.ledger.lifecycle import DeliveryStatus
from publisher.ledger.review_state import ReviewState
from publisher.web.console import console_of

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz(request: Request):
    app = console_of(request).app
    out = {"database": "ok", "daemon": "none seen", "daemons_alive": 0, "daemon_heartbeat_expires": None}
    now = app.clock.now()
    try:
        with reading(app.store.engine) as conn:
            conn.execute(text("SELECT 1"))
            beats = conn.execute(select(channel_state.c.expires_at).where(and_(  # every daemon beats each poll
                channel_state.c.channel == RUNNERS, channel_state.c.key.like("runner:%")))).scalars().all()
    except Exception as exc:  # the answer is the point: say what is wrong, with 503
        return JSONResponse({"database": f"unreachable: {type(exc).__name__}", "daemon": "unknown"}, status_code=503)
    beats = [b for b in beats if b is not None]
    if beats:
        alive = [b for b in beats if b > now]
        out.update(daemon="alive" if alive else "stale", daemons_alive=len(alive),
                   daemon_heartbeat_expires=max(beats).isoformat())
    return out


def _line(name: str, labels: dict[str, str], value: float) -> str:
    if not labels:
        return f"{name} {value:g}"
    inner = ",".join(f'{k}="{_esc(v)}"' for k, v in labels.items())
    return f"{name}{{{inner}}} {value:g}"


def _esc(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


@router.get("/metrics")
def metrics(request: Request):
    app = console_of(request).app
    now = app.clock.now()
    waiting = (DeliveryStatus.PENDING, DeliveryStatus.FAILED, DeliveryStatus.IN_DOUBT)
    due = and_(deliveries.c.status.in_(waiting), deliveries.c.next_attempt_at <= now,
               items.c.review_state == ReviewState.APPROVED, items.c.held.is_(False), items.c.status == ItemStatus.ACTIVE)
    with reading(app.store.engine) as conn:
        by_status = conn.execute(select(deliveries.c.channel, deliveries.c.status, func.count())
                                 .group_by(deliveries.c.channel, deliveries.c.status)).all()
        backlog = conn.execute(select(deliveries.c.channel, func.count(), func.min(deliveries.c.next_attempt_at))
                               .join(items, items.c.id == deliveries.c.item_id).where(due)
                               .group_by(deliveries.c.channel)).all()
        late_review = conn.execute(select(func.count()).select_from(items).where(and_(
            items.c.status == ItemStatus.ACTIVE, items.c.review_state != ReviewState.APPROVED,
            items.c.publish_at <= now, ~out_somewhere()))).scalar()
    paused = app.store.paused_channels()
    lines = ["# HELP publisher_deliveries Deliveries by channel and status.", "# TYPE publisher_deliveries gauge"]
    lines += [_line("publisher_deliveries", {"channel": c, "status": s}, n) for c, s, n in by_status]
    lines += ["# HELP publisher_due_backlog Deliveries due now and not yet made.", "# TYPE publisher_due_backlog gauge"]
    due_by = {c: (n, oldest) for c, n, oldest in backlog}
    for name in app.config.channels:
        n, oldest = due_by.get(name, (0, None))
        lines.append(_line("publisher_due_backlog", {"channel": name}, n))
    lines += ["# HELP publisher_lateness_seconds How long the oldest due delivery has waited.",
              "# TYPE publisher_lateness_seconds gauge"]
    for name in app.config.channels:
        n, oldest = due_by.get(name, (0, None))
        if oldest is not None and oldest.tzinfo is None:
            from datetime import timezone
            oldest = oldest.replace(tzinfo=timezone.utc)
        lines.append(_line("publisher_lateness_seconds", {"channel": name},
                           max(0.0, (now - oldest).total_seconds()) if oldest else 0))
    lines += ["# HELP publisher_channel_paused 1 while a channel is paused.", "# TYPE publisher_channel_paused gauge"]
    lines += [_line("publisher_channel_paused", {"channel": name}, 1 if name in paused else 0)
              for name in app.config.channels]
    lines += ["# HELP publisher_items_late_in_review Items whose time passed while still in review.",
              "# TYPE publisher_items_late_in_review gauge", _line("publisher_items_late_in_review", {}, late_review)]
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4; charset=utf-8")

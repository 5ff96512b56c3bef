"""Every publication the ledger holds for a year, one row per item and channel (the appendix, the chart)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select

from ..db import reading
from ..registers.tables import backfilled
from ..schema import deliveries, items
from ..tally import year_bounds


def publications(store, config, year: int) -> list[dict[str, Any]]:
    """Published (not retracted) deliveries of ``year`` in office time, oldest first, with ``counted`` and ``imported``."""
    start, end = year_bounds(year, config)
    query = (
        select(deliveries.c.item_id, deliveries.c.channel, deliveries.c.published_at, deliveries.c.external_url,
               items.c.title, items.c.category, backfilled.c.item_id.label("imported"))
        .join(items, items.c.id == deliveries.c.item_id)
        .outerjoin(backfilled, backfilled.c.item_id == items.c.id)
        .where(and_(deliveries.c.published_at >= start, deliveries.c.published_at < end,
                    deliveries.c.status == "published", items.c.office == config.office.code))
        .order_by(deliveries.c.published_at, deliveries.c.item_id, deliveries.c.channel)
    )
    out = []
    with reading(store.engine) as conn:
        for r in conn.execute(query):
            settings = config.channels.get(r.channel)
            out.append({
                "item_id": r.item_id, "title": r.title, "category": r.category, "channel": r.channel,
                "display_name": (settings.display_name if settings else None) or r.channel,
                "counted": bool(settings and settings.count_in_report),
                "published_at": r.published_at.astimezone(config.tz), "url": r.external_url or "",
                "imported": r.imported is not None,
            })
    return out


def per_month(rows: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Counted publications per channel (display name) per month, January first."""
    out: dict[str, list[int]] = {}
    for r in rows:
        if r["counted"]:
            out.setdefault(r["display_name"], [0] * 12)[r["published_at"].month - 1] += 1
    return out

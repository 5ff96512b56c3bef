"""Count publications per channel and category for a year, in the office's time zone, from the ledger."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import and_, select

from .config import Config
from .schema import deliveries, items
from .store import Store
from .db import reading


def year_bounds(year: int, config: Config) -> tuple[datetime, datetime]:
    """The UTC instants where the office's local ``year`` starts and ends."""
    start = datetime(year, 1, 1, tzinfo=config.tz).astimezone(timezone.utc)
    end = datetime(year + 1, 1, 1, tzinfo=config.tz).astimezone(timezone.utc)
    return start, end


def tally(store: Store, config: Config, year: int, *, with_items: bool = False,
          office: str | None = None) -> dict[str, Any]:
    """Publications of one office (default: the configured ``office.code``) made in ``year`` (local time) per
    channel and category; retracted ones counted apart.

    ``publications`` adds up the channels counted in the report; ``distinct_items`` counts each item once.
    With ``with_items`` every number carries the ids of the items behind it.
    """
    start, end = year_bounds(year, config)
    query = (
        select(deliveries.c.channel, deliveries.c.status, deliveries.c.item_id, items.c.category)
        .join(items, items.c.id == deliveries.c.item_id)
        .where(and_(deliveries.c.published_at >= start, deliveries.c.published_at < end,
                    deliveries.c.status.in_(("published", "retracted")),
                    items.c.office == (office or config.office.code)))
        .order_by(deliveries.c.item_id)
    )
    counted: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    retracted: dict[str, list[int]] = defaultdict(list)
    with reading(store.engine) as conn:
        rows = conn.execute(query).all()  # one fetch: a year may hold a million rows
    for channel, status, item_id, category in rows:
        if status == "published":
            counted[channel][category].append(item_id)
        else:
            retracted[channel].append(item_id)

    names = list(config.channels) + sorted(set(counted) - set(config.channels))
    order = {c: i for i, c in enumerate(config.categories)}
    channels, in_report = [], set()
    publications = 0
    for name in names:
        settings = config.channels.get(name)
        if name not in counted and name not in retracted and (settings is None or not settings.enabled):
            continue  # a disabled channel that published nothing this year
        settings = config.channels.get(name)
        by_cat = counted.get(name, {})
        cats = sorted(by_cat, key=lambda c: (order.get(c, len(order)), c))
        entry: dict[str, Any] = {
            "channel": name,
            "display_name": (settings.display_name if settings else None) or name,
            "count_in_report": settings.count_in_report if settings else False,
            "total": sum(len(v) for v in by_cat.values()),
            "by_category": {c: len(by_cat[c]) for c in cats},
            "retracted": len(retracted.get(name, [])),
        }
        if settings is not None:
            entry["report_breakdown"] = settings.report_breakdown
        if with_items:
            entry["items"] = {c: by_cat[c] for c in cats}
            entry["retracted_items"] = retracted.get(name, [])
        if entry["count_in_report"]:
            publications += entry["total"]
            for ids in by_cat.values():
                in_report.update(ids)
        channels.append(entry)
    return {
        "year": year,
        "timezone": config.office.timezone,
        "channels": channels,
        "distinct_items": len(in_report),
        "publications": publications,
    }

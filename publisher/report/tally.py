"""Count publications per channel and category for a year, in the office's time zone, from the ledger.

The year's (and each month's) bounds are computed as UTC instants here; the database counts with
``published_at >= start AND published_at < end`` and ``GROUP BY``, so a million publications are never fetched
row by row (index ``ix_deliveries_ledger``, revision 0009).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, cast, func, or_, select, String

from publisher.db import sqlite_hints  # noqa: F401  (the INDEXED BY hints below)
from publisher.config.load import Config
from publisher.db.engine import reading
from publisher.db.schema import deliveries, items
from publisher.ledger.lifecycle import DeliveryStatus
from publisher.ledger.store import Store
from publisher.ledger.years import month_bounds, year_bounds

LEDGER_STATUSES = (DeliveryStatus.PUBLISHED.value, DeliveryStatus.RETRACTED.value)


def still_up(table, end: datetime):
    """A delivery that counts as published in the year ending at ``end``: published, or removed on the platform
    only after that year (an item published in 2019 and taken down in 2020 was published in 2019)."""
    return or_(table.c.status == DeliveryStatus.PUBLISHED,
               and_(table.c.status == DeliveryStatus.RETRACTED, table.c.removed_at >= end))


def _counted_status(end: datetime):
    """The status the year's report counts a delivery under (see :func:`still_up`)."""
    d = deliveries
    return case((and_(d.c.status == DeliveryStatus.RETRACTED, d.c.removed_at >= end),
                 DeliveryStatus.PUBLISHED.value), else_=d.c.status)
SQLITE_SORTER_THREADS = 2  # GROUP BY sorts; SQLite may use helper threads for it


@dataclass(frozen=True)
class LedgerGroup:
    """Deliveries of one channel, category and status (and month, when asked) published in the year."""

    channel: str
    category: str
    status: str
    count: int
    first_at: datetime | None = None  # with ``months``: the group's earliest publication (UTC)
    month: int | None = None  # with ``months``: 1..12 in office time
    item_ids: tuple[int, ...] | None = None  # with ``with_items``; unordered


def ledger_groups(conn: Connection, config: Config, year: int, office: str, *, months: bool = False,
                  with_items: bool = False) -> list[LedgerGroup]:
    """Published and retracted deliveries of ``office``'s items in local ``year``, counted by the database."""
    start, end = year_bounds(year, config)
    published_at = deliveries.c.published_at
    columns = [deliveries.c.channel, items.c.category, _counted_status(end).label("status")]
    if months:
        bounds = month_bounds(year, config)
        columns.append(case(*((published_at < b, m) for m, b in enumerate(bounds[1:12], start=1)), else_=12)
                       .label("month"))
    aggregates = [func.count().label("n")]
    if months:
        aggregates.append(func.min(published_at).label("first_at"))
    if with_items:
        aggregates.append(_id_list(conn).label("ids"))
    query = (
        select(*columns, *aggregates)
        .join(items, items.c.id == deliveries.c.item_id)
        .where(and_(published_at >= start, published_at < end, deliveries.c.status.in_(LEDGER_STATUSES),
                    items.c.office == office))
        .group_by(*columns)
        .with_hint(deliveries, "INDEXED BY ix_deliveries_ledger", "sqlite")
        .with_hint(items, "INDEXED BY ix_items_ledger", "sqlite")
    )
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA threads = {SQLITE_SORTER_THREADS}")
    out = []
    for row in conn.execute(query):
        ids = tuple(map(int, row.ids.split(","))) if with_items else None
        out.append(LedgerGroup(row.channel, row.category, row.status, row.n,
                               row.first_at if months else None, row.month if months else None, ids))
    return out


def _id_list(conn: Connection):
    """The group's item ids as one comma-separated string (the database builds it; Python splits it once)."""
    if conn.dialect.name == "postgresql":
        return func.string_agg(cast(deliveries.c.item_id, String), ",")
    return func.group_concat(deliveries.c.item_id)


def distinct_items(conn: Connection, config: Config, year: int, office: str, totals: dict[str, int]) -> int:
    """Items published on at least one of the channels of ``totals`` (channel → its publications) in local
    ``year``, each item once.

    A channel holds an item once (``uq_deliveries_item_channel``), so the largest channel counts in full; each
    further channel adds the items none of the channels before it published — no DISTINCT over every row.
    """
    start, end = year_bounds(year, config)
    ordered = sorted(totals, key=lambda c: (-totals[c], c))
    earlier = deliveries.alias("earlier")
    distinct = totals[ordered[0]]
    for k, channel in enumerate(ordered[1:], start=1):
        seen_before = (select(earlier.c.id).where(and_(
            earlier.c.item_id == deliveries.c.item_id, earlier.c.channel.in_(ordered[:k]),
            still_up(earlier, end), earlier.c.published_at >= start,
            earlier.c.published_at < end))
            .exists())
        query = (
            select(func.count())
            .select_from(deliveries.join(items, items.c.id == deliveries.c.item_id))
            .where(and_(deliveries.c.published_at >= start, deliveries.c.published_at < end,
                        still_up(deliveries, end), deliveries.c.channel == channel,
                        items.c.office == office, ~seen_before))
            .with_hint(deliveries, "INDEXED BY ix_deliveries_ledger", "sqlite")
            .with_hint(items, "INDEXED BY ix_items_ledger", "sqlite")
        )
        distinct += conn.execute(query).scalar_one()
    return distinct


def tally(store: Store, config: Config, year: int, *, with_items: bool = False,
          office: str | None = None) -> dict[str, Any]:
    """Publications of one office (default: the configured ``office.code``) made in ``year`` (local time) per
    channel and category; retracted ones counted apart.

    ``publications`` adds up the channels counted in the report; ``distinct_items`` counts each item once.
    With ``with_items`` every number carries the ids of the items behind it.
    """
    office = office or config.office.code
    with reading(store.engine) as conn:
        groups = ledger_groups(conn, config, year, office, with_items=with_items)
        result = tally_of(groups, config, year, with_items=with_items)
        if not with_items:
            counted = {ch["channel"]: ch["total"] for ch in result["channels"] if ch["count_in_report"] and ch["total"]}
            result["distinct_items"] = distinct_items(conn, config, year, office, counted) if counted else 0
    return result


def tally_of(groups: list[LedgerGroup], config: Config, year: int, *, with_items: bool = False) -> dict[str, Any]:
    """The tally from the ledger's groups (months, if any, added up); ``distinct_items`` needs ``with_items``."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    retracted_n: dict[str, int] = defaultdict(int)
    counted: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    retracted: dict[str, list[int]] = defaultdict(list)
    for g in groups:
        if g.status == DeliveryStatus.PUBLISHED:
            totals[g.channel][g.category] += g.count
            if with_items:
                counted[g.channel][g.category].extend(g.item_ids)
        else:
            retracted_n[g.channel] += g.count
            if with_items:
                retracted[g.channel].extend(g.item_ids)

    names = list(config.channels) + sorted((set(totals) | set(retracted_n)) - set(config.channels))
    order = {c: i for i, c in enumerate(config.categories)}
    channels, in_report = [], set()
    publications = 0
    for name in names:
        settings = config.channels.get(name)
        if name not in totals and name not in retracted_n and (settings is None or not settings.enabled):
            continue  # a disabled channel that published nothing this year
        by_cat = totals.get(name, {})
        cats = sorted(by_cat, key=lambda c: (order.get(c, len(order)), c))
        entry: dict[str, Any] = {
            "channel": name,
            "display_name": (settings.display_name if settings else None) or name,
            "count_in_report": settings.count_in_report if settings else False,
            "total": sum(by_cat.values()),
            "by_category": {c: by_cat[c] for c in cats},
            "retracted": retracted_n.get(name, 0),
        }
        if settings is not None:
            entry["report_breakdown"] = settings.report_breakdown
        if with_items:
            entry["items"] = {c: sorted(counted[name][c]) for c in cats}
            entry["retracted_items"] = sorted(retracted.get(name, []))
        if entry["count_in_report"]:
            publications += entry["total"]
            if with_items:
                for ids in counted[name].values():
                    in_report.update(ids)
        channels.append(entry)
    return {
        "year": year,
        "timezone": config.office.timezone,
        "channels": channels,
        "distinct_items": len(in_report),
        "publications": publications,
    }


def per_month(groups: list[LedgerGroup], config: Config) -> dict[str, list[int]]:
    """Published deliveries per channel per local month (January first), for every channel that published.

    Channels come in the order of their first publication of the year (then by name), as a row-by-row walk
    through the year would meet them. ``groups`` must come from ``ledger_groups(..., months=True)``.
    """
    first: dict[str, tuple[datetime, str]] = {}
    counts: dict[str, list[int]] = {}
    for g in groups:
        if g.status != DeliveryStatus.PUBLISHED:
            continue
        counts.setdefault(g.channel, [0] * 12)[g.month - 1] += g.count
        first[g.channel] = min(first.get(g.channel, (g.first_at, g.channel)), (g.first_at, g.channel))
    return {name: counts[name] for name in sorted(counts, key=lambda n: first[n])}

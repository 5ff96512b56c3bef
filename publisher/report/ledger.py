"""What the report reads from the ledger for a year: per-month counts, publication times, and (for the appendix)
every publication, one row per item and channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator

from sqlalchemy import and_, func, select

from publisher.db import sqlite_hints  # noqa: F401  (the INDEXED BY hints below)
from publisher.db.engine import reading
from publisher.report.registers.tables import backfilled
from publisher.db.schema import deliveries, items
from publisher.ledger.years import year_bounds
from publisher.report.tally import LedgerGroup, per_month as per_channel_month, still_up


def _hinted(query):
    """``query`` naming the ledger's covering indexes for SQLite (revision 0009)."""
    return (query.with_hint(deliveries, "INDEXED BY ix_deliveries_ledger", "sqlite")
            .with_hint(items, "INDEXED BY ix_items_ledger", "sqlite"))


def _published_in(config, year: int):
    """The WHERE of the report's ledger: published (not retracted) in local ``year``, of the configured office."""
    start, end = year_bounds(year, config)
    return and_(deliveries.c.published_at >= start, deliveries.c.published_at < end,
                still_up(deliveries, end), items.c.office == config.office.code)


def publications(store, config, year: int) -> list[dict[str, Any]]:
    """Published (not retracted) deliveries of ``year`` in office time, oldest first, with ``counted`` and ``imported``."""
    return list(iter_publications(store, config, year))


def iter_publications(store, config, year: int) -> Iterator[dict[str, Any]]:
    """:func:`publications` one row at a time, read from a streaming cursor: a year of a million publications is
    never held in memory (``report --format json`` writes them as they come)."""
    query = (
        select(deliveries.c.item_id, deliveries.c.channel, deliveries.c.published_at, deliveries.c.external_url,
               items.c.title, items.c.category, backfilled.c.item_id.label("imported"))
        .join(items, items.c.id == deliveries.c.item_id)
        .outerjoin(backfilled, backfilled.c.item_id == items.c.id)
        .where(_published_in(config, year))
        .order_by(deliveries.c.published_at, deliveries.c.item_id, deliveries.c.channel)
    )
    return _rows(store, config, query)


def _rows(store, config, query) -> Iterator[dict[str, Any]]:
    with reading(store.engine) as conn:
        for r in conn.execution_options(stream_results=True, yield_per=1000).execute(query):
            settings = config.channels.get(r.channel)
            yield {
                "item_id": r.item_id, "title": r.title, "category": r.category, "channel": r.channel,
                "display_name": (settings.display_name if settings else None) or r.channel,
                "counted": bool(settings and settings.count_in_report),
                "published_at": r.published_at.astimezone(config.tz), "url": r.external_url or "",
                "imported": r.imported is not None,
            }


def counted_publications(store, config, year: int) -> int:
    """How many rows the appendix lists: publications of ``year`` on channels counted in the report."""
    counted = [name for name, ch in config.channels.items() if ch.count_in_report]
    query = _hinted(select(func.count()).select_from(deliveries.join(items, items.c.id == deliveries.c.item_id))
                    .where(and_(_published_in(config, year), deliveries.c.channel.in_(counted))))
    with reading(store.engine) as conn:
        return conn.execute(query).scalar_one()


def publication_times(store, config, year: int, *, channel: str | None = None,
                      category: str | None = None) -> list[datetime]:
    """When each publication of ``year`` on ``channel`` (or in ``category``) was made, oldest first (UTC)."""
    where = _published_in(config, year)
    if channel is not None:
        where = and_(where, deliveries.c.channel == channel)
    if category is not None:
        where = and_(where, items.c.category == category)
    query = _hinted(select(deliveries.c.published_at).join(items, items.c.id == deliveries.c.item_id).where(where)
                    .order_by(deliveries.c.published_at))
    with reading(store.engine) as conn:
        return list(conn.execute(query).scalars())


def per_month(groups: list[LedgerGroup], config) -> dict[str, list[int]]:
    """Counted publications per channel (display name) per month, January first, from ``ledger_groups(months=True)``."""
    out: dict[str, list[int]] = {}
    for name, months in per_channel_month(groups, config).items():
        settings = config.channels.get(name)
        if settings and settings.count_in_report:
            shown = out.setdefault(settings.display_name or name, [0] * 12)
            for m, n in enumerate(months):
                shown[m] += n
    return out


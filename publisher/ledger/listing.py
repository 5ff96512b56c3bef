"""The queue listing: filters, paging and a total — the one query behind the console, the API and ``queue list``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, select, text

from publisher.db.engine import reading
from publisher.errors import InputError
from publisher.db.schema import deliveries, items
from publisher.ledger import search
from publisher.ledger.item_status import ItemStatus
from publisher.ledger.review_state import ReviewState
from publisher.ledger.store import DELIVERY_STATUSES
from publisher.foundation.i18n import _

PER_PAGE_MAX = 500
REVIEW_STATES = tuple(s.value for s in ReviewState)


@dataclass
class Filters:
    """What a listing is narrowed to; every field optional."""

    office: str | None = None
    status: str | None = None  # a delivery status, or a review state, or "retracted"
    channel: str | None = None
    category: str | None = None
    q: str | None = None  # text in the title, body, 文号 or 索引号 (or the item's id): publisher.ledger.search
    abbreviations: dict[str, tuple[str, ...]] | None = None  # 简称 → 全称 for q (None: the built-in table)
    in_order: bool = False  # q matched character by character in titles (set when the plain search found nothing)
    since: date | None = None  # publish date, office-local, inclusive
    until: date | None = None


def validate(filters: Filters) -> Filters:
    """InputError naming the field for a value no listing can match."""
    if filters.status and filters.status not in DELIVERY_STATUSES + REVIEW_STATES:
        raise InputError(_("unknown status {status!r} (one of {names})").format(
                             status=filters.status, names=', '.join(DELIVERY_STATUSES + REVIEW_STATES)),
                         field="status")
    if filters.q is not None and len(filters.q) > 200:
        raise InputError(_("at most 200 characters"), field="q")
    if filters.since and filters.until and filters.since > filters.until:
        raise InputError(_("the start date is after the end date"), field="since")
    return filters


def parse_date(text: str | None, field: str) -> date | None:
    """A YYYY-MM-DD date from a form or query string (empty: none)."""
    if text is None or not str(text).strip():
        return None
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise InputError(_("{text!r} is not a date (YYYY-MM-DD)").format(text=text), field=field) from None


def _has_delivery(condition) -> Any:
    # EXISTS over the (item_id, channel) index: planners pick it even before statistics exist
    return exists().where(and_(deliveries.c.item_id == items.c.id, condition))


def _conditions(filters: Filters, tz: ZoneInfo, dialect: str = "sqlite") -> list[Any]:
    out: list[Any] = []
    if filters.office is not None:
        out.append(items.c.office == filters.office)
    if filters.status in REVIEW_STATES:
        out.append(and_(items.c.review_state == filters.status, items.c.status == ItemStatus.ACTIVE))
    elif filters.status:
        out.append(_has_delivery(deliveries.c.status == filters.status))
    if filters.channel:
        out.append(_has_delivery(deliveries.c.channel == filters.channel))
    if filters.category:
        out.append(items.c.category == filters.category)
    if filters.q and filters.q.strip():
        text = filters.q.strip()
        table = search.BUILTIN if filters.abbreviations is None else filters.abbreviations
        out.append(search.in_order(text) if filters.in_order else search.matching(text, table, dialect))
    if filters.since:
        out.append(items.c.publish_at >= datetime.combine(filters.since, time(), tz).astimezone(timezone.utc))
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time(), tz).astimezone(timezone.utc)
        out.append(items.c.publish_at < end)
    return out


def list_items(engine, tz: ZoneInfo, filters: Filters, *, page: int = 1, per_page: int = 50,
               order: str = "newest") -> dict[str, Any]:
    """One page of items with their deliveries, and the total that matched (never a silent cap).

    Returns ``{"items": [...], "total", "page", "per_page", "pages"}``; each item has id, title, category,
    status, review_state, office, publish_at and ``deliveries: [{"channel", "status"}]``.
    """
    validate(filters)
    if page < 1:
        raise InputError(_("pages start at 1"), field="page")
    if not 1 <= per_page <= PER_PAGE_MAX:
        raise InputError(_("between 1 and {per_page_max}").format(per_page_max=PER_PAGE_MAX), field="per_page")
    where = _conditions(filters, tz, engine.dialect.name)
    columns = (items.c.id, items.c.title, items.c.category, items.c.status, items.c.review_state, items.c.office,
               items.c.publish_at, items.c.department, items.c.written_on, items.c.first_published_at)
    query = select(*columns)
    count = select(func.count()).select_from(items)
    if where:
        query, count = query.where(and_(*where)), count.where(and_(*where))
    scan = bool(filters.q and filters.q.strip()) and engine.dialect.name == "sqlite" and search.scans(
        filters.q.strip(), search.BUILTIN if filters.abbreviations is None else filters.abbreviations, filters.in_order)
    if order == "schedule":
        query = query.order_by(items.c.publish_at, items.c.id)
    elif scan:  # titles one by one: from ix_items_titles (search_index), not whole rows in id order; "+" says so
        query = query.order_by(text("+items.id DESC"))
    else:
        query = query.order_by(items.c.id.desc())
    query = query.limit(per_page).offset((page - 1) * per_page)
    with reading(engine) as conn:
        total = conn.execute(count).scalar() or 0
        retry = not total and bool(filters.q and filters.q.strip()) and not filters.in_order
        rows = [] if retry else [dict(r._mapping) for r in conn.execute(query)]
        per: dict[int, list[dict]] = {r["id"]: [] for r in rows}
        if per:
            for d in conn.execute(select(deliveries.c.item_id, deliveries.c.channel, deliveries.c.status)
                                  .where(deliveries.c.item_id.in_(list(per))).order_by(deliveries.c.id)):
                per[d.item_id].append({"channel": d.channel, "status": d.status})
    if retry:  # nothing as typed: the query's characters in order
        return list_items(engine, tz, replace(filters, in_order=True), page=page, per_page=per_page, order=order)
    for r in rows:
        r["deliveries"] = per[r["id"]]
    return {"items": rows, "total": total, "page": page, "per_page": per_page,
            "pages": max(1, -(-total // per_page)), "in_order": filters.in_order}


def month_schedule(engine, tz: ZoneInfo, office: str | None, year: int, month: int) -> dict[int, list[dict]]:
    """Active items scheduled in a local month, by day of month (for the calendar; the first 500 by time —
    :func:`month_total` says how many there are)."""
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    found = list_items(engine, tz, Filters(office=office, since=start, until=end), per_page=PER_PAGE_MAX,
                       order="schedule")
    days: dict[int, list[dict]] = {}
    for row in found["items"]:
        if row["status"] != ItemStatus.ACTIVE:
            continue
        days.setdefault(row["publish_at"].astimezone(tz).day, []).append(row)
    return days


def month_total(engine, tz: ZoneInfo, office: str | None, year: int, month: int) -> int:
    """How many items (any state) are scheduled in a local month."""
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return list_items(engine, tz, Filters(office=office, since=start, until=end), per_page=1)["total"]

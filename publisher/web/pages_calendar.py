"""The publishing calendar: a month or a week of scheduled items; a click on a day composes an item for it, and an
item dragged to another day is rescheduled through the same rule as any time change (``items.editing.reschedule``:
an approval already given goes back)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from fastapi import APIRouter, Request

from publisher.errors import InputError
from publisher.foundation.i18n import _
from publisher.ledger.item_status import ItemStatus
from publisher.ledger.listing import PER_PAGE_MAX, Filters, list_items, month_total
from publisher.web.console import console_of
from publisher.web.pages import _actor, _page

router = APIRouter(include_in_schema=False)
WEEKDAYS = "一二三四五六日"
DAY_SHOWN = 6  # items listed in a month's day cell; the rest behind a link


def _month(text: str, today: date) -> date:
    try:
        year, mon = (int(p) for p in text.split("-")) if text else (today.year, today.month)
        return date(year, mon, 1)
    except ValueError:
        raise InputError(_("{month!r} is not a month (YYYY-MM)").format(month=text), field="month") from None


def _day(text: str, today: date) -> date:
    try:
        return date.fromisoformat(text) if text else today
    except ValueError:
        raise InputError(_("{text!r} is not a date (YYYY-MM-DD)").format(text=text), field="day") from None


def schedule(app, office: str, start: date, end: date) -> tuple[dict[date, list[dict]], int]:
    """Active items scheduled from ``start`` to ``end`` (office-local dates), by day; and how many there are in
    all (the first 500 by time are listed)."""
    found = list_items(app.store.engine, app.config.tz, Filters(office=office, since=start, until=end),
                       per_page=PER_PAGE_MAX, order="schedule")
    days: dict[date, list[dict]] = {}
    for row in found["items"]:
        if row["status"] == ItemStatus.ACTIVE:
            days.setdefault(row["publish_at"].astimezone(app.config.tz).date(), []).append(row)
    return days, found["total"]


@router.get("/calendar")
def calendar_page(request: Request, month: str = "", view: str = "month", day: str = ""):
    actor = _actor(request)
    app = console_of(request).app
    today = app.clock.now().astimezone(app.config.tz).date()
    movable = bool(actor.role)  # the server decides whether a move is allowed (reschedule's rules)
    if view == "week":
        start = _day(day, today)
        start -= timedelta(days=start.weekday())
        weeks = [[start + timedelta(days=n) for n in range(7)]]
        days, total = schedule(app, actor.office, start, start + timedelta(days=6))
        return _page(request, "calendar.html", actor, view="week", weeks=weeks, days=days, today=today,
                     total=total, capped=total > PER_PAGE_MAX, first=start, weekdays=WEEKDAYS, shown=PER_PAGE_MAX,
                     prev=f"{start - timedelta(days=7)}", next=f"{start + timedelta(days=7)}", movable=movable)
    first = _month(month, today)
    weeks = [[d if d.month == first.month else None for d in week]
             for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)]
    last = date(first.year + (first.month == 12), first.month % 12 + 1, 1) - timedelta(days=1)
    days, _count = schedule(app, actor.office, first, last)
    total = month_total(app.store.engine, app.config.tz, actor.office, first.year, first.month)
    prev, nxt = first - timedelta(days=1), last + timedelta(days=1)
    return _page(request, "calendar.html", actor, view="month", weeks=weeks, days=days, today=today, total=total,
                 capped=total > PER_PAGE_MAX, first=first, last=last, weekdays=WEEKDAYS, shown=DAY_SHOWN,
                 prev=f"{prev:%Y-%m}", next=f"{nxt:%Y-%m}", movable=movable)

"""Working days as China counts them: public holidays off, make-up weekend days on (chinese-calendar)."""

from __future__ import annotations

from datetime import date, timedelta

ANSWER_DAYS = 20     # Art. 33: answer within 20 working days of receipt
EXTENSION_DAYS = 20  # … extendable once by at most 20 more


def is_workday(day: date) -> bool:
    """True on a working day; outside the years the calendar knows, Monday to Friday."""
    import chinese_calendar

    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_workdays(start: date, count: int) -> date:
    """The ``count``-th working day after ``start`` (the day of receipt itself is not counted)."""
    day = start
    while count > 0:
        day += timedelta(days=1)
        if is_workday(day):
            count -= 1
    return day


def workdays_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative when ``end`` is earlier)."""
    if end < start:
        return -workdays_between(end, start)
    return sum(1 for n in range(1, (end - start).days + 1) if is_workday(start + timedelta(days=n)))


def answer_due(received: date, extended: bool) -> date:
    """The last day to answer an application received on ``received``."""
    return add_workdays(received, ANSWER_DAYS + (EXTENSION_DAYS if extended else 0))

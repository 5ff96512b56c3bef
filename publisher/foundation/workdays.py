"""Working days as China counts them: public holidays off, make-up weekend days on.

The arrangement comes from chinese-calendar for the years it knows, and from the office's holidays file
(config ``registers.holidays_file``) for the years it does not know yet: the State Council publishes each year's
arrangement in November. A day in a year neither knows is counted Monday to Friday, and a deadline that crosses
such a year is marked :data:`UNKNOWN_MARK` wherever it is shown (:func:`known_through`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

ANSWER_DAYS = 20     # Art. 33: answer within 20 working days of receipt
EXTENSION_DAYS = 20  # … extendable once by at most 20 more
UNKNOWN_MARK = "节假日安排未知"


@dataclass
class HolidayFile:
    """The office's own arrangements: per year, the days off and the make-up working days."""

    off: set[date] = field(default_factory=set)
    on: set[date] = field(default_factory=set)
    years: set[int] = field(default_factory=set)


_OFFICE = HolidayFile()


def read_holidays(path: Path) -> HolidayFile:
    """Parse a holidays file (YAML: ``2027: {holidays: [2027-01-01, 2027-02-05..2027-02-11], workdays: [...]}``);
    ValueError naming the year and the entry that is wrong."""
    import yaml

    try:  # every scalar as text, so a wrong date is named as written
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"not YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ValueError("the file must map years to {holidays: [...], workdays: [...]}")
    out = HolidayFile()
    for key, entry in raw.items():
        year = int(key) if str(key).isdigit() else None
        if year is None or not isinstance(entry, dict) or set(entry) - {"holidays", "workdays"}:
            raise ValueError(f"{key}: give holidays: [...] and workdays: [...]")
        out.years.add(year)
        for key, days in (("holidays", out.off), ("workdays", out.on)):
            for text in entry.get(key) or []:
                days.update(_days(year, key, text))
    return out


def _days(year: int, key: str, text) -> list[date]:
    """One entry: a date or ``FIRST..LAST`` (both inside ``year``)."""
    try:
        first, _, last = str(text).partition("..")
        start, end = date.fromisoformat(first.strip()), date.fromisoformat((last or first).strip())
    except ValueError:
        raise ValueError(f"{year}.{key}: {text!r} is not a date or FIRST..LAST (YYYY-MM-DD)") from None
    if start.year != year or end.year != year or end < start:
        raise ValueError(f"{year}.{key}: {text!r} is not inside {year}")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def use_holidays(holidays: HolidayFile | None) -> None:
    """Count with the office's arrangements (None: the package's data only); forgets the cached calendars."""
    global _OFFICE
    _OFFICE = holidays or HolidayFile()
    for cached in (year_known, _year_days, _year_prefix, _due):
        cached.cache_clear()


@lru_cache(maxsize=None)
def year_known(year: int) -> bool:
    """True when the holiday arrangement of ``year`` is known (the package's data or the office's file)."""
    import chinese_calendar

    if year in _OFFICE.years:
        return True
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


@lru_cache(maxsize=64)
def _year_days(year: int) -> tuple[bool, ...]:
    """Whether each day of ``year`` (1 January first) is a working day: worked out once per year."""
    import chinese_calendar

    first = date(year, 1, 1)
    days = [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]
    if year in _OFFICE.years:
        return tuple(d in _OFFICE.on or (d.weekday() < 5 and d not in _OFFICE.off) for d in days)
    if year_known(year):
        return tuple(chinese_calendar.is_workday(d) for d in days)
    return tuple(d.weekday() < 5 for d in days)


@lru_cache(maxsize=64)
def _year_prefix(year: int) -> tuple[int, ...]:
    """Working days of ``year`` from 1 January up to and including each day."""
    return tuple(accumulate(_year_days(year)))


def is_workday(day: date) -> bool:
    """True on a working day; the office's file first, then chinese-calendar, then Monday to Friday."""
    return _year_days(day.year)[day.timetuple().tm_yday - 1]


def missing_arrangement(today: date) -> int | None:
    """The year whose holiday arrangement is needed and unknown: this one, or from 1 December the next; else None."""
    for year in (today.year, today.year + 1) if today.month == 12 else (today.year,):
        if not year_known(year):
            return year
    return None


def known_through(start: date, end: date) -> bool:
    """True when every year from ``start`` to ``end`` has a known arrangement (else mark with UNKNOWN_MARK)."""
    return all(year_known(y) for y in range(min(start, end).year, max(start, end).year + 1))


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
    whole_years = sum(_year_prefix(y)[-1] for y in range(start.year, end.year))
    return (whole_years + _year_prefix(end.year)[end.timetuple().tm_yday - 1]
            - _year_prefix(start.year)[start.timetuple().tm_yday - 1])


RESTART, STOP = "restart", "stop"  # how a pause stops the clock (see answer_due)


def answer_due(received: date, extended: bool, pauses=()) -> date | None:
    """The last day to answer an application received on ``received``; None while a pause is still open.

    ``pauses`` are (how, first day, last day or None): ``RESTART`` (补正, Art. 30: the period counts anew from the
    day the corrected application arrived, ``last``), ``STOP`` (third-party opinions, Art. 32; a fee notice until
    payment: the working days from ``first`` to ``last`` do not count). Worked out once per set of dates (the
    register's list and the report ask for the same deadlines again and again).
    """
    return _due(received, bool(extended), tuple(sorted(pauses, key=lambda p: p[1])))


@lru_cache(maxsize=65536)
def _due(received: date, extended: bool, pauses: tuple) -> date | None:
    start, skipped = received, 0
    for how, first, last in pauses:
        if last is None:
            return None
        if how == RESTART:
            start, skipped = max(start, last), 0
        else:
            skipped += workdays_between(first - timedelta(days=1), last)
    return add_workdays(start, ANSWER_DAYS + (EXTENSION_DAYS if extended else 0) + skipped)


def cache_info() -> dict[str, object]:
    """How the cached calendars and deadlines are used (for the benchmark)."""
    return {"years": _year_days.cache_info(), "deadlines": _due.cache_info()}

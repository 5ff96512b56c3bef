"""Cron schedules in the office's time zone: occurrences, catch-up after downtime, occurrence keys.

A small cron evaluator of our own instead of APScheduler 3.x's CronTrigger, which (3.11) fires a 01:30 job
twice on the fall-back day, then returns the same time forever, and reads weekday 0 as Monday.

Semantics (standard 5-field cron: minute hour day-of-month month day-of-week):
- ``*``, ``a``, ``a-b``, ``*/n``, ``a-b/n``, ``a/n`` and comma lists; month and weekday names (jan, mon);
  weekday 0 and 7 are Sunday; ``@hourly @daily @weekly @monthly @yearly`` shortcuts.
- When both day-of-month and day-of-week are restricted, a day matches if either matches (as in cron).
- ``L`` (or ``last``) in day-of-month is the last day of each month. ``0 9 31 * *`` fires only in months
  that have a 31st (plain cron semantics); use ``0 9 L * *`` for "every month's last day". A series'
  configuration refuses such a schedule (see :func:`months_without_the_day`) unless its months all have the day.
- DST: a local time that does not exist (spring forward) fires once, shifted forward by the gap
  (02:30 -> 03:30); a local time that occurs twice (fall back) fires once, at its first instance.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Literal

from publisher.foundation.i18n import _

UTC = timezone.utc

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_WEEKDAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
_MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_LAST = 99  # marker for "last day of the month" in the day-of-month set
_SEARCH_DAYS = 366 * 9  # Feb 29 can be 8 years away (2096 -> 2104)


class CronError(ValueError):
    """A cron expression that does not parse; the message names the field."""


@dataclass(frozen=True)
class Cron:
    """A parsed cron expression."""

    expr: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    day_restricted: bool
    weekday_restricted: bool
    _times: tuple[time, ...] = field(default=(), compare=False, repr=False)

    def matches_day(self, day: date) -> bool:
        """Whether the schedule fires on this local date (at some time)."""
        if day.month not in self.months:
            return False
        in_days = day.day in self.days or (
            _LAST in self.days and day.day == calendar.monthrange(day.year, day.month)[1]
        )
        in_weekdays = (day.isoweekday() % 7) in self.weekdays
        if self.day_restricted and self.weekday_restricted:
            return in_days or in_weekdays
        return in_days and in_weekdays

    def times(self) -> tuple[time, ...]:
        """The local wall-clock times of day at which it fires, sorted."""
        return self._times


def _parse_field(text: str, name: str, lo: int, hi: int, names: dict[str, int] | None = None,
                 allow_last: bool = False) -> tuple[set[int], bool]:
    """Parse one cron field into its set of values and whether it is restricted (not ``*``)."""
    values: set[int] = set()
    restricted = not text.startswith("*")

    def number(token: str) -> int:
        key = token.lower()
        if names and key in names:
            return names[key]
        if not token.isdecimal():
            raise CronError(_("{name}: {token!r} is not a number").format(name=name, token=token))
        value = int(token)
        if not lo <= value <= hi:
            raise CronError(_("{name}: {value} is out of range {lo}-{hi}").format(
                                name=name, value=value, lo=lo, hi=hi))
        return value

    for part in text.split(","):
        if not part:
            raise CronError(_("{name}: empty list element in {text!r}").format(name=name, text=text))
        if allow_last and part.lower() in ("l", "last"):
            values.add(_LAST)
            continue
        base, _slash, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdecimal() or int(step_text) == 0:
                raise CronError(_("{name}: bad step {step_text!r} in {part!r}").format(
                                    name=name, step_text=step_text, part=part))
            step = int(step_text)
        if base == "*":
            start, end = lo, hi
        elif "-" in base:
            a, _dash, b = base.partition("-")
            start, end = number(a), number(b)
            if start > end:
                raise CronError(_("{name}: range {base!r} runs backwards").format(name=name, base=base))
        else:
            start = number(base)
            end = hi if step_text else start
        values.update(range(start, end + 1, step))
    return values, restricted


@lru_cache(maxsize=256)
def parse_cron(expr: str) -> Cron:
    """Parse a 5-field cron expression (or a ``@daily``-style shortcut); raise :class:`CronError`."""
    text = " ".join(expr.split())
    text = _MACROS.get(text.lower(), text)
    fields = text.split(" ")
    if len(fields) != 5:
        raise CronError(_("expected 5 fields (minute hour day-of-month month day-of-week), got {count}: "
                          "{expr!r}").format(
                            count=len(fields), expr=expr))
    minutes, _any_minute = _parse_field(fields[0], "minute", 0, 59)
    hours, _any_hour = _parse_field(fields[1], "hour", 0, 23)
    days, day_r = _parse_field(fields[2], "day-of-month", 1, 31, allow_last=True)
    months, _any_month = _parse_field(fields[3], "month", 1, 12, _MONTHS)
    weekdays, wd_r = _parse_field(fields[4], "day-of-week", 0, 7, _WEEKDAYS)
    if 7 in weekdays:
        weekdays = (weekdays - {7}) | {0}
    times = tuple(time(h, m) for h in sorted(hours) for m in sorted(minutes))
    cron = Cron(text, tuple(sorted(minutes)), tuple(sorted(hours)), frozenset(days), frozenset(months),
                frozenset(weekdays), day_r, wd_r, times)
    if not any(cron.matches_day(date(2000, 1, 1) + timedelta(days=i)) for i in range(366 * 8 + 2)):
        raise CronError(_("{expr!r} never fires (no such day)").format(expr=expr))
    return cron


_SHORTEST_MONTH = {2: 28, 4: 30, 6: 30, 9: 30, 11: 30}


def months_without_the_day(cron: str | Cron) -> list[int]:
    """The scheduled months in which a day-of-month-only schedule does not fire in every year (``31`` skips
    Feb, Apr, Jun, Sep, Nov; ``29`` skips Feb in three years of four). Empty with ``L`` or a weekday."""
    cron = _as_cron(cron)
    if not cron.day_restricted or cron.weekday_restricted or _LAST in cron.days:
        return []
    return [m for m in sorted(cron.months) if not any(d <= _SHORTEST_MONTH.get(m, 31) for d in cron.days)]


def _as_cron(cron: str | Cron) -> Cron:
    return cron if isinstance(cron, Cron) else parse_cron(cron)


def local_to_utc(wall: datetime, tz: tzinfo) -> datetime:
    """A naive local wall-clock time as an aware UTC instant.

    A time in the spring-forward gap lands after the gap (02:30 -> 03:30 local); a time that occurs twice
    in the fall-back hour is its first instance (``fold=0``).
    """
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def _day_occurrences(cron: Cron, day: date, tz: tzinfo) -> list[datetime]:
    if not cron.matches_day(day):
        return []
    return [local_to_utc(datetime.combine(day, t), tz) for t in cron.times()]


def _require_aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(_("{name} must be an aware datetime").format(name=name))
    return value.astimezone(UTC)


def occurrences_between(cron: str | Cron, tz: tzinfo, start_utc: datetime, end_utc: datetime) -> list[datetime]:
    """Every firing after ``start_utc`` up to and including ``end_utc``, as sorted aware UTC datetimes."""
    cron = _as_cron(cron)
    start_utc = _require_aware(start_utc, "start_utc")
    end_utc = _require_aware(end_utc, "end_utc")
    if end_utc <= start_utc:
        return []
    day = start_utc.astimezone(tz).date() - timedelta(days=1)
    last_day = end_utc.astimezone(tz).date() + timedelta(days=1)
    found: set[datetime] = set()
    while day <= last_day:
        found.update(t for t in _day_occurrences(cron, day, tz) if start_utc < t <= end_utc)
        day += timedelta(days=1)
    return sorted(found)


def next_occurrence(cron: str | Cron, tz: tzinfo, after_utc: datetime) -> datetime:
    """The first firing strictly after ``after_utc`` (aware UTC)."""
    cron = _as_cron(cron)
    after_utc = _require_aware(after_utc, "after_utc")
    day = after_utc.astimezone(tz).date() - timedelta(days=1)
    for _day in range(_SEARCH_DAYS):
        later = [t for t in _day_occurrences(cron, day, tz) if t > after_utc]
        if later:
            return min(later)
        day += timedelta(days=1)
    raise CronError(_("{expr!r} does not fire within {search_days} days").format(
                        expr=cron.expr, search_days=_SEARCH_DAYS))


def previous_occurrence(cron: str | Cron, tz: tzinfo, at_or_before_utc: datetime) -> datetime | None:
    """The last firing at or before ``at_or_before_utc``, or None within the search window."""
    cron = _as_cron(cron)
    limit = _require_aware(at_or_before_utc, "at_or_before_utc")
    day = limit.astimezone(tz).date() + timedelta(days=1)
    for _day in range(_SEARCH_DAYS):
        earlier = [t for t in _day_occurrences(cron, day, tz) if t <= limit]
        if earlier:
            return max(earlier)
        day -= timedelta(days=1)
    return None


def occurrences_on(cron: str | Cron, tz: tzinfo, local_date: date) -> list[datetime]:
    """The firings whose local date is ``local_date`` (aware UTC), e.g. for ``series run --date D``."""
    cron = _as_cron(cron)
    return sorted({t for t in _day_occurrences(cron, local_date, tz) if t.astimezone(tz).date() == local_date})


def manual_occurrence(cron: str | Cron, tz: tzinfo, local_date: date) -> datetime:
    """The occurrence ``series run --date D`` stands for: the day's first firing, else local midnight."""
    found = occurrences_on(cron, tz, local_date)
    return found[0] if found else local_to_utc(datetime.combine(local_date, time()), tz)


def occurrence_key(when: datetime, tz: tzinfo | None = None) -> str:
    """The occurrence's local wall time as ``2019-03-10T09:00`` (unique per series, with the series name).

    Pass ``tz`` to convert an aware UTC time first; otherwise ``when`` must already be local.
    """
    if tz is not None:
        when = _require_aware(when, "when").astimezone(tz)
    return when.strftime("%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class CatchUp:
    """What to do with the occurrences since the last run: create them now, or record them as skipped."""

    create: list[datetime]
    skip: list[tuple[datetime, str]]


def plan_catch_up(
    cron: str | Cron,
    tz: tzinfo,
    since_utc: datetime,
    now_utc: datetime,
    *,
    missed: Literal["publish_late", "skip"] = "publish_late",
    catch_up_limit: int = 31,
    grace: timedelta = timedelta(minutes=10),
) -> CatchUp:
    """Split the firings in (since, now] into those to create and those to record as skipped.

    Firings within ``grace`` of now are on time and always created. Older ones were missed (downtime):
    ``publish_late`` creates the most recent ``catch_up_limit`` of them and skips the rest with a reason;
    ``skip`` records them all as skipped. Nothing is dropped silently.
    """
    due = occurrences_between(cron, tz, since_utc, now_utc)
    cutoff = _require_aware(now_utc, "now_utc") - grace
    on_time = [t for t in due if t >= cutoff]
    late = [t for t in due if t < cutoff]
    skip: list[tuple[datetime, str]] = []
    if missed == "skip":
        skip = [(t, "missed while the daemon was not running (policy: skip)") for t in late]
        late = []
    elif len(late) > catch_up_limit:
        cut = len(late) - catch_up_limit
        reason = f"missed while the daemon was not running; beyond catch_up_limit {catch_up_limit}"
        skip = [(t, reason) for t in late[:cut]]
        late = late[cut:]
    return CatchUp(create=late + on_time, skip=skip)

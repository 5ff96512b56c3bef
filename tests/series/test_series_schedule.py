"""Series schedules: cron parsing, DST days, month ends, catch-up after downtime, occurrence keys."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from publisher.series.schedule import (
    CronError, manual_occurrence, next_occurrence, occurrence_key, occurrences_between, occurrences_on, parse_cron,
    plan_catch_up, previous_occurrence,
)

UTC = timezone.utc
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(tz, *args) -> datetime:
    return datetime(*args, tzinfo=tz)


def keys(times, tz) -> list[str]:
    return [occurrence_key(t, tz) for t in times]


# --- DST ------------------------------------------------------------------------------------------------

def test_spring_forward_daily_0230_fires_once_at_the_shifted_time():
    # 2019-03-10 02:00 EST -> 03:00 EDT: 02:30 does not exist that day
    found = occurrences_between("30 2 * * *", NEW_YORK, local(NEW_YORK, 2019, 3, 9, 0, 0), local(NEW_YORK, 2019, 3, 12, 0, 0))
    assert keys(found, NEW_YORK) == ["2019-03-09T02:30", "2019-03-10T03:30", "2019-03-11T02:30"]
    assert found[1] == datetime(2019, 3, 10, 7, 30, tzinfo=UTC)
    assert [t.astimezone(NEW_YORK).date() for t in found] == [date(2019, 3, 9), date(2019, 3, 10), date(2019, 3, 11)]


def test_fall_back_daily_0130_fires_once_not_twice():
    # 2019-11-03 02:00 EDT -> 01:00 EST: 01:30 happens twice; we fire at the first one only
    start = local(NEW_YORK, 2019, 11, 2, 12, 0)
    found = occurrences_between("30 1 * * *", NEW_YORK, start, local(NEW_YORK, 2019, 11, 5, 0, 0))
    assert keys(found, NEW_YORK) == ["2019-11-03T01:30", "2019-11-04T01:30"]
    assert found[0] == datetime(2019, 11, 3, 5, 30, tzinfo=UTC)  # 01:30 EDT
    # stepping with next_occurrence neither repeats the day nor gets stuck
    first = next_occurrence("30 1 * * *", NEW_YORK, start)
    second = next_occurrence("30 1 * * *", NEW_YORK, first)
    assert (first, second) == (found[0], found[1])


def test_berlin_dst_days_daily_0230():
    spring = occurrences_on("30 2 * * *", BERLIN, date(2019, 3, 31))
    assert [t.astimezone(BERLIN).strftime("%H:%M %Z") for t in spring] == ["03:30 CEST"]
    autumn = occurrences_on("30 2 * * *", BERLIN, date(2019, 10, 27))
    assert autumn == [datetime(2019, 10, 27, 0, 30, tzinfo=UTC)]  # 02:30 CEST, the first of the two


def test_hourly_schedule_on_dst_days_has_unique_keys():
    spring = occurrences_on("30 * * * *", NEW_YORK, date(2019, 3, 10))
    assert len(spring) == 23  # the day has 23 hours
    autumn = occurrences_on("30 * * * *", NEW_YORK, date(2019, 11, 3))
    assert len(autumn) == 24  # one per wall-clock label; the repeated 01:30 fires once
    for found in (spring, autumn):
        assert len(set(keys(found, NEW_YORK))) == len(found)
        assert found == sorted(found)


def test_a_year_of_next_occurrence_is_strictly_increasing_once_a_day():
    when = local(NEW_YORK, 2019, 1, 1, 0, 0)
    days = []
    for _ in range(365):
        following = next_occurrence("30 2 * * *", NEW_YORK, when)
        assert following > when
        days.append(following.astimezone(NEW_YORK).date())
        when = following
    assert days == [date(2019, 1, 1) + timedelta(days=i) for i in range(365)]


# --- month ends -----------------------------------------------------------------------------------------

def test_the_31st_fires_only_in_months_that_have_one():
    found = occurrences_between("0 9 31 * *", SHANGHAI, local(SHANGHAI, 2019, 1, 1), local(SHANGHAI, 2020, 1, 1))
    assert [t.astimezone(SHANGHAI).month for t in found] == [1, 3, 5, 7, 8, 10, 12]


@pytest.mark.parametrize("expr", ["0 9 L * *", "0 9 last * *"])
def test_last_day_of_month_fires_every_month(expr):
    found = occurrences_between(expr, SHANGHAI, local(SHANGHAI, 2019, 12, 1), local(SHANGHAI, 2021, 1, 1))
    dates = [t.astimezone(SHANGHAI).date() for t in found]
    assert len(dates) == 13
    assert date(2020, 2, 29) in dates and date(2020, 4, 30) in dates and date(2019, 12, 31) in dates
    assert all((d + timedelta(days=1)).day == 1 for d in dates)


# --- catch-up -------------------------------------------------------------------------------------------

def test_three_days_of_downtime_gives_three_occurrences():
    last = local(SHANGHAI, 2019, 6, 1, 9, 0)
    now = local(SHANGHAI, 2019, 6, 4, 12, 0)
    found = occurrences_between("0 9 * * *", SHANGHAI, last, now)
    assert keys(found, SHANGHAI) == ["2019-06-02T09:00", "2019-06-03T09:00", "2019-06-04T09:00"]
    plan = plan_catch_up("0 9 * * *", SHANGHAI, last, now)
    assert plan.create == found and plan.skip == []


def test_bounds_are_start_exclusive_end_inclusive():
    at_nine = local(SHANGHAI, 2019, 6, 1, 9, 0)
    assert occurrences_between("0 9 * * *", SHANGHAI, at_nine, at_nine + timedelta(days=1)) == [
        (at_nine + timedelta(days=1)).astimezone(UTC)
    ]
    assert occurrences_between("0 9 * * *", SHANGHAI, at_nine, at_nine) == []


def test_skip_policy_records_missed_occurrences_and_keeps_the_on_time_one():
    last = local(SHANGHAI, 2019, 6, 1, 9, 0)
    now = local(SHANGHAI, 2019, 6, 4, 9, 5)
    plan = plan_catch_up("0 9 * * *", SHANGHAI, last, now, missed="skip")
    assert keys(plan.create, SHANGHAI) == ["2019-06-04T09:00"]
    assert keys([t for t, _ in plan.skip], SHANGHAI) == ["2019-06-02T09:00", "2019-06-03T09:00"]
    assert all("policy: skip" in reason for _, reason in plan.skip)


def test_catch_up_limit_keeps_the_most_recent_and_records_the_rest():
    last = local(SHANGHAI, 2019, 1, 1, 9, 0)
    now = local(SHANGHAI, 2019, 2, 10, 12, 0)  # 40 missed days
    plan = plan_catch_up("0 9 * * *", SHANGHAI, last, now, catch_up_limit=31)
    assert len(plan.create) == 31 and len(plan.skip) == 9
    assert occurrence_key(plan.create[-1], SHANGHAI) == "2019-02-10T09:00"
    assert max(t for t, _ in plan.skip) < min(plan.create)
    assert "catch_up_limit 31" in plan.skip[0][1]


# --- parsing --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "expr, message",
    [
        ("0 25 * * *", "hour: 25 is out of range 0-23"),
        ("0 9 * *", "expected 5 fields"),
        ("0 9 30 2 *", "never fires"),
        ("x 9 * * *", "minute: 'x' is not a number"),
        ("0 9 * * 1-", "day-of-week"),
        ("*/0 9 * * *", "minute: bad step"),
        ("0 9 5-1 * *", "runs backwards"),
    ],
)
def test_bad_cron_names_the_field(expr, message):
    with pytest.raises(CronError, match=message):
        parse_cron(expr)


def test_weekdays_follow_cron_numbering_sunday_is_zero_and_seven():
    after = local(SHANGHAI, 2019, 3, 6, 0, 0)  # a Wednesday
    for expr in ("0 9 * * 0", "0 9 * * 7", "0 9 * * sun"):
        assert next_occurrence(expr, SHANGHAI, after).astimezone(SHANGHAI).date() == date(2019, 3, 10)
    weekdays = occurrences_between("0 9 * * mon-fri", SHANGHAI, after, after + timedelta(days=7))
    assert len(weekdays) == 5


def test_day_of_month_or_day_of_week_when_both_are_given():
    found = occurrences_between("0 9 1 * mon", SHANGHAI, local(SHANGHAI, 2019, 4, 30), local(SHANGHAI, 2019, 5, 8))
    # 1 May (a Wednesday) and Monday 6 May
    assert [t.astimezone(SHANGHAI).day for t in found] == [1, 6]


def test_shortcuts_and_lists():
    assert parse_cron("@daily").times()[0].hour == 0
    found = occurrences_on("0,30 9-10 * * *", SHANGHAI, date(2019, 3, 10))
    assert keys(found, SHANGHAI) == ["2019-03-10T09:00", "2019-03-10T09:30", "2019-03-10T10:00", "2019-03-10T10:30"]


# --- keys and manual runs -------------------------------------------------------------------------------

def test_occurrence_key_is_office_local_time():
    when = datetime(2019, 3, 10, 1, 0, tzinfo=UTC)
    assert occurrence_key(when, SHANGHAI) == "2019-03-10T09:00"
    assert occurrence_key(when.astimezone(SHANGHAI)) == "2019-03-10T09:00"
    with pytest.raises(ValueError):
        occurrence_key(datetime(2019, 3, 10, 9, 0), SHANGHAI)


def test_manual_occurrence_uses_the_days_scheduled_time_or_midnight():
    assert occurrence_key(manual_occurrence("0 9 * * *", SHANGHAI, date(2019, 3, 10)), SHANGHAI) == "2019-03-10T09:00"
    # 2019-03-10 is a Sunday; a Monday series has no occurrence that day
    assert occurrence_key(manual_occurrence("0 9 * * mon", SHANGHAI, date(2019, 3, 10)), SHANGHAI) == "2019-03-10T00:00"


def test_previous_occurrence():
    now = local(SHANGHAI, 2019, 3, 10, 8, 0)
    assert occurrence_key(previous_occurrence("0 9 * * *", SHANGHAI, now), SHANGHAI) == "2019-03-09T09:00"
    assert previous_occurrence("0 9 * * *", SHANGHAI, local(SHANGHAI, 2019, 3, 10, 9, 0)) == local(SHANGHAI, 2019, 3, 10, 9, 0)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        occurrences_between("0 9 * * *", SHANGHAI, datetime(2019, 1, 1), datetime(2019, 1, 2, tzinfo=UTC))

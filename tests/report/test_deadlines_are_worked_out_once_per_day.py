"""Deadlines come from a calendar worked out once per year and are remembered per set of dates: the same answers as
counting day by day, across years and pauses, and forgotten when the office's holiday file changes."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar

from publisher.foundation import workdays
from publisher.foundation.workdays import HolidayFile, answer_due, read_holidays, use_holidays


def _workday(day: date, office: HolidayFile) -> bool:
    if day.year in office.years:
        return day in office.on or (day.weekday() < 5 and day not in office.off)
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def _counted(start: date, end: date, office: HolidayFile) -> int:
    return sum(_workday(start + timedelta(days=n), office) for n in range(1, (end - start).days + 1))


def _due_by_hand(received: date, skipped_from: date | None, skipped_to: date | None, office: HolidayFile) -> date:
    left = 20 + (_counted(skipped_from - timedelta(days=1), skipped_to, office) if skipped_from else 0)
    day = received
    while left:
        day += timedelta(days=1)
        left -= _workday(day, office)
    return day


def test_cached_deadlines_agree_with_counting_day_by_day(tmp_path):
    path = tmp_path / "holidays.yaml"
    path.write_text("2027:\n  holidays: [2027-01-01, 2027-02-05..2027-02-11]\n  workdays: [2027-02-20]\n",
                    encoding="utf-8")
    for office in (HolidayFile(), read_holidays(path)):
        use_holidays(office)
        try:
            for n in range(0, 800, 7):
                received = date(2025, 9, 1) + timedelta(days=n)
                assert answer_due(received, False) == _due_by_hand(received, None, None, office), received
                pause = (workdays.STOP, received + timedelta(days=3), received + timedelta(days=17))
                assert answer_due(received, False, [pause]) == _due_by_hand(received, pause[1], pause[2], office)
                later = received + timedelta(days=n % 90)
                assert workdays.workdays_between(received, later) == _counted(received, later, office)
                assert workdays.workdays_between(later, received) == -_counted(received, later, office)
        finally:
            use_holidays(HolidayFile())


def test_a_new_holiday_file_is_used_at_once_not_the_remembered_deadline(tmp_path):
    use_holidays(HolidayFile())
    assert answer_due(date(2026, 12, 20), False) == date(2027, 1, 15)  # remembered …
    path = tmp_path / "holidays.yaml"
    path.write_text("2027:\n  holidays: [2027-01-01]\n  workdays: []\n", encoding="utf-8")
    try:
        use_holidays(read_holidays(path))
        assert answer_due(date(2026, 12, 20), False) == date(2027, 1, 18)  # … and forgotten with the new file
    finally:
        use_holidays(HolidayFile())

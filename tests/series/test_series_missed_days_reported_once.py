"""A daemon started after weeks of downtime reports the series days it missed in one line with their count, not
one warning per day (the kept demo database used to print 2,502 of them)."""

from __future__ import annotations

import logging
from datetime import timedelta

from test_series_runner import block, csv_source, feed
from publisher.series.runner import SeriesRunner


def test_missed_days_are_reported_in_one_line_with_a_count(tmp_path, sqlite_url, make_app, clock, caplog):
    app = make_app(sqlite_url, feed(tmp_path), series={"wq": block(csv_source(tmp_path), catch_up_limit=2)})
    runner = SeriesRunner(app)
    runner.tick()
    clock.advance(timedelta(days=40))
    with caplog.at_level(logging.INFO, logger="publisher.series"):
        assert runner.tick().outcomes["skipped"] == 38
    missed = [r.getMessage() for r in caplog.records if "missed occurrences" in r.getMessage()]
    assert len(missed) == 2, missed  # one line for the skipped days, one for those published late
    assert any("38 missed occurrences (2019-06-02T09:00 … 2019-07-09T09:00) skipped" in m for m in missed), missed
    assert any("2 missed occurrences" in m and "published late" in m for m in missed), missed

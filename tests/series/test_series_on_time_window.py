"""`series.<name>.on_time`: a firing at most this old when the daemon sees it is on time, whatever `missed` says.

Downtime shorter than the window publishes even with `missed: skip`; longer is skipped (recorded).
SimulatedClock, SQLite, a CSV source.
"""

from __future__ import annotations

import pytest

from conftest import write_config
from publisher.config.load import load_config
from publisher.errors import ConfigError
from publisher.series.runner import SeriesRunner
from test_series_runner import block, csv_source, feed, local, occurrences, series_items


@pytest.mark.parametrize("on_time, back_at, outcome", [
    (None, (9, 9), "queued"),      # the default window is 10 minutes, as before
    (None, (9, 25), "skipped"),
    ("30m", (9, 25), "queued"),
    ("30m", (9, 35), "skipped"),
    ("PT1H", (9, 59), "queued"),
])
def test_downtime_shorter_than_on_time_still_publishes_with_skip(on_time, back_at, outcome, tmp_path, sqlite_url,
                                                                 make_app, clock):
    extra = {"on_time": on_time} if on_time else {}
    app = make_app(sqlite_url, feed(tmp_path), series={"wq": block(csv_source(tmp_path), missed="skip", **extra)})
    runner = SeriesRunner(app)
    clock.set(local(2019, 6, 2, 8, 55))
    runner.tick()  # the daemon is up at 08:55, then down over the 09:00 firing
    clock.set(local(2019, 6, 2, *back_at))
    runner.tick()
    [occ] = occurrences(app)
    assert (occ["occurrence_key"], occ["status"]) == ("2019-06-02T09:00", outcome)
    assert len(series_items(app)) == (1 if outcome == "queued" else 0)
    if outcome == "skipped":
        assert "policy: skip" in occ["last_error"]


@pytest.mark.parametrize("value, message", [("soon", "is not a duration"), ("0", "longer than zero")])
def test_a_bad_on_time_is_refused_naming_the_key(value, message, tmp_path, sqlite_url):
    path = write_config(tmp_path, sqlite_url, feed(tmp_path),
                        series={"wq": block(csv_source(tmp_path), on_time=value)})
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert any(p.startswith("series.wq.on_time:") and message in p for p in refused.value.problems)

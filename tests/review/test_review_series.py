"""Regression tests from the series review: what editors read when a day's data is late or wrong, schedules
that would silently skip months, rows still coming in, and manual runs racing the daemon.

Real SQLite/PostgreSQL, the water-quality emulator on loopback, a SimulatedClock; the CLI through click's runner.
"""

from __future__ import annotations

import csv
import json
import logging
import socket
import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import write_config
from sqlalchemy import select

from publisher.runtime.app import App
from publisher.foundation.clock import SimulatedClock
from publisher.config.load import load_config
from publisher.errors import ConfigError
from publisher.sandbox.server import EmulatorServer
from publisher.sandbox.waterquality import (
    COLUMNS, WATER_QUALITY_BODY, WATER_QUALITY_TITLE, WaterQualityEmulator, sample_rows, write_sample_csv,
)
from publisher.db.schema import items, series_occurrences
from publisher.series.errors import SeriesError, SourceUnavailable
from publisher.series.models import load_series
from publisher.series.runner import SeriesRunner
from publisher.series.schedule import months_without_the_day
from publisher.series.sources import load_rows
from conftest import run_cli as cli

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def local(*args, tz=SHANGHAI) -> datetime:
    return datetime(*args, tzinfo=tz)


def feed(tmp_path: Path) -> dict:
    return {"feed": {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://www.example.gov.cn"}}


def block(source: dict, **overrides) -> dict:
    return {"category": "水质检测", "schedule": "0 9 * * *", "source": source, "title": WATER_QUALITY_TITLE,
            "body": WATER_QUALITY_BODY, **overrides}


def csv_source(path: Path) -> dict:
    return {"type": "csv", "path": path.name, "date_column": "日期"}


def write_rows(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def occurrences(app: App, name: str = "wq") -> list[dict]:
    with app.store.engine.connect() as conn:
        query = (select(series_occurrences).where(series_occurrences.c.series == name)
                 .order_by(series_occurrences.c.scheduled_at, series_occurrences.c.id))
        return [dict(r._mapping) for r in conn.execute(query)]


def series_items(app: App, name: str = "wq") -> list[dict]:
    with app.store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(items).where(items.c.series == name).order_by(items.c.id))]


def run_until(runner: SeriesRunner, clock: SimulatedClock, end: datetime) -> None:
    """Tick whenever the runner has work, up to ``end`` (as the daemon and the demo do)."""
    runner.tick()
    while (due := runner.next_due()) is not None and due <= end:
        clock.set(max(due, clock.now()))
        runner.tick()


# --- what an editor reads when the day's data never came -------------------------------------------------

def test_missing_data_is_reported_once_in_office_time(tmp_path, sqlite_url, caplog):
    data = write_sample_csv(tmp_path / "wq.csv", date(2019, 5, 25), date(2019, 6, 2))  # June 3 never comes
    config = write_config(tmp_path, sqlite_url, feed(tmp_path),
                          series={"wq": block(csv_source(data), data_retry="1h", data_deadline="3h")})
    clock = SimulatedClock(local(2019, 6, 1, 10, 0))
    app = App.from_config(load_config(config), clock)
    try:
        with caplog.at_level(logging.INFO, logger="publisher.series"):
            run_until(SeriesRunner(app), clock, local(2019, 6, 3, 18, 0))
        [_, missing] = occurrences(app)
    finally:
        app.close()
    assert missing["status"] == "missing_data"
    # the deadline is 12:00 in the office (09:00 + 3h), not the UTC instant 04:00+00:00
    assert "gave up at the deadline 2019-06-03 12:00 CST" in missing["last_error"]
    assert "+00:00" not in missing["last_error"] and "T04:00" not in missing["last_error"]
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.startswith("series wq: 2019-06-03T09:00 missing data: ") and warning.count("missing data") == 1

    text = cli(config, "series", "list").stdout
    [line] = [ln for ln in text.splitlines() if "last:" in ln]
    assert line.startswith("  last: 2019-06-03T09:00 missing data  (")
    assert line.count("missing data") == 1, line
    assert "no rows for 2019-06-03" in line and "12:00 CST" in line
    [listed] = json.loads(cli(config, "series", "list", "--json").stdout)
    assert listed["last"]["status"] == "missing_data"
    assert not listed["last"]["last_error"].startswith("missing data")


def test_a_broken_source_in_a_dry_run_is_said_once(tmp_path, sqlite_url, caplog):
    config = write_config(tmp_path, sqlite_url, feed(tmp_path), series={"wq": block(csv_source(tmp_path / "absent.csv"))})
    with caplog.at_level(logging.INFO, logger="publisher"):
        result = cli(config, "series", "run", "wq", "--date", "2019-06-02", "--dry-run")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.count("no such file") == 1, result.stderr
    assert not [r for r in caplog.records if "no such file" in r.getMessage()]  # the error line says it
    assert "error: series wq, 2019-06-02: source error: " in result.stderr


def test_manual_runs_report_the_office_time(tmp_path, sqlite_url):
    data = write_sample_csv(tmp_path / "wq.csv", date(2019, 6, 1), date(2019, 6, 3))
    config = write_config(tmp_path, sqlite_url, feed(tmp_path), series={"wq": block(csv_source(data))})
    for extra in (["--dry-run"], []):
        result = cli(config, "series", "run", "wq", "--date", "2019-06-02", "--json", *extra)
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout)
        assert (out["occurrence_key"], out["scheduled_at"]) == ("2019-06-02T09:00", "2019-06-02T09:00:00+08:00")


# --- a day still coming in is never published half-filled ------------------------------------------------

def test_a_day_with_only_some_of_its_rows_waits_for_min_rows(tmp_path, sqlite_url, make_app, clock):
    day = date(2019, 6, 2)
    data = tmp_path / "wq.csv"
    write_rows(data, sample_rows(day)[:6])  # the lab has entered 6 of its 10 parameters
    app = make_app(sqlite_url, feed(tmp_path), series={"wq": block(csv_source(data), min_rows=10)})
    runner = SeriesRunner(app)
    runner.tick()
    clock.set(local(2019, 6, 2, 9, 0))
    assert runner.tick().outcomes == {"created": 1, "waiting": 1}
    [occ] = occurrences(app)
    assert "only 6 of the 10 rows (min_rows) for 2019-06-02" in occ["last_error"] and series_items(app) == []

    write_rows(data, sample_rows(day))  # the rest comes in
    clock.set(runner.next_due())
    assert runner.tick().outcomes == {"queued": 1}
    [item] = series_items(app)
    assert item["body_html"].count("<tr><td>") == 10 and "所检10项指标均符合" in item["body_html"]


def test_min_rows_needs_all_rows():
    with pytest.raises(ConfigError, match="series.wq: min_rows 10 needs rows: all"):
        load_series({"wq": block({"type": "csv", "path": "/x.csv", "date_column": "日期"}, rows="one", min_rows=10)})


@pytest.mark.parametrize("value", ["#N/A", "#DIV/0!", " #value! "])
def test_a_spreadsheet_error_in_a_cell_is_missing_data_not_a_result(value, tmp_path, sqlite_url, make_app, clock):
    day = date(2019, 6, 2)
    rows = sample_rows(day)
    rows[7]["检测值"] = value  # 菌落总数: a formula over results still incubating, exported to CSV
    data = tmp_path / "wq.csv"
    write_rows(data, rows)
    app = make_app(sqlite_url, feed(tmp_path), series={"wq": block(csv_source(data), data_retry="1h",
                                                                        data_deadline="2h")})
    run_until(SeriesRunner(app), clock, local(2019, 6, 2, 18, 0))
    [occ] = occurrences(app)
    assert occ["status"] == "missing_data" and series_items(app) == []
    assert f"'检测值' is {value.strip()} (a spreadsheet error, not a result)" in occ["last_error"]


def test_a_spreadsheet_error_from_excel_is_missing_data(tmp_path):
    from openpyxl import Workbook

    from publisher.series.attempt import attempt_occurrence

    day = date(2019, 6, 2)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    for row in sample_rows(day):
        values = [row[c] for c in COLUMNS]
        values[0] = datetime(2019, 6, 2)
        sheet.append(values)
    sheet["G4"] = "#N/A"  # what openpyxl reads back from a cell whose formula has no input yet
    workbook.save(tmp_path / "wq.xlsx")
    [wq] = load_series({"wq": block({"type": "excel", "path": str(tmp_path / "wq.xlsx"), "date_column": "日期"})}).values()
    scheduled = local(2019, 6, 2, 9, 0)
    attempt = attempt_occurrence(wq, scheduled, SHANGHAI, now=scheduled, deadline_at=scheduled + timedelta(hours=6))
    assert attempt.status == "waiting" and "'检测值' is #N/A" in attempt.error


# --- month ends: a monthly series on the 31st -----------------------------------------------------------

@pytest.mark.parametrize("schedule, months", [
    ("0 9 31 * *", "Feb, Apr, Jun, Sep, Nov"),
    ("0 9 30 * *", "Feb"),
    ("0 9 29 * *", "Feb"),
    ("0 9 31 1-6 *", "Feb, Apr, Jun"),
])
def test_a_schedule_that_would_skip_months_is_refused_with_the_way_out(schedule, months, tmp_path, sqlite_url):
    data = write_sample_csv(tmp_path / "wq.csv", date(2019, 6, 1), date(2019, 6, 1))
    config = write_config(tmp_path, sqlite_url, feed(tmp_path), series={"wq": block(csv_source(data), schedule=schedule)})
    result = cli(config, "check-config")
    assert result.exit_code == 2
    assert f"series.wq.schedule: '{schedule}' publishes nothing in {months}" in result.stderr + result.stdout
    assert "'0 9 L * *'" in result.stderr + result.stdout


@pytest.mark.parametrize("schedule", ["0 9 L * *", "0 9 31 1,3,5,7,8,10,12 *", "0 9 28 * *", "0 9 * * 1",
                                      "0 9 31 * 1", "0 9 29-31,L * *"])
def test_schedules_that_fire_every_month_they_name_are_accepted(schedule):
    assert months_without_the_day(schedule) == []


def test_a_month_end_series_over_a_leap_february_and_a_downtime(tmp_path, db_url, make_app, clock):
    data = write_sample_csv(tmp_path / "wq.csv", date(2020, 1, 1), date(2020, 5, 31))
    app = make_app(db_url, feed(tmp_path), series={
        "wq": block(csv_source(data), schedule="0 9 L * *"),
        "odd": block(csv_source(data), schedule="0 9 31 1,3,5,7,8,10,12 *")})
    clock.set(local(2020, 1, 15, 12, 0))
    runner = SeriesRunner(app)
    runner.tick()
    clock.set(local(2020, 4, 2, 12, 0))  # the daemon was down for February and March
    runner.tick()
    run_until(runner, clock, local(2020, 6, 1, 0, 0))
    assert [o["occurrence_key"] for o in occurrences(app)] == [
        "2020-01-31T09:00", "2020-02-29T09:00", "2020-03-31T09:00", "2020-04-30T09:00", "2020-05-31T09:00"]
    assert [o["occurrence_key"] for o in occurrences(app, "odd")] == [
        "2020-01-31T09:00", "2020-03-31T09:00", "2020-05-31T09:00"]
    assert [i["title"] for i in series_items(app)][1] == "2020年2月29日水质检测结果公示"
    assert all(o["status"] == "queued" for o in occurrences(app) + occurrences(app, "odd"))


# --- DST: catch-up over the fall-back night, exactly one row per wall-clock hour ------------------------------

def test_catch_up_over_the_fall_back_night_creates_each_hour_once(tmp_path, db_url, make_app, clock):
    data = write_sample_csv(tmp_path / "wq.csv", date(2019, 11, 2), date(2019, 11, 4))
    app = make_app(db_url, feed(tmp_path), office={"name": "测试局", "timezone": "America/New_York"},
                   series={"wq": block(csv_source(data), schedule="30 * * * *", catch_up_limit=100)})
    clock.set(local(2019, 11, 2, 23, 45, tz=NEW_YORK))
    runners = [SeriesRunner(app), SeriesRunner(app)]
    runners[0].tick()
    clock.set(local(2019, 11, 4, 0, 10, tz=NEW_YORK))  # down all through the 25-hour day
    for runner in runners:  # a second daemon on the same database at the same moment adds nothing
        runner.tick()
    keys = [o["occurrence_key"] for o in occurrences(app)]
    assert len(keys) == len(set(keys)) == 24  # one per wall-clock label; the repeated 01:30 once
    assert keys[0] == "2019-11-03T00:30" and keys[-1] == "2019-11-03T23:30"
    assert len(series_items(app)) == 24


# --- a manual run racing the daemon on a waiting day ---------------------------------------------------------

def test_series_run_and_the_daemon_racing_on_a_late_day_make_one_item(tmp_path, db_url, clock):
    available = {"until": date(2019, 6, 1)}
    emulator = WaterQualityEmulator(available_until=lambda: available["until"])
    with EmulatorServer(emulator) as server:
        source = {"type": "http", "url": server.url + "/water-quality", "date_param": "date", "date_column": "日期",
                  "timeout": 5}
        config = write_config(tmp_path, db_url, feed(tmp_path), series={"wq": block(source, data_retry="15m")})
        apps = [App.from_config(load_config(config), clock) for _ in range(2)]
        try:
            daemon, editor = SeriesRunner(apps[0]), SeriesRunner(apps[1])
            daemon.tick()
            clock.set(local(2019, 6, 2, 9, 0))
            assert daemon.tick().outcomes == {"created": 1, "waiting": 1}
            available["until"] = date(2019, 6, 2)  # the data arrives; the daemon's retry and the editor race
            clock.set(local(2019, 6, 2, 9, 15))
            barrier = threading.Barrier(2)
            outcome: dict = {}

            def run_daemon() -> None:
                barrier.wait(timeout=10)
                outcome["daemon"] = daemon.tick().outcomes

            def run_editor() -> None:
                barrier.wait(timeout=10)
                try:
                    outcome["editor"] = editor.issue("wq", date(2019, 6, 2))
                except SeriesError as exc:  # the daemon held the day at that moment: the editor is told so
                    outcome["editor"] = exc

            threads = [threading.Thread(target=f) for f in (run_daemon, run_editor)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            found = series_items(apps[0])
            keys = [i["occurrence_key"] for i in found]
            assert keys.count("2019-06-02T09:00") == 1, (keys, outcome)
            assert set(keys) <= {"2019-06-02T09:00", "2019-06-02T09:00#2"}  # at most a deliberate re-issue
            [row] = [o for o in occurrences(apps[0]) if o["occurrence_key"] == "2019-06-02T09:00"]
            assert row["status"] == "queued" and row["item_id"] in [i["id"] for i in found]
            if isinstance(outcome["editor"], SeriesError):
                assert "being worked on right now" in str(outcome["editor"])
        finally:
            for app in apps:
                app.close()


# --- secrets in a source URL never reach messages -------------------------------------------------------------

def test_credentials_in_a_source_url_are_not_in_errors():
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://lab:s3cret@127.0.0.1:{port}/water-quality?token=abc"
    [wq] = load_series({"wq": block({"type": "http", "url": url, "date_param": "date", "timeout": 1})}).values()
    with pytest.raises(SourceUnavailable) as caught:
        load_rows(wq.source, date(2019, 6, 2))
    message = str(caught.value)
    assert f"http://127.0.0.1:{port}/water-quality" in message
    assert "s3cret" not in message and "lab:" not in message and "abc" not in message

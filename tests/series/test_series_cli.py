"""Editors' series commands: `series list`, `series run NAME --date D [--dry-run]`, and `run --once` creating
due occurrences. Through click's CliRunner on the real entry point, SQLite, CSV sources in tmp_path."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, select

from conftest import write_config
from publisher.runtime.app import App
from publisher.foundation.clock import SimulatedClock
from publisher.config.load import load_config
from publisher.delivery.dispatcher import Dispatcher
from publisher.sandbox.waterquality import WATER_QUALITY_BODY, WATER_QUALITY_TITLE, write_sample_csv
from publisher.db.schema import items, series_occurrences, series_state
from publisher.series.runner import SeriesRunner
from publisher.series.schedule import occurrence_key, occurrences_between

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Office:
    """A configured office in tmp_path with an RSS channel and a daily water-quality series over a CSV file."""

    def __init__(self, tmp_path: Path, db_url: str, first: date, last: date):
        self.dir = tmp_path
        self.csv = tmp_path / "wq.csv"
        self.write_data(first, last)
        series = {"wq": {"category": "水质检测", "schedule": "0 9 * * *", "title": WATER_QUALITY_TITLE,
                         "body": WATER_QUALITY_BODY, "data_retry": "1h", "data_deadline": "3h",
                         "source": {"type": "csv", "path": "wq.csv", "date_column": "日期"}}}
        channels = {"feed": {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://www.example.gov.cn"}}
        self.config = write_config(tmp_path, db_url, channels, series=series)
        self.db_file = Path(db_url.split("///", 1)[1])

    def write_data(self, first: date, last: date) -> None:
        write_sample_csv(self.csv, first, last)

    def cli(self, *args: str):
        result = CliRunner().invoke(main_command(), ["--config", str(self.config), *args], env={"PUBLISHER_CONFIG": None})
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result

    def json(self, *args: str):
        result = self.cli(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def app(self, clock=None) -> App:
        return App.from_config(load_config(self.config), clock)

    def rows(self, table, **where) -> list[dict]:
        app = self.app()
        try:
            with app.store.engine.connect() as conn:
                query = select(table).order_by(table.c.id)
                for key, value in where.items():
                    query = query.where(table.c[key] == value)
                return [dict(r._mapping) for r in conn.execute(query)]
        finally:
            app.close()


def main_command():
    from publisher.cli.main import main

    return main


@pytest.fixture
def office(tmp_path, sqlite_url) -> Office:
    return Office(tmp_path, sqlite_url, date(2019, 5, 25), date(2019, 6, 10))


# --- series run --------------------------------------------------------------------------------------------

def test_dry_run_prints_the_rendered_day_and_writes_nothing(office):
    result = office.cli("series", "run", "wq", "--date", "2019-06-02", "--dry-run")
    assert result.exit_code == 0, result.output
    title, _, body = result.stdout.partition("\n\n")
    assert title == "2019年6月2日水质检测结果公示"
    assert "<table>" in body and body.count("<tr><td>") == 10 and "{{" not in body
    data = office.json("series", "run", "wq", "--date", "2019-06-03", "--dry-run")
    assert data["occurrence_key"] == "2019-06-03T09:00" and data["dry_run"] is True
    assert data["title"] == "2019年6月3日水质检测结果公示"
    assert not office.db_file.exists()  # not even opened
    assert office.rows(items) == [] and office.rows(series_occurrences) == []


def test_dry_run_without_data_exits_1_with_the_reason(office):
    result = office.cli("series", "run", "wq", "--date", "2019-07-01", "--dry-run")
    assert result.exit_code == 1 and result.stdout == ""
    assert "missing data" in result.stderr and "no rows for 2019-07-01" in result.stderr


@pytest.mark.parametrize("extra", [[], ["--dry-run"]])
def test_an_unknown_series_or_a_bad_date_exits_2_naming_it(office, extra):
    result = office.cli("series", "run", "weather", "--date", "2019-06-02", *extra)
    assert result.exit_code == 2 and "unknown series 'weather'" in result.stderr and "wq" in result.stderr
    result = office.cli("series", "run", "wq", "--date", "2019-13-01", *extra)
    assert result.exit_code == 2 and "--date: '2019-13-01' is not a date" in result.stderr


def test_run_queues_the_day_and_a_second_run_is_a_reissue(office):
    result = office.cli("series", "run", "wq", "--date", "2019-06-02")
    assert result.exit_code == 0, result.output
    first = int(result.stdout)
    second = office.json("series", "run", "wq", "--date", "2019-06-02")
    third = office.json("series", "run", "wq", "--date", "2019-06-02")
    assert (second["occurrence_key"], third["occurrence_key"]) == ("2019-06-02T09:00#2", "2019-06-02T09:00#3")
    found = office.rows(items, series="wq")
    assert [(i["id"], i["occurrence_key"]) for i in found] == [
        (first, "2019-06-02T09:00"), (second["item_id"], "2019-06-02T09:00#2"), (third["item_id"], "2019-06-02T09:00#3")]
    assert all(i["title"] == "2019年6月2日水质检测结果公示" and "<table>" in i["body_html"] for i in found)
    occ = office.rows(series_occurrences)
    assert [(o["occurrence_key"], o["status"], o["item_id"]) for o in occ] == [
        (i["occurrence_key"], "queued", i["id"]) for i in found]
    listed = office.json("queue", "list")
    assert {i["id"] for i in listed} == {i["id"] for i in found}


def test_run_without_data_exits_1_and_writes_nothing(office):
    result = office.cli("series", "run", "wq", "--date", "2019-07-01")
    assert result.exit_code == 1 and "no rows for 2019-07-01" in result.stderr
    assert office.rows(items) == [] and office.rows(series_occurrences) == []


# --- series list, and fixing a missing day by hand --------------------------------------------------------

def test_list_shows_next_occurrence_last_outcome_and_missing_data(tmp_path, sqlite_url):
    office = Office(tmp_path, sqlite_url, date(2019, 5, 25), date(2019, 6, 2))  # June 3's results never come
    clock = SimulatedClock(datetime(2019, 6, 1, 10, 0, tzinfo=SHANGHAI))
    app = office.app(clock)
    try:
        runner = SeriesRunner(app)
        runner.tick()
        clock.set(datetime(2019, 6, 2, 9, 0, tzinfo=SHANGHAI))
        runner.tick()
        Dispatcher(app).run_due()
        while (due := runner.next_due()) <= datetime(2019, 6, 3, 18, 0, tzinfo=SHANGHAI):
            clock.set(due)
            runner.tick()
    finally:
        app.close()

    [wq] = office.json("series", "list")
    assert wq["series"] == "wq" and wq["enabled"] and wq["channels"] == ["feed"]
    assert wq["next_occurrence"].endswith("T09:00:00+08:00")
    assert (wq["last"]["occurrence_key"], wq["last"]["status"]) == ("2019-06-03T09:00", "missing_data")
    assert "no rows for 2019-06-03" in wq["last"]["last_error"] and wq["last"]["item_id"] is None
    assert wq["counts"] == {"queued": 1, "missing_data": 1}
    text = office.cli("series", "list").stdout
    assert "wq  [水质检测]  0 9 * * *  next " in text
    assert "last: 2019-06-03T09:00 missing data" in text and "gave up at the deadline" in text

    office.write_data(date(2019, 5, 25), date(2019, 6, 3))  # the lab sends the day late; the editor publishes it
    issued = office.json("series", "run", "wq", "--date", "2019-06-03")
    assert issued["occurrence_key"] == "2019-06-03T09:00"  # fills the missing day, not a re-issue
    [wq] = office.json("series", "list")
    assert (wq["last"]["status"], wq["last"]["item_id"], wq["last"]["last_error"]) == ("queued", issued["item_id"], None)
    assert wq["last"]["deliveries"] == [{"channel": "feed", "status": "pending"}]
    assert wq["counts"] == {"queued": 2}
    text = office.cli("series", "list").stdout
    assert f"last: 2019-06-03T09:00 queued  item {issued['item_id']}  feed:pending" in text


def test_list_without_series(tmp_path, sqlite_url):
    path = write_config(tmp_path, sqlite_url, {"feed": {"type": "rss", "output": str(tmp_path / "f.xml"),
                                                        "site_url": "http://www.example.gov.cn"}})
    result = CliRunner().invoke(main_command(), ["--config", str(path), "series", "list"], env={"PUBLISHER_CONFIG": None})
    assert result.exit_code == 0 and "(no series configured)" in result.stdout


# --- the daemon's one-shot run creates due occurrences -------------------------------------------------------

def test_run_once_creates_due_occurrences_and_publishes_them(tmp_path, sqlite_url):
    today = datetime.now(SHANGHAI).date()
    office = Office(tmp_path, sqlite_url, today - timedelta(days=4), today + timedelta(days=1))
    since = datetime.now(timezone.utc) - timedelta(days=2)  # the daemon last ran two days ago
    app = office.app()
    with app.store.transaction() as conn:
        conn.execute(insert(series_state).values(series="wq", since=since))
    app.close()

    # `run --once` reads the wall clock: what it creates is due by some moment between `before` and `after`
    # (a 09:00 falling inside the run must not make the test flaky)
    before = datetime.now(timezone.utc)
    result = office.cli("run", "--once")
    after = datetime.now(timezone.utc)
    assert result.exit_code == 0, result.output
    created = office.rows(series_occurrences)
    keys = [o["occurrence_key"] for o in created]
    due_before, due_after = ([occurrence_key(t, SHANGHAI) for t in occurrences_between("0 9 * * *", SHANGHAI, since, end)]
                             for end in (before, after))
    assert keys in (due_before, due_after) and len(keys) >= 2  # the two days the daemon was away (and today's, if due)
    expected = keys
    assert all(o["status"] == "queued" for o in created)
    feed = (tmp_path / "feed.xml").read_text(encoding="utf-8")
    for key in expected:
        day = date.fromisoformat(key[:10])
        assert f"{day.year}年{day.month}月{day.day}日水质检测结果公示" in feed
    assert office.cli("run", "--once").exit_code == 0  # a second run adds no second row for any occurrence
    again = [o["occurrence_key"] for o in office.rows(series_occurrences)]
    assert again[:len(expected)] == expected and len(set(again)) == len(again)


def test_replace_retracts_what_was_issued_for_that_day_before(office):
    first = int(office.cli("series", "run", "wq", "--date", "2019-06-02").stdout)
    other_day = int(office.cli("series", "run", "wq", "--date", "2019-06-03").stdout)
    corrected = office.json("series", "run", "wq", "--date", "2019-06-02", "--replace")
    assert corrected["occurrence_key"] == "2019-06-02T09:00#2" and corrected["replaced"] == [first]
    status = {i["id"]: i["status"] for i in office.rows(items, series="wq")}
    assert status == {first: "retracted", other_day: "active", corrected["item_id"]: "active"}

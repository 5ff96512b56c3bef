"""The series runner: due occurrences become queued items exactly once, after downtime, late data, DST, month ends.

Each source type runs end to end through the runner (CSV, Excel, HTTP against the water-quality emulator on
loopback); two runners on separate App instances race on SQLite and PostgreSQL; time is a SimulatedClock.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from conftest import write_config
from publisher.runtime.app import App
from publisher.config.load import load_config
from publisher.delivery.dispatcher import Dispatcher
from publisher.sandbox.server import EmulatorServer
from publisher.sandbox.waterquality import (
    WATER_QUALITY_BODY, WATER_QUALITY_TITLE, WaterQualityEmulator, write_sample_csv, write_sample_xlsx,
)
from publisher.db.schema import events, items, series_occurrences, series_state
from publisher.series.runner import SeriesRunner
from publisher.ledger.store import Store

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST, LAST = date(2019, 5, 25), date(2019, 6, 10)


def local(*args, tz=SHANGHAI) -> datetime:
    return datetime(*args, tzinfo=tz)


def feed(tmp_path) -> dict:
    return {"feed": {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://www.example.gov.cn"}}


def csv_source(tmp_path, first=FIRST, last=LAST) -> dict:
    path = write_sample_csv(tmp_path / "wq.csv", first, last)
    return {"type": "csv", "path": path.name, "date_column": "日期"}  # relative to the config file


def block(source: dict, **overrides) -> dict:
    return {"category": "水质检测", "schedule": "0 9 * * *", "source": source, "title": WATER_QUALITY_TITLE,
            "body": WATER_QUALITY_BODY, **overrides}


def occurrences(app: App, name: str = "wq") -> list[dict]:
    with app.store.engine.connect() as conn:
        rows = conn.execute(select(series_occurrences).where(series_occurrences.c.series == name)
                            .order_by(series_occurrences.c.scheduled_at, series_occurrences.c.id))
        return [dict(r._mapping) for r in rows]


def series_items(app: App, name: str = "wq") -> list[dict]:
    with app.store.engine.connect() as conn:
        rows = conn.execute(select(items).where(items.c.series == name).order_by(items.c.id))
        return [dict(r._mapping) for r in rows]


def event_kinds(app: App) -> list[str]:
    with app.store.engine.connect() as conn:
        return list(conn.execute(select(events.c.kind).order_by(events.c.id)).scalars())


def run_until(runner: SeriesRunner, clock, end: datetime) -> None:
    """Tick at every moment the runner says it has work, up to ``end`` (what the demo and daemon do)."""
    runner.tick()
    while (due := runner.next_due()) is not None and due <= end:
        clock.set(max(due, clock.now()))
        runner.tick()


# --- each source type, end to end ---------------------------------------------------------------------------

@pytest.fixture
def water_plant():
    emulator = WaterQualityEmulator()
    with EmulatorServer(emulator) as server:
        yield emulator, server.url


def _source(kind: str, tmp_path, url: str) -> dict:
    if kind == "csv":
        return csv_source(tmp_path)
    if kind == "excel":
        write_sample_xlsx(tmp_path / "wq.xlsx", FIRST, LAST)
        return {"type": "excel", "path": "wq.xlsx", "sheet": "出厂水检测", "date_column": "日期"}
    if kind == "http-json":
        return {"type": "http", "url": url + "/water-quality", "date_param": "date", "date_column": "日期", "timeout": 5}
    return {"type": "http", "url": url + "/water-quality.csv?encoding=gbk", "format": "csv", "date_param": "date",
            "date_column": "日期", "timeout": 5}


@pytest.mark.parametrize("kind", ["csv", "excel", "http-json", "http-csv"])
def test_each_source_type_becomes_a_queued_item_with_the_table(kind, tmp_path, sqlite_url, make_app, clock, water_plant):
    emulator, url = water_plant
    app = make_app(sqlite_url, feed(tmp_path), series={"wq": block(_source(kind, tmp_path, url))})
    runner = SeriesRunner(app)
    assert runner.tick().outcomes == {}  # first sight: the series starts now (10:00), nothing due yet
    assert runner.next_due() == local(2019, 6, 2, 9, 0)

    clock.set(local(2019, 6, 2, 9, 0))
    assert runner.tick().outcomes == {"created": 1, "queued": 1}
    [occ] = occurrences(app)
    [item] = series_items(app)
    assert (occ["occurrence_key"], occ["status"], occ["item_id"], occ["tries"]) == ("2019-06-02T09:00", "queued", item["id"], 1)
    assert item["title"] == "2019年6月2日水质检测结果公示" and item["occurrence_key"] == "2019-06-02T09:00"
    assert item["category"] == "水质检测" and item["publish_at"] == clock.now()
    body = item["body_html"]
    assert "<table>" in body and body.count("<tr><td>") == 10 and "<td>浑浊度</td><td>NTU</td><td>≤1</td>" in body
    assert "均符合《生活饮用水卫生标准》" in body
    if kind.startswith("http"):
        assert emulator.served == {"2019-06-02": 1}

    assert runner.tick().outcomes == {}  # nothing twice
    assert runner.next_due() == local(2019, 6, 3, 9, 0)
    if kind == "csv":  # and the dispatcher publishes it like any other item
        assert Dispatcher(app).run_due().outcomes["published"] == 1
        assert "2019年6月2日水质检测结果公示" in (tmp_path / "feed.xml").read_text(encoding="utf-8")


def test_the_body_is_sanitised_and_the_routing_or_series_channels_are_used(tmp_path, sqlite_url, make_app, clock):
    channels = {**feed(tmp_path), "mirror": {"type": "rss", "output": str(tmp_path / "mirror.xml"),
                                             "site_url": "http://www.example.gov.cn"}}
    body = '<p onclick="x()">{{ row.水厂 }}</p><script>alert(1)</script>'
    app = make_app(sqlite_url, channels, routing={"default": ["feed"]},
                   series={"wq": block(csv_source(tmp_path), body=body, rows="one", channels=["mirror"], department="水务科"),
                           "routed": block(csv_source(tmp_path), schedule="0 10 * * *")})
    runner = SeriesRunner(app)
    runner.tick()
    clock.set(local(2019, 6, 2, 10, 0))
    runner.tick()
    [item] = series_items(app)
    assert item["body_html"] == "<p>城北水厂</p>" and item["department"] == "水务科"
    assert [d["channel"] for d in app.store.get_item(item["id"])["deliveries"]] == ["mirror"]
    [routed] = series_items(app, "routed")
    assert [d["channel"] for d in app.store.get_item(routed["id"])["deliveries"]] == ["feed"]


# --- exactly one item per occurrence --------------------------------------------------------------------

def test_two_concurrent_runners_create_each_occurrence_once(tmp_path, db_url, clock):
    path = write_config(tmp_path, db_url, feed(tmp_path), series={"wq": block(csv_source(tmp_path))})
    apps = [App.from_config(load_config(path), clock) for _ in range(2)]
    try:
        SeriesRunner(apps[0]).tick()  # the series is first seen at 10:00 on June 1
        clock.set(local(2019, 6, 4, 9, 5))  # both daemons were down for three days
        barrier = threading.Barrier(2)
        stats = [[], []]
        errors = []

        def daemon(n: int) -> None:
            runner = SeriesRunner(apps[n])
            try:
                barrier.wait(timeout=10)
                for _ in range(3):
                    stats[n].append(runner.tick().outcomes)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=daemon, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors
        created = sum(s["created"] for runs in stats for s in runs)
        queued = sum(s["queued"] for runs in stats for s in runs)
        assert (created, queued) == (3, 3)

        keys = ["2019-06-02T09:00", "2019-06-03T09:00", "2019-06-04T09:00"]
        assert [o["occurrence_key"] for o in occurrences(apps[1])] == keys
        assert all(o["status"] == "queued" for o in occurrences(apps[1]))
        found = series_items(apps[0])
        assert sorted(i["occurrence_key"] for i in found) == keys
        assert sorted(o["item_id"] for o in occurrences(apps[0])) == sorted(i["id"] for i in found)
        assert event_kinds(apps[0]).count("queued") == 3

        for app in apps:  # restarts and repeated ticks change nothing
            SeriesRunner(app).tick()
        assert len(series_items(apps[1])) == 3 and len(occurrences(apps[1])) == 3
    finally:
        for app in apps:
            app.close()


def test_the_database_refuses_a_second_row_for_an_occurrence(db_url, clock):
    store = Store.open(db_url, clock)
    try:
        row = dict(series="wq", occurrence_key="2019-06-02T09:00", scheduled_at=clock.now(), status="waiting",
                   tries=0, created_at=clock.now(), updated_at=clock.now())
        with store.transaction() as conn:
            conn.execute(insert(series_occurrences).values(**row))
        with pytest.raises(IntegrityError):
            with store.transaction() as conn:
                conn.execute(insert(series_occurrences).values(**row))
        with pytest.raises(IntegrityError):
            with store.transaction() as conn:
                for _ in range(2):
                    store.insert_item(conn, title="t", category="水质检测", body_html="<p>x</p>", publish_at=clock.now(),
                                      channels=[], actor="test", series="wq", occurrence_key="2019-06-02T09:00")
    finally:
        store.engine.dispose()


# --- downtime ---------------------------------------------------------------------------------------------

def test_catch_up_after_three_days_of_downtime_publishes_late(tmp_path, db_url, make_app, clock):
    app = make_app(db_url, feed(tmp_path), series={"wq": block(csv_source(tmp_path))})
    runner = SeriesRunner(app)
    runner.tick()
    clock.advance(timedelta(days=3))  # June 4 10:00: June 2, 3 and 4 at 09:00 were missed
    assert runner.tick().outcomes == {"created": 3, "queued": 3}
    assert [(o["occurrence_key"], o["status"]) for o in occurrences(app)] == [
        ("2019-06-02T09:00", "queued"), ("2019-06-03T09:00", "queued"), ("2019-06-04T09:00", "queued")]
    titles = [i["title"] for i in series_items(app)]
    assert titles == ["2019年6月2日水质检测结果公示", "2019年6月3日水质检测结果公示", "2019年6月4日水质检测结果公示"]
    assert all(i["publish_at"] == clock.now() for i in series_items(app))  # late, but each day's own data
    assert SeriesRunner(app).tick().outcomes == {}


def test_skip_policy_records_the_missed_occurrences(tmp_path, sqlite_url, make_app, clock):
    app = make_app(sqlite_url, feed(tmp_path), series={"wq": block(csv_source(tmp_path), missed="skip")})
    runner = SeriesRunner(app)
    runner.tick()
    clock.set(local(2019, 6, 4, 9, 5))  # June 4 09:00 is on time; June 2 and 3 were missed
    assert runner.tick().outcomes == {"skipped": 2, "created": 1, "queued": 1}
    rows = occurrences(app)
    assert [(o["occurrence_key"], o["status"], o["item_id"] is None) for o in rows] == [
        ("2019-06-02T09:00", "skipped", True), ("2019-06-03T09:00", "skipped", True), ("2019-06-04T09:00", "queued", False)]
    assert "policy: skip" in rows[0]["last_error"]
    assert event_kinds(app).count("series_skipped") == 2
    overview = runner.overview()[0]
    assert overview["counts"] == {"skipped": 2, "queued": 1}
    assert overview["last_problem"]["occurrence_key"] == "2019-06-03T09:00"


def test_catch_up_limit_records_the_older_ones_as_skipped(tmp_path, sqlite_url, make_app, clock):
    app = make_app(sqlite_url, feed(tmp_path), series={"wq": block(csv_source(tmp_path), catch_up_limit=2)})
    runner = SeriesRunner(app)
    runner.tick()
    clock.set(local(2019, 6, 6, 12, 0))
    assert runner.tick().outcomes == {"skipped": 3, "created": 2, "queued": 2}
    assert [o["status"] for o in occurrences(app)] == ["skipped"] * 3 + ["queued"] * 2
    assert "catch_up_limit 2" in occurrences(app)[0]["last_error"]


def test_a_disabled_series_creates_nothing_and_no_backlog(tmp_path, sqlite_url, make_app, clock):
    app = make_app(sqlite_url, feed(tmp_path), series={"wq": block(csv_source(tmp_path), enabled=False)})
    runner = SeriesRunner(app)
    runner.tick()
    clock.advance(timedelta(days=3))
    assert runner.tick().outcomes == {} and runner.next_due() is None and occurrences(app) == []
    with app.store.engine.connect() as conn:
        assert conn.execute(select(series_state.c.since)).scalar() == clock.now()


# --- late data and the deadline -------------------------------------------------------------------------

def test_late_data_waits_retries_and_is_published_when_it_appears(tmp_path, sqlite_url, make_app, clock):
    available = {"until": date(2019, 6, 1)}
    emulator = WaterQualityEmulator(available_until=lambda: available["until"])
    with EmulatorServer(emulator) as server:
        source = {"type": "http", "url": server.url + "/water-quality", "date_param": "date", "date_column": "日期",
                  "timeout": 5}
        app = make_app(sqlite_url, feed(tmp_path), series={"wq": block(source, data_retry="15m", data_deadline="6h")})
        runner = SeriesRunner(app)
        runner.tick()
        clock.set(local(2019, 6, 2, 9, 0))
        assert runner.tick().outcomes == {"created": 1, "waiting": 1}
        [occ] = occurrences(app)
        assert occ["status"] == "waiting" and occ["tries"] == 1 and "HTTP 404" in occ["last_error"]
        assert occ["deadline_at"] == local(2019, 6, 2, 15, 0)
        assert runner.next_due() == local(2019, 6, 2, 9, 15) and series_items(app) == []

        clock.set(local(2019, 6, 2, 9, 10))
        assert runner.tick().outcomes == {}  # not yet time to retry
        clock.set(local(2019, 6, 2, 9, 15))
        assert runner.tick().outcomes == {"waiting": 1}
        assert occurrences(app)[0]["tries"] == 2

        available["until"] = date(2019, 6, 2)  # the lab publishes the day's results
        clock.set(runner.next_due())
        assert runner.tick().outcomes == {"queued": 1}
        [occ] = occurrences(app)
        [item] = series_items(app)
        assert (occ["status"], occ["tries"], occ["last_error"], occ["item_id"]) == ("queued", 3, None, item["id"])
        assert "<table>" in item["body_html"] and emulator.served == {"2019-06-02": 1}


def test_past_the_deadline_it_is_missing_data_never_an_empty_item(tmp_path, sqlite_url, make_app, clock, caplog):
    emulator = WaterQualityEmulator(available_until=date(2019, 6, 1), pending={})
    with EmulatorServer(emulator) as server:
        source = {"type": "http", "url": server.url + "/water-quality", "date_param": "date", "date_column": "日期"}
        app = make_app(sqlite_url, feed(tmp_path), series={"wq": block(source, data_retry="1h", data_deadline="3h")})
        runner = SeriesRunner(app)
        with caplog.at_level("WARNING", logger="publisher.series"):
            run_until(runner, clock, local(2019, 6, 2, 18, 0))
    [occ] = occurrences(app)
    assert occ["status"] == "missing_data" and occ["tries"] == 4  # 09:00, 10:00, 11:00 and the deadline 12:00
    assert occ["last_error"].startswith("missing data: ") and "gave up at the deadline" in occ["last_error"]
    assert series_items(app) == []
    assert "series_missing_data" in event_kinds(app)
    assert any("missing data" in r.getMessage() and "2019-06-02T09:00" in r.getMessage() for r in caplog.records)
    last = runner.overview()[0]["last"]
    assert (last["occurrence_key"], last["status"]) == ("2019-06-02T09:00", "missing_data")


def test_half_filled_data_waits_and_a_broken_template_fails_at_once(tmp_path, sqlite_url, make_app, clock):
    emulator = WaterQualityEmulator(pending={date(2019, 6, 2): ["菌落总数"]})
    with EmulatorServer(emulator) as server:
        source = {"type": "http", "url": server.url + "/water-quality", "date_param": "date", "date_column": "日期"}
        app = make_app(sqlite_url, feed(tmp_path), series={
            "wq": block(source), "broken": block(source, title="{{ no_such_thing }}")})
        runner = SeriesRunner(app)
        runner.tick()
        clock.set(local(2019, 6, 2, 9, 0))
        assert runner.tick().outcomes == {"created": 2, "waiting": 1, "failed": 1}
        assert "'检测值' is empty" in occurrences(app)[0]["last_error"]
        [broken] = occurrences(app, "broken")
        assert broken["status"] == "failed" and broken["last_error"].startswith("template error:")
        assert "series_failed" in event_kinds(app)
        emulator.pending.clear()  # the result comes in
        clock.set(runner.next_due())
        assert runner.tick().outcomes == {"queued": 1}
        assert len(series_items(app)) == 1 and series_items(app, "broken") == []


# --- DST and month ends ---------------------------------------------------------------------------------

@pytest.mark.parametrize("zone, night, expected", [
    ("America/New_York", date(2020, 3, 8), "2020-03-08T03:30"),   # spring forward: 02:30 does not exist
    ("Europe/Berlin", date(2019, 10, 27), "2019-10-27T02:30"),     # fall back: 02:30 happens twice
])
def test_a_daily_series_over_a_dst_night_creates_one_occurrence(zone, night, expected, tmp_path, sqlite_url, make_app, clock):
    tz = ZoneInfo(zone)
    office = {"name": "测试局", "timezone": zone}
    app = make_app(sqlite_url, feed(tmp_path), office=office,
                   series={"wq": block(csv_source(tmp_path, night - timedelta(days=1), night), schedule="30 2 * * *")})
    clock.set(datetime.combine(night - timedelta(days=1), datetime.min.time(), tz) + timedelta(hours=12))
    runner = SeriesRunner(app)
    end = clock.now() + timedelta(hours=24)
    while clock.now() < end:  # a daemon polling every 20 minutes through the night
        runner.tick()
        clock.advance(timedelta(minutes=20))
    assert [o["occurrence_key"] for o in occurrences(app)] == [expected]
    assert [i["title"] for i in series_items(app)] == [f"{night.year}年{night.month}月{night.day}日水质检测结果公示"]


def test_a_month_end_series_fires_on_each_last_day(tmp_path, sqlite_url, make_app, clock):
    app = make_app(sqlite_url, feed(tmp_path), series={"wq": block(csv_source(tmp_path, date(2019, 6, 1), date(2020, 3, 1)),
                                                                      schedule="0 9 L * *")})
    runner = SeriesRunner(app)
    run_until(runner, clock, local(2020, 3, 1, 0, 0))
    keys = [o["occurrence_key"] for o in occurrences(app)]
    assert keys == ["2019-06-30T09:00", "2019-07-31T09:00", "2019-08-31T09:00", "2019-09-30T09:00",
                    "2019-10-31T09:00", "2019-11-30T09:00", "2019-12-31T09:00", "2020-01-31T09:00", "2020-02-29T09:00"]
    assert all(o["status"] == "queued" for o in occurrences(app))

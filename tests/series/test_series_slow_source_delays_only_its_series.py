"""A source that hangs delays only its own series: the others publish meanwhile, polls are not blocked, no
second request is sent while the first hangs, and the stall is logged once (not per poll).

The hanging source is the water-quality emulator on loopback, held on a threading.Event; time is a
SimulatedClock (the stall is measured on it), SQLite.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest

from publisher.sandbox.server import EmulatorServer
from publisher.sandbox.waterquality import WaterQualityEmulator
from publisher.series.runner import SeriesRunner
from test_series_runner import block, csv_source, feed, local, occurrences, series_items


class HeldWaterPlant(WaterQualityEmulator):
    """The plant's API whose first ``hold`` requests hang until ``release`` is set."""

    def __init__(self, hold: int = 1):
        super().__init__()
        self.hold = hold
        self.asked = 0
        self.arrived = threading.Event()
        self.release = threading.Event()

    def _json(self, request):
        with self.lock:
            self.asked += 1
            held = self.asked <= self.hold
        if held:
            self.arrived.set()
            self.release.wait(60)
        return super()._json(request)


@pytest.fixture
def held_plant():
    plant = HeldWaterPlant()
    with EmulatorServer(plant) as server:
        try:
            yield plant, server.url
        finally:
            plant.release.set()


def http_source(url: str) -> dict:
    return {"type": "http", "url": url + "/water-quality", "date_param": "date", "date_column": "日期"}


def stall_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "has not answered" in r.getMessage()]


def test_a_hanging_source_delays_only_its_own_series(tmp_path, sqlite_url, make_app, clock, held_plant, caplog):
    caplog.set_level(logging.INFO, logger="publisher.series")
    plant, url = held_plant
    app = make_app(sqlite_url, feed(tmp_path), series={"wq": block(csv_source(tmp_path)),
                                                       "remote": block(http_source(url))})
    runner = SeriesRunner(app)
    runner.tick()
    clock.set(local(2019, 6, 2, 9, 0))
    runner.poll()  # the daemon's job: returns at once, the reads go on in the background
    assert plant.arrived.wait(10)
    assert runner.wait(timeout=10, names=["wq"])  # the CSV series is done while the other hangs
    assert [i["title"] for i in series_items(app, "wq")] == ["2019年6月2日水质检测结果公示"]
    assert not runner.wait(timeout=0, names=["remote"])
    [held] = occurrences(app, "remote")
    assert (held["status"], held["tries"], held["item_id"]) == ("waiting", 1, None)

    for _ in range(10):  # 50 s of polls: past the source's 30 s timeout
        clock.advance(timedelta(seconds=5))
        runner.poll()
    assert plant.asked == 1  # no second request while the first one hangs
    [line] = stall_lines(caplog)  # said once, not once per poll
    assert line.startswith("series remote:") and "/water-quality" in line and "date=" not in line
    [held] = occurrences(app, "remote")
    assert held["next_try_at"] > clock.now()  # the claim is kept alive while the read goes on

    plant.release.set()
    assert runner.wait(timeout=10)
    runner.poll()
    assert [i["title"] for i in series_items(app, "remote")] == ["2019年6月2日水质检测结果公示"]
    assert [o["status"] for o in occurrences(app, "remote")] == ["queued"]
    assert len(stall_lines(caplog)) == 1
    assert any(r.getMessage().startswith("series remote:") and "answered after" in r.getMessage()
               for r in caplog.records)


def test_tick_without_a_wait_reports_what_it_did(tmp_path, sqlite_url, make_app, clock, held_plant):
    plant, url = held_plant
    plant.release.set()  # this source answers at once
    app = make_app(sqlite_url, feed(tmp_path), series={"wq": block(csv_source(tmp_path)),
                                                       "remote": block(http_source(url))})
    runner = SeriesRunner(app)
    runner.tick()
    clock.set(local(2019, 6, 3, 9, 0))  # June 2 and 3 for both series
    assert runner.tick().outcomes == {"created": 4, "queued": 4}  # `run --once` waits for every read


def test_the_daemon_keeps_polling_while_a_source_hangs(tmp_path, sqlite_url, make_app, clock, held_plant):
    import time

    from publisher.daemon.service import Daemon

    plant, url = held_plant
    app = make_app(sqlite_url, feed(tmp_path), series={"wq": block(csv_source(tmp_path)),
                                                       "remote": block(http_source(url))},
                   daemon={"poll_interval": 0.05})
    runner = SeriesRunner(app)
    runner.tick()
    clock.set(local(2019, 6, 2, 9, 0))
    polls = []  # how long each of the daemon's series polls took, in seconds
    enough = threading.Event()

    def counted_poll() -> None:
        started = time.monotonic()
        runner.poll()
        polls.append(time.monotonic() - started)
        if len(series_items(app, "wq")) and len(polls) >= 10:
            enough.set()

    daemon = Daemon(app)
    daemon.add_job(counted_poll)
    serving = threading.Thread(target=daemon.run, kwargs={"install_signals": False})
    serving.start()
    try:
        assert plant.arrived.wait(10) and enough.wait(10)  # ten polls, and wq published, while remote hangs
    finally:
        daemon.stop()
        serving.join(10)
    assert plant.asked == 1 and not series_items(app, "remote")
    assert max(polls) < 5  # none waited for the source that hangs (it answers only when released)

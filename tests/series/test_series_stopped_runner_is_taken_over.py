"""A daemon killed while it works on an occurrence costs a stale heartbeat (three polls, at least 10 s), not
a fixed 5 minutes: another runner takes the occurrence over then, and publishes it once.

"Killed" is a runner that claimed the occurrence, hangs in its source and is never ticked again; time is a
SimulatedClock; real SQLite and PostgreSQL, one App per runner as one process per daemon would have.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import write_config
from publisher.runtime.app import App
from publisher.config.load import load_config
from publisher.sandbox.server import EmulatorServer
from publisher.series.claims import stale_after
from publisher.series.runner import SeriesRunner
from test_series_runner import block, feed, local, occurrences, series_items
from test_series_slow_source_delays_only_its_series import HeldWaterPlant, http_source


@pytest.fixture
def two_daemons(tmp_path, db_url, clock):
    """Two Apps on one database (retry.lease 2m, poll 5 s) and a source whose first request hangs."""
    plant = HeldWaterPlant(hold=1)
    with EmulatorServer(plant) as server:
        path = write_config(tmp_path, db_url, feed(tmp_path), series={"wq": block(http_source(server.url))},
                            daemon={"poll_interval": 5})
        apps = [App.from_config(load_config(path), clock) for _ in range(2)]
        try:
            yield apps, plant
        finally:
            plant.release.set()
            for app in apps:
                app.close()


def claim_in_a_hanging_read(app: App, plant: HeldWaterPlant, clock) -> SeriesRunner:
    runner = SeriesRunner(app)
    runner.tick()  # first sight of the series: June 1 10:00
    clock.set(local(2019, 6, 2, 9, 0))
    runner.poll()
    assert plant.arrived.wait(10)
    return runner


def test_a_stopped_runners_occurrence_is_taken_over_when_its_heartbeat_is_stale(two_daemons, clock):
    apps, plant = two_daemons
    dead = claim_in_a_hanging_read(apps[0], plant, clock)  # and never ticked again: killed mid-read
    [occ] = occurrences(apps[0])
    assert (occ["status"], occ["tries"]) == ("waiting", 1)
    assert occ["next_try_at"] == local(2019, 6, 2, 9, 2)  # the configured retry.lease (2m), not 5 minutes

    other = SeriesRunner(apps[1])
    clock.advance(timedelta(seconds=14))  # the dead runner beat at 09:00:00; fresh for 15 s
    assert other.tick().outcomes == {}
    clock.advance(timedelta(seconds=2))  # 09:00:16: stale
    assert other.tick().outcomes == {"queued": 1}
    [item] = series_items(apps[1])
    [occ] = occurrences(apps[1])
    assert (occ["status"], occ["tries"], occ["item_id"]) == ("queued", 2, item["id"])

    plant.release.set()  # the killed runner's read answers after all: nothing is recorded twice
    assert dead.wait(timeout=10)
    assert [i["id"] for i in series_items(apps[0])] == [item["id"]]
    assert occurrences(apps[0])[0]["tries"] == 2


def test_a_runner_that_still_beats_keeps_its_slow_occurrence(two_daemons, clock):
    apps, plant = two_daemons
    slow = claim_in_a_hanging_read(apps[0], plant, clock)
    other = SeriesRunner(apps[1])
    for _ in range(30):  # 2.5 minutes: longer than the lease, while the slow runner polls on
        clock.advance(timedelta(seconds=5))
        slow.poll()
        assert other.tick().outcomes == {}
    [occ] = occurrences(apps[0])
    assert occ["tries"] == 1 and occ["next_try_at"] == clock.now() + timedelta(minutes=2)  # renewed each beat
    plant.release.set()
    assert slow.wait(timeout=10)
    assert [o["status"] for o in occurrences(apps[1])] == ["queued"] and len(series_items(apps[1])) == 1
    assert plant.asked == 1


def test_a_crash_costs_three_polls_and_at_least_ten_seconds():
    assert stale_after(5) == timedelta(seconds=15)
    assert stale_after(0.1) == timedelta(seconds=10)
    assert stale_after(60) == timedelta(minutes=3)

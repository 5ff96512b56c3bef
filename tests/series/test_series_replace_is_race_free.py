"""Two overlapping `series run NAME --date D --replace` runs: the later issue survives, the day has one live item.

The interleaving of issue 14 is forced with the runner's ``after_issue`` seam and threading.Events (no sleeps):
run A issues (choosing what to retract in the same transaction) and pauses before taking it down; run B issues,
retracts; then A goes on. A crash between issuing and taking down leaves the old issue marked for retraction.
Real SQLite and PostgreSQL, two App instances as two processes would have.
"""

from __future__ import annotations

import threading

import pytest
from datetime import date

from sqlalchemy import select

from conftest import write_config
from publisher.runtime.app import App
from publisher.config.load import load_config
from publisher.db.schema import items
from publisher.series.runner import SeriesRunner, split_reissue
from test_series_runner import block, csv_source, feed

DAY = date(2019, 6, 2)


def live_items(app: App) -> list[tuple[int, str]]:
    with app.store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(items.c.id, items.c.occurrence_key).where(
            (items.c.series == "wq") & (items.c.status != "retracted")).order_by(items.c.id))]


def overlapping_replace_runs(apps: list[App]):
    """Run A (paused after issuing) and run B (the whole way) on the same day; returns (A's, B's) Issued."""
    a_issued, b_done = threading.Event(), threading.Event()
    outcome: dict = {}

    def pause(_issued) -> None:
        a_issued.set()
        assert b_done.wait(30), "run B did not finish"

    def run_a() -> None:
        try:
            outcome["a"] = SeriesRunner(apps[0], after_issue=pause).issue("wq", DAY, replace=True)
        except Exception as exc:  # pragma: no cover - reported below
            outcome["a_error"] = exc
            a_issued.set()

    thread = threading.Thread(target=run_a)
    thread.start()
    assert a_issued.wait(30)
    try:
        outcome["b"] = SeriesRunner(apps[1]).issue("wq", DAY, replace=True)
    finally:
        b_done.set()
        thread.join(30)
    assert "a_error" not in outcome, outcome.get("a_error")
    return outcome["a"], outcome["b"]


def test_the_later_of_two_overlapping_replace_runs_survives(tmp_path, db_url, clock):
    path = write_config(tmp_path, db_url, feed(tmp_path), series={"wq": block(csv_source(tmp_path))})
    apps = [App.from_config(load_config(path), clock) for _ in range(2)]
    try:
        a, b = overlapping_replace_runs(apps)
        assert (a.occurrence_key, b.occurrence_key) == ("2019-06-02T09:00", "2019-06-02T09:00#2")
        assert b.replaced == (a.item_id,)  # B came later: it retracts A's issue
        assert a.replaced == ()  # A never retracts the issue that came after its own
        assert live_items(apps[0]) == [(b.item_id, b.occurrence_key)]
    finally:
        for app in apps:
            app.close()


def test_a_paused_replace_run_retracts_only_issues_older_than_its_own(tmp_path, db_url, clock):
    path = write_config(tmp_path, db_url, feed(tmp_path), series={"wq": block(csv_source(tmp_path))})
    apps = [App.from_config(load_config(path), clock) for _ in range(2)]
    try:
        first = SeriesRunner(apps[0]).issue("wq", DAY)  # the day as first published
        a, b = overlapping_replace_runs(apps)
        assert (a.occurrence_key, b.occurrence_key) == ("2019-06-02T09:00#2", "2019-06-02T09:00#3")
        assert a.replaced == (first.item_id,) and b.replaced == (a.item_id,)
        assert live_items(apps[1]) == [(b.item_id, "2019-06-02T09:00#3")]
        again = SeriesRunner(apps[0]).issue("wq", DAY, replace=True)  # and a later correction replaces B
        assert again.replaced == (b.item_id,) and live_items(apps[0]) == [(again.item_id, "2019-06-02T09:00#4")]
    finally:
        for app in apps:
            app.close()


def test_reissue_numbers_order_the_day():
    assert split_reissue("2019-06-02T09:00") == ("2019-06-02T09:00", 1)
    assert split_reissue("2019-06-02T09:00#12") == ("2019-06-02T09:00", 12)


def test_a_replace_run_that_dies_before_taking_down_leaves_the_old_issue_to_the_daemon(tmp_path, sqlite_url, clock):
    from publisher.delivery.dispatcher import Dispatcher

    path = write_config(tmp_path, sqlite_url, feed(tmp_path), series={"wq": block(csv_source(tmp_path))})
    app = App.from_config(load_config(path), clock)
    try:
        first = SeriesRunner(app).issue("wq", DAY)
        Dispatcher(app).run_due()
        assert app.store.get_item(first.item_id)["deliveries"][0]["status"] == "published"

        def die(_issued) -> None:
            raise KeyboardInterrupt("killed between issuing and taking down")

        with pytest.raises(KeyboardInterrupt):
            SeriesRunner(app, after_issue=die).issue("wq", DAY, replace=True)
        assert [key for _, key in live_items(app)] == ["2019-06-02T09:00#2"]  # never two live issues
        Dispatcher(app).run_due()  # the daemon finishes the take-down
        assert app.store.get_item(first.item_id)["deliveries"][0]["status"] == "retracted"
    finally:
        app.close()

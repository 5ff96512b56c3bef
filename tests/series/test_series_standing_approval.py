"""A series' occurrences are approved by a standing approval of its template: granted by an approver (in the
audit chain), they publish without daily review; without one they wait in review; a changed template revokes it."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

from sqlalchemy import select

from conftest import run_cli, write_config
from publisher.runtime.app import App
from publisher.foundation.clock import SimulatedClock
from publisher.config.load import load_config
from publisher.delivery.dispatcher import Dispatcher
from publisher.sandbox.waterquality import WATER_QUALITY_BODY, WATER_QUALITY_TITLE, write_sample_csv
from publisher.db.schema import items
from publisher.series.runner import SeriesRunner


def _config(tmp_path, title: str = WATER_QUALITY_TITLE):
    write_sample_csv(tmp_path / "wq.csv", date(2019, 6, 1), date(2019, 6, 30))
    series = {"wq": {"category": "水质检测", "schedule": "0 9 * * *", "title": title, "body": WATER_QUALITY_BODY,
                     "source": {"type": "csv", "path": "wq.csv", "date_column": "日期"}}}
    channels = {"feed": {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://www.example.gov.cn"}}
    return write_config(tmp_path, f"sqlite:///{tmp_path / 'publisher.db'}", channels, series=series,
                        review={"enabled": True})


def _cli(config, *args):
    return run_cli(config, *args, env={"PUBLISHER_USER": None})


def _start(config, clock) -> None:
    """The series is first seen before its first occurrence (catch-up starts there)."""
    app = App.from_config(load_config(config), clock)
    SeriesRunner(app).tick()
    app.close()


def _day(config, clock, day: int) -> dict:
    """Run the series and the dispatcher at 09:00 of June ``day`` 2019; the item of that day."""
    clock.set(datetime(2019, 6, day, 1, 0, 5, tzinfo=timezone.utc))
    app = App.from_config(load_config(config), clock)
    try:
        SeriesRunner(app).tick()
        dispatcher = Dispatcher(app)
        dispatcher.run_due()
        dispatcher.close()
        with app.store.engine.connect() as conn:
            row = conn.execute(select(items).where(items.c.occurrence_key == f"2019-06-{day:02d}T09:00")).mappings().one()
            return {"id": row["id"], "state": row["review_state"],
                    "published": app.store.get_item(row["id"])["deliveries"][0]["status"] == "published"}
    finally:
        app.close()


def test_occurrences_publish_under_a_standing_approval_and_wait_without_one(tmp_path):
    config = _config(tmp_path)
    clock = SimulatedClock(datetime(2019, 6, 1, 0, 0, tzinfo=timezone.utc))
    _cli(config, "user", "add", "adm", "--role", "admin")
    _cli(config, "--as", "adm", "user", "add", "boss", "--role", "approver")
    _cli(config, "--as", "adm", "user", "add", "ed", "--role", "editor")
    _start(config, clock)

    first = _day(config, clock, 1)
    assert first == {"id": first["id"], "state": "in_review", "published": False}  # no standing approval yet

    assert _cli(config, "--as", "ed", "series", "approve", "wq").exit_code == 3  # an editor cannot grant it
    granted = _cli(config, "--as", "boss", "series", "approve", "wq", "--comment", "模板已审定")
    assert granted.exit_code == 0, granted.output
    second = _day(config, clock, 2)
    assert second["state"] == "approved" and second["published"]

    audit = json.loads(_cli(config, "--as", "boss", "audit", "--json").stdout)
    [grant] = [e for e in audit if e["kind"] == "standing_approval_granted"]
    assert grant["actor"] == "boss" and grant["detail"]["series"] == "wq"
    [queued] = [e for e in audit if e["kind"] == "queued" and e["item_id"] == second["id"]]
    assert queued["detail"]["standing_approval"] == "boss"

    changed = _config(tmp_path, title="{{ date }}水质公告（新模板）")  # the office edits the template
    third = _day(changed, clock, 3)
    assert third["state"] == "in_review" and not third["published"]
    audit = json.loads(_cli(changed, "--as", "boss", "audit", "--json").stdout)
    assert [e["detail"]["reason"] for e in audit if e["kind"] == "standing_approval_revoked"] == [
        "the series' template changed"]


def test_with_review_off_occurrences_publish_as_before(tmp_path):
    config = _config(tmp_path)
    config.write_text(config.read_text(encoding="utf-8").replace("enabled: true", "enabled: false"), encoding="utf-8")
    clock = SimulatedClock(datetime(2019, 6, 1, 0, 0, tzinfo=timezone.utc))
    _start(config, clock)
    assert _day(config, clock, 1)["published"]

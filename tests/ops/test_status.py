"""publisher status: what an operator must act on — no daemon, a stopped daemon, a backlog, a paused channel,
dead deliveries, items waiting for review, no backup yet — each shown; and the healthy picture."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, update

from conftest import run_cli, write_config
from publisher import __version__
from publisher.config.load import load_config
from publisher.db.schema import channel_pauses, channel_state, deliveries, items
from publisher.ledger.store import Store


def _office(tmp_path, db_url):
    config = write_config(tmp_path, db_url, {"feed": {"type": "rss", "output": str(tmp_path / "rss.xml"),
                                                      "site_url": "http://127.0.0.1/"}})
    for n in range(3):
        assert run_cli(config, "queue", "add", "--title", f"公告{n}", "--category", "公示公告",
                       "--body", "<p>x</p>").exit_code == 0
    return config


def _status(config) -> dict:
    result = run_cli(config, "status", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_status_shows_what_needs_an_operator(tmp_path, db_url):
    config = _office(tmp_path, db_url)
    data = _status(config)
    assert data["version"] == __version__ and data["daemons"] == [] and data["last_backup"] is None
    assert data["due"] == 3 and data["dead"] == 0 and data["waiting_for_review"] == 0
    assert data["database"]["size_bytes"] > 0 and "password" not in data["database"]["url"]
    text = run_cli(config, "status").output
    assert "none running" in text and "none yet" in text

    now = datetime.now(timezone.utc)
    store = Store.open(load_config(config).database_url)
    with store.transaction() as conn:
        conn.execute(update(deliveries).where(deliveries.c.item_id == 1).values(status="dead"))
        conn.execute(update(items).where(items.c.id == 2).values(review_state="in_review"))
        conn.execute(insert(channel_pauses).values(channel="feed", since=now, until=None, reason="凭据失效"))
        conn.execute(insert(channel_state).values(channel="_series", key="runner:host-a:1", value={}, version=0,
                                                  expires_at=now - timedelta(minutes=5)))
        conn.execute(insert(channel_state).values(channel="_series", key="runner:host-b:2", value={}, version=0,
                                                  expires_at=now + timedelta(seconds=15)))
    store.engine.dispose()
    data = _status(config)
    assert data["dead"] == 1 and data["due"] == 2 and data["waiting_for_review"] == 1
    assert [p["channel"] for p in data["paused_channels"]] == ["feed"]
    assert [(d["daemon"], d["alive"]) for d in data["daemons"]] == [("host-b:2", True), ("host-a:1", False)]
    text = run_cli(config, "status").output
    assert "daemon host-a:1: stopped" in text and "daemon host-b:2: alive" in text
    assert "channel feed paused" in text and "凭据失效" in text and "dead (need `item retry`): 1" in text


def test_status_shows_the_last_backup_and_who_took_it(tmp_path, sqlite_url):
    config = _office(tmp_path, sqlite_url)
    archive = tmp_path / "b.tar.gz"
    assert run_cli(config, "--as", "ops-wang", "backup", str(archive)).exit_code == 0
    backup = _status(config)["last_backup"]
    assert backup["by"] == "ops-wang" and backup["file"] == str(archive.resolve())


def test_status_lists_the_next_series_occurrence(tmp_path, sqlite_url):
    config = write_config(tmp_path, sqlite_url, {"feed": {"type": "rss", "output": str(tmp_path / "rss.xml"),
                                                          "site_url": "http://127.0.0.1/"}},
                          series={"wq": {"category": "水质检测", "schedule": "0 9 * * *",
                                         "source": {"type": "csv", "path": str(tmp_path / "wq.csv"),
                                                    "date_column": "日期"},
                                         "title": "{{ date }}水质", "body": "<p>{{ rows|length }}</p>"}})
    data = _status(config)
    assert [s["series"] for s in data["series"]] == ["wq"] and data["series"][0]["next_occurrence"]
    assert "series wq: next " in run_cli(config, "status").output

"""The one queue listing behind the console, the API and `queue list`: filters, office scoping, paging, totals —
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
from click.testing import CliRunner

from publisher.ledger.listing import Filters, list_items, month_schedule


@pytest.fixture
def app(make_app, db_url, tmp_path):
    app = make_app(db_url, {"feed": {"type": "rss", "output": str(tmp_path / "feed.xml"),
                                     "site_url": "http://127.0.0.1:9"},
                            "feed2": {"type": "rss", "output": str(tmp_path / "feed2.xml"),
                                      "site_url": "http://127.0.0.1:9"}},
                   routing={"default": ["feed"]})
    # 2019-06-01 00:30 and 23:30 Shanghai time are 2019-05-31 16:30 and 2019-06-01 15:30 UTC
    rows = [("关于100%完成任务的通报", "其他", datetime(2019, 5, 31, 16, 30), "default", ["feed"]),
            ("公示：第一批名单", "公示公告", datetime(2019, 6, 1, 15, 30), "default", ["feed", "feed2"]),
            ("另一单位的公示", "公示公告", datetime(2019, 6, 1, 3, 0), "other", ["feed"]),
            ("七月的政策文件", "政策文件", datetime(2019, 7, 2, 1, 0), "default", ["feed2"])]
    with app.store.transaction() as conn:
        for title, category, at, office, channels in rows:
            app.store.insert_item(conn, title=title, category=category, body_html="<p>x</p>",
                                  publish_at=at.replace(tzinfo=timezone.utc), channels=channels, actor="t",
                                  office=office)
    return app


def titles(app, **filters) -> list[str]:
    found = list_items(app.store.engine, app.config.tz, Filters(office="default", **filters), order="schedule")
    assert found["total"] == len(found["items"])
    return [r["title"] for r in found["items"]]


def test_filters_match_what_an_editor_means(app):
    assert titles(app) == ["关于100%完成任务的通报", "公示：第一批名单", "七月的政策文件"]  # not the other office's
    assert titles(app, category="公示公告") == ["公示：第一批名单"]
    assert titles(app, channel="feed2") == ["公示：第一批名单", "七月的政策文件"]
    assert titles(app, status="pending") == titles(app)
    assert titles(app, status="published") == []
    assert titles(app, q="100%") == ["关于100%完成任务的通报"]  # % is a character, not a wildcard
    assert titles(app, q="%") == ["关于100%完成任务的通报"]
    # dates are the office's local days
    assert titles(app, since=date(2019, 6, 1), until=date(2019, 6, 1)) == ["关于100%完成任务的通报", "公示：第一批名单"]


def test_pages_and_total_never_cap_silently(app):
    page = list_items(app.store.engine, app.config.tz, Filters(office="default"), per_page=2, page=2)
    assert page["total"] == 3 and page["pages"] == 2 and len(page["items"]) == 1


def test_calendar_days_are_local(app):
    days = month_schedule(app.store.engine, app.config.tz, "default", 2019, 6)
    assert sorted(days) == [1] and len(days[1]) == 2


def test_queue_list_keeps_its_json_and_says_when_more_exist(app):
    from publisher.cli.main import main

    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(app.config.path), "queue", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {"id", "title", "category", "status", "publish_at", "deliveries"} <= set(rows[0])
    assert len(rows) == 3  # the office's items only (the configured office without --as)
    result = runner.invoke(main, ["--config", str(app.config.path), "queue", "list", "--limit", "1"])
    assert result.exit_code == 0 and "1 of 3; --page 2" in result.output

"""The 工作台's inspection clocks use each channel's and column's configured limit, and warn N days ahead through
the notifications, once per deadline. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from publisher.channel_registry.clocks import clocks
from publisher.channel_registry.warnings import warn_idle
from publisher.daemon.batch import run_batch
from publisher.db.engine import reading
from publisher.db.schema import events
from publisher.items.intake import ItemRequest, queue_one
from publisher.review.notify import notices_for


def test_limits_come_from_each_channel_and_column_and_warn_once_ahead(make_app, db_url, tmp_path, clock):
    feed = {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://www.example.gov.cn",
            "display_name": "政务微博", "max_idle": "10d", "column_idle": {"公示公告": "30d"}}
    app = make_app(db_url, {"feed": feed}, report={"idle": {"categories": {"水质检测": "60d"}, "warn_days": 2}})
    queue_one(app, ItemRequest(title="公示", category="公示公告", body="正文"))
    run_batch(app, max_time=30)

    clock.advance(timedelta(days=7))
    found = {(c.what, c.name, c.category): (c.limit, c.days_left) for c in clocks(app, "default")}
    assert found[("channel", "feed", None)] == (10, 3)
    assert found[("column", "feed", "公示公告")] == (30, 23)
    assert found[("category", "水质检测", "水质检测")] == (60, None)  # never published: at risk now
    assert found[("category", "公示公告", "公示公告")] == (183, 176)  # the default for notices
    assert [c.name for c in warn_idle(app)] == ["政策文件", "水质检测"]  # never published; feed: 3 days > 2

    clock.advance(timedelta(days=1))
    assert [c.name for c in warn_idle(app)] == ["feed"]
    assert warn_idle(app) == []  # once per deadline
    with reading(app.store.engine) as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(events).where(events.c.kind == "idle_warning")
                                                       .order_by(events.c.id))]
        texts = [n.text for row in rows for n in notices_for(app, conn, row)]
    assert texts == ["检查风险提示：政策文件尚无发布记录，请及时发布", "检查风险提示：水质检测尚无发布记录，请及时发布",
                     "检查风险提示：政务微博距“10天未更新”的检查标准还有2天，请及时发布"]

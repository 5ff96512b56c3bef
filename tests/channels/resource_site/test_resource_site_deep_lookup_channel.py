"""resource_site: a look-up searches the listing as far back as the attempt needs; columns and dates are mapped."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from channels.resource_site.adapter import ResourceSiteChannel
from publisher.delivery.dispatcher import Dispatcher
from publisher.items.intake import ItemRequest, queue_one
from channels.resource_site.emulator import ResourceSiteEmulator
from publisher.sandbox.server import wait_until

from channel_blocks import site_config


def dated_config(url: str, **listing) -> dict:
    config = site_config(url, timeout=1)
    config["submit"]["fields"]["publish_date"] = "pubDate"
    config["listing"] = {**config["listing"], "url": "/notice/list.jsp?category={category}&page={page}",
                         "date_selector": "span.date", **listing}
    return config


@pytest.fixture
def emulator(clock):
    return ResourceSiteEmulator(clock=clock)


def test_kill_mid_save_then_newer_notices_the_look_up_finds_it_beyond_page_3(
        sqlite_url, make_app, server, emulator, clock):
    app = make_app(sqlite_url, {"site": dated_config(server.url)})
    item_id = queue_one(app, ItemRequest(title="某某项目施工招标公告", category="公示公告", body="<p>正文</p>"))
    emulator.save_gate = threading.Event()
    Dispatcher(app, workers=1).run_due()  # the save hangs; the worker gives up (as if killed) mid-save
    delivery = app.store.get_item(item_id)["deliveries"][0]
    assert delivery["status"] == "in_doubt" and emulator.submissions == 1
    emulator.save_gate.set()  # ... the site commits the save afterwards
    assert wait_until(lambda: bool(emulator.live_notices()))
    for n in range(75):  # newer notices in the same column push it to page 4
        emulator.add_notice(f"其他项目{n}号公告", category="13")
    clock.advance(timedelta(hours=1))
    Dispatcher(app, workers=1).run_due()
    delivery = app.store.get_item(item_id)["deliveries"][0]
    assert delivery["status"] == "published"
    assert [n.title for n in emulator.live_notices()].count("某某项目施工招标公告") == 1
    assert emulator.submissions == 1


def test_look_up_stops_once_a_whole_page_is_older_than_the_attempt(server, emulator, services, clock):
    old = clock.now() - timedelta(days=30)
    for n in range(100):
        emulator.add_notice(f"旧公告{n}", category="11", created_at=old)
    channel = ResourceSiteChannel("site", ResourceSiteChannel.Settings(**dated_config(server.url)), services)
    from publisher.adapter import DeliveryContext, ItemView

    item = ItemView(id=1, uid="u", title="不存在的公告", category="招标公告", body_html="<p>x</p>",
                    publish_at=clock.now())
    ctx = DeliveryContext(delivery_id=1, channel="site", idempotency_key="k", attempt=1,
                          checkpoint={"prior_ids": [], "posted": True, "scan_started": clock.now().isoformat()})
    seen = emulator.requests_seen
    assert channel.lookup(item, ctx) is None
    assert emulator.requests_seen - seen == 1  # page 1 is all older than the attempt: no need to read 5 pages
    channel.close()


def test_listing_per_column_and_publication_date_field(server, emulator, services, clock):
    from publisher.adapter import DeliveryContext, ItemView

    for n in range(30):
        emulator.add_notice(f"中标结果{n}", category="12")
    channel = ResourceSiteChannel("site", ResourceSiteChannel.Settings(**dated_config(server.url, pages=1)), services)
    item = ItemView(id=1, uid="u", title="按栏目查找的公告", category="招标公告", body_html="<p>x</p>",
                    publish_at=datetime(2019, 5, 31, 17, 0, tzinfo=timezone.utc))  # 06-01 01:00 in Beijing
    ctx = DeliveryContext(delivery_id=1, channel="site", idempotency_key="k", attempt=1)
    receipt = channel.publish(item, ctx)  # confirmed on column 11's listing though column 12 is busier
    [notice] = [n for n in emulator.live_notices() if n.title == "按栏目查找的公告"]
    assert receipt.external_id == str(notice.id) and notice.publish_date == "2019-06-01"
    channel.close()

"""Channels that carry metadata carry the record's catalogue: WordPress as post meta or a table above the text,
the feed as a table above each entry — over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import feedparser
import pytest

from channel_blocks import WP_APP_PASSWORD, wp_config
from channels.wordpress.emulator import WordpressEmulator
from publisher.delivery.dispatcher import Dispatcher
from publisher.items.intake import ItemRequest, queue_one
from publisher.sandbox.server import EmulatorServer

POLICY = {"doc_no": "东住建〔2019〕12号", "written_on": "2019-05-20", "genre": "规范性文件"}
META = ("index_no", "issuer", "doc_no", "written_on", "genre")


@pytest.fixture
def wordpress(clock):
    with EmulatorServer(WordpressEmulator(app_password=WP_APP_PASSWORD, clock=clock, registered_meta=META)) as server:
        yield server


def _publish(app) -> int:
    item_id = queue_one(app, ItemRequest(title="如东县住房租赁管理办法", category="公示公告", body="<p>第一条</p>",
                                         catalogue=dict(POLICY)))
    Dispatcher(app).run_due()
    return item_id


def test_wordpress_keeps_the_catalogue_as_post_meta(db_url, make_app, wordpress):
    app = make_app(db_url, {"wp": wp_config(wordpress.url, catalogue="meta")}, catalogue={"org_code": "014160123"})
    item_id = _publish(app)
    [post] = wordpress.emulator.posts.values()
    index_no = app.store.get_item(item_id)["index_no"]
    assert post["meta"] == {"index_no": index_no, "issuer": "测试县住房和城乡建设局", "doc_no": "东住建〔2019〕12号",
                            "written_on": "2019-05-20", "genre": "规范性文件"}


def test_wordpress_and_the_feed_show_the_catalogue_above_the_text(db_url, make_app, wordpress, tmp_path):
    feed = {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "https://www.example.gov.cn",
            "catalogue_table": True}
    app = make_app(db_url, {"wp": wp_config(wordpress.url, catalogue="table"), "feed": feed},
                   routing={"default": ["wp", "feed"]}, catalogue={"org_code": "014160123"})
    item_id = _publish(app)
    index_no = app.store.get_item(item_id)["index_no"]
    [post] = wordpress.emulator.posts.values()
    assert post["content"].startswith('<table class="catalogue"><tr><th>索引号</th><td>' + index_no)
    assert "<th>文号</th><td>东住建〔2019〕12号</td>" in post["content"] and "第一条" in post["content"]
    [entry] = feedparser.parse(str(tmp_path / "feed.xml")).entries
    assert index_no in entry.content[0].value and "东住建〔2019〕12号" in entry.content[0].value

"""The ``rss`` channel: RSS 2.0 and Atom files that feed readers accept."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import feedparser
import pytest

from channels.rss.adapter import RssChannel
from publisher.adapter import DeliveryContext, ItemView

BASE = datetime(2019, 3, 1, 1, 0, tzinfo=timezone.utc)


def make_channel(services, tmp_path: Path, **overrides) -> RssChannel:
    block = {
        "type": "rss",
        "display_name": "如东住建局信息公开",
        "output": tmp_path / "feed" / "rss.xml",
        "atom_output": tmp_path / "feed" / "atom.xml",
        "site_url": "https://www.rudong.gov.cn/zjj",
        **overrides,
    }
    return RssChannel("feed", RssChannel.Settings(**block), services)


def make_item(n: int, **kwargs) -> ItemView:
    fields = dict(
        id=n,
        uid=f"uid{n:04d}",
        title=f"第{n}号公告：住房保障资格审核结果公示",
        category="公示公告",
        body_html=f"<p>第{n}号公告正文，含&lt;特殊&gt;字符 &amp; 中文。</p>",
        publish_at=BASE + timedelta(days=n),
    )
    fields.update(kwargs)
    return ItemView(**fields)


def ctx(n: int = 1, **kwargs) -> DeliveryContext:
    return DeliveryContext(delivery_id=n, channel="feed", idempotency_key=f"uid{n:04d}-feed", attempt=1, **kwargs)


def parse(path: Path):
    feed = feedparser.parse(path.read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def test_rss_and_atom_parse_cleanly_with_chinese(services, tmp_path):
    channel = make_channel(services, tmp_path)
    for n in (1, 2, 3):
        channel.publish(make_item(n), ctx(n))

    rss = parse(tmp_path / "feed" / "rss.xml")
    atom = parse(tmp_path / "feed" / "atom.xml")
    assert rss.version == "rss20" and atom.version == "atom10"
    for feed in (rss, atom):
        assert feed.feed.title == "如东住建局信息公开"
        assert [e.title for e in feed.entries] == [make_item(n).title for n in (3, 2, 1)]
        assert "含&lt;特殊&gt;字符 &amp; 中文" in feed.entries[0].content[0].value
        assert "含&lt;特殊&gt;字符 &amp; 中文" in feed.entries[0].summary  # plain-text excerpt, escaped as HTML
        assert feed.entries[0].link == "https://www.rudong.gov.cn/zjj/items/uid0003.html"
        assert feed.entries[0].tags[0].term == "公示公告"
    assert rss.feed.link == "https://www.rudong.gov.cn/zjj/"  # rel=alternate added last wins
    assert rss.feed.language == "zh-CN"
    self_links = [link.href for link in atom.feed.links if link.rel == "self"]
    assert self_links == ["https://www.rudong.gov.cn/zjj/atom.xml"]


def test_guid_stable_and_republish_replaces(services, tmp_path, clock):
    channel = make_channel(services, tmp_path)
    channel.publish(make_item(1), ctx(1))
    first = parse(tmp_path / "feed" / "rss.xml").entries[0]
    assert first.id == "uid0001" and first.guidislink is False

    clock.advance(3600)
    channel.publish(make_item(2), ctx(2))
    channel.publish(make_item(1, title="更正：第1号公告"), ctx(1))  # edited, re-published
    rss = parse(tmp_path / "feed" / "rss.xml")
    assert [e.id for e in rss.entries] == ["uid0002", "uid0001"]
    assert rss.entries[1].title == "更正：第1号公告"
    atom_ids = [e.id for e in parse(tmp_path / "feed" / "atom.xml").entries]
    assert atom_ids == ["urn:publisher:item:uid0002", "urn:publisher:item:uid0001"]


def test_last_build_date_is_newest_entry_not_now(services, tmp_path, clock):
    channel = make_channel(services, tmp_path)
    for n in (2, 5, 3):
        channel.publish(make_item(n), ctx(n))
    before = (tmp_path / "feed" / "rss.xml").read_bytes()

    rss = parse(tmp_path / "feed" / "rss.xml")
    newest = BASE + timedelta(days=5)
    assert parsedate_to_datetime(rss.feed.updated) == newest
    assert parsedate_to_datetime(rss.entries[0].published) == newest
    atom = parse(tmp_path / "feed" / "atom.xml")
    assert datetime.fromisoformat(atom.feed.updated) == newest

    clock.advance(timedelta(days=30))
    channel.rebuild()
    assert (tmp_path / "feed" / "rss.xml").read_bytes() == before  # rebuilding changes nothing


def test_max_entries_keeps_the_newest(services, tmp_path):
    channel = make_channel(services, tmp_path, max_entries=3)
    for n in range(1, 7):
        channel.publish(make_item(n), ctx(n))
    ids = [e.id for e in parse(tmp_path / "feed" / "rss.xml").entries]
    assert ids == ["uid0006", "uid0005", "uid0004"]
    assert len(parse(tmp_path / "feed" / "atom.xml").entries) == 3


def test_retract_removes_entry_and_lookup_follows(services, tmp_path):
    channel = make_channel(services, tmp_path)
    receipt = channel.publish(make_item(1), ctx(1))
    channel.publish(make_item(2), ctx(2))
    assert receipt.external_id == "uid0001"
    assert receipt.external_url == "https://www.rudong.gov.cn/zjj/items/uid0001.html"
    assert channel.lookup(make_item(1), ctx(1)) == receipt.__class__("uid0001", receipt.external_url)

    channel.retract(make_item(1), ctx(1, external_id="uid0001"))
    assert [e.id for e in parse(tmp_path / "feed" / "rss.xml").entries] == ["uid0002"]
    assert [e.id for e in parse(tmp_path / "feed" / "atom.xml").entries] == ["urn:publisher:item:uid0002"]
    assert channel.lookup(make_item(1), ctx(1)) is None
    channel.retract(make_item(1), ctx(1, external_id="uid0001"))  # already gone: fine


def test_link_from_other_channel_and_inline_images_dropped(services, tmp_path):
    channel = make_channel(services, tmp_path, link_from="portal")
    item = make_item(
        1,
        body_html='<p>图表如下</p><img src="attachment:' + "ab" * 32 + '"><p>完</p>',
        published_urls={"portal": "http://127.0.0.1:8701/articles/1001.html"},
    )
    receipt = channel.publish(item, ctx(1))
    assert receipt.external_url == "http://127.0.0.1:8701/articles/1001.html"
    entry = parse(tmp_path / "feed" / "rss.xml").entries[0]
    assert entry.link == receipt.external_url
    assert "attachment:" not in entry.content[0].value and "图表如下" in entry.content[0].value
    assert entry.summary == "图表如下 完"


def test_written_atomically_and_readable(services, tmp_path):
    channel = make_channel(services, tmp_path)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: channel.publish(make_item(n), ctx(n)), range(1, 17)))
    folder = tmp_path / "feed"
    assert sorted(os.listdir(folder)) == ["atom.xml", "rss.xml"]  # no temp files left
    assert len(parse(folder / "rss.xml").entries) == 16
    assert (folder / "rss.xml").stat().st_mode & 0o777 == 0o644


def test_settings_validate_link_template(tmp_path):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="placeholder"):
        RssChannel.Settings(type="rss", output=tmp_path / "f.xml", site_url="https://x", link_template="{slug}")
    with pytest.raises(ValidationError, match="site_url"):
        RssChannel.Settings(type="rss", output=tmp_path / "f.xml")

"""Regression tests from the review of adapters and emulators against the platforms' contracts (real HTTP, loopback).

Each contract is written in its channel's README.md (channels/<name>/README.md).
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import feedparser
import pytest
import requests

import publisher.http as publisher_http
from channels.resource_site.adapter import ResourceSiteChannel
from channels.rss.adapter import STATE_KEY, RssChannel
from channels.wechat.adapter import WechatChannel
from publisher.adapter import ChannelServices, DeliveryContext, ItemView
from publisher.runtime.channel_state import MemoryChannelState
from publisher.errors import OutcomeUnknown, RetryableError
from channels.resource_site.emulator import ResourceSiteEmulator
from publisher.sandbox.server import EmulatorServer
from channels.wechat.emulator import WechatEmulator

NOW = datetime(2019, 6, 1, 2, 0, tzinfo=timezone.utc)  # the `clock` fixture's start


def item(title: str = "2019年5月水质检测结果公示", *, item_id: int = 1, category: str = "招标公告") -> ItemView:
    """An item as the core hands it over."""
    return ItemView(id=item_id, uid=f"item-{item_id}", title=title, category=category,
                    body_html="<p>我局于2019年5月完成水质检测，结果均符合标准。</p>", publish_at=NOW)


def context(checkpoint: dict[str, Any]) -> DeliveryContext:
    """A delivery context whose checkpoint lives in ``checkpoint`` (what the database would keep)."""
    return DeliveryContext(delivery_id=1, channel="test", idempotency_key="delivery-1", attempt=1,
                           checkpoint=checkpoint, save_checkpoint=checkpoint.update)


# ---------------------------------------------------------------------- wechat


@pytest.fixture
def wechat(clock):
    with EmulatorServer(WechatEmulator(clock=clock)) as server:
        yield server


@pytest.fixture
def wechat_channel(wechat, services):
    emulator = wechat.emulator
    channel = WechatChannel("wechat", WechatChannel.Settings(
        type="wechat", api_base=wechat.url, appid=emulator.appid, secret=emulator.secret, cover_color="navy", timeout=2,
    ), services)
    yield channel
    channel.close()


@pytest.mark.parametrize("status", [500, 502, 504])
def test_wechat_gateway_error_after_submit_is_unknown_and_never_submitted_again(wechat, wechat_channel, clock, status):
    emulator = wechat.emulator
    emulator.faults.add("accept_then_status", status=status, path="/cgi-bin/freepublish/submit")
    checkpoint: dict[str, Any] = {}
    with pytest.raises(OutcomeUnknown) as caught:
        wechat_channel.publish(item(), context(checkpoint))
    assert "access_token" not in str(caught.value)
    assert emulator.submits == 1  # the platform did take it
    with pytest.raises(RetryableError):  # still publishing: not listed yet, so no verdict
        wechat_channel.lookup(item(), context(checkpoint))
    clock.advance(timedelta(seconds=61))
    receipt = wechat_channel.lookup(item(), context(checkpoint))
    assert receipt is not None
    assert wechat_channel.publish(item(), context(checkpoint)) == receipt
    assert emulator.submits == 1 and len(emulator.live_articles()) == 1


def test_wechat_unreadable_answer_to_submit_is_unknown(wechat, wechat_channel):
    wechat.emulator.faults.add("accept_then_status", status=200, body="<html>网关</html>", path="freepublish/submit")
    with pytest.raises(OutcomeUnknown):
        wechat_channel.publish(item(), context({}))
    assert wechat.emulator.submits == 1


def test_wechat_close_closes_the_sessions_of_every_worker_thread(wechat, services, monkeypatch):
    made: list[requests.Session] = []
    closed: list[requests.Session] = []

    def recording_session() -> requests.Session:
        session = requests.Session()
        session.close = lambda: closed.append(session)  # type: ignore[method-assign]
        made.append(session)
        return session

    monkeypatch.setattr(publisher_http, "new_session", recording_session)  # what ThreadSessions builds with
    emulator = wechat.emulator
    channel = WechatChannel("wechat", WechatChannel.Settings(
        type="wechat", api_base=wechat.url, appid=emulator.appid, secret=emulator.secret, cover_color="navy", timeout=2,
    ), services)
    workers = [threading.Thread(target=channel.publish, args=(item(f"第{n}篇", item_id=n), context({})))
               for n in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    assert len(emulator.live_articles()) == 3 and len(made) == 3
    channel.close()  # from the main thread, as the daemon does at shutdown
    assert sorted(map(id, closed)) == sorted(map(id, made))


def _post(url: str, path: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return requests.post(f"{url}{path}", params={"access_token": token}, data=data, timeout=5).json()


def test_wechat_emulator_delete_index_is_one_based_and_checked(wechat):
    url = wechat.url
    emulator = wechat.emulator
    token = requests.get(f"{url}/cgi-bin/token", params={"grant_type": "client_credential", "appid": emulator.appid,
                                                          "secret": emulator.secret}, timeout=5).json()["access_token"]
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    thumb = requests.post(f"{url}/cgi-bin/material/add_material", params={"access_token": token, "type": "image"},
                          files={"media": ("c.png", png, "image/png")}, timeout=5).json()["media_id"]

    def publish(count: int) -> str:
        articles = [{"title": f"第{n}篇", "content": "<p>正文</p>", "thumb_media_id": thumb} for n in range(count)]
        media_id = _post(url, "/cgi-bin/draft/add", token, {"articles": articles})["media_id"]
        publish_id = _post(url, "/cgi-bin/freepublish/submit", token, {"media_id": media_id})["publish_id"]
        for _ in range(2):
            status = _post(url, "/cgi-bin/freepublish/get", token, {"publish_id": publish_id})
        return status["article_id"]

    def listed(article_id: str) -> list[bool]:
        page = _post(url, "/cgi-bin/freepublish/batchget", token, {"offset": 0, "count": 20, "no_content": 1})
        entry = next(e for e in page["item"] if e["article_id"] == article_id)
        return [news["is_deleted"] for news in entry["content"]["news_item"]]

    single, double = publish(1), publish(2)
    for bad in (2, -1, "x"):
        assert _post(url, "/cgi-bin/freepublish/delete", token, {"article_id": single, "index": bad})["errcode"] == 40035
    assert _post(url, "/cgi-bin/freepublish/delete", token, {"article_id": double, "index": 3})["errcode"] == 40035
    assert emulator.deletes == [] and len(emulator.live_articles()) == 2

    assert _post(url, "/cgi-bin/freepublish/delete", token, {"article_id": double, "index": 2})["errcode"] == 0
    assert listed(double) == [False, True] and len(emulator.live_articles()) == 2
    assert requests.get(f"{url}/s/{double}_2", timeout=5).status_code == 404
    assert requests.get(f"{url}/s/{double}_1", timeout=5).status_code == 200
    assert _post(url, "/cgi-bin/freepublish/delete", token, {"article_id": single, "index": 0})["errcode"] == 0
    assert listed(single) == [True] and [a.article_id for a in emulator.live_articles()] == [double]


# ---------------------------------------------------------------------- resource_site


def site_config(base_url: str, **overrides: Any) -> dict[str, Any]:
    """The sandbox site's config block (as channels/resource_site/README.md documents it)."""
    return {
        "type": "resource_site", "base_url": base_url, "encoding": "gbk", "username": "editor",
        "password": "sandbox-site-password", "timeout": 5,
        "login": {"url": "/login.jsp", "form_selector": "form#loginForm",
                  "fields": {"username": "userName", "password": "userPwd"}, "success_selector": "a.logout",
                  "error_selector": ".errmsg"},
        "submit": {"form_url": "/admin/notice_add.jsp", "form_selector": "form#noticeForm",
                   "fields": {"title": "title", "body": "content", "category": "category", "attachment": "attachment"},
                   "category_values": {"招标公告": "11"}, "success_text": "保存成功", "error_selector": ".errmsg"},
        "listing": {"url": "/notice/list.jsp?page={page}", "item_selector": "ul.notice-list > li",
                    "title_selector": "a", "title_attr": "title", "pages": 3},
        **overrides,
    }


def test_resource_site_listing_timeout_before_posting_is_retryable_not_in_doubt(clock, services):
    emulator = ResourceSiteEmulator(clock=clock)
    older = emulator.add_notice("2019年5月水质检测结果公示")  # last year's notice with the same title
    with EmulatorServer(emulator) as server:
        channel = ResourceSiteChannel("site", ResourceSiteChannel.Settings(**site_config(server.url, timeout=0.3)),
                                      services)
        emulator.faults.add("accept_then_timeout", path=r"list\.jsp", seconds=5)
        checkpoint: dict[str, Any] = {}
        # in doubt, the look-up would take last year's notice for this one and the item would never be posted
        with pytest.raises(RetryableError):
            channel.publish(item(), context(checkpoint))
        assert emulator.submissions == 0
        receipt = channel.publish(item(), context(checkpoint))
        channel.close()
    assert receipt.external_id != str(older.id)
    assert emulator.submissions == 1 and len(emulator.live_notices()) == 2


# ---------------------------------------------------------------------- rss


class SteppedState(MemoryChannelState):
    """Memory state that can run a second writer exactly between a writer's read of the entries and its write."""

    def __init__(self, clock) -> None:
        super().__init__(clock)
        self.between_read_and_write = None
        self.someone_waits = threading.Event()

    def get(self, key: str) -> Any | None:
        value = super().get(key)
        hook = self.between_read_and_write if key == STATE_KEY else None
        if hook is not None:
            self.between_read_and_write = None
            hook()
        return value

    def get_or_create(self, key, create, **kwargs):
        self.someone_waits.set()
        return super().get_or_create(key, create, **kwargs)


def test_rss_two_daemons_changing_the_feed_at_once_keep_both_entries(clock, tmp_path: Path):
    state = SteppedState(clock)
    settings = {"type": "rss", "output": tmp_path / "feed.xml", "site_url": "https://www.example.gov.cn"}
    # one adapter per daemon, sharing the channel state through the database
    first, second = (RssChannel("feed", RssChannel.Settings(**settings), ChannelServices(clock=clock, state=state))
                     for _ in range(2))
    other = threading.Thread(target=lambda: (second.publish(item("第二条", item_id=2), context({})),
                                             state.someone_waits.set()))

    def run_the_other_daemon() -> None:
        state.someone_waits.clear()
        other.start()
        assert state.someone_waits.wait(5)  # the other daemon finished, or waits for our write

    state.between_read_and_write = run_the_other_daemon
    first.publish(item("第一条", item_id=1), context({}))
    other.join(5)
    assert sorted(e["uid"] for e in first.entries()) == ["item-1", "item-2"]
    feed = feedparser.parse(str(tmp_path / "feed.xml"))
    assert not feed.bozo and sorted(e.title for e in feed.entries) == ["第一条", "第二条"]

"""Failures a person can act on (issue 22, item 4), against two CMS emulators on loopback, on SQLite and
PostgreSQL: an item one channel published and another failed is 部分发布, naming the failed channel by its
display name and why in Chinese; the channel-health view says which channel is paused because its credentials
were refused (and which credentials expire soon) before more fails; once the credential is fixed every failed
delivery of that channel goes again with one action (approvers and admins); the editor hears of their item's
publication and failure in the console."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import cms_block
from console_helpers import add_staff, cheap_hashing

CJK = __import__("re").compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def portal():
    from channels.cms.emulator import CmsEmulator
    from publisher.sandbox.server import EmulatorServer

    with EmulatorServer(CmsEmulator(token="a-newer-token")) as server:  # the office's token is out of date
        yield server


@pytest.fixture
def office(make_app, db_url, cms_server, portal, clock, monkeypatch):
    cheap_hashing(monkeypatch)
    soon = (clock.now().date() + timedelta(days=10)).isoformat()
    app = make_app(db_url, {"website": cms_block(cms_server, credentials_expire_on=soon),
                            "portal": cms_block(portal, display_name="市级政务公开平台")},
                   retry={"max_attempts": 1, "base_delay": 10, "max_delay": 600, "jitter": 0.0, "lease": "2m"})
    add_staff(app)
    return app


def actor(app, name):
    from publisher.accounts.users import actor_from_row, get_user

    return actor_from_row(get_user(app.store, name))


def queue(app, title):
    from publisher.items.intake import ItemRequest, queue_one

    return queue_one(app, ItemRequest(title=title, category="公示公告", body="<p>正文。</p>"),
                     actor=actor(app, "editor1"))


def test_a_paused_channel_is_partly_published_named_and_retried_in_bulk_once_fixed(office, portal):
    from publisher.delivery.actions import retry_channel
    from publisher.delivery.dispatcher import Dispatcher
    from publisher.delivery.health import channel_health
    from publisher.delivery.partial import partly_published
    from publisher.errors import Refused
    from publisher.web import views

    items = [queue(office, f"关于第{n}批公租房配租的公告") for n in (1, 2, 3)]
    Dispatcher(office).run_due()
    from publisher.foundation.i18n import CHINESE, speaking

    with speaking(CHINESE):  # as the console speaks
        shown = views.item_json(office, actor(office, "editor1"), items[0])
    assert {d["channel"]: d["status"] for d in shown["deliveries"]}["website"] == "published"
    assert [p["channel"] for p in shown["partial"]] == ["portal"]
    assert "HTTP 401" in shown["partial"][0]["why"] and CJK.search(shown["partial"][0]["why"])
    assert {p["id"] for p in partly_published(office.store.engine, "default")} == set(items)

    health = {h.name: h for h in channel_health(office, "default")}
    assert health["portal"].level == "bad" and health["portal"].cause == "credentials"
    assert any("凭据被拒绝" in p for p in health["portal"].problems)
    assert health["website"].level == "warn" and any("到期" in p for p in health["website"].problems)
    assert health["website"].last_success is not None

    with pytest.raises(Refused):
        retry_channel(office, "portal", actor=actor(office, "editor1"))
    portal.emulator.token = "test-cms-token"  # the credential is fixed on the platform's side
    done = retry_channel(office, "portal", actor=actor(office, "appr1"))
    assert done == {"channel": "portal", "retried": 3, "resumed": True}
    Dispatcher(office).run_due()
    assert len(portal.emulator.live_articles()) == 3
    assert partly_published(office.store.engine, "default") == []


def test_dead_deliveries_of_a_channel_go_again_with_one_action(office, portal):
    from publisher.delivery.actions import retry_channel
    from publisher.delivery.dispatcher import Dispatcher

    portal.emulator.token = "test-cms-token"
    portal.emulator.faults.add("status", status=503, times=3)
    items = [queue(office, f"关于第{n}批廉租房配租的公告") for n in (1, 2, 3)]
    Dispatcher(office).run_due()
    assert {office.store.get_item(i)["deliveries"][1]["status"] for i in items} == {"dead"}
    assert retry_channel(office, "portal", actor=actor(office, "admin1"))["retried"] == 3
    Dispatcher(office).run_due()
    assert {office.store.get_item(i)["deliveries"][1]["status"] for i in items} == {"published"}


def test_the_editor_is_told_in_the_console_when_their_item_is_published_or_fails(office, portal):
    from publisher.delivery.dispatcher import Dispatcher
    from publisher.review import notices
    from publisher.review.notify import notices_for
    from publisher.db.engine import reading
    from publisher.db.schema import events
    from sqlalchemy import select

    portal.emulator.token = "test-cms-token"
    portal.emulator.faults.add("status", status=503, times=1)
    item = queue(office, "关于公共租赁住房配租的公告")
    Dispatcher(office).run_due()
    found = notices.for_user(office, "editor1", "default")
    texts = [n["text"] for n in found]
    assert any("已在测试网站平台发布" in t for t in texts)
    assert any("在市级政务公开平台发布失败" in t for t in texts)
    assert notices.unread(office, "editor1", "default") == len(found) == 2
    notices.mark_read(office, "editor1", found[0]["event"])
    assert notices.unread(office, "editor1", "default") == 0
    assert notices.for_user(office, "rev1", "default") == []  # someone else's item
    with reading(office.store.engine) as conn:  # the robot / e-mail notice of the failure names the editor too
        dead = conn.execute(select(events).where(events.c.kind == "dead")).mappings().one()
        assert "editor1" in notices_for(office, conn, dict(dead))[0].recipients


def test_a_wechat_account_off_the_ip_whitelist_is_named_in_the_health_panel(make_app, db_url, clock, monkeypatch):
    from channels.wechat.emulator import WechatEmulator
    from publisher.delivery.actions import retry_channel
    from publisher.delivery.dispatcher import Dispatcher
    from publisher.delivery.health import channel_health
    from publisher.foundation.i18n import CHINESE, speaking
    from publisher.sandbox.server import EmulatorServer

    cheap_hashing(monkeypatch)
    emulator = WechatEmulator(appid="wxsandbox0000000001", secret="sandbox-wechat-secret", clock=clock,
                              ip_whitelisted=False)
    with EmulatorServer(emulator) as wechat:
        app = make_app(db_url, {"wechat": {"type": "wechat", "display_name": "微信公众号", "api_base": wechat.url,
                                           "appid": "wxsandbox0000000001", "secret": "sandbox-wechat-secret",
                                           "cover_color": "#1f4e8c", "timeout": 5}})
        add_staff(app)
        item = queue(app, "关于公共租赁住房配租的公告")
        Dispatcher(app).run_due()
        with speaking(CHINESE):
            health = channel_health(app, "default")[0]
        assert health.level == "bad" and health.cause == "ip_whitelist"
        assert health.problems[0].startswith("本机 IP 不在该账号的 IP 白名单中")
        emulator.ip_whitelisted = True  # added in the WeChat admin
        assert retry_channel(app, "wechat", actor=actor(app, "appr1"))["resumed"] is True
        for _ in range(10):  # WeChat publishes asynchronously: poll until it reports the article
            Dispatcher(app).run_due()
            if app.store.get_item(item)["deliveries"][0]["status"] == "published":
                break
            clock.set(clock.now() + timedelta(minutes=1))
        assert app.store.get_item(item)["deliveries"][0]["status"] == "published"

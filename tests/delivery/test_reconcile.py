"""`publisher reconcile`: an article deleted or banned on WeChat after publishing is observed, then recorded as
removed when a person applies it."""

from __future__ import annotations

from publisher.delivery.dispatcher import Dispatcher
from publisher.items.intake import ItemRequest, queue_one
from publisher.delivery.reconcile import reconcile
from publisher.sandbox.server import EmulatorServer
from channels.wechat.emulator import WechatEmulator


def test_banned_article_is_recorded_as_removed(sqlite_url, make_app, clock):
    emulator = WechatEmulator(clock=clock, publish_delay_polls=0)
    with EmulatorServer(emulator) as server:
        block = {"type": "wechat", "display_name": "微信公众号", "api_base": server.url,
                 "appid": "wxsandbox0000000001", "secret": "sandbox-wechat-secret", "cover_color": "#1f4e8c"}
        app = make_app(sqlite_url, {"wechat": block})
        kept = queue_one(app, ItemRequest(title="住建动态一", category="公示公告", body="<p>正文一</p>"))
        banned = queue_one(app, ItemRequest(title="住建动态二", category="公示公告", body="<p>正文二</p>"))
        Dispatcher(app).run_due()
        deliveries = {i: app.store.get_item(i)["deliveries"][0] for i in (kept, banned)}
        assert {d["status"] for d in deliveries.values()} == {"published"}
        assert reconcile(app).findings == []
        emulator.mark_article(deliveries[banned]["external_id"], 6)
        observed = reconcile(app).findings  # without --fix: an observation only
        assert [(f.item_id, f.channel, f.fixed) for f in observed] == [(banned, "wechat", False)]
        assert app.store.get_item(banned)["deliveries"][0]["status"] == "published"
        assert "removal_observed" in [e["kind"] for e in app.store.events_for(banned)]
        found = reconcile(app, fix=True).findings
        assert [(f.item_id, f.channel, f.fixed) for f in found] == [(banned, "wechat", True)]
        d = app.store.get_item(banned)["deliveries"][0]
        assert d["status"] == "retracted" and "banned" in d["last_error"]
        assert app.store.get_item(kept)["deliveries"][0]["status"] == "published"
        assert "removed_on_platform" in [e["kind"] for e in app.store.events_for(banned)]
        assert reconcile(app).findings == []  # recorded once


def test_an_article_the_ledger_does_not_know_is_reported(sqlite_url, make_app, clock):
    emulator = WechatEmulator(clock=clock, publish_delay_polls=0)
    with EmulatorServer(emulator) as server:
        block = {"type": "wechat", "display_name": "微信公众号", "api_base": server.url,
                 "appid": "wxsandbox0000000001", "secret": "sandbox-wechat-secret", "cover_color": "#1f4e8c"}
        app = make_app(sqlite_url, {"wechat": block})
        first = queue_one(app, ItemRequest(title="住建动态一", category="公示公告", body="<p>正文一</p>"))
        Dispatcher(app).run_due()
        known = app.store.get_item(first)["deliveries"][0]["external_id"]
        with app.store.transaction() as conn:  # the ledger loses track (e.g. an old backup restored)
            from sqlalchemy import update

            from publisher.db.schema import deliveries
            conn.execute(update(deliveries).values(external_id="forgotten"))
        findings = reconcile(app).findings
        assert any(f.kind.value == "unknown" and f.external_id == known for f in findings)

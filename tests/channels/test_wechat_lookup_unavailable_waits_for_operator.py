"""A WeChat account or endpoint without the look-up APIs (draft/batchget, freepublish/batchget) never traps the
channel: the unanswered delivery waits for a person with the two ways out, and the channel keeps publishing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import run_cli
from publisher.delivery.dispatcher import Dispatcher
from publisher.sandbox.server import EmulatorServer
from channels.wechat.emulator import WechatEmulator

from test_channels_e2e import WECHAT_APPID, WECHAT_SECRET, delivery, queue, wechat_block  # noqa: F401

DRAFT_LIST = "/cgi-bin/draft/batchget"


@pytest.fixture(params=["48001", "404"])
def wechat(clock, request):
    """An account whose draft/batchget answers 48001 (not authorised), or an endpoint that does not serve it (404)."""
    lacking = {"unauthorised_apis": (DRAFT_LIST,)} if request.param == "48001" else {"missing_apis": (DRAFT_LIST,)}
    with EmulatorServer(WechatEmulator(appid=WECHAT_APPID, secret=WECHAT_SECRET, clock=clock, **lacking)) as server:
        yield server


def unanswered_draft(app, wechat, clock) -> int:
    """Queue an item whose draft/add goes unanswered, and run until its look-up is due and tried."""
    item_id = queue(app, channels=["wechat"])
    wechat.emulator.faults.add("accept_then_drop", path="^/cgi-bin/draft/add$")
    Dispatcher(app).run_due()
    assert delivery(app, item_id, "wechat")["status"] == "in_doubt"
    clock.advance(timedelta(minutes=2))
    Dispatcher(app).run_due()
    return item_id


def test_a_refused_look_up_waits_for_the_operator_and_never_pauses_the_channel(sqlite_url, make_app, wechat, clock):
    app = make_app(sqlite_url, {"wechat": wechat_block(wechat)})
    item_id = unanswered_draft(app, wechat, clock)
    d = delivery(app, item_id, "wechat")
    assert d["status"] == "in_doubt" and d["waiting_for"] == "operator"
    assert "draft/batchget" in d["last_error"] and "草稿箱" in d["last_error"]
    assert f"publisher item settle {item_id} --channel wechat --url URL" in d["last_error"]
    assert f"publisher item retry {item_id} --channel wechat" in d["last_error"]
    assert app.store.paused_channels() == {}
    other = queue(app, title="另一条不受影响的通知", channels=["wechat"])  # the channel goes on publishing
    Dispatcher(app).run_due()
    assert delivery(app, other, "wechat")["status"] == "published"


def test_declared_absent_it_is_published_again_once(sqlite_url, make_app, wechat, clock):
    app = make_app(sqlite_url, {"wechat": wechat_block(wechat)})
    item_id = unanswered_draft(app, wechat, clock)
    from publisher.delivery.actions import retry_item

    assert retry_item(app, item_id, "wechat") == ["wechat"]
    Dispatcher(app).run_due()
    d = delivery(app, item_id, "wechat")
    assert d["status"] == "published" and d["waiting_for"] is None
    assert len(wechat.emulator.live_articles()) == 1


def test_the_operator_is_told_in_chinese_and_settles_with_the_url_from_the_cli(sqlite_url, tmp_path, wechat, clock,
                                                                                make_app):
    app = make_app(sqlite_url, {"wechat": wechat_block(wechat)})
    item_id = unanswered_draft(app, wechat, clock)
    config = tmp_path / "config.yaml"
    shown = run_cli(config, "item", "show", str(item_id), env={"PUBLISHER_LANG": "zh_CN"})
    assert "人工" in shown.output and f"publisher item settle {item_id}" in shown.output, shown.output
    settled = run_cli(config, "item", "settle", str(item_id), "--channel", "wechat", "--url",
                      "https://mp.weixin.qq.com/s/found-by-hand")
    assert settled.exit_code == 0, settled.output
    d = delivery(app, item_id, "wechat")
    assert d["status"] == "published" and d["external_url"] == "https://mp.weixin.qq.com/s/found-by-hand"


def test_the_console_offers_both_ways_out(sqlite_url, make_app, wechat, clock, monkeypatch):
    from fastapi.testclient import TestClient

    from console_helpers import add_staff, cheap_hashing, csrf_of, login
    from publisher.web import create_app

    cheap_hashing(monkeypatch)
    app = make_app(sqlite_url, {"wechat": wechat_block(wechat)})
    add_staff(app)
    item_id = unanswered_draft(app, wechat, clock)
    client = TestClient(create_app(app))
    assert login(client, "appr1").status_code == 303
    page = client.get(f"/items/{item_id}").text
    assert "需要人工核实" in page and "确认没有，重新发布" in page and "登记已发布" in page
    answer = client.post(f"/items/{item_id}/retry", data={"csrf_token": csrf_of(client, f"/items/{item_id}"),
                                                          "channel": "wechat"}, follow_redirects=False)
    assert answer.status_code in (302, 303)
    Dispatcher(app).run_due()
    assert delivery(app, item_id, "wechat")["status"] == "published"
    assert len(wechat.emulator.live_articles()) == 1

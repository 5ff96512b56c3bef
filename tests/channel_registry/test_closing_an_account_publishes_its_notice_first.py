"""Closing an account (停更) is a guided action: its 停更公告 goes through 三审 and is published on that channel
first; only then is the channel disabled and the closure recorded, and nothing else is queued for it meanwhile or
after. SQLite and PostgreSQL, the CMS emulator on loopback."""

from __future__ import annotations

import json

import pytest

from conftest import cms_block, run_cli
from console_helpers import add_staff, cheap_hashing
from publisher.accounts.users import actor_from_row, get_user
from publisher.channel_registry.closing import closures, start_close
from publisher.channel_registry.upkeep import upkeep
from publisher.daemon.batch import run_batch
from publisher.errors import Refused
from publisher.items.intake import ItemRequest, queue_one
from publisher.review import workflow as review


def _as(app, name: str):
    return actor_from_row(get_user(app.store, name))


@pytest.fixture
def office(make_app, db_url, cms_server, tmp_path, monkeypatch):
    cheap_hashing(monkeypatch)
    blocks = {"website": cms_block(cms_server, registration={"number": "苏ICP备05012345号", "owner": "王主任",
                                                             "opened_on": "2015-03-01"}),
              "feed": {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://www.example.gov.cn"}}
    app = make_app(db_url, blocks, routing={"default": ["website", "feed"]}, review={"enabled": True})
    add_staff(app)
    return app


def test_closing_an_account_publishes_its_notice_before_disabling_it(office, cms_server, tmp_path):
    notice = start_close(office, _as(office, "admin1"), "website", title="关于测试网站平台停止更新的公告",
                         body="<p>本网站自即日起停止更新，信息请见市政府门户网站。</p>")
    with pytest.raises(Refused) as refused:  # nothing new for a closing account
        queue_one(office, ItemRequest(title="通知", category="公示公告", body="正文", channels=["website"]),
                  actor=_as(office, "editor1"))
    assert refused.value.rule == "channel_closed"

    run_batch(office, max_time=30)
    upkeep(office)
    assert cms_server.emulator.live_articles() == []  # the notice waits for 三审 like any item
    assert closures(office)["website"]["state"] == "closing" and office.config.channels["website"].enabled

    for name in ("rev1", "rev2", "appr1"):
        review.approve(office, _as(office, name), notice)
    assert run_batch(office, max_time=30).ok
    assert [a["title"] for a in cms_server.emulator.live_articles()] == ["关于测试网站平台停止更新的公告"]
    assert upkeep(office) == ["website"]

    record = closures(office)["website"]
    assert record["state"] == "closed" and record["notice_item_id"] == notice
    assert record["notice_url"] == cms_server.emulator.live_articles()[0]["url"]
    assert not office.config.channels["website"].enabled
    kinds = [e["kind"] for e in office.store.events_for(notice)]
    assert kinds.index("published") < kinds.index("channel_closed")

    later = queue_one(office, ItemRequest(title="通知", category="公示公告", body="正文"), actor=_as(office, "editor1"))
    assert [d["channel"] for d in office.store.get_item(later)["deliveries"]] == ["feed"]  # routing skips it
    listed = json.loads(run_cli(tmp_path / "config.yaml", "channel", "list", "--json").stdout)
    website = next(c for c in listed if c["channel"] == "website")
    assert website["enabled"] is False and website["closure"]["state"] == "closed"
    assert website["registration"] == {"number": "苏ICP备05012345号", "owner": "王主任", "opened_on": "2015-03-01"}
    again = run_cli(tmp_path / "config.yaml", "--as", "editor1", "queue", "add", "--title", "t", "--category", "公示公告",
                    "--channel", "website")
    assert again.exit_code == 3 and "channel_closed" in again.stderr


def test_only_an_approver_or_admin_may_close_an_account(office):
    with pytest.raises(Refused) as refused:
        start_close(office, _as(office, "editor1"), "website", title="关于停止更新的公告")
    assert refused.value.rule == "role" and closures(office) == {}

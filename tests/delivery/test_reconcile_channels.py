"""`publisher reconcile` reads every channel back: removals recorded (the tally follows), in-doubt settled,
records the ledger does not know reported, exit 1 while a person is needed."""

from __future__ import annotations

import json
import pytest

from conftest import write_config
from publisher.runtime.app import App
from publisher.config.load import load_config
from publisher.delivery.dispatcher import Dispatcher
from publisher.items.intake import ItemRequest, queue_one
from publisher.delivery.reconcile import FindingKind, reconcile
from channels.cms.emulator import DomesticCmsEmulator
from channels.resource_site.emulator import ResourceSiteEmulator
from publisher.sandbox.server import EmulatorServer
from channels.wordpress.emulator import WordpressEmulator
from publisher.report.tally import tally

from channel_blocks import KEY, domestic_block, site_config, wp_config
from conftest import run_cli as cli


@pytest.fixture
def wordpress(clock):
    with EmulatorServer(WordpressEmulator(clock=clock, plain_permalinks=True)) as server:
        yield server


def wp_total(app) -> int:
    [channel] = [c for c in tally(app.store, app.config, 2019)["channels"] if c["channel"] == "web"]
    return channel["total"]


def test_a_post_trashed_and_one_deleted_by_hand_are_found_and_recorded_after_fix(
        sqlite_url, tmp_path, wordpress, clock):
    config = write_config(tmp_path, sqlite_url, {"web": wp_config(wordpress.url)})
    app = App.from_config(load_config(config), clock)
    ids = [queue_one(app, ItemRequest(title=f"公示{n}", category="公示公告", body="<p>正文</p>")) for n in range(3)]
    Dispatcher(app).run_due()
    posts = {i: int(app.store.get_item(i)["deliveries"][0]["external_id"]) for i in ids}
    assert wp_total(app) == 3
    emulator = wordpress.emulator
    emulator.posts[posts[ids[0]]]["status"] = "trash"
    del emulator.posts[posts[ids[1]]]
    app.close()

    result = cli(config, "reconcile", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert sorted((f["item_id"], f["kind"]) for f in report["findings"]) == [(ids[0], "removed"), (ids[1], "removed")]
    assert report["needs_person"] == 2  # not fixed without --fix

    result = cli(config, "reconcile", "--fix", "--year", "2019", "--yes")
    assert result.exit_code == 0, result.output
    assert "2 difference(s), 0 left" in result.output
    app = App.from_config(load_config(config), clock)
    assert wp_total(app) == 3  # removed now, years after 2019: they were still published in 2019
    assert {app.store.get_item(i)["deliveries"][0]["status"] for i in ids[:2]} == {"retracted"}
    app.close()
    assert cli(config, "reconcile").exit_code == 0  # recorded once; nothing left


def test_a_post_the_ledger_does_not_know_is_reported_for_a_person(sqlite_url, make_app, wordpress):
    app = make_app(sqlite_url, {"web": wp_config(wordpress.url)})
    queue_one(app, ItemRequest(title="公示", category="公示公告", body="<p>正文</p>"))
    Dispatcher(app).run_due()
    emulator = wordpress.emulator
    [post] = emulator.posts.values()
    emulator.posts[999] = {**post, "id": 999, "slug": "pub-0000lost"}  # a duplicate from a lost database
    emulator.posts[1000] = {**post, "id": 1000, "slug": "written-in-wp-admin"}  # not publisher's: ignored
    report = reconcile(app, fix=True)
    [finding] = report.findings
    assert finding.kind is FindingKind.UNKNOWN and finding.external_id == "999" and not finding.fixed


def test_in_doubt_delivery_found_on_the_cms_is_settled_by_fix(sqlite_url, make_app, clock):
    emulator = DomesticCmsEmulator(KEY)
    with EmulatorServer(emulator) as server:
        block = domestic_block(server.url)
        block["payload"]["channelId"] = "=gsgg"
        app = make_app(sqlite_url, {"portal": block})
        item_id = queue_one(app, ItemRequest(title="公告", category="公示公告", body="<p>正文</p>"))
        emulator.faults.add("accept_then_status", status=504, path="/api/v2/doc/save")
        Dispatcher(app).run_due()
        assert app.store.get_item(item_id)["deliveries"][0]["status"] == "in_doubt"
        report = reconcile(app, fix=False)
        assert [(f.kind, f.fixed) for f in report.findings] == [(FindingKind.SETTLED, False)]
        report = reconcile(app, fix=True)
        assert [(f.kind, f.fixed) for f in report.findings] == [(FindingKind.SETTLED, True)]
        delivery = app.store.get_item(item_id)["deliveries"][0]
        assert delivery["status"] == "published" and int(delivery["external_id"]) in emulator.docs
        emulator.docs[int(delivery["external_id"])]["status"] = "offline"  # taken offline by hand
        [removed] = reconcile(app, fix=True).findings
        assert removed.kind is FindingKind.REMOVED and "offline" in removed.reason
        assert emulator.save_calls == 1


def test_a_notice_deleted_on_the_trading_site_is_found(sqlite_url, make_app, clock):
    emulator = ResourceSiteEmulator(clock=clock)
    with EmulatorServer(emulator) as server:
        app = make_app(sqlite_url, {"site": site_config(server.url)})
        item_id = queue_one(app, ItemRequest(title="招标公告一", category="公示公告", body="<p>正文</p>"))
        Dispatcher(app).run_due()
        assert reconcile(app).findings == []
        emulator.live_notices()[0].deleted = True
        [finding] = reconcile(app, fix=True).findings
        assert finding.kind is FindingKind.REMOVED and finding.item_id == item_id and finding.fixed


def test_an_entry_removed_from_the_feed_file_is_rewritten_and_a_lost_one_reported(sqlite_url, make_app, tmp_path):
    feed = {"type": "rss", "output": str(tmp_path / "rss.xml"), "site_url": "https://www.example.gov.cn"}
    app = make_app(sqlite_url, {"feed": feed})
    ids = [queue_one(app, ItemRequest(title=f"动态{n}", category="公示公告", body="<p>正文</p>")) for n in range(2)]
    Dispatcher(app).run_due()
    (tmp_path / "rss.xml").write_text("<rss version='2.0'><channel><title>x</title></channel></rss>")
    assert reconcile(app).findings == []  # the file lagged behind the stored entries: rewritten
    assert "动态1" in (tmp_path / "rss.xml").read_text(encoding="utf-8")
    channel = app.channel("feed")
    uid = app.store.get_item(ids[0])["uid"]
    channel.services.state.put("entries", [e for e in channel.entries() if e["uid"] != uid])  # lost by hand
    channel.rebuild()
    [finding] = reconcile(app, fix=False).findings
    assert finding.kind is FindingKind.REMOVED and finding.item_id == ids[0]

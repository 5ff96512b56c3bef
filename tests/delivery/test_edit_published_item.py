"""Editing an item after publication: the new revision goes through 三审 again, and only its last approval sends
it to the channels, as an in-place update of each copy (CMS article, WordPress post, RSS entry: same external id,
counted once). A channel that cannot update (WeChat) refuses the edit by name unless the editor leaves the old
copy there. An update whose answer is lost, or whose worker dies, is sent again once it can no longer be in
flight — one copy, never two, never updated again once recorded. Real CLI and API over real HTTP on loopback,
real SQLite (PostgreSQL for the main flow)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
import requests
from click.testing import CliRunner

from conftest import cms_block, write_config
from publisher.adapter import DeliveryContext
from publisher.cli.main import main
from publisher.delivery.dispatcher import Dispatcher
from publisher.items.editing import edit_item
from publisher.items.intake import ItemRequest, queue_one
from publisher.review.workflow import approve, submit
from publisher.sandbox.server import EmulatorServer
from channels.wechat.emulator import WechatEmulator
from channels.wordpress.emulator import WordpressEmulator
from publisher.accounts.users import Actor, Role

WP_PASSWORD = "abcd efgh ijkl mnop qrst uvwx"
WECHAT_APPID, WECHAT_SECRET = "wxsandbox0000000001", "sandbox-wechat-secret"
ARTICLE = r"^/api/articles/\d+$"
OLD_TITLE, NEW_TITLE = "关于2019年公共租赁住房保障资格审核结果的公示", "关于2019年公共租赁住房保障资格审核结果的公示（更正）"
STAFF = [("ed", "editor"), ("rev1", "reviewer"), ("rev2", "reviewer"), ("boss", "approver")]


@pytest.fixture
def wp(clock):
    with EmulatorServer(WordpressEmulator(user="publisher", app_password=WP_PASSWORD, clock=clock)) as server:
        yield server


@pytest.fixture
def wechat(clock):
    with EmulatorServer(WechatEmulator(appid=WECHAT_APPID, secret=WECHAT_SECRET, clock=clock)) as server:
        yield server


def wp_block(server) -> dict:
    return {"type": "wordpress", "display_name": "门户网站(WordPress)", "base_url": server.url, "username": "publisher",
            "app_password": WP_PASSWORD, "timeout": 5, "category_map": {"公示公告": "通知公告"}}


def wechat_block(server) -> dict:
    return {"type": "wechat", "display_name": "微信公众号", "api_base": server.url, "appid": WECHAT_APPID,
            "secret": WECHAT_SECRET, "author": "测试住建", "cover_color": "#1f4e8c", "timeout": 2}


def feed_block(tmp_path: Path) -> dict:
    return {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://www.example.gov.cn",
            "count_in_report": False}


class Office:
    """A configured office with review on and its staff, driven through the real CLI."""

    def __init__(self, tmp_path: Path, db_url: str, channels: dict):
        self.dir = tmp_path
        self.config = write_config(tmp_path, db_url, channels, routing={"default": list(channels)},
                                   review={"enabled": True})
        assert self.cli("user", "add", "adm", "--role", "admin").exit_code == 0
        for name, role in STAFF:
            assert self.cli("--as", "adm", "user", "add", name, "--role", role).exit_code == 0

    def cli(self, *args: str):
        result = CliRunner().invoke(main, ["--config", str(self.config), *args],
                                    env={"PUBLISHER_CONFIG": None, "PUBLISHER_USER": None})
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        return result

    def ok(self, *args: str):
        result = self.cli(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def publish(self, *args: str) -> int:
        item = self.ok("--as", "ed", "queue", "add", "--category", "公示公告", "--title", OLD_TITLE,
                       "--body", "<p>经审核，现将名单予以公示。</p>", *args)["id"]
        self.ok("--as", "ed", "review", "submit", str(item))
        self.review(item)
        assert self.cli("run", "--once").exit_code == 0
        return item

    def review(self, item: int, steps=("rev1", "rev2", "boss")) -> None:
        for user in steps:
            self.ok("--as", user, "review", "approve", str(item))

    def show(self, item: int) -> dict:
        return self.ok("--as", "ed", "item", "show", str(item))

    def copies(self, item: int) -> dict[str, tuple]:
        return {d["channel"]: (d["status"], d["revision"], d["update"]) for d in self.show(item)["deliveries"]}

    def tally(self) -> dict:
        year = self.show(1)["deliveries"][0]["published_at"][:4]
        return self.ok("tally", "--year", year)


def feed_titles(office: Office) -> dict[str, str]:
    feed = feedparser.parse((office.dir / "feed.xml").read_bytes())
    return {e["id"]: e["title"] for e in feed.entries}


def puts(server) -> int:
    return sum(1 for s in server.emulator.seen if s.method == "PUT")


def test_an_edit_after_publication_is_reviewed_again_then_every_copy_is_updated_in_place(tmp_path, db_url, cms_server,
                                                                                          wp):
    office = Office(tmp_path, db_url, {"website": cms_block(cms_server), "blog": wp_block(wp),
                                       "feed": feed_block(tmp_path)})
    item = office.publish()
    before = office.show(item)
    [article] = cms_server.emulator.live_articles()
    [post] = wp.emulator.posts.values()
    guid = next(d["external_id"] for d in before["deliveries"] if d["channel"] == "feed")
    tally = office.tally()
    assert office.copies(item) == {c: ("published", 1, "current") for c in ("website", "blog", "feed")}

    edited = office.ok("--as", "ed", "item", "edit", str(item), "--title", NEW_TITLE,
                       "--body", "<p>经复核，更正名单予以公示。</p>", "--reason", "名单有误")
    assert edited["state"] == "in_review" and edited["step"]["name"] == "初审" and edited["revision"] == 2
    assert edited["late"] is False  # its time has passed, but a correction is not late
    for steps in (("rev1",), ("rev2",)):  # nothing reaches a channel before the last approval
        assert office.cli("run", "--once").exit_code == 0
        assert office.copies(item) == {c: ("published", 1, "waiting_review") for c in ("website", "blog", "feed")}
        assert puts(cms_server) == 0 and cms_server.emulator.live_articles()[0]["title"] == OLD_TITLE
        assert wp.emulator.posts[post["id"]]["title"] == OLD_TITLE and feed_titles(office) == {guid: OLD_TITLE}
        office.review(item, steps)
    office.review(item, ("boss",))
    assert office.copies(item) == {c: ("published", 1, "pending") for c in ("website", "blog", "feed")}
    assert office.cli("run", "--once").exit_code == 0

    [updated] = cms_server.emulator.live_articles()
    assert updated["id"] == article["id"] and updated["title"] == NEW_TITLE and "更正名单" in updated["content"]
    assert cms_server.emulator.create_calls == 1 and updated["versions"] == 2
    assert list(wp.emulator.posts) == [post["id"]] and wp.emulator.posts[post["id"]]["title"] == NEW_TITLE
    assert "更正名单" in wp.emulator.posts[post["id"]]["content"]
    assert feed_titles(office) == {guid: NEW_TITLE}
    after = office.show(item)
    assert office.copies(item) == {c: ("published", 2, "current") for c in ("website", "blog", "feed")}
    assert [(d["external_id"], d["published_at"]) for d in after["deliveries"]] == [
        (d["external_id"], d["published_at"]) for d in before["deliveries"]]
    assert office.tally() == tally  # an update is not a new publication
    assert office.cli("run", "--once").exit_code == 0 and puts(cms_server) == 1  # and it is done once

    events = list(reversed(office.ok("--as", "ed", "audit", "--item", str(item))))
    kinds = [e["kind"] for e in events]
    edit_at = kinds.index("edited")
    assert kinds[edit_at:edit_at + 2] == ["edited", "review_restarted"]
    assert [(e["kind"], e["actor"]) for e in events[edit_at:] if e["kind"].startswith("review_approved")] == [
        ("review_approved", "rev1"), ("review_approved", "rev2"), ("review_approved", "boss")]
    requested = [e for e in events if e["kind"] == "update_requested"]
    assert sorted(e["channel"] for e in requested) == ["blog", "feed", "website"]
    assert {e["actor"] for e in requested} == {"boss"} and {e["detail"]["revision"] for e in requested} == {2}
    done = [e for e in events if e["kind"] == "updated"]
    assert sorted(e["channel"] for e in done) == ["blog", "feed", "website"]
    assert all(e["detail"]["revision"] == 2 and e["at"] for e in done)
    assert office.cli("audit", "verify").exit_code == 0


def test_an_item_on_a_channel_that_cannot_update_is_refused_by_name_unless_its_copy_is_left(tmp_path, sqlite_url,
                                                                                           cms_server, wechat):
    office = Office(tmp_path, sqlite_url, {"website": cms_block(cms_server), "wechat": wechat_block(wechat)})
    item = office.publish()
    [wechat_article] = wechat.emulator.live_articles()

    refused = office.cli("--as", "ed", "item", "edit", str(item), "--title", NEW_TITLE)
    assert refused.exit_code == 3
    assert "cannot_update" in refused.stderr and "wechat" in refused.stderr and "--leave" in refused.stderr
    shown = office.show(item)
    assert shown["revision"] == 1 and shown["review"]["state"] == "approved"
    unknown = office.cli("--as", "ed", "item", "edit", str(item), "--title", NEW_TITLE, "--leave", "nowhere")
    assert unknown.exit_code == 2 and "leave" in unknown.stderr

    left = office.ok("--as", "ed", "item", "edit", str(item), "--title", NEW_TITLE, "--leave", "wechat",
                     "--reason", "微信已推送，另发更正说明")
    assert left["state"] == "in_review" and left["revision"] == 2
    assert office.copies(item) == {"website": ("published", 1, "waiting_review"), "wechat": ("published", 1, "left")}
    office.review(item)
    assert office.cli("run", "--once").exit_code == 0
    assert cms_server.emulator.live_articles()[0]["title"] == NEW_TITLE
    assert wechat.emulator.live_articles() == [wechat_article] and wechat.emulator.submits == 1
    assert wechat_article.news_item[0]["title"] == OLD_TITLE
    assert office.copies(item) == {"website": ("published", 2, "current"), "wechat": ("published", 1, "left")}
    text = office.cli("--as", "ed", "item", "show", str(item)).stdout
    assert "left at revision 1" in text

    [event] = [e for e in office.ok("--as", "ed", "audit", "--item", str(item)) if e["kind"] == "update_left"]
    assert event["channel"] == "wechat" and event["actor"] == "ed"
    assert event["detail"]["reason"] == "微信已推送，另发更正说明" and event["detail"]["revision"] == 2

    again = office.cli("--as", "ed", "item", "edit", str(item), "--title", OLD_TITLE)  # every edit says so again
    assert again.exit_code == 3 and "cannot_update" in again.stderr


def through_review(app, names: tuple[str, str, str, str]) -> tuple[Actor, list[Actor], int]:
    """An item queued by the editor ``names[0]`` and approved by the two reviewers and the approver after it;
    returns (the editor, the three who approved, the item)."""
    editor, *reviewers = [Actor(n, "default", r) for n, r in zip(names, (Role.EDITOR, Role.REVIEWER, Role.REVIEWER,
                                                                         Role.APPROVER))]
    item = queue_one(app, ItemRequest(title=OLD_TITLE, category="公示公告", body="<p>公示。</p>"), actor=editor)
    submit(app, editor, item)
    for actor in reviewers:
        approve(app, actor, item)
    return editor, reviewers, item


def published_on_website_and_wechat(tmp_path, sqlite_url, cms_server, wechat, monkeypatch):
    """An office with the console's staff and one item through 三审, published on the CMS and WeChat."""
    from console_helpers import add_staff, cheap_hashing
    from publisher.runtime.app import App
    from publisher.config.load import load_config

    cheap_hashing(monkeypatch)
    channels = {"website": cms_block(cms_server), "wechat": wechat_block(wechat)}
    app = App.from_config(load_config(write_config(tmp_path, sqlite_url, channels, review={"enabled": True})))
    add_staff(app)
    _, _, item = through_review(app, ("editor1", "rev1", "rev2", "appr1"))
    Dispatcher(app).run_due()
    return app, item


def test_the_api_patch_refuses_with_409_and_the_rule_and_takes_leave(tmp_path, sqlite_url, cms_server, wechat,
                                                                       monkeypatch):
    from fastapi.testclient import TestClient

    from console_helpers import login, serving
    from publisher.accounts.users import new_token
    from publisher.web import create_app

    app, item = published_on_website_and_wechat(tmp_path, sqlite_url, cms_server, wechat, monkeypatch)
    try:
        token = new_token(app.store, "editor1", actor="test")
        with serving(create_app(app)) as base:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            refused = session.patch(f"{base}/api/items/{item}", json={"title": NEW_TITLE}, timeout=30)
            assert refused.status_code == 409 and refused.json()["error"]["code"] == "cannot_update"
            assert "wechat" in refused.json()["error"]["message"]
            left = session.patch(f"{base}/api/items/{item}", json={"title": NEW_TITLE, "leave": ["wechat"]}, timeout=30)
            assert left.status_code == 200 and left.json()["state"] == "in_review"
            shown = session.get(f"{base}/api/items/{item}", timeout=30).json()
        assert {d["channel"]: d["update"] for d in shown["deliveries"]} == {"website": "waiting_review",
                                                                           "wechat": "left"}
        console = TestClient(create_app(app))
        assert login(console, "editor1").status_code == 303
        page = console.get(f"/items/{item}").text
        assert "渠道上为第 1 版：新版审核中" in page and "渠道上为第 1 版：保留旧版" in page
    finally:
        app.close()


def test_the_console_edit_form_offers_to_leave_the_copy_a_channel_cannot_update(tmp_path, sqlite_url, cms_server,
                                                                                   wechat, monkeypatch):
    from fastapi.testclient import TestClient

    from console_helpers import csrf_of, login
    from publisher.web import create_app

    app, item = published_on_website_and_wechat(tmp_path, sqlite_url, cms_server, wechat, monkeypatch)
    try:
        console = TestClient(create_app(app))
        assert login(console, "editor1").status_code == 303
        form = console.get(f"/items/{item}/edit").text
        assert 'name="leave" value="wechat"' in form and 'name="leave" value="website"' not in form
        fields = {"csrf_token": csrf_of(console, f"/items/{item}/edit"), "title": NEW_TITLE, "category": "公示公告",
                  "body": "<p>公示。</p>", "channels": ["website", "wechat"]}
        refused = console.post(f"/items/{item}/edit", data=fields, follow_redirects=False)
        assert refused.status_code == 422 and "wechat" in refused.text
        left = console.post(f"/items/{item}/edit", data={**fields, "leave": "wechat", "leave_reason": "微信不能改稿"},
                            follow_redirects=False)
        assert left.status_code == 303, left.text
        shown = console.get(f"/api/items/{item}").json()
        assert {d["channel"]: d["update"] for d in shown["deliveries"]} == {"website": "waiting_review",
                                                                           "wechat": "left"}
    finally:
        app.close()


# ---------------------------------------------------------------------- lost answers and dead workers (review off)


def published_on_website(make_app, sqlite_url, cms_server):
    app = make_app(sqlite_url, {"website": cms_block(cms_server)})
    item = queue_one(app, ItemRequest(title=OLD_TITLE, category="公示公告", body="<p>公示。</p>"))
    assert Dispatcher(app).run_due().outcomes == {"published": 1}
    return app, item


def website(app, item: int) -> dict:
    return next(d for d in app.store.get_item(item)["deliveries"] if d["channel"] == "website")


def aware(value):
    from datetime import timezone

    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def test_an_update_whose_answer_is_lost_is_sent_again_once_nothing_can_be_in_flight_and_leaves_one_copy(
        make_app, sqlite_url, cms_server, clock):
    app, item = published_on_website(make_app, sqlite_url, cms_server)
    emulator = cms_server.emulator
    edit_item(app, app.current_actor(), item, title=NEW_TITLE)  # review is off: due at once
    emulator.faults.add("accept_then_drop", path=ARTICLE)  # the CMS saves it, the answer never arrives

    assert Dispatcher(app).run_due().outcomes == {"update_retry": 1}
    assert emulator.live_articles()[0]["title"] == NEW_TITLE and emulator.live_articles()[0]["versions"] == 2
    d = website(app, item)
    assert d["status"] == "published" and d["revision"] == 1 and "will retry" in d["last_error"]
    assert Dispatcher(app).run_due().total == 0  # not while the lost request may still be in flight
    assert Dispatcher(app).next_due() == aware(d["next_attempt_at"])  # a sleeping daemon wakes for it

    clock.set(aware(d["next_attempt_at"]) + timedelta(seconds=1))
    assert Dispatcher(app).run_due().outcomes == {"updated": 1}
    assert puts(cms_server) == 2 and len(emulator.articles) == 1 and emulator.create_calls == 1
    assert emulator.live_articles()[0]["title"] == NEW_TITLE
    assert website(app, item)["revision"] == 2 and website(app, item)["last_error"] is None
    clock.advance(timedelta(hours=1))
    assert Dispatcher(app).run_due().total == 0 and puts(cms_server) == 2  # recorded: never updated again


def test_a_worker_that_dies_mid_update_is_taken_over_after_its_lease_and_the_copy_is_not_duplicated(
        make_app, sqlite_url, cms_server, clock):
    app, item = published_on_website(make_app, sqlite_url, cms_server)
    emulator = cms_server.emulator
    edit_item(app, app.current_actor(), item, title=NEW_TITLE, body="<p>更正后的公示。</p>")

    crashed = Dispatcher(app, worker_id="crashed")  # claims, sends the update, dies before recording it
    [claim] = crashed.claim("website", 1)
    assert claim.action == "update"
    with app.store.engine.connect() as conn:
        view = app.store.item_view(conn, item, "website")
    app.channel("website").update(view, DeliveryContext(
        delivery_id=claim.id, channel="website", idempotency_key=claim.idempotency_key, attempt=claim.attempts,
        checkpoint={}, external_id=claim.external_id))
    assert puts(cms_server) == 1 and emulator.live_articles()[0]["title"] == NEW_TITLE

    assert Dispatcher(app).run_due().total == 0  # its lease still holds
    clock.advance(timedelta(minutes=3))  # write_config's lease is 2m
    assert Dispatcher(app).run_due().outcomes == {"updated": 1}
    assert puts(cms_server) == 2 and len(emulator.articles) == 1 and emulator.create_calls == 1
    assert website(app, item)["revision"] == 2
    clock.advance(timedelta(minutes=10))
    assert Dispatcher(app).run_due().total == 0 and puts(cms_server) == 2


def test_a_publish_claimed_before_an_edit_is_put_back_unsent_until_the_new_revision_is_approved(
        make_app, sqlite_url, cms_server):
    app = make_app(sqlite_url, {"website": cms_block(cms_server)}, review={"enabled": True})
    editor, reviewers, item = through_review(app, ("ed", "rev1", "rev2", "boss"))
    dispatcher = Dispatcher(app)
    [claim] = dispatcher.claim("website", 1)
    edit_item(app, editor, item, title=NEW_TITLE)  # while the claim is held: review starts again

    assert dispatcher.execute(claim) == "released"
    assert cms_server.emulator.create_calls == 0 and website(app, item)["status"] == "pending"
    assert Dispatcher(app).run_due().total == 0
    for actor in reviewers:
        approve(app, actor, item)
    assert Dispatcher(app).run_due().outcomes == {"published": 1}
    [article] = cms_server.emulator.live_articles()
    assert article["title"] == NEW_TITLE and website(app, item)["revision"] == 2


def test_a_copy_deleted_on_the_cms_fails_its_update_for_good_and_is_never_published_again(
        make_app, sqlite_url, cms_server):
    app, item = published_on_website(make_app, sqlite_url, cms_server)
    emulator = cms_server.emulator
    [article] = emulator.live_articles()
    article["status"] = "withdrawn"  # someone took it down in the CMS's back office
    edit_item(app, app.current_actor(), item, title=NEW_TITLE)

    assert Dispatcher(app).run_due().outcomes == {"update_failed": 1}
    d = website(app, item)
    assert d["status"] == "published" and d["update_state"] == "failed" and "no longer exists" in d["last_error"]
    assert emulator.create_calls == 1 and emulator.live_articles() == []  # an update never publishes anew
    assert Dispatcher(app).run_due().total == 0

    article["status"] = "published"  # put back by hand: `item retry` asks for the update again
    from publisher.delivery.actions import retry_item

    assert retry_item(app, item, "website") == ["website"]
    assert Dispatcher(app).run_due().outcomes == {"updated": 1}
    assert emulator.live_articles()[0]["title"] == NEW_TITLE and website(app, item)["update_state"] is None


def test_masking_an_id_number_in_a_published_item_updates_the_copy_after_review(tmp_path, sqlite_url, cms_server):
    office = Office(tmp_path, sqlite_url, {"website": cms_block(cms_server)})
    item = office.ok("--as", "ed", "queue", "add", "--category", "公示公告", "--title", OLD_TITLE,
                     "--body", "<p>张三 320623198503121233</p>")["id"]
    office.ok("--as", "ed", "review", "submit", str(item))
    office.review(item, ("rev1", "rev2"))
    office.ok("--as", "boss", "review", "approve", str(item), "--override", "已核实")  # a mistake, found later
    assert office.cli("run", "--once").exit_code == 0
    assert "320623198503121233" in cms_server.emulator.live_articles()[0]["content"]

    masked = office.cli("--as", "ed", "check", str(item), "--mask", "--json")
    assert masked.exit_code == 0, masked.output
    office.review(item)
    assert office.cli("run", "--once").exit_code == 0
    [article] = cms_server.emulator.live_articles()
    assert "320623********1233" in article["content"] and "320623198503121233" not in article["content"]
    assert cms_server.emulator.create_calls == 1


def test_a_partly_published_item_updates_where_it_is_out_and_publishes_the_new_revision_elsewhere(
        make_app, sqlite_url, cms_server, wp, clock):
    app = make_app(sqlite_url, {"website": cms_block(cms_server), "blog": wp_block(wp)})
    item = queue_one(app, ItemRequest(title=OLD_TITLE, category="公示公告", body="<p>公示。</p>"))
    wp.emulator.faults.add("status", status=500, path=r"/posts$")  # the blog fails its first attempt
    assert Dispatcher(app).run_due().outcomes == {"published": 1, "failed": 1}
    edit_item(app, app.current_actor(), item, title=NEW_TITLE)  # review is off: approved at once

    blog = next(d for d in app.store.get_item(item)["deliveries"] if d["channel"] == "blog")
    clock.set(aware(blog["next_attempt_at"]) + timedelta(seconds=1))
    assert Dispatcher(app).run_due().outcomes == {"updated": 1, "published": 1}
    assert [a["title"] for a in cms_server.emulator.live_articles()] == [NEW_TITLE]
    assert [p["title"] for p in wp.emulator.posts.values()] == [NEW_TITLE]
    assert {d["channel"]: (d["status"], d["revision"]) for d in app.store.get_item(item)["deliveries"]} == {
        "website": ("published", 2), "blog": ("published", 2)}

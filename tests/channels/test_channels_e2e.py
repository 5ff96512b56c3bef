"""WeChat, resource_site and WordPress end to end: queue → Dispatcher → emulator over real HTTP, on SQLite and PostgreSQL.

Everything goes through the real store and dispatcher; the emulators run on loopback with the test's
SimulatedClock, and assertions count what the emulators received server-side.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
import requests
from bs4 import BeautifulSoup

from conftest import SITE_PASSWORD, cms_block, site_block
from publisher.delivery.actions import retract_item, retry_item
from publisher.adapter import DeliveryContext
from publisher.delivery.dispatcher import Dispatcher
from publisher.errors import InputError
from publisher.items.intake import ItemRequest, queue_one
from channels.resource_site.emulator import ResourceSiteEmulator
from publisher.sandbox.server import EmulatorServer
from channels.wechat.emulator import WechatEmulator
from channels.wordpress.emulator import WordpressEmulator

WECHAT_APPID = "wxsandbox0000000001"
WECHAT_SECRET = "sandbox-wechat-secret"
WP_PASSWORD = "abcd efgh ijkl mnop qrst uvwx"
GBK_TITLE = "关于〇号地块·二期—施工招标公告（第2次）“喆”堃昇犇项目"
LEASE_PASSED = timedelta(minutes=3)  # write_config sets retry.lease to 2m


class Killed(BaseException):
    """Stands for kill -9 of a worker: nothing after it runs, no handler catches it."""


# ---------------------------------------------------------------------- helpers and fixtures


def queue(app, title: str = "关于2019年保障性住房分配结果的公示", *, channels: list[str], category: str = "公示公告",
          **kw) -> int:
    """Queue one item through the editor's path (validation and channel checks included)."""
    return queue_one(app, ItemRequest(title=title, category=category, body="<p>公示内容：详见附件。</p>",
                                      channels=channels, **kw))


def delivery(app, item_id: int, channel: str) -> dict:
    """The item's delivery row for ``channel``."""
    return next(d for d in app.store.get_item(item_id)["deliveries"] if d["channel"] == channel)


def aware(value: datetime) -> datetime:
    """A timestamp read back from the database, as aware UTC (SQLite may hand back naive UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def run_until_settled(app, clock, item_id: int, channel: str, rounds: int = 40) -> dict:
    """Run the dispatcher, jumping the clock to each retry time, until the delivery stops moving."""
    for _ in range(rounds):
        Dispatcher(app).run_due()
        d = delivery(app, item_id, channel)
        if d["status"] in ("published", "dead", "retracted"):
            return d
        if d["status"] == "in_doubt" and d.get("waiting_for") == "operator":
            return d  # parked for an operator: the channel cannot settle it
        clock.set(aware(d["next_attempt_at"]) + timedelta(seconds=1))
    return d


def crash_after(dispatcher: Dispatcher, *, when, persist: bool = True) -> None:
    """Make ``dispatcher`` die at the first checkpoint for which ``when(checkpoint)`` is true.

    ``persist=False`` dies just before that checkpoint reaches the database.
    """
    save = dispatcher._save_checkpoint

    def dying_save(claim, checkpoint):
        if when(checkpoint):
            if persist:
                save(claim, checkpoint)
            raise Killed()
        save(claim, checkpoint)

    dispatcher._save_checkpoint = dying_save  # type: ignore[method-assign]


def publish_and_die_before_recording(app, channel: str, item_id: int) -> None:
    """A worker claims the delivery, publishes it (checkpoints persisted) and dies before recording the outcome."""
    crashed = Dispatcher(app, worker_id="crashed")
    [claim] = crashed.claim(channel, 1, item_id=item_id)
    with app.store.engine.connect() as conn:
        view = app.store.item_view(conn, item_id, channel)
    ctx = DeliveryContext(delivery_id=claim.id, channel=channel, idempotency_key=claim.idempotency_key,
                          attempt=claim.attempts, checkpoint=claim.checkpoint,
                          save_checkpoint=lambda cp: crashed._save_checkpoint(claim, cp))
    app.channel(channel).publish(view, ctx)


@pytest.fixture
def wechat(clock):
    """A strict WeChat emulator on loopback, on the test clock."""
    with EmulatorServer(WechatEmulator(appid=WECHAT_APPID, secret=WECHAT_SECRET, clock=clock)) as server:
        yield server


def wechat_block(server, **overrides) -> dict:
    """A ``wechat`` channel block pointing at the emulator (as in default_config.yaml)."""
    return {"type": "wechat", "display_name": "微信公众号", "api_base": server.url, "appid": WECHAT_APPID,
            "secret": WECHAT_SECRET, "author": "测试住建", "cover_color": "#1f4e8c", "timeout": 2, **overrides}


@pytest.fixture
def site(clock):
    """The legacy GBK trading-centre site on loopback."""
    with EmulatorServer(ResourceSiteEmulator(password=SITE_PASSWORD, clock=clock)) as server:
        yield server


@pytest.fixture
def wp(clock):
    """A WordPress REST emulator on loopback."""
    with EmulatorServer(WordpressEmulator(user="publisher", app_password=WP_PASSWORD, clock=clock)) as server:
        yield server


def wp_block(server, **overrides) -> dict:
    """A ``wordpress`` channel block pointing at the emulator."""
    return {"type": "wordpress", "display_name": "门户网站(WordPress)", "base_url": server.url, "username": "publisher",
            "app_password": WP_PASSWORD, "timeout": 5, "category_map": {"公示公告": "通知公告"}, **overrides}


def live_posts(server) -> list[dict]:
    """Posts on the WordPress emulator that are not in the trash."""
    return [p for p in server.emulator.posts.values() if p["status"] != "trash"]


# ---------------------------------------------------------------------- WeChat (issue 3)


def test_wechat_publishes_once_with_read_more_pointing_at_the_website_copy(db_url, make_app, cms_server, wechat):
    app = make_app(db_url, {"website": cms_block(cms_server), "wechat": wechat_block(wechat, source_url_from="website")})
    item_id = queue(app, channels=["website", "wechat"])
    # Both deliveries are due at once and run concurrently, so which finishes first is not guaranteed.
    # The website goes first here: the dispatcher claims and executes only the website delivery, then
    # a normal run_due takes the wechat one (which then sees the website copy's url).
    first = Dispatcher(app)
    [claim] = first.claim("website", 1)
    assert first.execute(claim) == "published"
    website = delivery(app, item_id, "website")
    stats = Dispatcher(app).run_due()
    assert stats.outcomes == {"published": 1}

    emu = wechat.emulator
    [article] = emu.live_articles()
    assert len(emu.articles) == 1 and emu.draft_adds == 1 and emu.submits == 1
    news = article.news_item[0]
    assert news["title"] == "关于2019年保障性住房分配结果的公示"
    assert news["content_source_url"] == website["external_url"]
    assert website["external_url"].startswith(cms_server.url)
    d = delivery(app, item_id, "wechat")
    assert d["status"] == "published" and d["attempts"] == 1
    assert d["external_id"] == article.article_id and d["external_url"] == news["url"]
    assert Dispatcher(app).run_due().total == 0
    assert len(emu.articles) == 1


def test_one_token_for_every_worker_of_two_daemons_on_one_database(db_url, make_app, wechat):
    block = {"wechat": wechat_block(wechat, concurrency=4)}
    daemon_a, daemon_b = make_app(db_url, block), make_app(db_url, block)
    ids = [queue(daemon_a, f"第{i}号住房保障公告", channels=["wechat"]) for i in range(20)]
    dispatchers = [Dispatcher(daemon_a, worker_id="daemon-a"), Dispatcher(daemon_b, worker_id="daemon-b")]
    threads = [threading.Thread(target=d.run_due) for d in dispatchers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for d in dispatchers:
        d.close()
    assert {delivery(daemon_a, i, "wechat")["status"] for i in ids} == {"published"}
    emu = wechat.emulator
    assert emu.token_calls == 1
    assert emu.draft_adds == 20 and emu.submits == 20 and len(emu.live_articles()) == 20
    assert emu.material_uploads == 1  # the plain cover, uploaded once for both daemons


CRASH_POINTS = {
    # name: (dies at the first checkpoint where ..., persisted?)
    "after_draft": (lambda cp: bool(cp.get("media_id")), True),
    "before_submit_sent": (lambda cp: bool(cp.get("submit_started")), True),
    "submit_sent_unrecorded": (lambda cp: bool(cp.get("publish_id")), False),
    "after_submit": (lambda cp: bool(cp.get("publish_id")), True),
}


@pytest.mark.parametrize("point", list(CRASH_POINTS))
def test_wechat_crash_at_each_checkpoint_resumes_with_one_draft_one_submit(db_url, make_app, wechat, clock, point):
    app = make_app(db_url, {"wechat": wechat_block(wechat)})
    item_id = queue(app, channels=["wechat"])
    when, persist = CRASH_POINTS[point]
    crashed = Dispatcher(app, worker_id="crashed-worker")
    [claim] = crashed.claim("wechat", 1)
    crash_after(crashed, when=when, persist=persist)
    with pytest.raises(Killed):
        crashed.execute(claim)
    d = delivery(app, item_id, "wechat")
    assert d["status"] == "publishing" and d["checkpoint"]["media_id"]
    assert wechat.emulator.draft_adds == 1
    assert Dispatcher(app).run_due().total == 0  # the lease still holds

    clock.advance(LEASE_PASSED)
    d = run_until_settled(app, clock, item_id, "wechat")
    emu = wechat.emulator
    if point == "before_submit_sent":
        # The submit may or may not have left: WeChat is never asked twice on a guess. After the look-up
        # window the delivery waits for an operator, who checks 发表记录 and sends it again.
        assert d["status"] == "in_doubt" and "发表记录" in d["last_error"] and emu.submits == 0
        retry_item(app, item_id, "wechat")
        d = run_until_settled(app, clock, item_id, "wechat")
        assert d["status"] == "published", d["last_error"]
        assert emu.submits == 1 and len(emu.live_articles()) == 1
        return
    assert d["status"] == "published", d["last_error"]
    assert emu.draft_adds == 1 and emu.submits == 1
    [article] = emu.live_articles()
    assert d["external_id"] == article.article_id
    kinds = [e["kind"] for e in app.store.events_for(item_id)]
    assert "in_doubt" in kinds and kinds[-1] == "published"


def test_wechat_unknown_submit_outcome_is_settled_by_batchget_never_resubmitted(db_url, make_app, wechat, clock):
    app = make_app(db_url, {"wechat": wechat_block(wechat)})
    item_id = queue(app, channels=["wechat"])
    wechat.emulator.faults.add("accept_then_drop", path="^/cgi-bin/freepublish/submit$")
    Dispatcher(app).run_due()
    d = delivery(app, item_id, "wechat")
    assert d["status"] == "in_doubt" and "dropped" in d["last_error"]
    assert "access_token" not in d["last_error"]
    assert wechat.emulator.submits == 1

    clock.advance(timedelta(minutes=2))  # past in_doubt_delay, and the platform has finished publishing
    Dispatcher(app).run_due()
    d = delivery(app, item_id, "wechat")
    emu = wechat.emulator
    assert d["status"] == "published" and d["attempts"] == 1
    assert emu.submits == 1 and emu.draft_adds == 1 and len(emu.live_articles()) == 1
    assert emu.calls.get("/cgi-bin/freepublish/batchget", 0) >= 1
    assert d["external_id"] == emu.live_articles()[0].article_id


def test_wechat_daily_quota_pauses_until_local_midnight_without_burning_attempts(db_url, make_app, wechat, clock):
    app = make_app(db_url, {"wechat": wechat_block(wechat, concurrency=1)})
    ids = [queue(app, f"第{i}号公告", channels=["wechat"]) for i in range(3)]
    wechat.emulator.inject_errcode("^/cgi-bin/draft/add$", 45009)
    stats = Dispatcher(app).run_due()
    assert stats.outcomes == {"paused": 1}
    pause = app.store.paused_channels()["wechat"]
    midnight = datetime(2019, 6, 2, 0, 0, tzinfo=app.config.tz).astimezone(timezone.utc)  # clock: 2019-06-01 10:00 local
    assert aware(pause["until"]) == midnight
    assert "45009" in pause["reason"] and "midnight" in pause["reason"]
    assert all(delivery(app, i, "wechat")["attempts"] == 0 for i in ids)
    assert {delivery(app, i, "wechat")["status"] for i in ids} <= {"pending", "failed"}

    clock.set(midnight - timedelta(minutes=1))
    assert Dispatcher(app).run_due().total == 0  # still paused
    clock.set(midnight + timedelta(seconds=1))
    assert Dispatcher(app).run_due().outcomes == {"published": 3}
    assert all(delivery(app, i, "wechat")["attempts"] == 1 for i in ids)
    assert len(wechat.emulator.live_articles()) == 3


def test_wechat_ip_whitelist_error_pauses_with_one_message_and_kills_nothing(db_url, make_app, wechat, clock, tmp_path):
    from click.testing import CliRunner

    from publisher.cli.main import main

    app = make_app(db_url, {"wechat": wechat_block(wechat)})
    ids = [queue(app, f"第{i}号公告", channels=["wechat"]) for i in range(10)]
    wechat.emulator.ip_whitelisted = False
    for _ in range(3):
        Dispatcher(app).run_due()
        clock.advance(timedelta(hours=1))
    paused = app.store.paused_channels()
    assert list(paused) == ["wechat"] and paused["wechat"]["until"] is None
    assert "40164" in paused["wechat"]["reason"] and "IP白名单" in paused["wechat"]["reason"]
    rows = [delivery(app, i, "wechat") for i in ids]
    assert {d["status"] for d in rows} <= {"pending", "failed"}
    assert all(d["attempts"] == 0 for d in rows)
    assert len({d["last_error"] for d in rows if d["last_error"]}) <= 1
    assert wechat.emulator.draft_adds == 0

    listing = CliRunner().invoke(main, ["--config", str(tmp_path / "config.yaml"), "channel", "list"])
    assert listing.exit_code == 0, listing.output
    [line] = [ln for ln in listing.output.splitlines() if ln.startswith("wechat")]
    assert "PAUSED" in line and "whitelist" in line and WECHAT_SECRET not in listing.output

    wechat.emulator.ip_whitelisted = True  # the office fixed the whitelist
    assert app.store.resume_channel("wechat", "test")
    assert Dispatcher(app).run_due().outcomes == {"published": 10}
    assert len(wechat.emulator.live_articles()) == 10


def test_wechat_slow_publishing_is_polled_without_using_up_attempts(sqlite_url, make_app, clock):
    emulator = WechatEmulator(appid=WECHAT_APPID, secret=WECHAT_SECRET, clock=clock, publish_delay_polls=30,
                              publish_delay_seconds=3600)
    with EmulatorServer(emulator) as server:
        app = make_app(sqlite_url, {"wechat": wechat_block(server, poll_interval=60, max_polls=2)})
        item_id = queue(app, channels=["wechat"])
        d = run_until_settled(app, clock, item_id, "wechat")
        assert d["status"] == "published"
        assert d["attempts"] == 1  # 15 rounds of "still publishing" were not counted as failed attempts
        assert emulator.submits == 1 and len(emulator.live_articles()) == 1


def test_wechat_retract_deletes_the_article(db_url, make_app, wechat):

    app = make_app(db_url, {"wechat": wechat_block(wechat)})
    item_id = queue(app, channels=["wechat"])
    Dispatcher(app).run_due()
    article_id = delivery(app, item_id, "wechat")["external_id"]
    retract_item(app, item_id, "误发")
    assert wechat.emulator.deletes == [(article_id, 0)]
    assert wechat.emulator.live_articles() == []
    assert delivery(app, item_id, "wechat")["status"] == "retracted"


def test_wechat_retract_on_unverified_account_tells_the_editor_to_remove_it_by_hand(db_url, make_app, wechat):

    app = make_app(db_url, {"wechat": wechat_block(wechat)})
    item_id = queue(app, channels=["wechat"])
    Dispatcher(app).run_due()
    wechat.emulator.verified = False
    stats = retract_item(app, item_id, "误发")
    assert stats.outcomes == {"retract_failed": 1}
    d = delivery(app, item_id, "wechat")
    assert d["status"] == "published"
    assert "48001" in d["last_error"] and "by hand" in d["last_error"]
    assert len(wechat.emulator.live_articles()) == 1
    assert "wechat" not in app.store.paused_channels()  # one article, not the whole channel


def test_wechat_title_limit_is_checked_when_queued_and_a_short_title_option_fits(sqlite_url, make_app, wechat):
    app = make_app(sqlite_url, {"wechat": wechat_block(wechat)})
    long_title = "关于2019年度城镇老旧小区改造项目施工招标结果及其后续安排的公示"
    assert len(long_title) == 33
    with pytest.raises(InputError) as refused:
        queue(app, long_title, channels=["wechat"])
    assert "wechat" in str(refused.value) and "32" in str(refused.value)
    assert app.store.list_items() == []

    short = "老旧小区改造施工招标结果公示"
    item_id = queue(app, long_title, channels=["wechat"], options={"wechat": {"title": short}})
    Dispatcher(app).run_due()
    assert delivery(app, item_id, "wechat")["status"] == "published"
    [article] = wechat.emulator.live_articles()
    assert article.news_item[0]["title"] == short
    assert app.store.get_item(item_id)["title"] == long_title


# ---------------------------------------------------------------------- resource_site (issue 4)


def listing_titles(server) -> list[str]:
    """Titles on the site's public listing, read as a visitor's browser would (GBK)."""
    response = requests.get(f"{server.url}/notice/list.jsp?page=1", timeout=5)
    soup = BeautifulSoup(response.content.decode("gbk"), "html.parser")
    return [a["title"] for a in soup.select("ul.notice-list a")]


def test_resource_site_publishes_gbk_title_character_for_character(db_url, make_app, site):
    app = make_app(db_url, {"trading": site_block(site)})
    item_id = queue(app, GBK_TITLE, channels=["trading"])
    assert Dispatcher(app).run_due().outcomes == {"published": 1}
    assert listing_titles(site) == [GBK_TITLE]
    [notice] = site.emulator.live_notices()
    assert notice.title == GBK_TITLE and notice.category == "13"
    d = delivery(app, item_id, "trading")
    assert d["status"] == "published" and d["external_id"] == str(notice.id)
    assert d["external_url"].startswith(site.url) and d["external_url"].endswith(f"{notice.id}.jsp")


def test_resource_site_dropped_save_is_in_doubt_then_found_on_the_listing(db_url, make_app, site, clock):
    app = make_app(db_url, {"trading": site_block(site)})
    item_id = queue(app, GBK_TITLE, channels=["trading"])
    site.emulator.faults.add("accept_then_drop", path=r"^/admin/notice_save\.do$")
    Dispatcher(app).run_due()
    d = delivery(app, item_id, "trading")
    assert d["status"] == "in_doubt"
    clock.advance(timedelta(seconds=app.config.retry.in_doubt_delay))
    Dispatcher(app).run_due()
    d = delivery(app, item_id, "trading")
    assert d["status"] == "published" and d["attempts"] == 1
    assert site.emulator.submissions == 1
    [notice] = site.emulator.live_notices()
    assert d["external_id"] == str(notice.id)


def test_resource_site_crashed_worker_lease_expires_and_lookup_finds_one_notice(db_url, make_app, site, clock):
    app = make_app(db_url, {"trading": site_block(site)})
    item_id = queue(app, GBK_TITLE, channels=["trading"])
    publish_and_die_before_recording(app, "trading", item_id)
    assert delivery(app, item_id, "trading")["status"] == "publishing"
    assert Dispatcher(app).run_due().total == 0
    clock.advance(LEASE_PASSED)
    assert Dispatcher(app).run_due().outcomes == {"published": 1}
    d = delivery(app, item_id, "trading")
    assert site.emulator.submissions == 1
    [notice] = site.emulator.live_notices()
    assert d["status"] == "published" and d["external_id"] == str(notice.id)
    assert listing_titles(site) == [GBK_TITLE]


# ---------------------------------------------------------------------- wordpress (issue 4)


def test_wordpress_publishes_and_creates_the_category_once_for_two_items(db_url, make_app, wp):
    app = make_app(db_url, {"wp": wp_block(wp)})
    ids = [queue(app, f"关于第{i}批保障性住房分配结果的公示", channels=["wp"]) for i in (1, 2)]
    assert Dispatcher(app).run_due().outcomes == {"published": 2}
    emu = wp.emulator
    assert emu.category_creates == 1
    [term] = [t for t in emu.categories.values() if t["name"] == "通知公告"]
    posts = live_posts(wp)
    assert sorted(p["title"] for p in posts) == ["关于第1批保障性住房分配结果的公示", "关于第2批保障性住房分配结果的公示"]
    assert all(p["categories"] == [term["id"]] and p["status"] == "publish" for p in posts)
    for i in ids:
        d = delivery(app, i, "wp")
        assert d["status"] == "published" and d["external_id"] in {str(p["id"]) for p in posts}
    # a later item reuses the cached term id
    queue(app, "第三批公示", channels=["wp"])
    Dispatcher(app).run_due()
    assert emu.category_creates == 1 and len(live_posts(wp)) == 3


def test_wordpress_dropped_create_is_in_doubt_then_found_by_slug(db_url, make_app, wp, clock):
    app = make_app(db_url, {"wp": wp_block(wp)})
    item_id = queue(app, channels=["wp"])
    wp.emulator.faults.add("accept_then_drop", path="^/wp-json/wp/v2/posts$")
    Dispatcher(app).run_due()
    assert delivery(app, item_id, "wp")["status"] == "in_doubt"
    clock.advance(timedelta(seconds=app.config.retry.in_doubt_delay))
    Dispatcher(app).run_due()
    d = delivery(app, item_id, "wp")
    [post] = live_posts(wp)
    assert d["status"] == "published" and d["attempts"] == 1 and d["external_id"] == str(post["id"])


def test_wordpress_crashed_worker_lease_expires_and_lookup_finds_one_post(db_url, make_app, wp, clock):
    app = make_app(db_url, {"wp": wp_block(wp)})
    item_id = queue(app, channels=["wp"])
    publish_and_die_before_recording(app, "wp", item_id)
    assert delivery(app, item_id, "wp")["status"] == "publishing"
    clock.advance(LEASE_PASSED)
    assert Dispatcher(app).run_due().outcomes == {"published": 1}
    [post] = live_posts(wp)
    d = delivery(app, item_id, "wp")
    assert d["status"] == "published" and d["external_id"] == str(post["id"])
    assert len(wp.emulator.posts) == 1


def test_wordpress_401_pauses_the_channel_and_kills_nothing(db_url, make_app, wp):
    app = make_app(db_url, {"wp": wp_block(wp, app_password="wrong pass word")})
    ids = [queue(app, f"第{i}号公告", channels=["wp"]) for i in range(3)]
    stats = Dispatcher(app).run_due()
    assert stats.outcomes["paused"] >= 1 and set(stats.outcomes) == {"paused"}
    paused = app.store.paused_channels()
    assert "wp" in paused and "401" in paused["wp"]["reason"] and "wrong pass word" not in paused["wp"]["reason"]
    rows = [delivery(app, i, "wp") for i in ids]
    assert {d["status"] for d in rows} <= {"pending", "failed"} and all(d["attempts"] == 0 for d in rows)
    assert Dispatcher(app).run_due().total == 0
    assert wp.emulator.posts == {}


def test_look_up_after_midnight_keeps_the_platforms_publish_time_in_the_tally(sqlite_url, make_app, clock):
    from publisher.report.tally import tally

    emulator = WechatEmulator(appid=WECHAT_APPID, secret=WECHAT_SECRET, clock=clock, publish_delay_seconds=5)
    with EmulatorServer(emulator) as server:
        app = make_app(sqlite_url, {"wechat": wechat_block(server)})
        clock.set(datetime(2019, 12, 31, 15, 59, 30, tzinfo=timezone.utc))  # 23:59:30 in Shanghai
        item_id = queue(app, channels=["wechat"])
        emulator.faults.add("accept_then_drop", path="^/cgi-bin/freepublish/submit$")
        Dispatcher(app).run_due()
        assert delivery(app, item_id, "wechat")["status"] == "in_doubt"
        clock.set(datetime(2019, 12, 31, 16, 5, tzinfo=timezone.utc))  # 00:05 on 1 January: the look-up finds it
        d = run_until_settled(app, clock, item_id, "wechat")
        assert d["status"] == "published" and emulator.submits == 1
        assert aware(d["published_at"]) < datetime(2019, 12, 31, 16, 0, tzinfo=timezone.utc)
        assert tally(app.store, app.config, 2019)["channels"][0]["total"] == 1
        assert tally(app.store, app.config, 2020)["channels"][0]["total"] == 0

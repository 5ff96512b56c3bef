"""Queue → run → published on the emulator, over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta


from conftest import cms_block
from publisher.delivery.dispatcher import Dispatcher
from publisher.items.intake import ItemRequest, queue_one


def _queue(app, title="关于2019年保障性住房分配结果的公示", category="公示公告", **kw):
    return queue_one(app, ItemRequest(title=title, category=category, body="<p>公示内容</p>", **kw))


def _delivery(app, item_id, channel="website"):
    return next(d for d in app.store.get_item(item_id)["deliveries"] if d["channel"] == channel)


def test_queue_run_publishes_once_on_the_cms(db_url, make_app, cms_server):
    app = make_app(db_url, {"website": cms_block(cms_server)})
    item_id = _queue(app)
    stats = Dispatcher(app).run_due()
    assert stats.outcomes["published"] == 1
    d = _delivery(app, item_id)
    assert d["status"] == "published" and d["attempts"] == 1
    assert d["external_url"].startswith(cms_server.url)
    articles = cms_server.emulator.live_articles()
    assert [a["title"] for a in articles] == ["关于2019年保障性住房分配结果的公示"]
    # a second run finds nothing to do
    assert Dispatcher(app).run_due().total == 0
    assert len(cms_server.emulator.live_articles()) == 1


def test_future_item_waits_for_its_time(db_url, make_app, cms_server, clock):
    app = make_app(db_url, {"website": cms_block(cms_server)})
    later = clock.now() + timedelta(hours=3)
    item_id = _queue(app, at=later.isoformat())
    assert Dispatcher(app).run_due().total == 0
    clock.set(later)
    Dispatcher(app).run_due()
    assert _delivery(app, item_id)["status"] == "published"


def test_expired_lease_after_crash_is_reclaimed_and_cms_has_one_article(db_url, make_app, cms_server, clock):
    app = make_app(db_url, {"website": cms_block(cms_server)})
    item_id = _queue(app)
    # A worker claims the delivery, sends it, and dies (kill -9) before recording the outcome.
    crashed = Dispatcher(app, worker_id="crashed-worker")
    [claim] = crashed.claim("website", 1)
    adapter = app.channel("website")
    from publisher.adapter import DeliveryContext

    with app.store.engine.connect() as conn:
        view = app.store.item_view(conn, item_id, "website")
    adapter.publish(view, DeliveryContext(delivery_id=claim.id, channel="website",
                                          idempotency_key=claim.idempotency_key, attempt=1))
    assert _delivery(app, item_id)["status"] == "publishing"
    # Before the lease expires nobody touches it.
    assert Dispatcher(app).run_due().total == 0
    clock.advance(timedelta(minutes=3))
    stats = Dispatcher(app).run_due()
    assert stats.outcomes["published"] == 1
    assert len(cms_server.emulator.live_articles()) == 1
    assert cms_server.emulator.create_calls == 1  # settled by look-up, never re-posted
    kinds = [e["kind"] for e in app.store.events_for(item_id)]
    assert "in_doubt" in kinds and kinds[-1] == "published"


def test_accept_then_timeout_ends_with_one_article_via_lookup(db_url, make_app, cms_server, clock):
    app = make_app(db_url, {"website": cms_block(cms_server, timeout=0.5)})
    item_id = _queue(app)
    cms_server.emulator.faults.add("accept_then_timeout", path="^/api/articles$", seconds=5)
    Dispatcher(app).run_due()
    d = _delivery(app, item_id)
    assert d["status"] == "in_doubt"
    assert "0.5" in d["last_error"]
    clock.advance(timedelta(seconds=app.config.retry.in_doubt_delay))
    Dispatcher(app).run_due()
    d = _delivery(app, item_id)
    assert d["status"] == "published" and d["attempts"] == 1
    assert len(cms_server.emulator.live_articles()) == 1


def test_429_and_503_are_retried_with_backoff_honouring_retry_after(db_url, make_app, cms_server, clock):
    app = make_app(db_url, {"website": cms_block(cms_server)})
    item_id = _queue(app)
    cms_server.emulator.faults.add("status", status=429, retry_after=120, path="^/api/articles$")
    cms_server.emulator.faults.add("status", status=503, path="^/api/articles$")
    t0 = clock.now()
    Dispatcher(app).run_due()
    d = _delivery(app, item_id)
    assert d["status"] == "failed" and "429" in d["last_error"]
    assert d["next_attempt_at"] - t0 >= timedelta(seconds=120)  # Retry-After beats the 10 s base delay
    clock.set(d["next_attempt_at"])
    Dispatcher(app).run_due()
    d2 = _delivery(app, item_id)
    assert d2["status"] == "failed" and "503" in d2["last_error"]
    assert d2["next_attempt_at"] - clock.now() == timedelta(seconds=20)  # base 10 s × 2 (jitter 0 in tests)
    clock.set(d2["next_attempt_at"])
    Dispatcher(app).run_due()
    d3 = _delivery(app, item_id)
    assert d3["status"] == "published" and d3["attempts"] == 3
    assert len(cms_server.emulator.live_articles()) == 1


def test_gives_up_after_max_attempts(db_url, make_app, cms_server, clock):
    app = make_app(db_url, {"website": cms_block(cms_server)})
    item_id = _queue(app)
    cms_server.emulator.faults.add("status", status=500, path="^/api/articles$", times=10)
    for _ in range(5):
        Dispatcher(app).run_due()
        d = _delivery(app, item_id)
        if d["status"] == "dead":
            break
        clock.set(d["next_attempt_at"])
    assert d["status"] == "dead" and d["attempts"] == 5
    assert "gave up after 5 attempts" in d["last_error"]


def test_bad_credentials_pause_the_channel_instead_of_killing_deliveries(db_url, make_app, cms_server):
    app = make_app(db_url, {"website": cms_block(cms_server, auth_token="wrong-token")})
    ids = [_queue(app, title=f"通知{i}") for i in range(5)]
    stats = Dispatcher(app).run_due()
    assert stats.outcomes["paused"] >= 1
    assert "website" in app.store.paused_channels()
    statuses = {_delivery(app, i)["status"] for i in ids}
    assert statuses <= {"pending", "failed"}
    assert all(_delivery(app, i)["attempts"] == 0 for i in ids)
    assert "wrong-token" not in str(app.store.paused_channels())
    assert Dispatcher(app).run_due().total == 0  # paused: nothing is claimed


def test_retract_everywhere(db_url, make_app, cms_server, tmp_path):
    from publisher.delivery.actions import retract_item

    rss = {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://example.gov.cn",
           "count_in_report": False}
    app = make_app(db_url, {"website": cms_block(cms_server), "feed": rss})
    item_id = _queue(app)
    Dispatcher(app).run_due()
    assert "公示" in (tmp_path / "feed.xml").read_text(encoding="utf-8")
    retract_item(app, item_id, "误发")
    row = app.store.get_item(item_id)
    assert {d["status"] for d in row["deliveries"]} == {"retracted"}
    assert cms_server.emulator.live_articles() == []
    assert "公示" not in (tmp_path / "feed.xml").read_text(encoding="utf-8")


def test_retract_before_publishing_cancels(db_url, make_app, cms_server, clock):
    from publisher.delivery.actions import retract_item

    app = make_app(db_url, {"website": cms_block(cms_server)})
    item_id = _queue(app, at=(clock.now() + timedelta(days=1)).isoformat())
    retract_item(app, item_id)
    clock.advance(timedelta(days=2))
    Dispatcher(app).run_due()
    assert _delivery(app, item_id)["status"] == "retracted"
    assert cms_server.emulator.create_calls == 0


def test_two_dispatchers_on_one_database_publish_each_item_once(db_url, make_app, cms_server):
    import threading

    app = make_app(db_url, {"website": cms_block(cms_server, concurrency=4)})
    ids = [_queue(app, title=f"第{i}号公告") for i in range(40)]
    a, b = Dispatcher(app, worker_id="daemon-a"), Dispatcher(app, worker_id="daemon-b")
    threads = [threading.Thread(target=x.run_due) for x in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {_delivery(app, i)["status"] for i in ids} == {"published"}
    assert cms_server.emulator.create_calls == 40
    assert len(cms_server.emulator.live_articles()) == 40


def test_feed_waits_for_the_website_copy_it_links_to(db_url, make_app, cms_server, tmp_path, clock):
    rss = {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://example.gov.cn",
           "link_from": "website", "count_in_report": False}
    app = make_app(db_url, {"website": cms_block(cms_server), "feed": rss})
    item_id = _queue(app)
    Dispatcher(app).run_due()
    assert _delivery(app, item_id, "feed")["external_url"] == _delivery(app, item_id, "website")["external_url"]

    # While the website keeps failing, the feed waits (up to 30 minutes), then links to its own page.
    late = _queue(app, title="第二条公告")
    cms_server.emulator.faults.add("status", status=503, path="^/api/articles$", times=10)
    Dispatcher(app).run_due()
    assert _delivery(app, late, "feed")["status"] == "pending"
    clock.advance(timedelta(minutes=31))
    Dispatcher(app).run_due()
    feed = _delivery(app, late, "feed")
    assert feed["status"] == "published" and feed["external_url"].startswith("http://example.gov.cn/")


def test_gives_up_after_max_age(db_url, make_app, cms_server, clock):
    app = make_app(db_url, {"website": cms_block(cms_server)},
                   retry={"max_attempts": 100, "base_delay": 1200, "max_delay": 1200, "jitter": 0, "max_age": "1h"})
    item_id = _queue(app)
    cms_server.emulator.faults.add("status", status=503, path="^/api/articles$", times=100)
    attempts = 0
    while _delivery(app, item_id)["status"] != "dead":
        Dispatcher(app).run_due()
        d = _delivery(app, item_id)
        attempts += 1
        assert attempts < 10
        clock.set(d["next_attempt_at"])
    d = _delivery(app, item_id)
    assert d["attempts"] == 5  # at 0, 20, 40, 60 and 80 minutes: after the 80-minute one it is over max_age
    assert "gave up after 1h" in d["last_error"]

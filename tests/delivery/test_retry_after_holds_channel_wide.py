"""A 429 with Retry-After stops every worker of every daemon from sending to that channel until the time given."""

from __future__ import annotations

import threading
from datetime import timedelta

from conftest import cms_block
from publisher.delivery.dispatcher import Dispatcher
from publisher.items.intake import ItemRequest, queue_one

WORKERS = 4


def _queue_many(app, n):
    return [queue_one(app, ItemRequest(title=f"第{i}号公告", category="公示公告", body="<p>公示</p>"))
            for i in range(n)]


def _run_together(dispatchers):
    threads = [threading.Thread(target=d.run_due) for d in dispatchers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)


def test_no_request_reaches_the_channel_inside_a_retry_after_window_from_any_worker_or_daemon(
        pg_url, make_app, cms_server, clock):
    emulator = cms_server.emulator
    emulator.request_clock = clock.now
    first = make_app(pg_url, {"website": cms_block(cms_server, concurrency=WORKERS)})
    second = make_app(pg_url, {"website": cms_block(cms_server, concurrency=WORKERS)})
    ids = _queue_many(first, 40)
    emulator.faults.add("status", status=429, retry_after=30, path="/api/articles$", times=1)
    daemons = [Dispatcher(first, workers=WORKERS), Dispatcher(second, workers=WORKERS)]
    start = clock.now()
    try:
        _run_together(daemons)
        held = first.store.paused_channels()["website"]
        assert held["until"] == start + timedelta(seconds=30) and "Retry-After" in held["reason"]
        for _ in range(5):  # both daemons keep polling through the window
            clock.advance(timedelta(seconds=5))
            _run_together(daemons)
        assert not [s for s in emulator.seen if s.at > start]
        clock.set(start + timedelta(seconds=31))
        for _ in range(4):
            _run_together(daemons)
            clock.advance(timedelta(seconds=30))
    finally:
        for d in daemons:
            d.close()
    assert emulator.inside_retry_after() == []
    statuses = [next(d["status"] for d in first.store.get_item(i)["deliveries"]) for i in ids]
    assert statuses == ["published"] * len(ids)
    assert len(emulator.live_articles()) == len(ids)
    # requests stamped with the 429's own instant that arrived after it: already on their way when it was answered
    after = emulator.seen[next(i for i, s in enumerate(emulator.seen) if s.status == 429) + 1:]
    stragglers = [s for s in after if s.at == start]
    print(f"{len(stragglers)} requests stamped with the 429's instant arrived after it (already on their way)")
    assert len(stragglers) <= 4 * WORKERS, stragglers


def test_a_held_channel_is_not_claimed_and_the_delivery_that_hit_429_keeps_its_place(sqlite_url, make_app, cms_server,
                                                                                     clock):
    app = make_app(sqlite_url, {"website": cms_block(cms_server)})
    (item_id,) = _queue_many(app, 1)
    cms_server.emulator.faults.add("status", status=429, retry_after=120, path="/api/articles$")
    dispatcher = Dispatcher(app)
    assert dispatcher.run_due().outcomes["failed"] == 1
    clock.advance(timedelta(seconds=60))
    assert dispatcher.run_due().total == 0  # held: nothing claimed, nothing sent
    clock.advance(timedelta(seconds=61))
    dispatcher.run_due()
    d = app.store.get_item(item_id)["deliveries"][0]
    assert d["status"] == "published" and d["attempts"] == 2
    kinds = [e["kind"] for e in app.store.events_for(item_id)]
    assert "failed" in kinds and kinds[-1] == "published"

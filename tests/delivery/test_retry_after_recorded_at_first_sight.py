"""A Retry-After is recorded the moment its 429 is received: no request of any worker of either daemon begins
after that, not even one whose worker had not yet heard of it."""

from __future__ import annotations

import threading
import time

from conftest import cms_block
from publisher.delivery.dispatcher import Dispatcher
from publisher.http import RequestScope
from publisher.items.intake import ItemRequest, queue_one
from publisher.runtime.channel_state_db import ChannelHolds

WORKERS = 4


def test_no_request_begins_after_the_429_was_received_at_concurrency_4_with_two_daemons(
        db_url, make_app, cms_server, monkeypatch):
    first = make_app(db_url, {"website": cms_block(cms_server, concurrency=WORKERS)})
    second = make_app(db_url, {"website": cms_block(cms_server, concurrency=WORKERS)})
    for i in range(40):
        queue_one(first, ItemRequest(title=f"第{i}号公告", category="公示公告", body="<p>公示</p>"))
    began: list[float] = []
    held: list[float] = []
    started, hold = RequestScope.started, ChannelHolds.hold

    def starting(scope, timeout):
        began.append(time.monotonic())
        started(scope, timeout)

    def holding(holds, *args, **kwargs):
        done = hold(holds, *args, **kwargs)
        held.append(time.monotonic())
        return done

    monkeypatch.setattr(RequestScope, "started", starting)
    monkeypatch.setattr(ChannelHolds, "hold", holding)
    # every request is slow enough that the other workers are mid-flight when the 429 comes back
    cms_server.emulator.faults.randomly([(1.0, {"kind": "slow", "seconds": 0.02})], path="/api/articles$")
    cms_server.emulator.faults.add("status", status=429, retry_after=30, path="/api/articles$", times=1)
    daemons = [Dispatcher(first, workers=WORKERS), Dispatcher(second, workers=WORKERS)]
    try:
        threads = [threading.Thread(target=d.run_due) for d in daemons]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        for d in daemons:
            d.close()
    assert held, "the 429 was never seen"
    late = [t - held[0] for t in began if t > held[0]]
    assert late == [], f"{len(late)} requests began after the 429's hold was recorded"
    assert "Retry-After" in first.store.paused_channels()["website"]["reason"]


def test_the_hold_is_in_the_database_before_the_adapter_sees_the_429(db_url, make_app, cms_server):
    from types import SimpleNamespace

    from publisher.http import new_session, request_scope, send

    app = make_app(db_url, {"website": cms_block(cms_server)})
    dispatcher = Dispatcher(app)
    cms_server.emulator.faults.add("status", status=429, retry_after=30, path="/api/articles$")
    try:
        with new_session() as session, request_scope(dispatcher.recorder.scope(SimpleNamespace(channel="website"))):
            response = send(session, "GET", cms_server.url + "/api/articles", timeout=5)
            assert response.status_code == 429  # the adapter has not even looked at it yet
            assert "Retry-After" in app.store.paused_channels()["website"]["reason"]
    finally:
        dispatcher.close()

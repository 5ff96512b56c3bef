"""A look-up may conclude "absent" only once the earlier request can no longer be in flight."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from conftest import cms_block
from exactly_once_sites import NoDedupeCms
from publisher.delivery.dispatcher import Dispatcher
from publisher.http import send, new_session
from publisher.items.intake import ItemRequest, queue_one
from publisher.sandbox.server import EmulatorServer, wait_until


@pytest.fixture
def site():
    with EmulatorServer(NoDedupeCms(token="test-cms-token")) as server:
        yield server


def _queue(app):
    return queue_one(app, ItemRequest(title="关于保障性住房分配结果的公示", category="公示公告", body="<p>公示</p>"))


def _delivery(app, item_id):
    return app.store.get_item(item_id)["deliveries"][0]


def test_a_save_still_committing_when_looked_up_is_not_sent_again(sqlite_url, make_app, site, clock):
    app = make_app(sqlite_url, {"website": cms_block(site, timeout=0.3)})
    item_id = _queue(app)
    gate = threading.Event()
    site.emulator.faults.add("gated", gate=gate, seconds=30, path="/api/articles$")
    dispatcher = Dispatcher(app)
    try:
        assert dispatcher.run_due().outcomes["in_doubt"] == 1  # no answer within the timeout
        d = _delivery(app, item_id)
        clock.set(d["next_attempt_at"])
        dispatcher.run_due()  # the look-up finds nothing: the save has not committed yet
        d = _delivery(app, item_id)
        assert d["status"] == "in_doubt" and "in flight" in d["last_error"]
        assert site.emulator.create_calls == 0  # not sent again (the first create is still held)
        gate.set()  # the slow save commits
        assert wait_until(site.emulator.idle)
        clock.set(d["next_attempt_at"])
        dispatcher.run_due()
    finally:
        gate.set()
        dispatcher.close()
    d = _delivery(app, item_id)
    assert d["status"] == "published" and site.emulator.create_calls == 1
    assert list(site.emulator.copies().values()) == [1]


def test_a_worker_killed_mid_request_is_looked_up_after_its_request_could_have_timed_out(sqlite_url, make_app, site,
                                                                                           clock):
    app = make_app(sqlite_url, {"website": cms_block(site, timeout=5)})
    item_id = _queue(app)
    crashed = Dispatcher(app, worker_id="crashed-worker")
    (claim,) = crashed.claim("website", 1)  # claimed, request sent, then kill -9: nothing recorded
    lease_end = clock.now() + crashed.lease
    clock.set(lease_end + timedelta(seconds=1))
    Dispatcher(app).run_due()  # lease over, look-up finds nothing, but a request could still be on its way
    d = _delivery(app, item_id)
    assert d["status"] == "in_doubt" and site.emulator.create_calls == 0
    assert d["next_attempt_at"] == lease_end + timedelta(seconds=5 + app.config.retry.in_doubt_delay)
    clock.set(d["next_attempt_at"])
    Dispatcher(app).run_due()
    assert _delivery(app, item_id)["status"] == "published" and site.emulator.create_calls == 1


def _adapter_bug_after(sent: bool, site):
    def publish(item, ctx):
        if sent:
            send(new_session(), "POST", site.url + "/api/articles", timeout=2,
                 json={"title": item.title, "content": item.body_html, "column": item.category,
                       "publish_time": item.publish_at.isoformat()},
                 headers={"Authorization": "Bearer test-cms-token", "Idempotency-Key": ctx.idempotency_key})
        raise KeyError("data")  # e.g. a response shape the adapter did not expect
    return publish


@pytest.mark.parametrize("sent, status", [(True, "in_doubt"), (False, "failed")])
def test_an_unexpected_adapter_error_is_in_doubt_only_after_a_request_went_out(sqlite_url, make_app, site, sent, status):
    app = make_app(sqlite_url, {"website": cms_block(site)})
    item_id = _queue(app)
    app.channel("website").publish = _adapter_bug_after(sent, site)
    Dispatcher(app).run_due()
    d = _delivery(app, item_id)
    assert d["status"] == status and "KeyError" in d["last_error"]
    assert site.emulator.create_calls == (1 if sent else 0)

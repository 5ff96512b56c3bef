"""The ``cms`` channel configured for a domestic-style CMS (errors as HTTP 200 + code, POST retract), over loopback."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest

from channels.cms.adapter import CmsChannel
from publisher.adapter import DeliveryContext, ItemView
from publisher.errors import ChannelPaused, OutcomeUnknown, PermanentError
from channels.cms.emulator import DomesticCmsEmulator
from publisher.sandbox.server import EmulatorServer
from channel_blocks import KEY, domestic_block

@pytest.fixture
def emulator():
    return DomesticCmsEmulator(KEY)


@pytest.fixture
def channel(services, server):
    ch = CmsChannel("portal", CmsChannel.Settings(**domestic_block(server.url)), services)
    yield ch
    ch.close()


def item(**kwargs) -> ItemView:
    fields = dict(id=1, uid="u1", title="关于公布2019年第一批保障房名单的公示", category="gsgg",
                  body_html="<p>正文</p>", publish_at=datetime(2019, 6, 1, 2, 0, tzinfo=timezone.utc))
    return ItemView(**{**fields, **kwargs})


def ctx(key: str = "u1-portal", **kwargs) -> DeliveryContext:
    return DeliveryContext(delivery_id=1, channel="portal", idempotency_key=key, attempt=1, **kwargs)


def test_publish_time_is_sent_in_the_configured_format_in_office_time(channel, emulator):
    receipt = channel.publish(item(), ctx())
    assert emulator.docs[int(receipt.external_id)]["publishTime"] == "2019-06-01 10:00:00"


def test_iso_time_is_refused_by_the_strict_site_as_a_visible_permanent_error(services, server, emulator):
    iso = CmsChannel("portal", CmsChannel.Settings(**domestic_block(server.url, publish_time_format=None)), services)
    with pytest.raises(PermanentError, match="1002"):
        iso.publish(item(), ctx())
    assert not emulator.docs


def test_expired_key_answered_as_200_code_401_pauses_the_channel(channel, emulator):
    emulator.key_expired = True
    with pytest.raises(ChannelPaused, match="channel resume portal") as info:
        channel.publish(item(), ctx())
    assert info.value.until is None and KEY not in str(info.value)


def test_retract_posts_the_configured_body_and_takes_the_doc_offline(channel, emulator):
    receipt = channel.publish(item(), ctx())
    done = ctx(external_id=receipt.external_id)
    channel.retract(item(), done)
    assert emulator.docs[int(receipt.external_id)]["status"] == "offline"
    channel.retract(item(), done)  # code 404 "文档不存在": already gone, no error
    assert channel.removed(item(), done) is None or "offline" in channel.removed(item(), done)


def test_retract_the_site_does_not_support_fails_permanently_instead_of_retrying(services, server, emulator):
    rest_style = CmsChannel("portal", CmsChannel.Settings(**domestic_block(
        server.url, paths={"create": "/api/v2/doc/save", "item": "/api/v2/doc/{id}"},
        retract_method="DELETE", retract_body=None)), services)
    receipt = rest_style.publish(item(), ctx())
    emulator.faults.add("status", status=501, path="/api/v2/doc/")
    with pytest.raises(PermanentError, match="does not take DELETE"):
        rest_style.retract(item(), ctx(external_id=receipt.external_id))


def test_bad_retract_body_template_is_a_config_error():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="retract_body"):
        CmsChannel.Settings(**domestic_block("http://127.0.0.1:9", retract_body="{docId: {id}}"))


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_error_after_the_save_is_an_unknown_outcome_settled_by_lookup(channel, emulator, status):
    emulator.faults.add("accept_then_status", status=status, path="/api/v2/doc/save")
    with pytest.raises(OutcomeUnknown, match=str(status)):
        channel.publish(item(), ctx())
    assert len(emulator.docs) == 1  # saved behind the gateway
    found = channel.lookup(item(), ctx())
    assert found is not None and int(found.external_id) in emulator.docs
    assert emulator.save_calls == 1  # nothing was sent twice


def test_lookup_during_a_slow_save_finds_nothing_yet_and_the_save_then_lands(channel, emulator):
    emulator.save_gate = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(channel.publish, item(), ctx())
        assert emulator.saving.wait(5)
        assert channel.lookup(item(), ctx()) is None  # not committed yet: absence is not proof (core waits)
        emulator.save_gate.set()
        receipt = pending.result(10)
    assert channel.lookup(item(), ctx()).external_id == receipt.external_id
    assert emulator.save_calls == 1


def test_read_back_reports_a_doc_taken_offline_by_hand(channel, emulator):
    receipt = channel.publish(item(), ctx())
    done = ctx(external_id=receipt.external_id)
    assert channel.removed(item(), done) is None
    emulator.docs[int(receipt.external_id)]["status"] = "offline"
    assert "offline" in channel.removed(item(), done)
    del emulator.docs[int(receipt.external_id)]
    assert "no longer exists" in channel.removed(item(), done)


# -- through the dispatcher, on a real database ------------------------------------------------------

def _app(make_app, sqlite_url, server, **overrides):
    block = domestic_block(server.url, **overrides)
    block["payload"]["channelId"] = "=gsgg"
    return make_app(sqlite_url, {"portal": block})


def _delivery(app, item_id):
    return app.store.get_item(item_id)["deliveries"][0]


def test_expired_key_pauses_the_channel_and_keeps_the_delivery_alive(sqlite_url, make_app, server, emulator):
    from publisher.delivery.dispatcher import Dispatcher
    from publisher.items.intake import ItemRequest, queue_one

    app = _app(make_app, sqlite_url, server)
    ids = [queue_one(app, ItemRequest(title=f"公示{i}", category="公示公告", body="<p>正文</p>")) for i in range(3)]
    emulator.key_expired = True
    Dispatcher(app, workers=1).run_due()
    assert "portal" in app.store.paused_channels()
    assert {_delivery(app, i)["status"] for i in ids} <= {"failed", "pending"}  # none died
    emulator.key_expired = False
    app.store.resume_channel("portal", "test")
    Dispatcher(app, workers=1).run_due()
    assert {_delivery(app, i)["status"] for i in ids} == {"published"}
    assert len(emulator.live_docs()) == 3


def test_unsupported_retract_ends_as_a_visible_failure_not_an_endless_retry(sqlite_url, make_app, server, emulator):
    from publisher.delivery.actions import retract_item
    from publisher.delivery.dispatcher import Dispatcher
    from publisher.items.intake import ItemRequest, queue_one

    app = _app(make_app, sqlite_url, server, retract_method="DELETE", retract_body=None,
               paths={"create": "/api/v2/doc/save", "item": "/api/v2/doc/{id}",
                      "lookup": "/api/v2/doc/search?extId={key}"})
    item_id = queue_one(app, ItemRequest(title="误发的公示", category="公示公告", body="<p>正文</p>"))
    Dispatcher(app).run_due()
    emulator.faults.add("status", status=501, path="/api/v2/doc/", times=5)
    stats = retract_item(app, item_id, "误发")
    assert stats.outcomes == {"retract_failed": 1}
    assert "does not take DELETE" in _delivery(app, item_id)["last_error"]


def test_gateway_504_after_save_posts_each_item_once(sqlite_url, make_app, server, emulator, clock):
    from datetime import timedelta

    from publisher.delivery.dispatcher import Dispatcher
    from publisher.items.intake import ItemRequest, queue_one

    app = _app(make_app, sqlite_url, server)
    ids = [queue_one(app, ItemRequest(title=f"公告{i}", category="公示公告", body="<p>正文</p>")) for i in range(6)]
    emulator.faults.add("accept_then_status", status=504, path="/api/v2/doc/save", times=3)
    for _ in range(4):
        Dispatcher(app, workers=2).run_due()
        clock.advance(timedelta(minutes=10))
    assert {_delivery(app, i)["status"] for i in ids} == {"published"}
    assert len(emulator.docs) == 6 and emulator.save_calls == 6


def test_control_characters_pasted_from_word_are_not_sent(channel, emulator):
    receipt = channel.publish(item(title="关于\x0b公示\x01", body_html="<p>正文\x0c\x1f</p>"), ctx())
    doc = emulator.docs[int(receipt.external_id)]
    assert doc["title"] == "关于 公示" and doc["content"] == "<p>正文 </p>"

"""WeChat: draft/add and uploads are not idempotent, tokens are not fetched per call, attachments are named at queue time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from channels.wechat.adapter import WechatChannel
from publisher.errors import OutcomeUnknown
from publisher.sandbox.server import EmulatorServer
from channels.wechat.emulator import WechatEmulator

from test_wechat_channel import Ctx, attach, image_bytes, make_item  # noqa: F401  (shared helpers)


@pytest.fixture
def emulator(clock) -> WechatEmulator:
    return WechatEmulator(clock=clock, publish_delay_polls=0)


@pytest.fixture
def make_channel(server, services, tmp_path):
    cover = tmp_path / "cover.jpg"
    cover.write_bytes(image_bytes("JPEG", (900, 383), "navy"))
    made = []

    def make(**overrides) -> WechatChannel:
        block = {"type": "wechat", "api_base": server.url, "appid": "wxsandbox0000000001",
                 "secret": "sandbox-wechat-secret", "default_cover": str(cover), "timeout": 2, **overrides}
        channel = WechatChannel("wechat", WechatChannel.Settings(**block), services)
        made.append(channel)
        return channel

    yield make
    for channel in made:
        channel.close()


@pytest.mark.parametrize("fault", ["accept_then_drop", "accept_then_status"])
def test_unanswered_draft_add_is_in_doubt_and_the_draft_is_found_not_added_again(make_channel, emulator, fault):
    channel = make_channel()
    emulator.faults.add(fault, status=502, path="/cgi-bin/draft/add")
    ctx = Ctx()
    with pytest.raises(OutcomeUnknown):
        channel.publish(make_item(), ctx)
    assert emulator.draft_adds == 1 and ctx.checkpoint.get("draft_started")
    assert channel.lookup(make_item(), ctx) is None  # not published yet, but the draft is now known
    assert ctx.checkpoint.get("media_id")
    receipt = channel.publish(make_item(), ctx)
    assert emulator.draft_adds == 1 and len(emulator.live_articles()) == 1
    assert receipt.external_id == emulator.live_articles()[0].article_id


def test_draft_add_refused_clearly_leaves_no_doubt(make_channel, emulator):
    channel = make_channel()
    emulator.faults.add("status", status=503, retry_after=3, path="/cgi-bin/draft/add")
    ctx = Ctx()
    with pytest.raises(Exception) as info:
        channel.publish(make_item(), ctx)
    assert not isinstance(info.value, OutcomeUnknown) and not ctx.checkpoint.get("draft_started")


def test_unanswered_cover_upload_is_found_in_the_library_not_uploaded_twice(make_channel, emulator):
    channel = make_channel()
    emulator.faults.add("accept_then_drop", path="/cgi-bin/material/add_material")
    ctx = Ctx()
    with pytest.raises(OutcomeUnknown):
        channel.publish(make_item(), ctx)
    assert emulator.material_uploads == 1
    channel.publish(make_item(), ctx)
    assert emulator.material_uploads == 1 and len(emulator.live_articles()) == 1


def test_a_short_lived_token_is_fetched_once_and_shared_not_per_call(server, emulator, make_channel, clock):
    emulator.token_ttl = 240  # at or below the five-minute refresh margin from the start
    channel = make_channel()
    for _ in range(20):
        channel.api.call("/cgi-bin/freepublish/batchget", json_body={"offset": 0, "count": 1, "no_content": 1})
    assert emulator.token_calls == 1
    clock.advance(timedelta(seconds=125))
    for _ in range(5):
        channel.api.call("/cgi-bin/freepublish/batchget", json_body={"offset": 0, "count": 1, "no_content": 1})
    assert emulator.token_calls == 2


def test_stable_token_near_its_end_is_not_fetched_per_call(emulator, make_channel, clock):
    emulator.stable_reissues_early = False
    channel = make_channel(use_stable_token=True)
    channel.api.call("/cgi-bin/freepublish/batchget", json_body={"offset": 0, "count": 1})
    clock.advance(timedelta(seconds=7200 - 200))  # 200 s left: the platform hands out the same token
    for _ in range(30):
        channel.api.call("/cgi-bin/freepublish/batchget", json_body={"offset": 0, "count": 1})
    assert emulator.stable_token_calls <= 2


def test_attachments_wechat_cannot_carry_are_refused_at_queue_time_with_the_ways_out(make_channel, tmp_path):
    doc = attach(tmp_path, b"%PDF-1.4 fake", "年度报告.pdf", "application/pdf")
    channel = make_channel()
    [problem] = channel.check(make_item(attachments=(doc,)))
    assert "年度报告.pdf" in problem and "source_url_from" in problem and "wechat.attachments=omit" in problem
    assert channel.check(make_item(attachments=(doc,), channel_options={"attachments": "omit"})) == []
    assert make_channel(source_url_from="portal").check(make_item(attachments=(doc,))) == []


def test_with_a_website_copy_the_article_names_the_attachments(make_channel, emulator, tmp_path):
    doc = attach(tmp_path, b"%PDF-1.4 fake", "年度报告.pdf", "application/pdf")
    channel = make_channel(source_url_from="portal")
    item = make_item(attachments=(doc,), published_urls={"portal": "http://www.example.gov.cn/a/1.html"})
    channel.publish(item, Ctx())
    [article] = emulator.live_articles()
    assert "年度报告.pdf" in article.news_item[0]["content"] and "阅读原文" in article.news_item[0]["content"]

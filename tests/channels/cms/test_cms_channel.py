"""The ``cms`` channel against the CMS emulator, over real HTTP on loopback."""

from __future__ import annotations

import json
import socket
from datetime import datetime, timezone
from pathlib import Path

import pytest

from channels.cms.adapter import CmsChannel
from publisher.adapter import Attachment, DeliveryContext, ItemView
from publisher.errors import ChannelPaused, OutcomeUnknown, PermanentError, RetryableError
from channels.cms.emulator import CmsEmulator
from publisher.sandbox.server import EmulatorServer

TOKEN = "sandbox-cms-token"
TITLE = "如东县住房和城乡建设局2019年政府信息公开工作年度报告"


@pytest.fixture(scope="module")
def _served():
    emulator = CmsEmulator(TOKEN)
    with EmulatorServer(emulator) as srv:
        yield emulator, srv


@pytest.fixture
def emulator(_served):
    emulator = _served[0]
    emulator.reset()
    return emulator


@pytest.fixture
def server(_served, emulator):
    return _served[1]


def make_channel(services, base_url: str, **overrides) -> CmsChannel:
    block = {"type": "cms", "base_url": base_url, "auth_token": TOKEN, "timeout": 5, **overrides}
    return CmsChannel("portal", CmsChannel.Settings(**block), services)


@pytest.fixture
def channel(services, server):
    ch = make_channel(services, server.url)
    yield ch
    ch.close()


def make_item(title: str = TITLE, **kwargs) -> ItemView:
    fields = dict(
        id=1,
        uid="a1b2c3",
        title=title,
        category="公示公告",
        body_html="<p>关于2019年度住房保障资格审核结果的公示。</p>",
        publish_at=datetime(2019, 6, 1, 2, 0, tzinfo=timezone.utc),
        department="如东县住房和城乡建设局",
    )
    fields.update(kwargs)
    return ItemView(**fields)


def ctx(key: str = "a1b2c3-portal", **kwargs) -> DeliveryContext:
    return DeliveryContext(delivery_id=1, channel="portal", idempotency_key=key, attempt=1, **kwargs)


def test_publish_creates_one_article_with_chinese_intact(channel, emulator, server):
    receipt = channel.publish(make_item(), ctx())

    assert len(emulator.articles) == 1
    article = emulator.articles[receipt.external_id]
    assert article["title"] == TITLE
    assert article["column"] == "公示公告"
    assert article["source"] == "如东县住房和城乡建设局"
    assert article["publish_time"] == "2019-06-01T10:00:00+08:00"
    assert receipt.external_url == f"{server.url}/articles/{receipt.external_id}.html"
    raw = emulator.create_bodies[-1]
    assert TITLE.encode("utf-8") in raw and b"\\u" not in raw
    assert json.loads(raw)["request_id"] == "a1b2c3-portal"


def test_public_page_shows_the_article(channel, server):
    import requests

    receipt = channel.publish(make_item(), ctx())
    page = requests.get(receipt.external_url, timeout=5)
    assert page.status_code == 200 and TITLE in page.text


def test_repeat_with_same_key_returns_same_article(channel, emulator):
    first = channel.publish(make_item(), ctx())
    second = channel.publish(make_item(), ctx())
    assert second.external_id == first.external_id
    assert len(emulator.articles) == 1 and emulator.create_calls == 2


def test_dropped_after_send_is_settled_by_lookup(channel, emulator):
    emulator.faults.add("accept_then_drop", path="^/api/articles$")
    with pytest.raises(OutcomeUnknown):
        channel.publish(make_item(), ctx())
    assert len(emulator.articles) == 1  # the emulator stored it before dropping the connection

    found = channel.lookup(make_item(), ctx())
    assert found is not None and found.external_id in emulator.articles
    assert channel.lookup(make_item(), ctx("another-key")) is None

    again = channel.publish(make_item(), ctx())
    assert again.external_id == found.external_id
    assert len(emulator.articles) == 1


def test_edited_item_with_reused_key_updates_instead_of_failing(channel, emulator):
    first = channel.publish(make_item(), ctx())
    edited = channel.publish(make_item(body_html="<p>更正后的内容</p>"), ctx())
    assert edited.external_id == first.external_id
    assert emulator.articles[first.external_id]["content"] == "<p>更正后的内容</p>"
    assert len(emulator.articles) == 1


def test_429_is_retryable_with_retry_after(channel, emulator):
    emulator.faults.add("status", status=429, retry_after=17)
    with pytest.raises(RetryableError) as info:
        channel.publish(make_item(), ctx())
    assert info.value.retry_after == 17
    assert not emulator.articles


def test_503_is_retryable(channel, emulator):
    emulator.faults.add("status", status=503, retry_after=5)
    with pytest.raises(RetryableError) as info:
        channel.publish(make_item(), ctx())
    assert "503" in str(info.value) and info.value.retry_after == 5
    assert channel.publish(make_item(), ctx()).external_id  # the next attempt goes through


def test_500_from_the_cms_itself_is_retryable(channel, emulator):
    emulator.faults.add("status", status=500)
    with pytest.raises(RetryableError):
        channel.publish(make_item(), ctx())


@pytest.mark.parametrize("status", [502, 504])
def test_gateway_error_on_create_is_an_unknown_outcome(channel, emulator, status):
    emulator.faults.add("accept_then_status", status=status, path="^/api/articles$")
    with pytest.raises(OutcomeUnknown):
        channel.publish(make_item(), ctx())
    assert channel.lookup(make_item(), ctx()).external_id in emulator.articles


def test_503_is_an_unknown_outcome_where_the_gateway_answers_it_after_saving(services, server, emulator):
    channel = make_channel(services, server.url, unknown_outcome_statuses=[502, 503, 504])
    emulator.faults.add("accept_then_status", status=503, path="^/api/articles$")
    with pytest.raises(OutcomeUnknown):
        channel.publish(make_item(), ctx())
    emulator.faults.add("status", status=503, retry_after=30, path="^/api/articles$")
    with pytest.raises(RetryableError):  # with Retry-After it is a clear "not now"
        channel.publish(make_item(), ctx("other-key"))


def test_gateway_error_on_a_lookup_is_still_retryable(channel, emulator):
    emulator.faults.add("status", status=502, path="^/api/articles$")
    with pytest.raises(RetryableError):
        channel.lookup(make_item(), ctx())


def test_wrong_token_pauses_channel_without_leaking_it(services, server, emulator):
    secret = "wrong-secret-token-123"
    channel = make_channel(services, server.url, auth_token=secret)
    with pytest.raises(ChannelPaused) as info:
        channel.publish(make_item(), ctx())
    message = str(info.value)
    assert info.value.until is None
    assert "portal" in message and "check auth_token" in message
    assert secret not in message and secret not in repr(channel.settings)
    assert not emulator.articles


def test_validation_error_is_permanent_and_names_the_field(channel, emulator):
    emulator.faults.add(
        "status", status=422, body={"code": "invalid", "message": "column not allowed", "field": "column"}
    )
    with pytest.raises(PermanentError) as info:
        channel.publish(make_item(), ctx())
    assert "column" in str(info.value)


def test_too_long_title_refused_by_server_is_permanent(services, server):
    channel = make_channel(services, server.url, max_title_length=500)
    with pytest.raises(PermanentError) as info:
        channel.publish(make_item(title="长" * 201), ctx())
    assert "title" in str(info.value)


def test_dead_endpoint_is_retryable_with_clear_message(services):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    channel = make_channel(services, f"http://127.0.0.1:{port}")
    with pytest.raises(RetryableError) as info:
        channel.publish(make_item(), ctx())
    message = str(info.value)
    assert "portal" in message and "cannot connect" in message and f"127.0.0.1:{port}" in message
    assert TOKEN not in message


def test_retract_withdraws_and_is_idempotent(channel, emulator, server):
    import requests

    receipt = channel.publish(make_item(), ctx())
    done = ctx(external_id=receipt.external_id, external_url=receipt.external_url)
    channel.retract(make_item(), done)
    assert emulator.articles[receipt.external_id]["status"] == "withdrawn"
    assert requests.get(receipt.external_url, timeout=5).status_code == 404
    channel.retract(make_item(), done)  # already gone: no error
    assert channel.lookup(make_item(), ctx()) is None


def test_update_changes_title(channel, emulator):
    receipt = channel.publish(make_item(), ctx())
    updated = channel.update(
        make_item(title="更正：" + TITLE), ctx(external_id=receipt.external_id, external_url=receipt.external_url)
    )
    assert updated.external_id == receipt.external_id
    assert emulator.articles[receipt.external_id]["title"] == "更正：" + TITLE
    assert len(emulator.articles) == 1


def test_check_flags_long_title_and_unmapped_category(services):
    channel = make_channel(services, "http://127.0.0.1:9", columns={"公示公告": "gsgg"})
    assert channel.check(make_item()) == []
    problems = channel.check(make_item(title="长" * 201, category="水质检测"))
    assert any("201 characters" in p and "200" in p and "portal.title" in p for p in problems)
    assert any("水质检测" in p and "columns" in p for p in problems)
    assert channel.check(make_item(title="长" * 201, channel_options={"title": "短标题"})) == []


def test_configured_mapping_columns_inline_images_and_attachments(services, server, emulator, tmp_path: Path):
    image = tmp_path / "chart.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    doc = tmp_path / "report.pdf"
    doc.write_bytes(b"%PDF-1.4 fake")
    sha = "ab" * 32
    item = make_item(
        body_html=f'<p>图表</p><img src="attachment:{sha}">',
        inline_images={sha: Attachment(image, "chart.png", "image/png", sha, image.stat().st_size)},
        attachments=(Attachment(doc, "年度报告.pdf", "application/pdf", "cd" * 32, doc.stat().st_size),),
    )
    channel = make_channel(
        services, server.url, columns={"公示公告": "通知公告"}, idempotency_field=None,
        payload={"title": "title", "content": "body_html", "column": "category", "publish_time": "publish_at",
                 "author": "=办公室"},
    )
    receipt = channel.publish(item, ctx())
    article = emulator.articles[receipt.external_id]
    assert article["column"] == "通知公告" and article["author"] == "办公室"
    assert 'src="data:image/png;base64,' in article["content"] and "attachment:" not in article["content"]
    assert article["attachments"] == [
        {"name": "年度报告.pdf", "size": doc.stat().st_size, "sha256": article["attachments"][0]["sha256"]}
    ]
    assert "request_id" not in json.loads(emulator.create_bodies[-1])
    assert channel.lookup(item, ctx()) is not None  # found through the Idempotency-Key header alone


def test_settings_reject_unknown_payload_field():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="unknown item field"):
        CmsChannel.Settings(type="cms", base_url="http://x", payload={"title": "headline"})


def test_timeout_after_send_is_unknown_and_article_is_stored(services, server, emulator):
    channel = make_channel(services, server.url, timeout=0.3)
    emulator.faults.add("accept_then_timeout", seconds=10, path="^/api/articles$")
    with pytest.raises(OutcomeUnknown):
        channel.publish(make_item(), ctx())
    assert len(emulator.articles) == 1
    assert channel.lookup(make_item(), ctx()).external_id in emulator.articles


def test_concurrent_publishes_of_one_delivery_make_one_article(channel, emulator):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(lambda _: channel.publish(make_item(), ctx()).external_id, range(8)))
    assert len(ids) == 1 and len(emulator.articles) == 1

"""The WeChat channel end to end over real HTTP against the strict emulator."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
import traceback
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image

from channels.wechat.adapter import WechatChannel
from publisher.adapter import Attachment, DeliveryContext, ItemView
from publisher.errors import ChannelPaused, OutcomeUnknown, PermanentError, RetryableError
from publisher.sandbox.server import Emulator, EmulatorServer, Response
from channels.wechat.emulator import WechatEmulator

BODY = "<p>我局于2019年5月完成<strong>水质检测</strong>，结果均符合标准。</p>"


# ---------------------------------------------------------------------- helpers


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (40, 30), color: str = "red") -> bytes:
    """A small generated picture (no binary fixtures in the repo)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


def noise_png(side: int = 900) -> bytes:
    """A PNG of random pixels: incompressible, about 2.4 MB."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def attach(tmp_path: Path, data: bytes, filename: str = "photo.png", mime: str = "image/png") -> Attachment:
    sha = hashlib.sha256(data).hexdigest()
    path = tmp_path / sha
    path.write_bytes(data)
    return Attachment(path=path, filename=filename, mime=mime, sha256=sha, size=len(data))


def make_item(title: str = "2019年5月水质检测结果公示", body: str = BODY, *, item_id: int = 1, images=(), **kwargs) -> ItemView:
    return ItemView(
        id=item_id,
        uid=f"item-{item_id}",
        title=title,
        category="水质检测",
        body_html=body,
        publish_at=datetime(2019, 6, 1, 2, 0, tzinfo=timezone.utc),
        inline_images={a.sha256: a for a in images},
        **kwargs,
    )


def img_tag(attachment: Attachment) -> str:
    return f'<p><img src="attachment:{attachment.sha256}" alt="图"></p>'


class Ctx(DeliveryContext):
    """A delivery context that remembers every checkpoint saved (what the database would hold)."""

    def __init__(self, checkpoint: dict | None = None, external_id: str | None = None):
        self.saved: list[dict] = []
        super().__init__(
            delivery_id=1,
            channel="wechat",
            idempotency_key="delivery-1",
            attempt=1,
            checkpoint=checkpoint,
            external_id=external_id,
            save_checkpoint=self.saved.append,
        )


@pytest.fixture
def emulator(clock) -> WechatEmulator:
    return WechatEmulator(clock=clock)


@pytest.fixture
def cover(tmp_path) -> Path:
    path = tmp_path / "cover.jpg"
    path.write_bytes(image_bytes("JPEG", (900, 383), "navy"))
    return path


@pytest.fixture
def make_channel(server, services, cover):
    channels = []

    def make(**overrides) -> WechatChannel:
        block = {
            "type": "wechat",
            "api_base": server.url,
            "appid": "wxsandbox0000000001",
            "secret": "sandbox-wechat-secret",
            "default_cover": str(cover),
            **overrides,
        }
        channel = WechatChannel("wechat", WechatChannel.Settings(**block), services)
        channels.append(channel)
        return channel

    yield make
    for channel in channels:
        channel.close()


@pytest.fixture
def channel(make_channel) -> WechatChannel:
    return make_channel()


def stored(emulator: WechatEmulator) -> list[dict]:
    """Every news item of every live article, as the platform keeps it."""
    return [news for article in emulator.live_articles() for news in article.news_item]


# ---------------------------------------------------------------------- the flow


def test_full_flow_publishes_one_article(channel, emulator):
    ctx = Ctx()
    receipt = channel.publish(make_item(), ctx)

    [article] = emulator.live_articles()
    assert receipt.external_id == article.article_id
    assert receipt.external_url == article.news_item[0]["url"]
    assert receipt.external_url.startswith("https://mp.weixin.qq.com/s/")
    assert article.news_item[0]["title"] == "2019年5月水质检测结果公示"
    assert "水质检测" in article.news_item[0]["content"]
    assert (emulator.draft_adds, emulator.submits, emulator.token_calls, emulator.material_uploads) == (1, 1, 1, 1)
    # each step was checkpointed before the next one
    assert "draft_started" in ctx.saved[0] and "media_id" not in ctx.saved[0]  # draft/add is about to go out
    assert "media_id" in ctx.saved[1] and "publish_id" not in ctx.saved[1]
    assert any("publish_id" in saved for saved in ctx.saved)
    assert ctx.saved[-1]["article_id"] == article.article_id


def test_check_accepts_a_plain_item(channel):
    assert channel.check(make_item()) == []


def test_thousand_publishes_cost_a_handful_of_token_calls(channel, emulator, clock):
    emulator.publish_delay_polls = 0  # three calls per publish keeps this test quick
    channel.api.session().trust_env = False  # skip requests' proxy lookup per call (a millisecond each)
    for n in range(1000):
        channel.publish(make_item(f"第{n}号公告", item_id=n), Ctx())
        clock.advance(20)  # 1,000 publishes over five and a half hours
    assert len(emulator.live_articles()) == 1000
    assert emulator.submits == 1000
    assert emulator.token_calls <= 4
    assert not [code for _, code in emulator.rejected if code in (40001, 42001)]


def test_concurrent_publishes_share_one_token(channel, emulator):
    errors = []

    def work(worker: int) -> None:
        try:
            for n in range(worker * 4, worker * 4 + 4):
                channel.publish(make_item(f"并发公告{n}", item_id=n), Ctx())
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    # four workers: the sandbox server's listen backlog is 5 connections
    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(emulator.live_articles()) == 16
    assert emulator.token_calls == 1
    assert emulator.material_uploads == 1


# ---------------------------------------------------------------------- tokens


def test_invalidated_token_is_refreshed_once(channel, emulator):
    channel.publish(make_item(item_id=1), Ctx())
    emulator.revoke_tokens()  # e.g. the AppSecret was reset
    channel.publish(make_item("第二篇", item_id=2), Ctx())
    assert emulator.token_calls == 2
    assert [code for _, code in emulator.rejected] == [40001]
    assert len(emulator.live_articles()) == 2


def test_injected_40001_refreshes_once_then_succeeds(channel, emulator):
    emulator.inject_errcode("/cgi-bin/draft/add", 40001)
    channel.publish(make_item(), Ctx())
    assert emulator.token_calls == 2
    assert len(emulator.live_articles()) == 1


def test_token_rejected_twice_is_retryable(channel, emulator):
    emulator.inject_errcode("/cgi-bin/draft/add", 40001, times=2)
    with pytest.raises(RetryableError):
        channel.publish(make_item(), Ctx())
    assert emulator.token_calls == 2  # refreshed once, not in a loop


def test_token_refreshed_before_expiry_by_clock(channel, emulator, clock):
    channel.publish(make_item(item_id=1), Ctx())
    clock.advance(timedelta(hours=1, minutes=50))
    channel.publish(make_item("第二篇", item_id=2), Ctx())
    assert emulator.token_calls == 1
    clock.advance(timedelta(minutes=6))  # 1h56m: within five minutes of expiry
    channel.publish(make_item("第三篇", item_id=3), Ctx())
    assert emulator.token_calls == 2
    clock.advance(timedelta(hours=3))  # long past expiry
    channel.publish(make_item("第四篇", item_id=4), Ctx())
    assert emulator.token_calls == 3
    assert not [code for _, code in emulator.rejected]


def test_token_replaced_elsewhere_is_refreshed_after_the_grace_period(channel, emulator, clock, server):
    import requests

    channel.publish(make_item(item_id=1), Ctx())
    # someone else asks for a token with the same credentials: ours retires five minutes later
    requests.get(
        f"{server.url}/cgi-bin/token",
        params={"grant_type": "client_credential", "appid": emulator.appid, "secret": emulator.secret},
        timeout=5,
    )
    clock.advance(timedelta(minutes=2))
    channel.publish(make_item("第二篇", item_id=2), Ctx())
    clock.advance(timedelta(minutes=4))
    channel.publish(make_item("第三篇", item_id=3), Ctx())
    assert [code for _, code in emulator.rejected] == [40001]
    assert len(emulator.live_articles()) == 3


def test_stable_token_option(make_channel, emulator):
    channel = make_channel(use_stable_token=True)
    channel.publish(make_item(), Ctx())
    assert (emulator.stable_token_calls, emulator.token_calls) == (1, 0)
    assert len(emulator.live_articles()) == 1


def test_token_never_appears_in_errors_or_logs(channel, emulator, services, caplog):
    caplog.set_level(logging.DEBUG)
    channel.publish(make_item(item_id=1), Ctx())
    token = services.state.get("access_token:wxsandbox0000000001")
    assert token
    emulator.faults.add("accept_then_drop", path="/cgi-bin/freepublish/submit")
    with pytest.raises(OutcomeUnknown) as caught:
        channel.publish(make_item("第二篇", item_id=2), Ctx())
    emulator.inject_errcode("/cgi-bin/draft/add", 45002)
    with pytest.raises(PermanentError) as refused:
        channel.publish(make_item("第三篇", item_id=3), Ctx())
    for exc in (caught.value, refused.value):
        text = "".join(traceback.format_exception(exc))
        assert token not in text and "sandbox-wechat-secret" not in text
    assert token not in caplog.text and "sandbox-wechat-secret" not in caplog.text


# ---------------------------------------------------------------------- checkpoints


def test_crash_after_draft_resumes_with_the_same_draft(channel, emulator):
    emulator.inject_errcode("/cgi-bin/freepublish/submit", -1)
    first = Ctx()
    with pytest.raises(RetryableError):
        channel.publish(make_item(), first)
    media_id = first.checkpoint["media_id"]

    # a new process: only what was saved survives
    resumed = Ctx(checkpoint={"media_id": media_id})
    receipt = channel.publish(make_item(), resumed)
    assert emulator.draft_adds == 1
    assert emulator.submits == 1
    assert emulator.publishes[resumed.checkpoint["publish_id"]].media_id == media_id
    assert receipt.external_id == emulator.live_articles()[0].article_id


def test_draft_deleted_by_hand_is_made_again(channel, emulator):
    emulator.inject_errcode("/cgi-bin/freepublish/submit", -1)
    ctx = Ctx()
    with pytest.raises(RetryableError):
        channel.publish(make_item(), ctx)
    emulator.drafts.clear()  # someone emptied the draft box in the admin
    second = Ctx(checkpoint=ctx.checkpoint)
    with pytest.raises(RetryableError) as caught:
        channel.publish(make_item(), second)
    assert "draft disappeared" in str(caught.value)
    channel.publish(make_item(), Ctx(checkpoint=second.saved[-1]))
    assert emulator.draft_adds == 2 and len(emulator.live_articles()) == 1


def test_crash_after_submit_resumes_polling_the_same_publish(channel, emulator):
    emulator.inject_errcode("/cgi-bin/freepublish/get", -1)
    first = Ctx()
    with pytest.raises(RetryableError):
        channel.publish(make_item(), first)
    saved = first.saved[-1]
    assert saved["publish_id"]

    resumed = Ctx(checkpoint=saved)
    assert channel.lookup(make_item(), resumed) is None  # still publishing: publish() resumes polling
    receipt = channel.publish(make_item(), resumed)
    assert (emulator.draft_adds, emulator.submits) == (1, 1)
    assert receipt.detail["publish_id"] == saved["publish_id"]
    assert len(emulator.live_articles()) == 1


def test_still_publishing_is_retried_later_without_sleeping(make_channel, emulator):
    emulator.publish_delay_polls = 5
    channel = make_channel(max_polls=2, poll_interval=45)
    ctx = Ctx()
    with pytest.raises(RetryableError) as caught:
        channel.publish(make_item(), ctx)
    assert caught.value.retry_after == 45
    assert "still publishing" in str(caught.value)
    with pytest.raises(RetryableError):
        channel.publish(make_item(), Ctx(checkpoint=ctx.checkpoint))
    receipt = channel.publish(make_item(), Ctx(checkpoint=ctx.checkpoint))
    assert emulator.submits == 1
    assert receipt.external_id == emulator.live_articles()[0].article_id


def test_unknown_submit_outcome_is_settled_by_lookup(channel, emulator, clock):
    emulator.faults.add("accept_then_drop", path="/cgi-bin/freepublish/submit")
    first = Ctx()
    with pytest.raises(OutcomeUnknown):
        channel.publish(make_item(), first)
    assert emulator.submits == 1
    checkpoint = first.saved[-1]
    assert "publish_id" not in checkpoint and checkpoint["submit_started"]

    # not listed yet: the lookup cannot say, so it asks to look again rather than answer "no"
    with pytest.raises(RetryableError):
        channel.lookup(make_item(), Ctx(checkpoint=checkpoint))
    clock.advance(90)  # the platform finishes the job on its own
    receipt = channel.lookup(make_item(), Ctx(checkpoint=checkpoint))
    [article] = emulator.live_articles()
    assert receipt is not None and receipt.external_id == article.article_id
    assert receipt.external_url == article.news_item[0]["url"]
    assert emulator.submits == 1


def test_lookup_says_none_when_nothing_was_submitted(channel, emulator, clock):
    emulator.faults.add("status", status=503, path="/cgi-bin/freepublish/submit")
    first = Ctx()
    with pytest.raises(RetryableError):
        channel.publish(make_item(), first)
    assert channel.lookup(make_item(), Ctx()) is None
    clock.advance(timedelta(minutes=11))
    assert channel.lookup(make_item(), Ctx(checkpoint=first.checkpoint)) is None
    channel.publish(make_item(), Ctx(checkpoint=first.checkpoint))
    assert emulator.draft_adds == 1 and len(emulator.live_articles()) == 1


def test_lookup_does_not_match_an_older_article_with_the_same_title(channel, emulator, clock):
    channel.publish(make_item(item_id=1), Ctx())
    clock.advance(timedelta(days=30))
    emulator.faults.add("status", status=503, path="/cgi-bin/freepublish/submit")
    ctx = Ctx()
    with pytest.raises(RetryableError):
        channel.publish(make_item(item_id=2), ctx)
    clock.advance(timedelta(minutes=11))
    assert channel.lookup(make_item(item_id=2), Ctx(checkpoint=ctx.checkpoint)) is None


@pytest.mark.parametrize("status, reason", [(2, "original-content"), (3, "no reason"), (4, "review")])
def test_failed_publish_status_is_permanent_with_the_reason(channel, emulator, status, reason):
    emulator.force_next_status(status)
    ctx = Ctx()
    with pytest.raises(PermanentError) as caught:
        channel.publish(make_item(), ctx)
    assert reason in str(caught.value) and f"publish_status {status}" in str(caught.value)
    assert emulator.live_articles() == []
    # a manual retry starts from the item again instead of re-polling the failed job
    assert ctx.checkpoint.get("publish_id") is None and ctx.checkpoint.get("media_id") is None


@pytest.mark.parametrize("status", [5, 6])
def test_removal_after_publishing_is_reported(channel, emulator, status):
    ctx = Ctx()
    receipt = channel.publish(make_item(), ctx)
    assert channel.platform_status(ctx) == 0
    emulator.mark_article(receipt.external_id, status)
    assert channel.platform_status(ctx) == status


# ---------------------------------------------------------------------- errcodes


@pytest.mark.parametrize("errcode", [-1, 45011, 53501])
def test_busy_errcodes_are_retryable(channel, emulator, errcode):
    emulator.inject_errcode("/cgi-bin/freepublish/submit", errcode)
    with pytest.raises(RetryableError) as caught:
        channel.publish(make_item(), Ctx())
    assert caught.value.retry_after and caught.value.retry_after > 0
    assert str(errcode) in str(caught.value)


def test_daily_quota_pauses_until_local_midnight(make_channel, emulator):
    emulator.daily_limits["/cgi-bin/draft/add"] = 1
    channel = make_channel()
    channel.publish(make_item(item_id=1), Ctx())
    with pytest.raises(ChannelPaused) as caught:
        channel.publish(make_item("第二篇", item_id=2), Ctx())
    # the clock is 2019-06-01 10:00 in Shanghai: the quota comes back at 00:00 on the 2nd
    assert caught.value.until == datetime(2019, 6, 1, 16, 0, tzinfo=timezone.utc)
    assert "45009" in str(caught.value)


def test_ip_not_whitelisted_pauses_with_one_clear_message(make_channel, emulator):
    emulator.ip_whitelisted = False
    channel = make_channel()
    with pytest.raises(ChannelPaused) as caught:
        channel.publish(make_item(), Ctx())
    assert caught.value.until is None
    assert "40164" in str(caught.value) and "whitelist" in str(caught.value)


@pytest.mark.parametrize("appid, secret, errcode", [("wxwrong", "sandbox-wechat-secret", 40013), ("wxsandbox0000000001", "wrong", 40125)])
def test_bad_credentials_pause_the_channel(make_channel, emulator, appid, secret, errcode):
    channel = make_channel(appid=appid, secret=secret)
    with pytest.raises(ChannelPaused) as caught:
        channel.publish(make_item(), Ctx())
    assert caught.value.until is None
    assert str(errcode) in str(caught.value) and "appid" in str(caught.value)
    assert "wrong" not in str(caught.value).replace("wxwrong", "")  # the secret is never echoed


def test_unauthorised_account_pauses_on_publish(channel, emulator):
    emulator.inject_errcode("/cgi-bin/freepublish/submit", 48001)
    with pytest.raises(ChannelPaused) as caught:
        channel.publish(make_item(), Ctx())
    assert caught.value.until is None and "48001" in str(caught.value)


@pytest.mark.parametrize("errcode", [45002, 45003, 45004, 40005, 40007, 40009, 40033, 53500, 53502, 53503, 53504, 53505, 53600])
def test_content_errcodes_are_permanent(channel, emulator, errcode):
    path = "/cgi-bin/media/uploadimg" if errcode in (40005, 40009) else "/cgi-bin/draft/add"
    photo = attach(Path(channel.settings.default_cover).parent, image_bytes())
    emulator.inject_errcode(path, errcode, times=2)
    with pytest.raises(PermanentError) as caught:
        channel.publish(make_item(body=BODY + img_tag(photo), images=[photo]), Ctx())
    assert str(errcode) in str(caught.value)
    assert emulator.live_articles() == []


def test_http_503_is_retryable_with_retry_after(channel, emulator):
    emulator.faults.add("status", status=503, retry_after=17, path="/cgi-bin/draft/add")
    with pytest.raises(RetryableError) as caught:
        channel.publish(make_item(), Ctx())
    assert caught.value.retry_after == 17


# ---------------------------------------------------------------------- limits


def test_long_title_is_refused_at_check_with_a_fix(channel):
    problems = channel.check(make_item("关" * 33))
    assert len(problems) == 1
    assert "33 characters" in problems[0] and "32" in problems[0] and "--option wechat.title=" in problems[0]
    with pytest.raises(PermanentError):
        channel.publish(make_item("关" * 33), Ctx())


def test_short_title_option_is_accepted_and_used(channel, emulator):
    item = make_item("关" * 40, channel_options={"title": "短标题"})
    assert channel.check(item) == []
    channel.publish(item, Ctx())
    assert stored(emulator)[0]["title"] == "短标题"


def test_author_digest_and_content_limits_are_checked(channel):
    item = make_item(author="作" * 17, summary="摘" * 129, body="<p>" + "字" * 20000 + "</p>")
    problems = channel.check(item)
    assert any("author" in p and "16" in p and "--option wechat.author=" in p for p in problems)
    assert any("summary" in p and "128" in p for p in problems)
    assert any("20,000" in p and "阅读原文" in p for p in problems)
    assert len(problems) == 3


def test_empty_summary_lets_wechat_fill_the_digest(channel, emulator):
    channel.publish(make_item(summary=""), Ctx())
    assert stored(emulator)[0]["digest"].startswith("我局于2019年5月完成")


def test_item_without_any_image_needs_a_cover(make_channel):
    channel = make_channel(default_cover=None)
    [problem] = channel.check(make_item())
    assert "cover" in problem and "default_cover" in problem
    with pytest.raises(PermanentError):
        channel.publish(make_item(), Ctx())


def test_plain_colour_cover_when_configured(make_channel, emulator):
    channel = make_channel(default_cover=None, cover_color="#1f5fa8")
    assert channel.check(make_item()) == []
    channel.publish(make_item(), Ctx())
    assert emulator.material_uploads == 1


# ---------------------------------------------------------------------- content adaptation


def test_inline_image_is_uploaded_and_src_rewritten(channel, emulator, tmp_path):
    photo = attach(tmp_path, image_bytes())
    item = make_item(body=BODY + img_tag(photo), images=[photo])
    assert channel.check(item) == []
    channel.publish(item, Ctx())
    [upload] = emulator.uploaded_images
    content = stored(emulator)[0]["content"]
    assert f'src="{upload["url"]}"' in content and "attachment:" not in content
    assert stored(emulator)[0]["dropped_images"] == 0
    # the first image is the cover; the configured default cover is not used
    assert emulator.material_uploads == 1
    channel.publish(make_item("第二篇", body=BODY + img_tag(photo), images=[photo], item_id=2), Ctx())
    assert len(emulator.uploaded_images) == 1  # cached by content hash
    assert emulator.material_uploads == 1


class ImageHost(Emulator):
    """A website serving one image, to test external <img src>."""

    name = "images"

    def __init__(self, data: bytes):
        super().__init__()
        self.data = data
        self.hits = 0
        self.route("GET", "/photo.png", self._photo)

    def _photo(self, request):
        self.hits += 1
        return Response(200, self.data, {"Content-Type": "image/png"})


@pytest.fixture
def image_host():
    host = ImageHost(image_bytes(color="green"))
    with EmulatorServer(host) as running:
        yield running


def test_external_image_is_downloaded_and_uploaded(make_channel, emulator, image_host):
    channel = make_channel(image_hosts=["127.0.0.1"])
    body = BODY + f'<p><img src="{image_host.url}/photo.png"></p><p><img src="http://mmbiz.qpic.cn/sandbox/old.png"></p>'
    channel.publish(make_item(body=body), Ctx())
    content = stored(emulator)[0]["content"]
    assert image_host.url not in content
    assert emulator.uploaded_images[0]["url"] in content
    assert "http://mmbiz.qpic.cn/sandbox/old.png" in content  # already on the CDN: kept as is
    assert stored(emulator)[0]["dropped_images"] == 0


def test_missing_external_image_is_refused_clearly(make_channel, emulator, image_host):
    channel = make_channel(image_hosts=["127.0.0.1"])
    body = BODY + f'<p><img src="{image_host.url}/gone.png"></p>'
    with pytest.raises(PermanentError) as caught:
        channel.publish(make_item(body=body), Ctx())
    assert "HTTP 404" in str(caught.value) and "attach the image" in str(caught.value)
    assert emulator.draft_adds == 0


def test_oversized_external_image_is_refused(make_channel, emulator, image_host):
    channel = make_channel(image_download_max=50, image_hosts=["127.0.0.1"])
    with pytest.raises(PermanentError) as caught:
        channel.publish(make_item(body=BODY + f'<img src="{image_host.url}/photo.png">'), Ctx())
    assert "larger than" in str(caught.value) and "attach a smaller copy" in str(caught.value)


def test_gif_is_converted(channel, emulator, tmp_path):
    gif = attach(tmp_path, image_bytes("GIF"), "anim.gif", "image/gif")
    channel.publish(make_item(body=BODY + img_tag(gif), images=[gif]), Ctx())
    assert emulator.uploaded_images[0]["kind"] in ("png", "jpg")
    assert not [code for _, code in emulator.rejected]


def test_two_megabyte_image_is_recompressed_under_one(channel, emulator, tmp_path):
    data = noise_png()
    assert len(data) > 2 * 1024 * 1024
    big = attach(tmp_path, data)
    channel.publish(make_item(body=BODY + img_tag(big), images=[big]), Ctx())
    assert emulator.uploaded_images[0]["size"] < 1024 * 1024
    assert not [code for _, code in emulator.rejected]


def test_unreadable_image_is_refused_clearly(channel, emulator, tmp_path):
    broken = attach(tmp_path, b"this is not a picture", "scan.png")
    with pytest.raises(PermanentError) as caught:
        channel.publish(make_item(body=BODY + img_tag(broken), images=[broken]), Ctx())
    assert "scan.png" in str(caught.value) and "jpg or png" in str(caught.value)


def test_missing_inline_image_is_reported_at_check(channel):
    problems = channel.check(make_item(body=BODY + '<img src="attachment:abc">'))
    assert any("attachment:abc" in p for p in problems)


def test_links_become_readable_text_and_source_url_points_at_the_website(make_channel, emulator):
    channel = make_channel(source_url_from="website")
    body = (
        '<p>详见<a href="https://www.rudong.gov.cn/notice/1.html">通知全文</a>，'
        '或<a href="https://mp.weixin.qq.com/s/abc">往期推送</a>，'
        '或<a href="/files/2.html">附件</a>。</p><script>alert(1)</script>'
    )
    item = make_item(body=body, published_urls={"website": "https://www.rudong.gov.cn/art/2019/6/1/art_1.html"})
    channel.publish(item, Ctx())
    news = stored(emulator)[0]
    assert "通知全文（https://www.rudong.gov.cn/notice/1.html）" in news["content"]
    assert '<a href="https://mp.weixin.qq.com/s/abc">往期推送</a>' in news["content"]
    assert "附件（https://www.rudong.gov.cn/files/2.html）" in news["content"]
    assert "<script" not in news["received_content"]
    assert news["content_source_url"] == "https://www.rudong.gov.cn/art/2019/6/1/art_1.html"


def test_chinese_is_sent_unescaped(channel, emulator):
    channel.publish(make_item("关于公布2019年度政府信息公开工作报告的通知", summary="我局年度报告"), Ctx())
    news = stored(emulator)[0]
    assert news["title"] == "关于公布2019年度政府信息公开工作报告的通知"
    assert news["digest"] == "我局年度报告"
    assert 40033 not in [code for _, code in emulator.rejected]


# ---------------------------------------------------------------------- cover


def test_default_cover_is_uploaded_once_across_articles(channel, emulator):
    for n in range(5):
        channel.publish(make_item(f"第{n}篇", item_id=n), Ctx())
    assert emulator.material_uploads == 1
    thumbs = {news["thumb_media_id"] for news in stored(emulator)}
    assert len(thumbs) == 1


def test_deleted_cover_material_is_uploaded_again(channel, emulator):
    channel.publish(make_item(item_id=1), Ctx())
    emulator.materials.clear()  # removed from the material library by hand
    channel.publish(make_item("第二篇", item_id=2), Ctx())
    assert emulator.material_uploads == 2
    assert len(emulator.live_articles()) == 2


# ---------------------------------------------------------------------- retract


def test_retract_deletes_the_article(channel, emulator):
    receipt = channel.publish(make_item(), Ctx())
    channel.retract(make_item(), Ctx(external_id=receipt.external_id))
    assert emulator.live_articles() == []
    assert emulator.deletes == [(receipt.external_id, 0)]


def test_retract_on_unverified_account_says_remove_by_hand(channel, emulator):
    receipt = channel.publish(make_item(), Ctx())
    emulator.verified = False
    with pytest.raises(PermanentError) as caught:
        channel.retract(make_item(), Ctx(external_id=receipt.external_id))
    assert "48001" in str(caught.value) and "by hand" in str(caught.value)
    assert len(emulator.live_articles()) == 1


def test_a_literal_backslash_u_in_the_text_is_sent_so_wechat_accepts_it(channel, emulator):
    body = r"<p>转义示例：\u4e2d 表示“中”</p>"
    channel.publish(make_item(r"关于\u4e2d字的说明", body=body, summary=r"摘要\u6587"), Ctx())
    news = stored(emulator)[0]
    assert 40033 not in [code for _, code in emulator.rejected]
    assert "&#92;u4e2d" in news["content"] or "\\u4e2d" in news["content"]
    assert news["title"] == "关于＼u4e2d字的说明" and news["digest"] == "摘要＼u6587"

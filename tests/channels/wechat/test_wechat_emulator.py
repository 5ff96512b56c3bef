"""The WeChat emulator itself follows the platform's contract in channels/wechat/README.md (plain requests)."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
import requests
from PIL import Image

from publisher.sandbox.server import EmulatorServer
from channels.wechat.emulator import WechatEmulator, escapes_non_ascii

APPID, SECRET = "wxsandbox0000000001", "sandbox-wechat-secret"


def picture(fmt: str = "PNG", size: tuple[int, int] = (20, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "blue").save(buffer, fmt)
    return buffer.getvalue()


class Client:
    """Just enough of a WeChat client to poke the emulator."""

    def __init__(self, url: str):
        self.url = url
        self.session = requests.Session()
        self.token: str | None = None

    def get_token(self, appid: str = APPID, secret: str = SECRET) -> dict:
        data = self.session.get(
            f"{self.url}/cgi-bin/token", params={"grant_type": "client_credential", "appid": appid, "secret": secret}, timeout=5
        ).json()
        self.token = data.get("access_token", self.token)
        return data

    def post(self, path: str, body: dict | bytes | None = None, token: str | None = None, **kwargs) -> dict:
        data = body if isinstance(body, bytes) or body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        params = {"access_token": token or self.token, **kwargs.pop("params", {})}
        response = self.session.post(f"{self.url}{path}", params=params, data=data, timeout=5, **kwargs)
        assert response.status_code == 200  # WeChat errors are HTTP 200 with an errcode
        return response.json()

    def upload(self, path: str, data: bytes, **params) -> dict:
        return self.post(path, None, params=params, files={"media": ("a.png", data, "image/png")})

    def draft(self, **overrides) -> dict:
        thumb = self.upload("/cgi-bin/material/add_material", picture(), type="image")["media_id"]
        article = {"title": "标题", "author": "", "digest": "", "content": "<p>正文内容</p>", "thumb_media_id": thumb, **overrides}
        return self.post("/cgi-bin/draft/add", {"articles": [article]})


@pytest.fixture
def emulator(clock) -> WechatEmulator:
    return WechatEmulator(clock=clock)


@pytest.fixture
def client(emulator):
    with EmulatorServer(emulator) as server:
        client = Client(server.url)
        client.get_token()
        yield client


# ---------------------------------------------------------------------- tokens


@pytest.mark.parametrize("appid, secret, errcode", [("wxother", SECRET, 40013), (APPID, "nope", 40125), ("", SECRET, 41002)])
def test_bad_credentials(client, appid, secret, errcode):
    assert client.get_token(appid, secret)["errcode"] == errcode


def test_token_lifetime_and_replacement(client, emulator, clock):
    first = client.token
    assert client.get_token()["expires_in"] == 7200
    second = client.token
    assert client.post("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 1}, token=first).get("errcode") is None
    clock.advance(timedelta(minutes=5))
    assert client.post("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 1}, token=first)["errcode"] == 40001
    assert client.post("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 1}, token=second).get("errcode") is None
    clock.advance(timedelta(hours=2))
    assert client.post("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 1}, token=second)["errcode"] == 42001
    assert client.post("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 1}, token="x" * 64)["errcode"] == 40001
    assert client.post("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 1}, token="bad token!")["errcode"] == 40014
    assert emulator.token_calls == 2


def test_stable_token_is_reused_until_forced(client, emulator, clock):
    body = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
    first = client.session.post(f"{client.url}/cgi-bin/stable_token", json=body, timeout=5).json()
    again = client.session.post(f"{client.url}/cgi-bin/stable_token", json=body, timeout=5).json()
    forced = client.session.post(f"{client.url}/cgi-bin/stable_token", json={**body, "force_refresh": True}, timeout=5).json()
    assert first["access_token"] == again["access_token"] != forced["access_token"]
    clock.advance(timedelta(seconds=7200 - 200))  # the last five minutes: a new token, the old one still works
    renewed = client.session.post(f"{client.url}/cgi-bin/stable_token", json=body, timeout=5).json()
    assert renewed["access_token"] != forced["access_token"] and renewed["expires_in"] == 7200
    assert client.post("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 1}, token=forced["access_token"]).get("errcode") is None
    assert emulator.stable_token_calls == 4


def test_daily_quota(client, emulator, clock):
    emulator.daily_limits["/cgi-bin/token"] = 2
    assert "access_token" in client.get_token()
    assert client.get_token()["errcode"] == 45009
    clock.advance(timedelta(days=1))
    assert "access_token" in client.get_token()


def test_ip_not_whitelisted(client, emulator):
    emulator.ip_whitelisted = False
    assert client.get_token()["errcode"] == 40164
    assert client.post("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 1})["errcode"] == 40164


# ---------------------------------------------------------------------- encoding and media


def test_escaped_chinese_is_rejected(client):
    escaped = json.dumps({"articles": [{"title": "标题", "content": "<p>正文</p>"}]}).encode("ascii")
    assert client.post("/cgi-bin/draft/add", escaped)["errcode"] == 40033
    assert escapes_non_ascii(r'{"a": "\u6807"}') and not escapes_non_ascii(r'{"a": "\u0041 \\n"}')
    assert escapes_non_ascii(r'{"a": "\\u6807"}')  # a literal backslash-u in the text: refused alike


def test_uploadimg_accepts_small_jpg_and_png_only(client, emulator):
    assert client.upload("/cgi-bin/media/uploadimg", picture())["url"].startswith("http://mmbiz.qpic.cn/")
    assert client.upload("/cgi-bin/media/uploadimg", picture("JPEG"))["url"].endswith(".jpg")
    assert client.upload("/cgi-bin/media/uploadimg", picture("GIF"))["errcode"] == 40005
    assert client.upload("/cgi-bin/media/uploadimg", b"\x89PNG\r\n\x1a\n" + b"0" * (1024 * 1024))["errcode"] == 40009
    assert len(emulator.uploaded_images) == 2


# ---------------------------------------------------------------------- drafts


@pytest.mark.parametrize(
    "field, value, errcode",
    [
        ("title", "标" * 33, 45003),
        ("author", "作" * 17, 45110),
        ("digest", "摘" * 129, 45004),
        ("content", "<p>" + "字" * 20000 + "</p>", 45002),
        ("content_source_url", "https://example.gov.cn/" + "a" * 1010, 40039),
        ("thumb_media_id", "not-a-material", 40007),
    ],
    ids=["title", "author", "digest", "content", "source_url", "thumb"],
)
def test_draft_limits(client, field, value, errcode):
    assert client.draft(**{field: value})["errcode"] == errcode


def test_draft_at_the_limits_is_accepted(client):
    assert "media_id" in client.draft(title="标" * 32, author="作" * 16, digest="摘" * 128)


def test_draft_keeps_only_what_wechat_keeps(client, emulator):
    content = (
        '<p>正文</p><script>alert(1)</script><img src="https://example.com/a.png">'
        '<img src="http://mmbiz.qpic.cn/sandbox/1.png"><a href="https://example.com/x">外链</a>'
    )
    media_id = client.draft(content=content)["media_id"]
    [item] = emulator.drafts[media_id]["news_item"]
    assert "<script" not in item["content"] and "example.com" not in item["content"]
    assert "mmbiz.qpic.cn/sandbox/1.png" in item["content"] and "外链" in item["content"]
    assert item["dropped_images"] == 1
    assert item["digest"] == "正文外链"  # empty digest: the start of the text


# ---------------------------------------------------------------------- publishing


def test_publish_is_asynchronous_then_listed(client, emulator):
    media_id = client.draft(title="发布测试")["media_id"]
    submitted = client.post("/cgi-bin/freepublish/submit", {"media_id": media_id})
    assert submitted["errcode"] == 0 and isinstance(submitted["publish_id"], str)
    first = client.post("/cgi-bin/freepublish/get", {"publish_id": submitted["publish_id"]})
    assert first["publish_status"] == 1
    done = client.post("/cgi-bin/freepublish/get", {"publish_id": submitted["publish_id"]})
    assert done["publish_status"] == 0
    url = done["article_detail"]["item"][0]["article_url"]
    listed = client.post("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 20, "no_content": 1})
    assert listed["total_count"] == 1
    [news] = listed["item"][0]["content"]["news_item"]
    assert (listed["item"][0]["article_id"], news["title"], news["url"]) == (done["article_id"], "发布测试", url)
    assert "content" not in news
    # a published draft has left the draft box
    assert client.post("/cgi-bin/freepublish/submit", {"media_id": media_id})["errcode"] == 40007


def test_publish_finishes_on_its_own_in_time(client, emulator, clock):
    media_id = client.draft()["media_id"]
    client.post("/cgi-bin/freepublish/submit", {"media_id": media_id})
    assert client.post("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 20})["total_count"] == 0
    clock.advance(61)
    assert client.post("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 20})["total_count"] == 1


def test_forced_failure_status_and_later_removal(client, emulator):
    emulator.force_next_status(4)
    failed = client.post("/cgi-bin/freepublish/submit", {"media_id": client.draft()["media_id"]})["publish_id"]
    for _ in range(2):
        status = client.post("/cgi-bin/freepublish/get", {"publish_id": failed})
    assert status["publish_status"] == 4 and status["fail_idx"] == [1]

    ok = client.post("/cgi-bin/freepublish/submit", {"media_id": client.draft()["media_id"]})["publish_id"]
    for _ in range(2):
        status = client.post("/cgi-bin/freepublish/get", {"publish_id": ok})
    emulator.mark_article(status["article_id"], 6)
    assert client.post("/cgi-bin/freepublish/get", {"publish_id": ok})["publish_status"] == 6
    assert emulator.live_articles() == []


def test_submit_unknown_draft(client):
    assert client.post("/cgi-bin/freepublish/submit", {"media_id": "nope"})["errcode"] == 40007


def test_delete_needs_a_verified_account(client, emulator):
    publish_id = client.post("/cgi-bin/freepublish/submit", {"media_id": client.draft()["media_id"]})["publish_id"]
    for _ in range(2):
        status = client.post("/cgi-bin/freepublish/get", {"publish_id": publish_id})
    emulator.verified = False
    assert client.post("/cgi-bin/freepublish/delete", {"article_id": status["article_id"], "index": 0})["errcode"] == 48001
    emulator.verified = True
    assert client.post("/cgi-bin/freepublish/delete", {"article_id": status["article_id"], "index": 0})["errcode"] == 0
    assert client.post("/cgi-bin/freepublish/get", {"publish_id": publish_id})["publish_status"] == 5


def test_errcode_injection_in_process_and_over_http(client, emulator):
    emulator.inject_errcode("/cgi-bin/freepublish/batchget", 45011, times=2)
    assert client.post("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 1})["errcode"] == 45011
    assert client.post("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 1})["errcode"] == 45011
    assert "errcode" not in client.post("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 1})
    requests.post(f"{client.url}/_sandbox/wechat/errcodes", json={"path": "draft/add", "errcode": -1}, timeout=5)
    assert client.draft()["errcode"] == -1
    state = requests.get(f"{client.url}/_sandbox/wechat/state", timeout=5).json()
    assert state["draft_adds"] == 0 and state["token_calls"] == 1


def test_article_page_when_the_sandbox_serves_articles(clock):
    emulator = WechatEmulator(clock=clock, publish_delay_polls=0)
    with EmulatorServer(emulator) as server:
        emulator.article_base = server.url
        client = Client(server.url)
        client.get_token()
        publish_id = client.post("/cgi-bin/freepublish/submit", {"media_id": client.draft(title="页面")["media_id"]})["publish_id"]
        url = client.post("/cgi-bin/freepublish/get", {"publish_id": publish_id})["article_detail"]["item"][0]["article_url"]
        page = requests.get(url, timeout=5)
        assert page.status_code == 200 and "页面" in page.text and "正文内容" in page.text

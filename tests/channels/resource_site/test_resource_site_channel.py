"""The resource_site channel against the legacy-site emulator, over real HTTP on loopback."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from bs4 import BeautifulSoup

from channels.resource_site.adapter import ResourceSiteChannel
from publisher.adapter import Attachment, DeliveryContext, ItemView
from publisher.errors import ChannelPaused, OutcomeUnknown, PermanentError, RetryableError
from channels.resource_site.emulator import ALTERNATE_LAYOUT, ResourceSiteEmulator
from publisher.sandbox.server import EmulatorServer
from channel_blocks import site_config

PASSWORD = "sandbox-site-password"
TRICKY_TITLE = "关于〇号地块·二期—施工招标公告（第2次）“喆”堃昇犇项目"


def alternate_config(base_url: str) -> dict[str, Any]:
    """A differently built (ASP.NET-style, UTF-8) site: only configuration differs."""
    return {
        "type": "resource_site",
        "base_url": base_url,
        "encoding": "utf-8",
        "username": "admin",
        "password": "other-secret",
        "max_title_length": 60,
        "timeout": 5,
        "session_expired_text": "请重新登录",
        "login": {
            "url": "/portal/signin.aspx",
            "form_selector": "#loginForm",
            "fields": {"username": "txtUser", "password": "txtPass"},
            "failure_text": "用户名或密码错误",
        },
        "submit": {
            "form_url": "/portal/article/edit.aspx",
            "form_selector": "form[name=noticeForm]",
            "fields": {
                "title": "txtTitle",
                "body": "txtBody",
                "category": "ddlColumn",
                "attachment": ["fileUp1", "fileUp2"],
            },
            "category_values": {"招标公告": "zb"},
            "default_category_value": "jg",
            "success_selector": "div.msg",
            "error_selector": ".validation-summary",
        },
        "listing": {
            "url": "/portal/articles.aspx?page={page}",
            "item_selector": ".articles li",
            "link_selector": "a[href*=view]",
            "id_pattern": r"aid=(\d+)",
            "pages": 4,
        },
    }


def make_item(title: str = "某某项目施工招标公告", **kw: Any) -> ItemView:
    """An item as the core would hand it over."""
    fields: dict[str, Any] = dict(
        id=1,
        uid="item-0001",
        title=title,
        category="招标公告",
        body_html="<p>项目概况：某某路改造工程。</p>",
        publish_at=datetime(2019, 6, 1, 2, 0, tzinfo=timezone.utc),
    )
    fields.update(kw)
    return ItemView(**fields)


class Ledger:
    """Keeps a delivery's checkpoint across attempts, as the store does."""

    def __init__(self) -> None:
        self.checkpoint: dict[str, Any] = {}
        self.attempt = 0

    def ctx(self, external_id: str | None = None, external_url: str | None = None) -> DeliveryContext:
        self.attempt += 1
        return DeliveryContext(
            delivery_id=1,
            channel="site",
            idempotency_key="d1",
            attempt=self.attempt,
            checkpoint=self.checkpoint,
            external_id=external_id,
            external_url=external_url,
            save_checkpoint=self._save,
        )

    def _save(self, values: dict[str, Any]) -> None:
        self.checkpoint = dict(values)


@pytest.fixture
def emulator(clock) -> ResourceSiteEmulator:
    return ResourceSiteEmulator(clock=clock)


@pytest.fixture
def channel(server, services):
    adapter = ResourceSiteChannel("site", ResourceSiteChannel.Settings(**site_config(server.url)), services)
    yield adapter
    adapter.close()


def listing_titles(url: str, encoding: str = "gbk") -> list[str]:
    """Titles on the public listing, read the way a visitor's browser would."""
    response = requests.get(f"{url}/notice/list.jsp?page=1", timeout=5)
    soup = BeautifulSoup(response.content.decode(encoding), "html.parser")
    return [a["title"] for a in soup.select("ul.notice-list a")]


def test_publish_logs_in_keeps_hidden_inputs_and_confirms_on_listing(channel, emulator, server):
    receipt = channel.publish(make_item(), Ledger().ctx())

    [notice] = emulator.notices
    assert emulator.logins == 1
    assert notice.title == "某某项目施工招标公告" and notice.category == "11"
    # every hidden input of the live form went back, and the checked checkbox kept its value
    assert notice.fields["siteId"] == "3" and notice.fields["op"] == "save" and notice.fields["audit"] == "1"
    assert "top" not in notice.fields
    assert receipt.external_id == str(notice.id)
    assert receipt.external_url == f"{server.url}/notice/{notice.id}.jsp"
    # a second item in the same session uses a fresh CSRF token read from the form again
    channel.publish(make_item("第二条公告"), Ledger().ctx())
    assert emulator.logins == 1
    assert emulator.notices[0].fields["csrfToken"] != emulator.notices[1].fields["csrfToken"]


def test_gbk_titles_round_trip_character_for_character(channel, emulator, server, tmp_path: Path):
    doc = tmp_path / "招标文件.pdf"
    doc.write_bytes(b"%PDF-1.4 sandbox")
    attachment = Attachment(doc, "招标文件—第2版.pdf", "application/pdf", "0" * 64, doc.stat().st_size)
    body = "<p>联系人：王〇〇 · 电话 0513-1234567 — 截止时间见附件€</p>"
    receipt = channel.publish(make_item(TRICKY_TITLE, body_html=body, attachments=(attachment,)), Ledger().ctx())

    [notice] = emulator.notices
    assert notice.title == TRICKY_TITLE
    assert listing_titles(server.url) == [TRICKY_TITLE]
    # a character GBK lacks in the body travels as an HTML character reference, like a browser sends it
    assert notice.content == "<p>联系人：王〇〇 · 电话 0513-1234567 — 截止时间见附件&#8364;</p>"
    assert notice.attachments[0]["filename"] == "招标文件—第2版.pdf"
    assert notice.attachments[0]["data"] == b"%PDF-1.4 sandbox"
    page = requests.get(receipt.external_url, timeout=5)
    assert BeautifulSoup(page.content.decode("gbk"), "html.parser").h1.get_text() == TRICKY_TITLE


def test_validation_error_page_with_http_200_is_permanent_with_the_sites_message(server, services, emulator):
    config = site_config(server.url, max_title_length=None)
    channel = ResourceSiteChannel("site", ResourceSiteChannel.Settings(**config), services)
    with pytest.raises(PermanentError, match="标题长度不能超过100个字"):
        channel.publish(make_item("长" * 101), Ledger().ctx())
    with pytest.raises(PermanentError, match="内容不能为空"):
        channel.publish(make_item(body_html=" "), Ledger().ctx())
    assert emulator.notices == []


def test_session_expiry_by_clock_means_one_new_login(channel, emulator, clock):
    channel.publish(make_item("第一条"), Ledger().ctx())
    clock.advance(1801)
    channel.publish(make_item("第二条"), Ledger().ctx())
    emulator.expire_sessions()
    channel.publish(make_item("第三条"), Ledger().ctx())
    assert [n.title for n in emulator.notices] == ["第一条", "第二条", "第三条"]
    assert emulator.logins == 3


def test_session_expiring_between_form_and_post_logs_in_again_once(channel, emulator, monkeypatch):
    original = channel._post_form
    expired = []

    def post_after_expiry(browser, page, form, values, files):
        if not expired and "notice_add" in page.url:
            expired.append(True)
            emulator.expire_sessions()  # the site answers the POST with its 200 "登录超时" login page
        return original(browser, page, form, values, files)

    channel.publish(make_item("第一条"), Ledger().ctx())
    monkeypatch.setattr(channel, "_post_form", post_after_expiry)
    channel.publish(make_item("第二条"), Ledger().ctx())
    assert [n.title for n in emulator.notices] == ["第一条", "第二条"]
    assert emulator.logins == 2


def test_stale_csrf_token_rereads_the_form_once(channel, emulator, monkeypatch):
    original = channel._get
    loads = []

    def get_and_reload(browser, path, *, need_login=False):
        page = original(browser, path, need_login=need_login)
        if "notice_add" in path and not loads:
            loads.append(path)
            original(browser, path, need_login=need_login)  # a second load makes the first token stale
        return page

    monkeypatch.setattr(channel, "_get", get_and_reload)
    receipt = channel.publish(make_item(), Ledger().ctx())
    assert emulator.submissions == 2
    assert [str(n.id) for n in emulator.notices] == [receipt.external_id]


def test_unknown_outcome_is_settled_by_lookup_never_a_second_post(channel, emulator):
    emulator.add_notice("某某项目施工招标公告")  # the same title, published last year
    emulator.faults.add("accept_then_drop", path=r"notice_save\.do")
    ledger = Ledger()
    with pytest.raises(OutcomeUnknown):
        channel.publish(make_item(), ledger.ctx())
    assert len(emulator.notices) == 2

    receipt = channel.lookup(make_item(), ledger.ctx())
    assert receipt is not None and receipt.external_id == str(emulator.notices[-1].id)
    # even when the dispatcher calls publish again, the checkpoint makes it look first
    again = channel.publish(make_item(), ledger.ctx())
    assert again.external_id == receipt.external_id
    assert len(emulator.notices) == 2 and emulator.submissions == 1


def test_read_timeout_after_posting_is_unknown_and_lookup_says_none_when_absent(server, services, emulator):
    channel = ResourceSiteChannel("site", ResourceSiteChannel.Settings(**site_config(server.url, timeout=0.5)), services)
    emulator.faults.add("accept_then_timeout", path=r"notice_save\.do", seconds=2)
    ledger = Ledger()
    with pytest.raises(OutcomeUnknown):
        channel.publish(make_item(), ledger.ctx())
    assert channel.lookup(make_item(), ledger.ctx()) is not None
    assert channel.lookup(make_item("从未发送的公告"), Ledger().ctx()) is None
    assert len(emulator.notices) == 1


def test_lookup_ignores_an_older_notice_with_the_same_title(channel, emulator):
    older = emulator.add_notice("某某项目施工招标公告")
    # without any checkpoint the title alone decides: better a wrong "found" than a second notice
    assert channel.lookup(make_item(), Ledger().ctx()).external_id == str(older.id)
    emulator.faults.add("status", status=503, path=r"notice_save\.do")
    ledger = Ledger()
    with pytest.raises(RetryableError):
        channel.publish(make_item(), ledger.ctx())
    assert ledger.checkpoint["prior_ids"] == [str(older.id)]
    assert channel.lookup(make_item(), ledger.ctx()) is None
    receipt = channel.publish(make_item(), ledger.ctx())
    assert receipt.external_id == str(emulator.notices[-1].id) != str(older.id)


def test_crash_without_a_saved_checkpoint_is_settled_by_title(channel, emulator):
    channel.publish(make_item(), DeliveryContext(delivery_id=1, channel="site", idempotency_key="d1", attempt=1))
    receipt = channel.lookup(make_item(), Ledger().ctx())
    assert receipt is not None and receipt.external_id == str(emulator.notices[0].id)
    ledger = Ledger()
    ledger.checkpoint = {"prior_ids": []}  # scanned, crashed before posting: certainly not sent
    assert channel.lookup(make_item(), ledger.ctx()) is None


def test_wrong_password_pauses_the_channel_without_leaking_it(server, services):
    config = site_config(server.url, password="wrong-password-123")
    channel = ResourceSiteChannel("site", ResourceSiteChannel.Settings(**config), services)
    with pytest.raises(ChannelPaused) as info:
        channel.publish(make_item(), Ledger().ctx())
    assert "用户名或密码错误" in str(info.value)
    assert "wrong-password-123" not in str(info.value) and info.value.until is None


def test_check_reports_length_encoding_category_files_and_images(channel, tmp_path: Path):
    doc = tmp_path / "a.pdf"
    doc.write_bytes(b"x")
    att = Attachment(doc, "a.pdf", "application/pdf", "1" * 64, 1)
    assert channel.check(make_item(TRICKY_TITLE)) == []
    problems = channel.check(
        make_item(
            "䶮" + "长" * 100,
            category="机构概况",
            attachments=(att, att),
            body_html='<p><img src="attachment:' + "1" * 64 + '"></p>',
        )
    )
    text = "\n".join(problems)
    assert "title is 101 characters; 公共资源交易中心网站 allows 100" in text
    assert "gbk encoding cannot store: 䶮 (U+4DAE)" in text
    assert "category '机构概况' has no value" in text
    assert "2 attachments" in text and "inline images" in text
    assert channel.check(make_item("䶮" + "长" * 100, channel_options={"title": "短标题"})) == []
    with pytest.raises(PermanentError, match="U\\+4DAE"):
        channel.publish(make_item("关于䶮字的公告"), Ledger().ctx())


def test_gb18030_site_takes_characters_beyond_gbk(clock, services):
    emulator = ResourceSiteEmulator(encoding="gb18030", clock=clock)
    title = "关于䶮𠀀字辈宗祠修缮的公告·〇"
    with EmulatorServer(emulator) as server:
        channel = ResourceSiteChannel("site", ResourceSiteChannel.Settings(**site_config(server.url, encoding="gb18030")), services)
        assert channel.check(make_item(title)) == []
        channel.publish(make_item(title), Ledger().ctx())
        assert emulator.notices[0].title == title
        assert listing_titles(server.url, "gb18030") == [title]


def test_a_differently_built_site_needs_only_configuration(clock, services, tmp_path: Path):
    emulator = ResourceSiteEmulator("admin", "other-secret", encoding="utf-8", clock=clock, layout=ALTERNATE_LAYOUT)
    files = []
    for name in ("图纸.dwg", "清单.xlsx"):
        path = tmp_path / name
        path.write_bytes(name.encode())
        files.append(Attachment(path, name, "application/octet-stream", "2" * 64, path.stat().st_size))
    with EmulatorServer(emulator) as server:
        channel = ResourceSiteChannel("alt", ResourceSiteChannel.Settings(**alternate_config(server.url)), services)
        ledger = Ledger()
        receipt = channel.publish(make_item("中标结果公示—〇一标段", category="中标公示", attachments=tuple(files)), ledger.ctx())
        [notice] = emulator.notices
        assert notice.title == "中标结果公示—〇一标段" and notice.category == "jg"
        assert [a["filename"] for a in notice.attachments] == ["图纸.dwg", "清单.xlsx"]
        assert receipt.external_id == str(notice.id)
        assert receipt.external_url == f"{server.url}/portal/article/view.aspx?aid={notice.id}"
        # pagination: five per page, our notice pushed to page 2
        for i in range(6):
            emulator.add_notice(f"其他公告{i}")
        assert channel.lookup(make_item("中标结果公示—〇一标段"), ledger.ctx()) == receipt
        emulator.expire_sessions()
        channel.publish(make_item("第二条"), Ledger().ctx())
        assert emulator.logins == 2
        with pytest.raises(PermanentError, match="标题长度不能超过60个字"):
            ResourceSiteChannel(
                "alt", ResourceSiteChannel.Settings(**{**alternate_config(server.url), "max_title_length": None}), services
            ).publish(make_item("长" * 61), Ledger().ctx())
        with pytest.raises(PermanentError, match="remove 《第二条》 by hand"):
            channel.retract(make_item("第二条"), Ledger().ctx(external_id="1"))


def test_retract_uses_the_delete_form_and_tolerates_a_second_call(channel, emulator, server):
    receipt = channel.publish(make_item(), Ledger().ctx())
    ledger = Ledger()
    channel.retract(make_item(), ledger.ctx(external_id=receipt.external_id))
    assert emulator.live_notices() == [] and listing_titles(server.url) == []
    channel.retract(make_item(), ledger.ctx(external_id=receipt.external_id))


def test_concurrent_publishing_uses_one_session_per_thread(channel, emulator):
    errors: list[Exception] = []

    def work(n: int) -> None:
        try:
            channel.publish(make_item(f"并发公告{n}"), Ledger().ctx())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(n.title for n in emulator.notices) == [f"并发公告{n}" for n in range(4)]
    assert emulator.logins == 4


def test_unknown_category_value_is_refused_by_live_select(server, services, emulator):
    config = site_config(server.url)
    config["submit"]["category_values"]["招标公告"] = "99"
    channel = ResourceSiteChannel("site", ResourceSiteChannel.Settings(**config), services)
    with pytest.raises(PermanentError, match="'99' is not offered.*11 招标公告"):
        channel.publish(make_item(), Ledger().ctx())
    assert emulator.notices == []


def test_settings_require_a_success_marker(server):
    config = site_config(server.url)
    del config["submit"]["success_text"]
    with pytest.raises(ValueError, match="success_text or success_selector"):
        ResourceSiteChannel.Settings(**config)


def test_the_documented_sandbox_config_works(server, services, emulator):
    doc = (Path(__file__).resolve().parents[3] / "channels" / "resource_site" / "README.md").read_text(encoding="utf-8")
    block = yaml.safe_load(re.search(r"```yaml\n(.*?)```", doc, re.S).group(1))["channels"]["trading-centre"]
    block.update(base_url=server.url, password=PASSWORD)
    channel = ResourceSiteChannel("trading-centre", ResourceSiteChannel.Settings(**block), services)
    receipt = channel.publish(make_item(TRICKY_TITLE, category="其他"), Ledger().ctx())
    assert emulator.notices[0].category == "13" and receipt.external_id == str(emulator.notices[0].id)

"""The console names things as the office does: every audit event as a Chinese sentence, people by display name,
the daemon as the publishing service on its host, channels by display name, the button or field to use instead of a
command-line flag, a refusal's rule in Chinese (in a red box), a bad field by its Chinese label."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from console_helpers import PASSWORD, add_staff, cheap_hashing, csrf_of, login
from publisher.foundation.i18n import CHINESE, speaking
from publisher.ledger.event_kinds import EventKind
from publisher.ledger.event_sentences import SENTENCES, sentence, shown_error
from publisher.web.filters import person_name
from publisher.web.wording import console_words

NAMES = {"wechat": "微信公众号", "website": "测试网站平台", "portal": "市政务服务网"}.get
LATIN = re.compile(r"[A-Za-z]{2,}")


def channel(name: str) -> str:
    return NAMES(name) or name


def test_every_kind_of_event_has_a_sentence():
    assert set(EventKind) - set(SENTENCES) == set()


def test_events_read_as_chinese_sentences_with_names_not_keys():
    people = {"appr1": "赵终审", "rev1": "李初审"}
    say = lambda e: sentence(e, person=lambda n: person_name(people, n), channel=channel)  # noqa: E731
    with speaking(CHINESE):
        published = say({"kind": "published", "actor": "root@vm/1a2b3c4d", "channel": "wechat",
                         "detail": {"external_url": "https://mp.weixin.qq.com/s/x", "revision": 1}})
        approved = say({"kind": "review_approved", "actor": "appr1", "detail": {"step": "终审", "comment": "同意"}})
        rejected = say({"kind": "review_rejected", "actor": "rev1", "detail": {"step": "初审", "comment": "补充清单"}})
        queued = say({"kind": "queued", "actor": "appr1", "detail": {"channels": ["website", "wechat"]}})
        retract = say({"kind": "retract_requested", "actor": "appr1", "detail": {"reason": "误发"}})
        daemon = person_name(people, "unknown@vm/e3ea75cd")
    assert published == "已在微信公众号发布：https://mp.weixin.qq.com/s/x"
    assert approved == "赵终审终审通过（意见：同意）"
    assert rejected == "李初审在初审退回了信息（意见：补充清单）"
    assert queued == "赵终审新建了这条信息（渠道：测试网站平台、微信公众号）"
    assert retract == "赵终审要求在所有渠道撤回（原因：误发）"
    assert daemon == "发布服务（vm）"


def test_a_stored_channel_error_names_the_channel_and_speaks_chinese():
    with speaking(CHINESE):
        shown = shown_error("portal create: cannot connect to http://127.0.0.1:9/api/articles: connection refused "
                            "(gave up after 5 attempts)", channel)
    assert shown == "市政务服务网新建稿件：无法连接 http://127.0.0.1:9/api/articles：连接被拒绝（已尝试 5 次，放弃）"


def test_the_console_gives_a_button_or_a_field_never_a_command_line_flag():
    title = "标题有 40 个字符，微信公众号最多允许 32 个（可用 --option wechat.title=... 另给短标题）"
    gate = "发布前检查发现1个问题（身份证号）；请先脱敏（publisher check 609 --mask），或以 --override 理由 审批通过"
    named = "渠道 wechat：标题过长"
    assert console_words(title, channel) == "标题有 40 个字符，微信公众号最多允许 32 个（请在该渠道的「短标题」中另给一个）"
    assert "「个人信息脱敏」" in console_words(gate, channel) and "--" not in console_words(gate, channel)
    assert console_words(named, channel) == "微信公众号：标题过长"


@pytest.fixture
def client(make_app, sqlite_url, tmp_path, monkeypatch):
    from publisher.web import create_app

    cheap_hashing(monkeypatch)
    app = make_app(sqlite_url, {
        "website": {"type": "cms", "display_name": "测试网站平台", "base_url": "http://127.0.0.1:9", "auth_token": "t"},
    }, review={"enabled": True})
    add_staff(app)
    c = TestClient(create_app(app))
    assert login(c, "editor1", PASSWORD).status_code == 303
    return c


def test_a_refusal_is_an_error_in_red_naming_its_rule_in_chinese(client):
    page = client.get("/compose")
    token = csrf_of(client, "/compose")
    saved = client.post("/compose", data={"csrf_token": token, "title": "关于公示的通知", "category": "公示公告",
                                          "body": "<p>公示。</p>", "at": "2019-06-01T12:00"})
    item = int(re.search(r"/items/(\d+)", str(saved.url)).group(1))
    refused = client.post(f"/items/{item}/approve", data={"csrf_token": token, "comment": ""})
    text = html.unescape(refused.text)
    assert page.status_code == 200 and '<p class="error" role="alert">未完成' in text
    assert "规则：当前状态不允许" in text and "rule" not in text and 'class="notice"' not in text


def test_a_bad_field_is_named_by_its_chinese_label(client):
    page = html.unescape(client.get("/calendar?month=2019-13").text)
    assert page.count("月份") >= 1 and "字段" not in page and "month" not in page

"""A government record over its life (issue 20): a 规范性文件 and its 解读 queued with their catalogue data, approved
as a pair, the 解读 never out before its policy, both published with their 索引号 and linked both ways on the
sandbox portal (cms emulator) and WordPress, then the policy repealed by a newer one in a later month: every copy
shows the notice and links to the newer record. Real HTTP on loopback, SQLite and PostgreSQL, an injected clock."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests

from conftest import cms_block
from channels.cms.adapter import DEFAULT_PAYLOAD
from channels.wordpress.emulator import WordpressEmulator
from publisher.accounts.users import Actor, Role
from publisher.delivery.dispatcher import Dispatcher
from publisher.errors import InputError, Refused
from publisher.foundation.i18n import _
from publisher.items.intake import ItemRequest, queue_one
from publisher.items.validity import set_validity
from publisher.review.workflow import approve, submit
from publisher.sandbox.server import EmulatorServer

WP_PASSWORD = "abcd efgh ijkl mnop qrst uvwx"
POLICY = "东莞市住房和城乡建设局关于印发《东莞市公共租赁住房管理办法》的通知"
JIEDU = "图解：《东莞市公共租赁住房管理办法》"
NEWER = "东莞市住房和城乡建设局关于印发《东莞市公共租赁住房管理办法（修订）》的通知"
EDITOR, REV1, REV2, BOSS = (Actor("ed", "default", Role.EDITOR), Actor("rev1", "default", Role.REVIEWER),
                            Actor("rev2", "default", Role.REVIEWER), Actor("boss", "default", Role.APPROVER))


@pytest.fixture
def wp(clock):
    with EmulatorServer(WordpressEmulator(user="publisher", app_password=WP_PASSWORD, clock=clock)) as server:
        yield server


def channels(cms_server, wp) -> dict:
    payload = {**DEFAULT_PAYLOAD, "index_no": "index_no", "doc_no": "doc_no", "validity": "validity"}
    return {"portal": cms_block(cms_server, payload=payload),
            "wp": {"type": "wordpress", "base_url": wp.url, "username": "publisher", "app_password": WP_PASSWORD,
                   "timeout": 5}}


def office(make_app, db_url, cms_server, wp):
    return make_app(db_url, channels(cms_server, wp), review={"enabled": True},
                    catalogue={"org_code": "11441900007", "required": {"政策文件": ["doc_no", "written_on", "genre"]}})


def queue_policy(app, title: str = POLICY, doc_no: str = "东住建〔2019〕12号", written_on: str = "2019-05-20") -> int:
    return queue_one(app, ItemRequest(title=title, category="政策文件", body="<p>第一条 为规范公共租赁住房管理……</p>",
                                      catalogue={"doc_no": doc_no, "written_on": written_on, "genre": "规范性文件",
                                                 "subject": "城乡建设、环境保护"}), actor=EDITOR)


def queue_interpretation(app, policy: int) -> int:
    return queue_one(app, ItemRequest(title=JIEDU, category="政策文件", body="<p>一图读懂管理办法。</p>",
                                      catalogue={"doc_no": "—", "written_on": "2019-05-21", "genre": "解读",
                                                 "interprets": str(policy), "interpretation_form": "图解"}),
                     actor=EDITOR)


def run_until_quiet(app, rounds: int = 6) -> list[dict]:
    seen = []
    for _round in range(rounds):
        result = Dispatcher(app).run_due()
        if not result.total:
            break
        seen.append(result.outcomes)
    return seen


def copy_of(app, item: int, channel: str) -> dict:
    return next(d for d in app.store.get_item(item)["deliveries"] if d["channel"] == channel)


def article(cms_server, app, item: int) -> dict:
    return cms_server.emulator.articles[copy_of(app, item, "portal")["external_id"]]


def post(wp, app, item: int) -> dict:
    return wp.emulator.posts[int(copy_of(app, item, "wp")["external_id"])]


def test_a_policy_and_its_interpretation_go_out_as_a_pair_linked_both_ways_and_the_repeal_reaches_the_portal(
        make_app, db_url, cms_server, wp, clock):
    app = office(make_app, db_url, cms_server, wp)
    policy = queue_policy(app)
    jiedu = queue_interpretation(app, policy)
    for item in (policy, jiedu):
        submit(app, EDITOR, item)
    for actor in (REV1, REV2, BOSS):
        shown = approve(app, actor, policy, with_interpretations=True)
        assert [other["id"] for other in shown["interpretations"]] == [jiedu]
    rows = {i: app.store.get_item(i) for i in (policy, jiedu)}
    assert {r["review_state"] for r in rows.values()} == {"approved"}
    assert rows[policy]["index_no"] == "11441900007/2019-00001" and rows[jiedu]["index_no"] == "11441900007/2019-00002"

    run_until_quiet(app)
    rows = {i: app.store.get_item(i) for i in (policy, jiedu)}
    assert rows[jiedu]["first_published_at"] >= rows[policy]["first_published_at"]

    sent = [json.loads(body) for body in cms_server.emulator.create_bodies]
    assert [(b["title"], b["index_no"], b["doc_no"]) for b in sent] == [
        (POLICY, "11441900007/2019-00001", "东住建〔2019〕12号"), (JIEDU, "11441900007/2019-00002", "—")]
    portal = {i: copy_of(app, i, "portal")["external_url"] for i in (policy, jiedu)}
    blog = {i: copy_of(app, i, "wp")["external_url"] for i in (policy, jiedu)}
    assert f'政策解读：<a href="{portal[jiedu]}">{JIEDU}</a>' in article(cms_server, app, policy)["content"]
    assert f'原文件：<a href="{portal[policy]}">{POLICY}</a>' in article(cms_server, app, jiedu)["content"]
    assert f'政策解读：<a href="{blog[jiedu]}">{JIEDU}</a>' in post(wp, app, policy)["content"]
    assert f'原文件：<a href="{blog[policy]}">{POLICY}</a>' in post(wp, app, jiedu)["content"]
    assert len(cms_server.emulator.articles) == 2 and len(wp.emulator.posts) == 2  # updated in place, never twice

    clock.advance(timedelta(days=45))  # mid-July: a newer rule replaces it
    newer = queue_policy(app, NEWER, "东住建〔2019〕30号", "2019-07-10")
    submit(app, EDITOR, newer)
    for actor in (REV1, REV2, BOSS):
        approve(app, actor, newer)
    run_until_quiet(app)
    changed = set_validity(app, BOSS, policy, "废止", "2019-07-15", "东住建〔2019〕30号", by=newer)
    assert sorted(changed["updated"]) == ["portal", "wp"] and changed["left"] == []
    run_until_quiet(app)

    notice = '<p class="validity-notice"><strong>本文件已于2019年7月15日废止</strong>'
    newer_url = copy_of(app, newer, "portal")["external_url"]
    content = article(cms_server, app, policy)["content"]
    assert content.startswith(notice) and f'<a href="{newer_url}">{NEWER}</a>' in content
    assert f'政策解读：<a href="{portal[jiedu]}">' in content  # the links stay
    assert notice in requests.get(portal[policy], timeout=5).text  # the portal's page shows it
    assert post(wp, app, policy)["content"].startswith(notice)
    [event] = [e for e in app.store.events_for(policy) if e["kind"] == "validity_changed"]
    assert event["actor"] == "boss" and event["detail"]["validity"] == "废止" and event["detail"]["superseded_by"] == newer
    row = app.store.get_item(policy)
    assert (row["validity"], str(row["validity_on"]), row["superseded_by"]) == ("废止", "2019-07-15", newer)


def test_an_interpretation_approved_alone_waits_for_its_policy(make_app, db_url, cms_server, wp):
    app = office(make_app, db_url, cms_server, wp)
    policy = queue_policy(app)
    jiedu = queue_interpretation(app, policy)
    submit(app, EDITOR, jiedu)
    for actor in (REV1, REV2, BOSS):
        approve(app, actor, jiedu)
    assert Dispatcher(app).run_due().total == 0
    assert Dispatcher(app).next_due() is None  # a sleeping daemon does not spin on it
    assert {d["status"] for d in app.store.get_item(jiedu)["deliveries"]} == {"pending"}
    submit(app, EDITOR, policy)
    for actor in (REV1, REV2, BOSS):
        approve(app, actor, policy)
    run_until_quiet(app)
    assert {d["status"] for d in app.store.get_item(jiedu)["deliveries"]} == {"published"}


def test_a_validity_change_is_checked_and_taken_by_an_approver_only(make_app, db_url, cms_server, wp, clock):
    app = office(make_app, db_url, cms_server, wp)
    policy = queue_policy(app)
    with pytest.raises(Refused) as refused:
        set_validity(app, EDITOR, policy, "废止", "2019-05-30", "东住建〔2019〕30号")
    assert refused.value.rule == "role"
    for status, on, basis, field in (("作废", "2019-05-30", "x", "set"), ("废止", "2019-06-02", "x", "on"),
                                     ("废止", "2019-05-30", " ", "basis"), ("废止", "30/05/2019", "x", "on")):
        with pytest.raises(InputError) as bad:
            set_validity(app, BOSS, policy, status, on, basis)
        assert bad.value.field == field
    with pytest.raises(InputError) as bad:
        set_validity(app, BOSS, policy, "废止", "2019-05-30", "x", by=policy)
    assert bad.value.field == "by"
    assert app.store.get_item(policy)["validity"] == "有效"


def test_a_channel_that_cannot_update_is_listed_as_left_with_the_reason(make_app, db_url, cms_server, clock):
    from channels.wechat.emulator import WechatEmulator

    appid, secret = "wxsandbox0000000001", "sandbox-wechat-secret"
    with EmulatorServer(WechatEmulator(appid=appid, secret=secret, clock=clock)) as wechat:
        app = make_app(db_url, {"portal": cms_block(cms_server), "wechat": {
            "type": "wechat", "api_base": wechat.url, "appid": appid, "secret": secret, "author": "测试住建",
            "cover_color": "#1f4e8c", "timeout": 2}})
        item = queue_one(app, ItemRequest(title="东莞市公共租赁住房管理办法", category="政策文件", body="<p>第一条</p>",
                                          catalogue={"genre": "规范性文件", "written_on": "2019-05-20"}))
        run_until_quiet(app)
        changed = set_validity(app, BOSS, item, "失效", "2019-06-01", "有效期届满")
        assert changed["updated"] == ["portal"]
        assert changed["left"] == [{"channel": "wechat", "reason": _("the channel cannot update a published item")}]
        run_until_quiet(app)
        assert article(cms_server, app, item)["content"].startswith(
            '<p class="validity-notice"><strong>本文件已于2019年6月1日失效</strong></p>')
        assert wechat.emulator.submits == 1  # the WeChat copy stays as it was: one push, never a second
        [left] = [e for e in app.store.events_for(item) if e["kind"] == "update_left"]
        assert left["channel"] == "wechat" and left["actor"] == "boss"

"""The console's side of issue 20: the item page shows the catalogue data and the 20-working-day due date, lets an
approver approve a policy with its 解读 in one go and record a repeal (an editor is refused); the 工作台 warns from
working day 15 and lists policies without a 解读. Through the ASGI app, the cms emulator over real HTTP."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from conftest import cms_block
from console_helpers import add_staff, cheap_hashing, csrf_of, login
from publisher.accounts.users import Actor, Role
from publisher.delivery.dispatcher import Dispatcher
from publisher.foundation.workdays import workdays_between
from publisher.items.intake import ItemRequest, queue_one
from publisher.review.workflow import approve, submit

EDITOR = Actor("editor1", "default", Role.EDITOR)


@pytest.fixture
def app(make_app, sqlite_url, cms_server, monkeypatch):
    cheap_hashing(monkeypatch)
    app = make_app(sqlite_url, {"portal": cms_block(cms_server)}, review={"enabled": True})
    add_staff(app)
    return app


def client(app, name: str) -> TestClient:
    from publisher.web import create_app

    c = TestClient(create_app(app))
    assert login(c, name).status_code == 303
    return c


def day_used(app, days: int):
    """The day a record was written for ``days`` working days to have passed today."""
    today = app.clock.now().astimezone(app.config.tz).date()
    day = today
    while workdays_between(day, today) < days:
        day -= timedelta(days=1)
    return day


def test_an_approver_approves_the_pair_and_records_a_repeal_from_the_item_page(app, cms_server):
    policy = queue_one(app, ItemRequest(title="公共租赁住房管理办法", category="政策文件", body="<p>第一条</p>",
                                        catalogue={"genre": "规范性文件", "doc_no": "东住建〔2019〕12号",
                                                   "written_on": day_used(app, 16).isoformat()}), actor=EDITOR)
    jiedu = queue_one(app, ItemRequest(title="图解：公共租赁住房管理办法", category="政策文件", body="<p>图解</p>",
                                       catalogue={"genre": "解读", "interprets": str(policy),
                                                  "interpretation_form": "图解"}), actor=EDITOR)
    for item in (policy, jiedu):
        submit(app, EDITOR, item)
        for name in ("rev1", "rev2"):
            approve(app, Actor(name, "default", Role.REVIEWER), item)

    board = client(app, "editor1").get("/").text
    assert "即将到期" in board and "成文后已用 16 个工作日" in board

    boss = client(app, "appr1")
    page = boss.get(f"/items/{policy}").text
    assert "连同解读一并通过" in page and f'href="/items/{jiedu}"' in page and "东住建〔2019〕12号" in page
    assert 'class="publication-due"' in page
    done = boss.post(f"/items/{policy}/approve", data={"csrf_token": csrf_of(boss, f"/items/{policy}"),
                                                      "with_interpretations": "1"}, follow_redirects=True)
    assert "已通过（连同解读）" in html.unescape(done.text)
    assert {app.store.get_item(i)["review_state"] for i in (policy, jiedu)} == {"approved"}
    Dispatcher(app).run_due()
    assert {d["status"] for i in (policy, jiedu) for d in app.store.get_item(i)["deliveries"]} == {"published"}

    editor = client(app, "editor1")
    assert 'id="validity"' not in editor.get(f"/items/{policy}").text
    today = app.clock.now().astimezone(app.config.tz).date().isoformat()
    form = {"set": "废止", "on": today, "basis": "东住建〔2019〕30号"}
    refused = editor.post(f"/items/{policy}/validity", data={"csrf_token": csrf_of(editor, f"/items/{policy}"), **form},
                          follow_redirects=True)
    assert "未完成" in html.unescape(refused.text) and app.store.get_item(policy)["validity"] == "有效"
    done = boss.post(f"/items/{policy}/validity", data={"csrf_token": csrf_of(boss, f"/items/{policy}"), **form},
                     follow_redirects=True)
    assert "已登记为废止" in html.unescape(done.text) and "将更新：测试网站平台" in html.unescape(done.text)  # the channel by its name
    Dispatcher(app).run_due()
    [article] = [a for a in cms_server.emulator.live_articles() if a["title"] == "公共租赁住房管理办法"]
    assert article["content"].startswith('<p class="validity-notice"><strong>本文件已于2019年6月1日废止</strong>')
    assert "政策解读：" in article["content"]


def test_the_workbench_lists_policies_without_an_interpretation(app):
    rule = queue_one(app, ItemRequest(title="物业管理规定", category="政策文件", body="<p>第一条</p>",
                                      catalogue={"genre": "规章"}), actor=EDITOR)
    submit(app, EDITOR, rule)
    for name, role in (("rev1", Role.REVIEWER), ("rev2", Role.REVIEWER), ("appr1", Role.APPROVER)):
        approve(app, Actor(name, "default", role), rule)
    Dispatcher(app).run_due()
    board = client(app, "editor1").get("/").text
    assert "缺少解读" in board and f'href="/items/{rule}"' in board and "解读比例 0%" in board

"""A 转载任务 goes through the console and 三审 like any item; the ledger is the evidence of the accounts publisher
carried it on, a person records the others; the 工作台 names the account still missing and the rate is 67 %.
SQLite and PostgreSQL, the CMS emulator on loopback, the console served over real HTTP."""

from __future__ import annotations

import re

import pytest
import httpx
from urllib.parse import unquote

from conftest import cms_block
from console_helpers import add_staff, cheap_hashing, login, serving
from publisher.accounts.users import actor_from_row, get_user
from publisher.daemon.batch import run_batch
from publisher.review import workflow as review


def _as(app, name: str):
    return actor_from_row(get_user(app.store, name))


def _csrf(session: httpx.Client, base: str, path: str = "/reposts") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', session.get(path).text).group(1)


@pytest.fixture
def office(make_app, db_url, cms_server, tmp_path, monkeypatch):
    cheap_hashing(monkeypatch)
    blocks = {"website": cms_block(cms_server),
              "feed": {"type": "rss", "display_name": "网站RSS", "output": str(tmp_path / "feed.xml"),
                       "site_url": "http://www.example.gov.cn"}}
    app = make_app(db_url, blocks, routing={"default": ["website"]}, review={"enabled": True},
                   reposts={"other_accounts": ["抖音号"]})
    add_staff(app)
    return app


def _dashboard_panel(session: httpx.Client, base: str) -> str:
    page = session.get("/").text
    return page[page.index('id="reposts"'):page.index("检查风险提示")]


def test_task_carried_on_two_of_three_accounts_shows_67_percent_and_the_missing_one_on_the_dashboard(office, cms_server):
    from publisher.web import create_app

    with serving(create_app(office)) as base, httpx.Client(base_url=base) as editor:
        assert login(editor, "editor1").status_code == 303
        added = editor.post("/reposts", data={
            "csrf_token": _csrf(editor, base), "title": "转载：关于开展安全生产月活动的通知",
            "source_url": "https://www.example.gov.cn/art/2019/6/1/art_1.html", "issuer": "市委网信办",
            "due_on": "2019-06-05", "channels": ["website", "feed", "抖音号"]})
        assert added.status_code == 303
        task_id = int(re.search(r"(\d+)", unquote(added.headers["location"])).group(1))
        made = editor.post(f"/reposts/{task_id}/make", data={"csrf_token": _csrf(editor, base)})
        item_id = int(re.search(r"/items/(\d+)", made.headers["location"]).group(1))

        run_batch(office, max_time=30)
        assert cms_server.emulator.live_articles() == []  # in review: nothing goes out before 三审
        assert review.show(office, _as(office, "editor1"), item_id)["state"] == "in_review"
        for name in ("rev1", "rev2", "appr1"):
            review.approve(office, _as(office, name), item_id)
        assert run_batch(office, max_time=30).ok

        task = editor.get(f"/api/reposts/{task_id}").json()
        states = {a["account"]: (a["state"], a["by"]) for a in task["accounts"]}
        assert states == {"website": ("carried", "ledger"), "feed": ("carried", "ledger"), "抖音号": ("open", None)}
        urls = {a["account"]: a["url"] for a in task["accounts"]}
        assert urls["website"] == cms_server.emulator.live_articles()[0]["url"]
        assert task["rate"] == pytest.approx(2 / 3, abs=1e-4)
        assert "67%" in editor.get("/reposts").text
        panel = _dashboard_panel(editor, base)
        assert "转载：关于开展安全生产月活动的通知" in panel and "67%" in panel
        assert re.findall(r'missing-account">([^<]+)<', panel) == ["抖音号"]

        rates = {r["display_name"]: r for r in editor.get("/api/reposts/rates?year=2019").json()}
        assert rates["合计"]["rate"] == pytest.approx(0.6667) and rates["抖音号"]["not_carried"] == [task_id]
        assert rates["测试网站平台"]["rate"] == 1.0 and rates["合计"]["quarter"] == 2

        done = editor.post(f"/reposts/{task_id}/done", data={
            "csrf_token": _csrf(editor, base), "channel": "抖音号", "url": "https://www.douyin.com/video/7"})
        assert done.status_code == 303
        assert editor.get(f"/api/reposts/{task_id}").json()["rate"] == 1.0
        assert "missing-account" not in _dashboard_panel(editor, base)


def test_a_task_naming_an_unknown_account_is_refused_with_the_field_named(office):
    from publisher.web import create_app

    with serving(create_app(office)) as base, httpx.Client(base_url=base) as editor:
        login(editor, "editor1")
        page = editor.post("/reposts", data={"csrf_token": _csrf(editor, base), "title": "转载",
                                                    "source_url": "https://www.example.gov.cn/a.html",
                                                    "due_on": "2019-06-05", "channels": ["快手号"]})
        assert "快手号" in page.text and "尚无转载任务" in page.text
        assert editor.get("/api/reposts").json() == []
        spec = editor.get("/api/openapi.json").json()
        assert {"/api/reposts", "/api/reposts/{task_id}/make", "/api/reposts/rates"} <= set(spec["paths"])


def test_only_an_editor_makes_a_repost_item(office):
    from publisher.errors import Refused
    from publisher.reposts.carrying import make_item
    from publisher.reposts.tasks import add_tasks, parse_task

    [task_id] = add_tasks(office, _as(office, "rev1"), [parse_task(office, {
        "title": "转载", "source_url": "https://www.example.gov.cn/a.html", "due_on": "2019-06-05",
        "accounts": ["website"]})])
    with pytest.raises(Refused) as refused:
        make_item(office, _as(office, "rev1"), task_id)
    assert refused.value.rule == "role"
    assert make_item(office, _as(office, "editor1"), task_id)

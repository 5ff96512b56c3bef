"""The console's workflow pages (issue 22, items 3–5) through the ASGI app, on SQLite and PostgreSQL: the
已过期待审 one-click new time, a rejection without a reason refused (console and API), retract asks for a reason
and confirms naming the channels, the calendar's week and month views and its click-to-compose, 统计 in January,
search that finds 公租房 in 公共租赁住房 items (and by 文号), and the notification badge."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from console_helpers import add_staff, cheap_hashing, csrf_of, login


def channels(tmp_path) -> dict:
    return {
        "website": {"type": "cms", "display_name": "测试网站平台", "base_url": "http://127.0.0.1:9", "auth_token": "t"},
        "feed": {"type": "rss", "display_name": "政务订阅源", "output": str(tmp_path / "feed.xml"),
                 "site_url": "http://127.0.0.1:9", "count_in_report": False},
    }


@pytest.fixture
def app(make_app, db_url, tmp_path, monkeypatch):
    cheap_hashing(monkeypatch)
    app = make_app(db_url, channels(tmp_path), review={"enabled": True})
    add_staff(app)
    return app


@pytest.fixture
def client(app):
    from publisher.web import create_app

    def make(name: str) -> TestClient:
        c = TestClient(create_app(app))
        assert login(c, name).status_code == 303
        return c
    return make


def queue(app, title="关于公共租赁住房配租的公告", at=None, **catalogue):
    from publisher.accounts.users import actor_from_row, get_user
    from publisher.items.intake import ItemRequest, queue_one

    return queue_one(app, ItemRequest(title=title, category="公示公告", body="<p>配租。</p>", at=at,
                                      catalogue=catalogue), actor=actor_from_row(get_user(app.store, "editor1")))


def test_a_late_item_is_shown_as_overdue_for_review_and_takes_a_new_time_in_one_click(app, client, clock):
    item = queue(app, at="2019-06-01T12:00")
    editor = client("editor1")
    editor.post(f"/items/{item}/submit", data={"csrf_token": csrf_of(editor)})
    clock.set(clock.now() + timedelta(hours=4))
    reviewer = client("rev1")
    page = reviewer.get("/review").text
    assert "已过期待审" in page and 'action="/items/%d/reschedule"' % item in page
    assert 'value="2019-06-03T09:00"' in page  # the next working day, 9:00
    r = reviewer.post(f"/items/{item}/reschedule", data={"csrf_token": csrf_of(reviewer), "at": "2019-06-03T09:00",
                                                         "next": "/review"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/review?notice=")
    assert app.store.get_item(item)["publish_at"] == datetime(2019, 6, 3, 1, 0, tzinfo=timezone.utc)
    assert "已过期待审" not in reviewer.get("/review").text


def test_a_draft_saved_without_a_time_is_not_overdue_on_the_dashboard(app, client, clock):
    editor = client("editor1")
    data = {"csrf_token": csrf_of(editor, "/compose"), "title": "关于开展安全检查的通知", "category": "公示公告",
            "body": "<p>检查。</p>", "at": ""}
    assert editor.post("/compose", data=data, follow_redirects=False).status_code == 303
    timed = queue(app, title="关于停水的通知", at="2019-06-01T11:00")
    clock.set(clock.now() + timedelta(hours=5))
    dashboard = editor.get("/").text
    assert "关于开展安全检查的通知" in dashboard.split("我的草稿", 1)[1]  # listed as a draft …
    assert "逾期</span> <a href=\"/items/%d\">" % timed in dashboard  # … only the one with a chosen time is late
    assert dashboard.count("逾期</span>") == 1


def test_a_rejection_without_a_reason_is_refused_in_the_console_and_the_api(app, client):
    item = queue(app, at="2019-06-10T09:00")
    editor = client("editor1")
    editor.post(f"/items/{item}/submit", data={"csrf_token": csrf_of(editor)})
    reviewer = client("rev1")
    r = reviewer.post(f"/items/{item}/reject", data={"csrf_token": csrf_of(reviewer), "comment": " "})
    assert "未完成" in r.text and app.store.get_item(item)["review_state"] == "in_review"
    api = reviewer.post(f"/api/items/{item}/reject", json={"comment": ""},
                        headers={"X-CSRF-Token": csrf_of(reviewer)})
    assert api.status_code == 422 and api.json()["error"]["field"] == "comment"


def test_retract_asks_for_a_reason_and_names_the_channels(app, client):
    item = queue(app, at="2019-06-01T18:00")  # today
    approver = client("appr1")
    assert f'href="/items/{item}/retract"' in approver.get(f"/items/{item}").text
    page = approver.get(f"/items/{item}/retract").text
    assert "测试网站平台" in page and "政务订阅源" in page and "确认在以上 2 个渠道撤回" in page
    refused = approver.post(f"/items/{item}/retract", data={"csrf_token": csrf_of(approver), "reason": ""})
    assert "撤回须填写原因" in refused.text and app.store.get_item(item)["status"] == "active"
    approver.post(f"/items/{item}/retract", data={"csrf_token": csrf_of(approver), "reason": "名单有误"})
    assert app.store.get_item(item)["status"] == "retracted"
    today = approver.get("/").text.split("今日发布安排", 1)[1].split("</section>", 1)[0]
    assert "已撤回" in today and "草稿" not in today  # 今日发布安排 no longer shows its review state


def test_the_calendar_has_week_and_month_views_and_a_day_composes_for_that_day(app, client):
    long = "关于公布二〇一九年第二批城镇住房保障家庭租赁补贴资格审核结果及有关事项的公示"
    item = queue(app, title=long, at="2019-06-05T10:30")
    editor = client("editor1")
    month = editor.get("/calendar?month=2019-06").text
    assert 'href="/compose?at=2019-06-05T09:00"' in month and f'data-item="{item}"' in month
    assert 'title="%s"' % long in month  # the cell truncates it (CSS); the whole title on hover
    week = editor.get("/calendar?view=week&day=2019-06-06").text
    assert "2019-06-03 所在周" in week and f'data-item="{item}"' in week and 'data-day="2019-06-09"' in week
    assert f'data-item="{item}"' not in editor.get("/calendar?view=week&day=2019-06-12").text
    compose = editor.get("/compose?at=2019-06-05T09:00").text
    assert 'name="at" value="2019-06-05T09:00"' in compose
    assert 'name="at" value=""' in editor.get("/compose").text  # no time unless one is chosen


def test_the_tally_opens_on_last_year_in_january(app, client, clock):
    clock.set(datetime(2020, 1, 15, 2, 0, tzinfo=timezone.utc))
    assert "2019 年发布统计" in client("editor1").get("/tally").text
    clock.set(datetime(2020, 4, 1, 2, 0, tzinfo=timezone.utc))
    assert "2020 年发布统计" in client("editor1").get("/tally").text


def test_search_finds_an_abbreviation_in_its_full_form_and_by_document_number(app, client):
    wanted = [queue(app, title=f"关于第{n}批公共租赁住房配租的公告") for n in range(3)]
    numbered = queue(app, title="关于调整租赁补贴标准的通知", doc_no="东住建〔2019〕12号")
    queue(app, title="关于开展安全检查的通知")
    editor = client("editor1")
    found = editor.get("/api/items", params={"q": "公租房"}).json()
    assert sorted(i["id"] for i in found["items"]) == wanted and found["in_order"] is False
    assert [i["id"] for i in editor.get("/api/items", params={"q": "东住建〔2019〕12号"}).json()["items"]] == [numbered]
    fuzzy = editor.get("/api/items", params={"q": "租补标准"}).json()
    assert [i["id"] for i in fuzzy["items"]] == [numbered] and fuzzy["in_order"] is True
    assert "按字序相近" in editor.get("/items", params={"q": "租补标准"}).text


def test_the_editor_sees_a_rejection_in_the_menu_badge_and_the_notification_list(app, client):
    item = queue(app, at="2019-06-10T09:00")
    editor = client("editor1")
    editor.post(f"/items/{item}/submit", data={"csrf_token": csrf_of(editor)})
    reviewer = client("rev1")
    reviewer.post(f"/items/{item}/reject", data={"csrf_token": csrf_of(reviewer), "comment": "日期写错了"})
    assert '<b class="badge" id="unread">1</b>' in editor.get("/").text
    page = editor.get("/notifications").text
    assert "被退回：日期写错了" in page
    api = editor.get("/api/notifications").json()
    assert api["unread"] == 1 and api["notifications"][0]["item_id"] == item
    editor.post("/notifications/read", data={"csrf_token": csrf_of(editor), "upto": api["notifications"][0]["event"]})
    assert 'id="unread"' not in editor.get("/").text

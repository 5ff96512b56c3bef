"""In a real browser (Debian's Chromium via Playwright): an item dragged to another day in the calendar is
rescheduled by the server, which sends its approvals back; retracting asks for a reason and confirms, naming the
channels, before anything is taken down."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from console_helpers import PASSWORD, add_staff, cheap_hashing, serving

CHROMIUM = os.environ.get("PUBLISHER_CHROMIUM", "/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="Chromium is not installed (apt-get install chromium)")


def test_drag_to_reschedule_and_the_retract_confirmation(make_app, sqlite_url, tmp_path, monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    from publisher.accounts.users import actor_from_row, get_user
    from publisher.items.intake import ItemRequest, queue_one
    from publisher.review import workflow as review
    from publisher.web import create_app

    cheap_hashing(monkeypatch)
    app = make_app(sqlite_url, {
        "website": {"type": "cms", "display_name": "测试网站平台", "base_url": "http://127.0.0.1:9", "auth_token": "t"},
        "feed": {"type": "rss", "display_name": "政务订阅源", "output": str(tmp_path / "feed.xml"),
                 "site_url": "http://127.0.0.1:9"}}, review={"enabled": True})
    add_staff(app)
    as_ = lambda name: actor_from_row(get_user(app.store, name))  # noqa: E731
    item = queue_one(app, ItemRequest(title="关于公共租赁住房配租的公告", category="公示公告", body="<p>配租。</p>",
                                      at="2019-06-05T10:30"), actor=as_("editor1"))
    review.submit(app, as_("editor1"), item)
    review.approve(app, as_("rev1"), item)

    with serving(create_app(app)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
            page.goto(base + "/login")
            page.fill("input[name=name]", "appr1")
            page.fill("input[name=password]", PASSWORD)
            page.click("button:has-text('登录')")
            page.goto(base + "/calendar?month=2019-06")
            page.drag_and_drop(f"a.ev[data-item='{item}']", "td[data-day='2019-06-12']")
            expect(page.locator(f"td[data-day='2019-06-12'] a.ev[data-item='{item}']")).to_be_visible()
            stored = app.store.get_item(item)
            assert stored["publish_at"] == datetime(2019, 6, 12, 2, 30, tzinfo=timezone.utc)  # same time of day
            assert stored["review_state"] == "in_review" and stored["review_step"] == 0  # 初审 went back

            page.goto(f"{base}/items/{item}")
            page.click("a:has-text('在所有渠道撤回')")
            expect(page.locator("ul.retract-channels")).to_contain_text("测试网站平台")
            expect(page.locator("ul.retract-channels")).to_contain_text("政务订阅源")
            page.click("button:has-text('确认在以上 2 个渠道撤回')")  # no reason: the browser asks for one
            assert app.store.get_item(item)["status"] == "active"
            page.fill("#retract-confirm input[name=reason]", "配租方案调整")
            page.click("button:has-text('确认在以上 2 个渠道撤回')")
            expect(page.locator(".notice")).to_contain_text("已撤回")
            assert app.store.get_item(item)["retract_reason"] == "配租方案调整"
        finally:
            browser.close()

"""In a real browser (Debian's Chromium, headless, Playwright): an editor records a 转载任务 with the console's form
and makes its item; after 三审 and publication the 工作台 names the account still missing; an admin closes an
account from the registry page, and the channel is disabled once its 停更公告 is out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from console_helpers import PASSWORD, add_staff, cheap_hashing, serving

CHROMIUM = os.environ.get("PUBLISHER_CHROMIUM", "/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="Chromium is not installed (apt-get install chromium)")


def test_a_repost_task_and_an_account_closure_in_the_browser(make_app, sqlite_url, tmp_path, cms_server, monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    from conftest import cms_block
    from publisher.accounts.users import actor_from_row, get_user
    from publisher.channel_registry.upkeep import upkeep
    from publisher.daemon.batch import run_batch
    from publisher.review import workflow as review
    from publisher.web import create_app

    cheap_hashing(monkeypatch)
    app = make_app(sqlite_url, {
        "website": cms_block(cms_server, registration={"number": "苏ICP备05012345号", "owner": "王主任"}),
        "feed": {"type": "rss", "display_name": "RSS 订阅", "output": str(tmp_path / "feed.xml"),
                 "site_url": "http://www.example.gov.cn"}},
        review={"enabled": True}, reposts={"other_accounts": ["抖音号"]})
    add_staff(app)

    def approve(item_id: int) -> None:
        for name in ("rev1", "rev2", "appr1"):
            review.approve(app, actor_from_row(get_user(app.store, name)), item_id)
        assert run_batch(app, max_time=30).ok

    with serving(create_app(app)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])

        def session(name: str):
            page = browser.new_context(locale="zh-CN").new_page()
            page.goto(base + "/login")
            page.fill("input[name=name]", name)
            page.fill("input[name=password]", PASSWORD)
            page.click("button:has-text('登录')")
            expect(page.locator("h1")).to_have_text("工作台")
            return page

        editor = session("editor1")
        editor.click("nav >> text=转载任务")
        form = editor.locator("#repost-form")
        form.locator("input[name=title]").fill("转载：关于开展安全生产月活动的通知")
        form.locator("input[name=source_url]").fill("https://www.example.gov.cn/art/1.html")
        form.locator("input[name=due_on]").fill("2019-06-05")
        for account in ("website", "feed", "抖音号"):
            form.locator(f"input[name=channels][value='{account}']").check()
        form.locator("button[type=submit]").click()
        expect(editor.locator(".notice")).to_contain_text("已登记转载任务")
        editor.click("button:has-text('生成转载稿件')")
        expect(editor.locator(".notice")).to_contain_text("已生成转载稿件并提交审核")
        approve(int(editor.url.split("?")[0].rsplit("/", 1)[1]))
        editor.goto(base + "/")
        expect(editor.locator("#reposts")).to_contain_text("67%")
        expect(editor.locator("#reposts .missing-account")).to_have_text(["抖音号"])

        admin = session("admin1")
        admin.click("nav >> text=渠道与备案")
        expect(admin.locator("#channel-website")).to_contain_text("苏ICP备05012345号")
        admin.locator("#channel-website button:has-text('关停账号')").click()
        expect(admin.locator(".notice")).to_contain_text("已生成停更公告")
        approve(int(admin.url.split("?")[0].rsplit("/", 1)[1]))
        assert "停止更新" in cms_server.emulator.live_articles()[-1]["title"]
        assert upkeep(app) == ["website"]
        admin.goto(base + "/channels")
        expect(admin.locator("#channel-website .state")).to_contain_text("已关停")
        browser.close()

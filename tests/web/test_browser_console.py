"""In a real browser (Debian's Chromium, headless, driven by Playwright): an editor takes a Word file to a
draft, fixes the WeChat title the console warns about and submits it; three reviewers approve in turn; the
item reaches the sandbox's portal, WeChat and feed; an approver retracts it from the item page.

Screenshots of the main pages go to artifacts/screenshots/.
"""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

import pytest

from console_helpers import PASSWORD, add_staff, cheap_hashing, serving

CHROMIUM = os.environ.get("PUBLISHER_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
LONG_TITLE = "关于公布二〇一九年第二批城镇住房保障家庭租赁补贴资格审核结果及有关事项的公示"
SHORT_TITLE = "2019年第二批租赁补贴资格审核结果公示"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="Chromium is not installed (apt-get install chromium)")


def word_file() -> bytes:
    from docx import Document

    doc = Document()
    doc.add_heading("租赁补贴资格审核结果公示", level=1)
    doc.add_paragraph("根据《城镇住房保障家庭租赁补贴管理办法》，现将2019年第二批申请家庭的审核结果予以公示。")
    doc.add_paragraph("公示期为2019年6月1日至6月7日。如有异议，请在公示期内向我局住房保障科反映。")
    table = doc.add_table(rows=3, cols=3)
    for row, values in zip(table.rows, (("序号", "申请人", "补贴标准"), ("1", "张某某", "每月600元"),
                                        ("2", "李某某", "每月450元"))):
        for cell, value in zip(row.cells, values):
            cell.text = value
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


@pytest.fixture
def sandbox(clock):
    from channels.cms.emulator import CmsEmulator
    from publisher.sandbox.server import EmulatorServer
    from channels.wechat.emulator import WechatEmulator

    with EmulatorServer(CmsEmulator(token="test-cms-token")) as cms, \
            EmulatorServer(WechatEmulator(appid="wxsandbox0000000001", secret="sandbox-wechat-secret",
                                          clock=clock)) as wechat:
        yield cms, wechat


def test_word_file_to_every_channel_and_back_in_the_browser(make_app, sqlite_url, tmp_path, sandbox, clock,
                                                             monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    from publisher.delivery.dispatcher import Dispatcher
    from publisher.web import create_app

    from conftest import cms_block

    cheap_hashing(monkeypatch)
    cms, wechat = sandbox
    feed = tmp_path / "feed.xml"
    app = make_app(sqlite_url, {
        "website": cms_block(cms),
        "wechat": {"type": "wechat", "display_name": "微信公众号", "api_base": wechat.url,
                   "appid": "wxsandbox0000000001", "secret": "sandbox-wechat-secret", "author": "测试住建",
                   "cover_color": "#1f4e8c", "timeout": 5},
        "feed": {"type": "rss", "display_name": "RSS 订阅", "output": str(feed), "site_url": cms.url,
                 "count_in_report": False},
    }, review={"enabled": True})
    add_staff(app)
    docx = tmp_path / "公示.docx"
    docx.write_bytes(word_file())
    SHOTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    with serving(create_app(app)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])

        def session(name: str):
            context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
            page = context.new_page()
            page.goto(base + "/login")
            page.fill("input[name=name]", name)
            page.fill("input[name=password]", PASSWORD)
            page.click("button:has-text('登录')")
            expect(page.locator("h1")).to_have_text("工作台")
            return page

        editor = session("editor1")
        editor.goto(base + "/compose")
        editor.fill("input[name=title]", LONG_TITLE)
        editor.select_option("select[name=category]", "公示公告")
        for channel in ("website", "wechat", "feed"):
            editor.check(f"input[name=channels][value={channel}]")
        editor.set_input_files("input[name=docx]", str(docx))
        expect(editor.locator("textarea[name=body]")).to_have_value(re.compile("住房保障科"))  # converted in place
        warning = editor.locator("ul.problems[data-channel=wechat] li")
        expect(warning.first).to_contain_text("32")  # checked as the editor types
        editor.screenshot(path=str(SHOTS / "compose-warning.png"), full_page=True)
        editor.fill("input[name='short_title.wechat']", SHORT_TITLE)
        expect(warning).to_have_count(0)
        editor.click("button:has-text('保存为草稿')")
        expect(editor.locator(".notice")).to_contain_text("已保存为草稿")
        item_url = editor.url.split("?")[0]
        item_id = int(item_url.rsplit("/", 1)[1])
        assert "住房保障科" in app.store.get_item(item_id)["body_html"]  # the Word text became the body
        editor.click("button:has-text('提交审核')")
        expect(editor.locator(".notice")).to_contain_text("已提交审核")

        for name, step in (("rev1", "初审"), ("rev2", "复审"), ("appr1", "终审")):
            page = session(name)
            expect(page.locator("section.panel").first).to_contain_text(LONG_TITLE)  # 待我审核
            if name == "rev1":
                page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)
            page.goto(item_url)
            page.fill("form[action$='/approve'] input[name=comment]", "同意")
            page.click(f"button:has-text('通过（{step}）')")
            expect(page.locator(".notice")).to_contain_text("已通过")
            if name == "rev2":
                for n in range(3):
                    expect(page.frame_locator("iframe").nth(n).locator("h1").first).to_be_visible()
                page.screenshot(path=str(SHOTS / "review-item.png"), full_page=True)
        approver = page

        for _ in range(30):  # the daemon's part, in-process: publish everything due (clock jumps to retries)
            Dispatcher(app).run_due()
            states = {d["channel"]: d for d in app.store.get_item(item_id)["deliveries"]}
            if all(d["status"] == "published" for d in states.values()):
                break
            clock.set(min(d["next_attempt_at"] for d in states.values() if d["status"] != "published")
                      .replace(tzinfo=clock.now().tzinfo) + __import__("datetime").timedelta(seconds=1))
        assert {c: d["status"] for c, d in states.items()} == {"website": "published", "wechat": "published",
                                                              "feed": "published"}
        assert any(a["title"] == LONG_TITLE for a in cms.emulator.live_articles())
        assert any(a.news_item[0]["title"] == SHORT_TITLE for a in wechat.emulator.live_articles())
        assert LONG_TITLE in feed.read_text(encoding="utf-8")

        approver.goto(item_url)
        expect(approver.locator("table").nth(1)).to_contain_text("已发布")
        approver.screenshot(path=str(SHOTS / "item-published.png"), full_page=True)
        approver.goto(base + "/tally?year=2019")
        expect(approver.locator("svg.chart")).to_be_visible()
        approver.screenshot(path=str(SHOTS / "tally.png"), full_page=True)
        approver.goto(item_url)
        approver.click("a:has-text('在所有渠道撤回')")  # asks for a reason and confirms, naming the channels
        expect(approver.locator("ul.retract-channels")).to_contain_text("微信公众号")
        approver.fill("#retract-confirm input[name=reason]", "名单需更正")
        approver.click("button:has-text('确认在以上 3 个渠道撤回')")
        expect(approver.locator(".notice")).to_contain_text("已撤回")
        assert {d["status"] for d in app.store.get_item(item_id)["deliveries"]} == {"retracted"}
        assert not any(a["title"] == LONG_TITLE for a in cms.emulator.live_articles())
        assert LONG_TITLE not in feed.read_text(encoding="utf-8")

        for path, shot in (("/items", "queue"), ("/calendar?month=2019-06", "calendar"),
                           ("/audit", "audit"), ("/review?all=1", "review")):
            approver.goto(base + path)
            approver.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)
        browser.close()
    print(f"\nbrowser test: {time.monotonic() - started:.1f} s")


def test_the_gates_findings_and_the_leave_box_speak_chinese_in_the_browser(make_app, sqlite_url, sandbox, clock,
                                                                           monkeypatch):
    """The live check names a finding's field and place in Chinese, the saved item's page too; editing an item
    published on WeChat (which cannot update) is refused in Chinese until the editor leaves the old copy there."""
    import gettext

    from playwright.sync_api import expect, sync_playwright

    from conftest import cms_block
    from publisher.delivery.dispatcher import Dispatcher
    from publisher.foundation.i18n import LOCALE_DIR
    from publisher.items.intake import ItemRequest, queue_one
    from publisher.web import create_app

    zh = gettext.translation("publisher", LOCALE_DIR, languages=["zh_CN"])
    cheap_hashing(monkeypatch)
    cms, wechat = sandbox
    app = make_app(sqlite_url, {
        "website": cms_block(cms),
        "wechat": {"type": "wechat", "display_name": "微信公众号", "api_base": wechat.url,
                   "appid": "wxsandbox0000000001", "secret": "sandbox-wechat-secret", "cover_color": "#1f4e8c",
                   "timeout": 5},
    })
    add_staff(app)
    published = queue_one(app, ItemRequest(title="关于公示租赁补贴名单的通知", category="公示公告", body="<p>公示。</p>"))
    Dispatcher(app).run_due()
    assert {d["status"] for d in app.store.get_item(published)["deliveries"]} == {"published"}
    body_field, second_line = zh.gettext("body"), zh.gettext("line {number}").format(number=2)

    with serving(create_app(app)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_context(locale="zh-CN").new_page()
        page.goto(base + "/login")
        page.fill("input[name=name]", "editor1")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('登录')")

        page.goto(base + "/compose")
        page.fill("input[name=title]", "2019年租赁补贴公示")
        page.select_option("select[name=category]", "公示公告")
        page.locator(".jodit-wysiwyg").click()  # the body is typed into the editor, two paragraphs
        page.keyboard.type("公示如下。")
        page.keyboard.press("Enter")
        page.keyboard.type("张某某，身份证号320623198503121233。")
        finding = page.locator("#gate-findings li").first
        expect(finding).to_contain_text(body_field)  # checked as the editor types
        expect(finding).to_contain_text(second_line)
        expect(finding).to_contain_text(zh.gettext("mask: {masked}").format(masked="320623********1233"))
        expect(finding).not_to_contain_text("line")
        expect(finding).not_to_contain_text("mask")
        page.click("button:has-text('保存为草稿')")
        expect(page.locator(".notice")).to_contain_text("已保存为草稿")
        shown = page.locator("p.finding").first
        expect(shown).to_contain_text(f"{body_field} · {second_line}")
        expect(shown).to_contain_text("脱敏为")
        expect(shown).not_to_contain_text("line")
        expect(shown).not_to_contain_text("mask")

        page.goto(f"{base}/items/{published}/edit")
        leave = page.locator("input[name=leave][value=wechat]")
        expect(leave).to_be_visible()
        expect(page.locator("input[name=leave][value=website]")).to_have_count(0)  # the CMS updates in place
        page.fill("input[name=title]", "关于公示租赁补贴名单（更正）的通知")
        page.click("button:has-text('保存修改')")
        refusal = page.locator(".error[role=alert]")
        expect(refusal).to_contain_text("不支持更新已发布的信息")
        expect(refusal).to_contain_text("规则：渠道不能更新已发布的稿件")
        page.locator("input[name=leave][value=wechat]").check()
        page.fill("input[name=leave_reason]", "微信不能改稿，保留原文")
        page.click("button:has-text('保存修改')")
        expect(page.locator(".notice")).to_be_visible()
        browser.close()
    updates = {d["channel"]: d.get("update_state") for d in app.store.get_item(published)["deliveries"]}
    assert updates["wechat"] == "left"

"""In a real browser (Debian's Chromium, headless): an approver sees the re-scan's correction in the 工作台, opens
the inspection page and dismisses it with a reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from console_helpers import PASSWORD, add_staff, cheap_hashing, serving
from test_corrections_in_the_console_and_api import _published_with_a_correction

CHROMIUM = os.environ.get("PUBLISHER_CHROMIUM", "/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="Chromium is not installed (apt-get install chromium)")


def test_an_approver_dismisses_a_correction_in_the_browser(tmp_path, sqlite_url, cms_server, monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    from publisher.runtime.app import App
    from publisher.web import create_app

    cheap_hashing(monkeypatch)
    config, _ = _published_with_a_correction(tmp_path, sqlite_url, cms_server)
    app = App.load(config)
    try:
        add_staff(app)
        with serving(create_app(app)) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            try:
                page = browser.new_page()
                page.goto(base + "/login")
                page.fill("input[name=name]", "appr1")
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                panel = page.locator("#inspection")
                expect(panel).to_contain_text("办事指南")
                expect(panel).to_contain_text("县住房和城乡建设局")
                expect(panel).to_contain_text("失效 1")
                page.click("nav a[href='/inspection']")
                page.fill("form[action*='/dismiss'] input[name=reason]", "引用上级文件原文")
                page.click("form[action*='/dismiss'] button")
                expect(page.locator("body")).to_contain_text("已忽略更正任务")
                expect(page.locator("table")).to_contain_text("没有更正任务")
            finally:
                browser.close()
    finally:
        app.close()

"""Shared set-up for the console's browser tests: one seeded console on the sandbox's channels per test module,
logged-in pages per user and viewport, and what a page is measured by (its width, axe, English words)."""

from __future__ import annotations

import os
import re
import socket
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from console_helpers import PASSWORD, STAFF, serving

CHROMIUM = os.environ.get("PUBLISHER_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
DESKTOP, PHONE = {"width": 1366, "height": 768}, {"width": 390, "height": 844}
ROLES = {"editor": "editor1", "reviewer": "rev1", "approver": "appr1", "admin": "admin1"}
STEP_USERS = (("rev1", "初审"), ("rev2", "复审"), ("appr1", "终审"))

needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                    reason="Chromium is not installed (apt-get install chromium)")

# Latin words a Chinese office reads as they are: product and format names, standards
ALLOWED_WORDS = frozenset("""WeChat RSS Atom PDF DOCX Word Excel CSV JSON API HTML Markdown PostgreSQL SQLite IP
    URL WordPress HTTP HTTPS ID XLSX UTF GBK""".split()) | {socket.gethostname()}  # the daemon's host is a name
# URLs and paths, e-mail addresses, 索引号 (office code/year-sequence), file extensions (.docx)
URL = re.compile(r"(?:https?://|/)[\w./?&=%#:;~+-]*|[\w.-]+@[\w.-]+|[\w-]+/\d{4}-\d+|(?<![A-Za-z])\.[a-z]{3,4}\b")
LATIN = re.compile(r"[A-Za-z]+")

VISIBLE_TEXT = """() => {
  const out = [];
  // textarea[name=body]: the body's HTML source until the compose page's editor replaces it
  const skip = el => !el || el.closest('[translate=no], script, style, noscript, template, textarea[name=body]');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!skip(node.parentElement) && node.textContent.trim()) { out.push(node.textContent.trim()); }
  }
  document.querySelectorAll('[placeholder], [title], [aria-label], input[type=submit], input[type=button]')
    .forEach(el => { if (!skip(el)) {
      ['placeholder', 'title', 'aria-label', 'value'].forEach(a => {
        if (el.hasAttribute(a) && (a !== 'value' || el.type === 'submit' || el.type === 'button')) {
          out.push(el.getAttribute(a)); } }); } });
  out.push(document.title);
  return out;
}"""

AXE_RUN = """async () => {
  const result = await axe.run(document, {iframes: false, resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
    id: v.id, impact: v.impact, count: v.nodes.length,
    where: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + (n.failureSummary || '').slice(0, 160))}));
}"""


def english_words(texts: list[str]) -> list[str]:
    """The Latin-letter words of ``texts`` outside the allow-list (URLs and addresses removed first)."""
    words = []
    for text in texts:
        for word in LATIN.findall(URL.sub(" ", text or "")):
            if word not in ALLOWED_WORDS:
                words.append(f"{word} 〔{text.strip()[:60]}〕")
    return words


def record(kind: str, role: str, found: list[str]) -> None:
    """Append what a check found to ``$PUBLISHER_BROWSER_REPORT`` (JSON lines), for before/after counts."""
    target = os.environ.get("PUBLISHER_BROWSER_REPORT")
    if target:
        import json

        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps({"kind": kind, "role": role, "found": found}, ensure_ascii=False) + "\n")


def page_width(page) -> int:
    """How wide the page's content is (scrollWidth of the root), in CSS pixels, once its stylesheets have loaded
    (a page shown after a form's redirect is in the DOM before its styles apply)."""
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth")


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_RUN)


@dataclass
class Site:
    """A console on the sandbox's channels, with seeded items in every state a page shows."""

    app: object
    base: str
    clock: object
    cms: object
    wechat: object
    feed: Path
    items: dict[str, int] = field(default_factory=dict)


def _channels(cms, wechat, feed: Path, dead_port: int) -> dict:
    from conftest import cms_block

    return {
        "website": cms_block(cms),
        "wechat": {"type": "wechat", "display_name": "微信公众号", "api_base": wechat.url,
                   "appid": "wxsandbox0000000001", "secret": "sandbox-wechat-secret", "author": "测试住建",
                   "cover_color": "#1f4e8c", "timeout": 5},
        "feed": {"type": "rss", "display_name": "订阅源", "output": str(feed), "site_url": cms.url,
                 "count_in_report": False},
        "portal": {"type": "cms", "display_name": "市政务服务网", "base_url": f"http://127.0.0.1:{dead_port}",
                   "auth_token": "test-cms-token", "timeout": 1},
    }


@contextmanager
def seeded_site(tmp: Path):
    """Serve a console over an App on the sandbox's CMS, WeChat and feed, with items seeded (module-scoped)."""
    from channels.cms.emulator import CmsEmulator
    from channels.wechat.emulator import WechatEmulator
    from conftest import write_config
    from console_helpers import free_port
    from publisher.config.load import load_config
    from publisher.foundation.clock import SimulatedClock
    from publisher.runtime.app import App
    from publisher.sandbox.server import EmulatorServer
    from publisher.web import create_app

    clock = SimulatedClock(datetime(2019, 6, 1, 2, 0, tzinfo=timezone.utc))
    feed = tmp / "feed.xml"
    with ExitStack() as stack:
        mp = stack.enter_context(pytest.MonkeyPatch.context())
        _cheap_hashing(mp)
        cms = stack.enter_context(EmulatorServer(CmsEmulator(token="test-cms-token")))
        wechat = stack.enter_context(EmulatorServer(WechatEmulator(
            appid="wxsandbox0000000001", secret="sandbox-wechat-secret", clock=clock)))
        channels = _channels(cms, wechat, feed, free_port())
        path = write_config(tmp, f"sqlite:///{tmp / 'publisher.db'}", channels, review={"enabled": True},
                            routing={"default": ["website", "wechat", "feed"]})
        app = App.from_config(load_config(path), clock)
        stack.callback(app.close)
        add_people(app)
        site = Site(app, "", clock, cms, wechat, feed)
        seed(site)
        site.base = stack.enter_context(serving(create_app(app)))
        yield site


NAMES = {"editor1": "张编辑", "rev1": "李初审", "rev2": "王复审", "appr1": "赵终审", "admin1": "钱管理", "other": "孙编辑"}


def add_people(app) -> None:
    """The staff of console_helpers under Chinese display names, added by the admin."""
    from publisher.accounts.users import add_user

    for name, role, office in STAFF:
        add_user(app.store, name, role, office, display_name=NAMES[name], password=PASSWORD, created_by="admin1")


def _cheap_hashing(mp) -> None:
    from argon2 import PasswordHasher

    import publisher.accounts.users

    mp.setattr(publisher.accounts.users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def seed(site: Site) -> None:
    """Items in each state the pages show: a draft, one waiting for 初审, one published, one retracted, one whose
    portal delivery failed for good, one with a gate finding, one sent back at 初审."""
    from publisher.accounts.users import actor_from_row, get_user
    from publisher.delivery.actions import retract_item
    from publisher.delivery.dispatcher import Dispatcher
    from publisher.items.intake import ItemRequest, queue_one
    from publisher.review import workflow as review

    app = site.app
    who = {name: actor_from_row(get_user(app.store, name)) for name in ("editor1", "rev1", "rev2", "appr1")}

    def queued(title: str, body: str = "<p>现将有关事项公告如下。</p>", **kw) -> int:
        return queue_one(app, ItemRequest(title=title, category="公示公告", body=body, **kw), actor=who["editor1"])

    def approved(item_id: int) -> int:
        review.submit(app, who["editor1"], item_id)
        for name, _step in STEP_USERS:
            review.approve(app, who[name], item_id, comment="同意")
        return item_id

    items = site.items
    items["draft"] = queued("关于二〇一九年第三批公共租赁住房配租的通知（草稿）")
    items["waiting"] = queued("关于开展住房公积金缴存基数调整工作的通知")
    review.submit(app, who["editor1"], items["waiting"])
    items["rejected"] = queued("关于城镇老旧小区改造项目的公示")
    review.submit(app, who["editor1"], items["rejected"])
    review.reject(app, who["rev1"], items["rejected"], comment="请补充项目清单")
    items["finding"] = queued("关于租赁补贴名单的公示", body="<p>张某某，身份证号320623198503121233。</p>")
    review.submit(app, who["editor1"], items["finding"])
    items["published"] = approved(queued("关于二〇一九年第二批租赁补贴资格审核结果的公示"))
    items["retracted"] = approved(queued("关于物业服务收费标准的通知"))
    items["failed"] = approved(queued("关于住房保障窗口调整办公时间的公告", channels=["website", "portal"]))
    Dispatcher(app).run_due()
    retract_item(app, items["retracted"], "误发", actor=who["appr1"])
    Dispatcher(app).run_due()
    for _ in range(8):  # the portal never answers: retried with backoff until it gives up
        site.clock.advance(timedelta(hours=2))
        Dispatcher(app).run_due()
    site.clock.set(datetime(2019, 6, 2, 2, 0, tzinfo=timezone.utc))


@dataclass
class Browser:
    """One Chromium for a test module; logged-in pages by user and viewport."""

    browser: object
    base: str
    pages: dict = field(default_factory=dict)

    def page(self, name: str, viewport: dict = PHONE):
        """A page logged in as ``name`` at ``viewport`` (kept for the module)."""
        key = (name, viewport["width"])
        if key not in self.pages:
            context = self.browser.new_context(viewport=viewport, locale="zh-CN", bypass_csp=True,
                                               device_scale_factor=2 if viewport["width"] < 500 else 1)
            page = context.new_page()
            log_in(page, self.base, name)
            self.pages[key] = page
        return self.pages[key]


def log_in(page, base: str, name: str) -> None:
    """Log ``page`` in through the login form as ``name``."""
    from playwright.sync_api import expect

    page.goto(base + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('登录')")
    expect(page.locator("h1")).to_have_text("工作台")


@contextmanager
def chromium(base: str):
    """A headless Chromium (Debian's) for the module, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--lang=zh-CN"],
                                     env={**os.environ, "LANG": "zh_CN.UTF-8", "LANGUAGE": "zh_CN"})
        try:
            yield Browser(browser, base)
        finally:
            browser.close()


# -- the module fixtures of the page-walking browser tests (imported by name where used) --------------------------
@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A console over the sandbox's channels with an item in every state a page shows, for one test module."""
    with seeded_site(tmp_path_factory.mktemp("console")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(site):
    """Chromium on ``site``, for one test module."""
    with chromium(site.base) as running:
        yield running

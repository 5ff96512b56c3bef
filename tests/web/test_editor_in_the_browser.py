"""In a real browser (Debian's Chromium, headless, Playwright): the console's editor takes a notice pasted from
Word (a merged-header table and a picture), a .docx and a .doc; the three items are approved and published, and
the sandbox portal (CMS), WordPress, the WeChat article and the RSS feed each hold the table with the same number of
cells and the picture. A bomb .docx is refused in seconds while /healthz keeps answering within 200 ms."""

from __future__ import annotations

import base64
import os
import re
import shutil
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from console_helpers import PASSWORD, add_staff, cheap_hashing, serving
from document_samples import (NOTICE_TITLE, PASTED_CELLS, bomb_docx, gongshi_docx, png, soffice_convert, table_cells,
                              word_clipboard_html)

CHROMIUM = os.environ.get("PUBLISHER_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="Chromium is not installed (apt-get install chromium)")
CHANNELS = ("website", "wp", "wechat", "feed")
DOC_TITLE = "关于2019年第三批公共租赁住房保障资格审核结果的公示"
PASTE_TITLE = "关于公布租赁补贴审核结果的通知"


def cells(html: str) -> int:
    return len(re.findall(r"<t[dh][\s>]", html))


@pytest.fixture
def sandbox(clock):
    from channels.cms.emulator import CmsEmulator
    from channels.wechat.emulator import WechatEmulator
    from channels.wordpress.emulator import WordpressEmulator
    from publisher.sandbox.server import EmulatorServer

    from channel_blocks import WP_APP_PASSWORD

    with EmulatorServer(CmsEmulator(token="test-cms-token")) as cms, \
            EmulatorServer(WechatEmulator(appid="wxsandbox0000000001", secret="sandbox-wechat-secret",
                                          clock=clock)) as wechat, \
            EmulatorServer(WordpressEmulator(app_password=WP_APP_PASSWORD, clock=clock)) as wp:
        yield cms, wechat, wp


@pytest.fixture
def documents(tmp_path):
    """The .docx, and the .doc LibreOffice makes of another 公示 (None without LibreOffice)."""
    docx = tmp_path / "公示.docx"
    docx.write_bytes(gongshi_docx(NOTICE_TITLE))
    doc = None
    if shutil.which("soffice") or shutil.which("libreoffice"):
        source = tmp_path / "old" / "第三批公示.docx"
        source.parent.mkdir()
        source.write_bytes(gongshi_docx(DOC_TITLE, rows=12))
        doc = soffice_convert(source, "doc:MS Word 97", source.parent)
    return docx, doc


def test_pasted_and_uploaded_documents_reach_every_channel_with_their_tables(make_app, sqlite_url, tmp_path, sandbox,
                                                                             documents, clock, monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    from conftest import cms_block
    from channel_blocks import wp_config
    from publisher.web import create_app

    cheap_hashing(monkeypatch)
    cms, wechat, wp = sandbox
    feed, files = tmp_path / "feed.xml", tmp_path / "feed-files"
    app = make_app(sqlite_url, {
        "website": cms_block(cms),
        "wp": wp_config(wp.url),
        "wechat": {"type": "wechat", "display_name": "微信公众号", "api_base": wechat.url, "appid": "wxsandbox0000000001",
                   "secret": "sandbox-wechat-secret", "cover_color": "#1f4e8c", "timeout": 5},
        "feed": {"type": "rss", "display_name": "RSS 订阅", "output": str(feed), "site_url": cms.url,
                 "attachments_output": str(files), "count_in_report": False},
    }, review={"enabled": True})
    add_staff(app)
    docx, doc = documents
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []

    with serving(create_app(app)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
        page.on("console", lambda m: errors.append(f"{page.url} {m.location} {m.text}") if m.type == "error" else None)
        page.goto(base + "/login")
        page.fill("input[name=name]", "editor1")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('登录')")

        def compose(title: str, short: str = "审核结果公示") -> None:
            page.goto(base + "/compose")
            expect(page.locator(".jodit-toolbar__box")).to_be_visible()
            expect(page.locator(".jodit-toolbar__box")).to_contain_text("一键排版")
            page.fill("input[name=title]", title)
            page.select_option("select[name=category]", "公示公告")
            for channel in CHANNELS:
                page.check(f"input[name=channels][value={channel}]")
            page.fill("input[name='short_title.wechat']", short)

        def save() -> int:
            page.click("button:has-text('保存为草稿')")
            expect(page.locator(".notice")).to_contain_text("已保存为草稿")
            return int(page.url.split("?")[0].rsplit("/", 1)[1])

        # 1. a notice pasted from Word: the table keeps its merged header cells, the picture goes to the store
        compose(PASTE_TITLE, "租赁补贴审核结果")
        picture = "data:image/png;base64," + base64.b64encode(png()).decode()
        page.locator(".jodit-wysiwyg").click()
        page.evaluate("""html => {
            const data = new DataTransfer();
            data.setData('text/html', html);
            data.setData('text/plain', '现将审核结果公示如下');
            document.querySelector('.jodit-wysiwyg').dispatchEvent(
                new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
        }""", word_clipboard_html(picture))
        expect(page.locator("#editor-status")).to_contain_text("已粘贴")
        wysiwyg = page.locator(".jodit-wysiwyg")
        expect(wysiwyg.locator("th[rowspan='2']")).to_have_count(2)
        expect(wysiwyg.locator("th[colspan='3']")).to_have_count(1)
        expect(wysiwyg.locator("img[src^='/api/uploads/images/']")).to_have_count(1)
        assert "mso-" not in wysiwyg.inner_html() and "MsoNormal" not in wysiwyg.inner_html()
        page.click(".jodit-toolbar-button_typeset button")
        expect(wysiwyg.locator("p").first).to_contain_text("公示如下，请予监督。")  # full-width punctuation
        page.screenshot(path=str(SHOTS / "editor-pasted-from-word.png"), full_page=True)
        pasted = save()

        # 2. a .docx into the editor: asked before the typed body is replaced; the repeated title is left out
        compose(NOTICE_TITLE, "第二批审核结果公示")
        wysiwyg.click()
        page.keyboard.type("草稿文字")
        page.once("dialog", lambda d: d.dismiss())
        page.set_input_files("input[name=docx]", str(docx))
        expect(page.locator("#editor-status")).to_contain_text("未替换")
        expect(wysiwyg).to_contain_text("草稿文字")
        page.once("dialog", lambda d: d.accept())
        page.set_input_files("input[name=docx]", str(docx))
        expect(page.locator("#editor-status")).to_contain_text("已转入正文", timeout=60_000)
        expect(page.locator("#editor-status")).to_contain_text("未重复放入正文")
        expect(wysiwyg).not_to_contain_text("草稿文字")
        expect(wysiwyg.locator("td, th")).to_have_count(table_cells())
        expect(wysiwyg.locator("ol li")).to_have_count(2)
        expect(wysiwyg.locator("img[src^='/api/uploads/images/']")).to_have_count(1)
        page.screenshot(path=str(SHOTS / "editor-docx.png"), full_page=True)
        from_docx = save()

        # 3. a .doc (LibreOffice converts it first)
        from_doc = None
        if doc is not None:
            compose(DOC_TITLE, "第三批审核结果公示")
            page.set_input_files("input[name=docx]", str(doc))
            expect(page.locator("#editor-status")).to_contain_text("已转入正文", timeout=90_000)
            expect(wysiwyg.locator("td, th")).to_have_count(table_cells(12))
            from_doc = save()

        # 4. a bomb: refused in seconds, naming the limit, while the server keeps answering
        compose("炸弹文件")
        bomb = tmp_path / "bomb.docx"
        bomb.write_bytes(bomb_docx())
        latencies = _measured(base + "/healthz", lambda: (
            page.set_input_files("input[name=docx]", str(bomb)),
            expect(page.locator("#editor-status")).to_contain_text("段落", timeout=10_000)))
        assert latencies["took"] < 10, latencies
        assert max(latencies["each"]) < 0.2, latencies
        browser.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors

    published = _approved_and_published(app, clock, [i for i in (pasted, from_docx, from_doc) if i])
    expected = {pasted: PASTED_CELLS, from_docx: table_cells(), from_doc: table_cells(12)}
    for item_id in published:
        title = app.store.get_item(item_id)["title"]
        portal = next(a for a in cms.emulator.live_articles() if a["title"] == title)
        post = next(p for p in wp.emulator.posts.values() if title in str(p["title"]))
        short = app.store.get_item(item_id)["channel_options"]["wechat"]["title"]
        article = next(a for a in wechat.emulator.live_articles() if a.news_item[0]["title"] == short)
        entry = _feed_entry(feed, title)
        bodies = {"portal": portal["content"], "wordpress": str(post["content"]),
                  "wechat": article.news_item[0]["content"], "feed": entry}
        for channel, body in bodies.items():
            assert cells(body) == expected[item_id], (item_id, channel, cells(body))
            assert "<img" in body, (item_id, channel)
        assert "border:1px solid" in bodies["wechat"] and "mmbiz.qpic.cn" in bodies["wechat"]
    print(f"\nhealthz during the bomb: {max(latencies['each']) * 1000:.0f} ms at most, refused in "
          f"{latencies['took']:.1f} s")


def _measured(url: str, action) -> dict:
    """Poll ``url`` every 20 ms while ``action`` runs: each answer's time, and how long the action took."""
    each: list[float] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            started = time.monotonic()
            with urllib.request.urlopen(url, timeout=5) as r:
                r.read()
            each.append(time.monotonic() - started)
            done.wait(0.02)

    for _ in range(3):  # warm: the first answers open the database connection
        urllib.request.urlopen(url, timeout=5).read()
    thread = threading.Thread(target=poll)
    thread.start()
    started = time.monotonic()
    try:
        action()
    finally:
        took = time.monotonic() - started
        done.set()
        thread.join()
    return {"each": each, "took": took}


def _approved_and_published(app, clock, ids: list[int]) -> list[int]:
    from datetime import timedelta

    from publisher.accounts.users import get_user, actor_from_row
    from publisher.delivery.dispatcher import Dispatcher
    from publisher.review import workflow as review

    editor = actor_from_row(get_user(app.store, "editor1"))
    for item_id in ids:
        review.submit(app, editor, item_id)
        for name in ("rev1", "rev2", "appr1"):
            review.approve(app, actor_from_row(get_user(app.store, name)), item_id, comment="同意")
    for _ in range(30):
        Dispatcher(app).run_due()
        deliveries = [d for i in ids for d in app.store.get_item(i)["deliveries"]]
        if all(d["status"] == "published" for d in deliveries):
            return ids
        waiting = [d["next_attempt_at"] for d in deliveries if d["status"] != "published" and d["next_attempt_at"]]
        if waiting:
            clock.set(min(waiting).replace(tzinfo=clock.now().tzinfo) + timedelta(seconds=1))
    raise AssertionError([(d["channel"], d["status"], d.get("last_error")) for d in deliveries])


def _feed_entry(feed: Path, title: str) -> str:
    from lxml import etree

    root = etree.parse(str(feed))
    for item in root.iter("item"):
        if item.findtext("title") == title:
            return item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded") or item.findtext("description")
    raise AssertionError(f"{title} not in the feed")

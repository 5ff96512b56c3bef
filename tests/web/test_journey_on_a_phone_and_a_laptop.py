"""The main journey in a real browser, once at 1366×768 and once on a phone (390×844): an editor composes an item
for the sandbox's website, WeChat and feed and submits it; three reviewers approve it in turn (on the phone with
the bar at the bottom of the screen, after reading the full-width previews); it is published on every channel;
an approver retracts it. No page on the way is wider than the screen.

``pytest -m slow tests/web/test_journey_on_a_phone_and_a_laptop.py`` also writes the phone's screenshots for the
README into docs/screenshots/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from console_browser import DESKTOP, PHONE, STEP_USERS, needs_chromium, page_width
from console_browser import browser, site  # noqa: F401  (module fixtures)

pytestmark = needs_chromium
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
BODY = "<p>根据《城镇住房保障家庭租赁补贴管理办法》，现将2019年第三批申请家庭的审核结果予以公示。</p>" \
       "<p>公示期为2019年6月3日至6月9日。如有异议，请在公示期内向我局住房保障科反映。</p>"



def fits(page, viewport) -> None:
    width = page_width(page)
    assert width <= viewport["width"], f"{page.url} is {width} px wide on a {viewport['width']} px screen"


def shoot(page, shots: Path | None, name: str, at: str | None = None) -> None:
    """What the phone's screen shows (scrolled to ``at``), as docs/screenshots/phone-NAME.png."""
    if shots is not None:
        if at:
            page.locator(at).first.scroll_into_view_if_needed()
            page.evaluate("window.scrollBy(0, -60)")
        page.screenshot(path=str(shots / f"phone-{name}.png"))


def compose(site, browser, viewport, title: str, shots: Path | None) -> str:
    """The editor composes and submits ``title``; returns the item's URL."""
    from playwright.sync_api import expect

    editor = browser.page("editor1", viewport)
    editor.goto(site.base + "/")
    fits(editor, viewport)
    shoot(editor, shots, "dashboard")
    if viewport is PHONE:  # the menu folds behind its button on a phone
        expect(editor.locator("#menu")).to_be_hidden()
        editor.click(".menu-button")
        expect(editor.locator("#menu a[href='/compose']")).to_be_visible()
        editor.click("#menu a[href='/compose']")
    else:
        editor.click("nav a[href='/compose']")
    editor.fill("input[name=title]", title)
    editor.select_option("select[name=category]", "公示公告")
    editor.locator(".jodit-wysiwyg").wait_for()  # the body goes into the editor, as pasted HTML would
    editor.evaluate("html => { Object.values(Jodit.instances)[0].value = html; }", BODY)
    for channel in ("website", "wechat", "feed"):
        editor.check(f"input[name=channels][value={channel}]")
    editor.fill("input[name='short_title.wechat']", "第三批租赁补贴审核结果公示")
    fits(editor, viewport)
    shoot(editor, shots, "compose", at="input[name=title]")
    save = editor.locator("button:has-text('保存为草稿')")
    save.scroll_into_view_if_needed()
    assert save.bounding_box()["x"] + save.bounding_box()["width"] <= viewport["width"]
    save.click()
    expect(editor.locator(".notice")).to_contain_text("已保存为草稿")
    fits(editor, viewport)
    editor.click("button:has-text('提交审核')")
    expect(editor.locator(".notice")).to_contain_text("已提交审核")
    return editor.url.split("?")[0]


def approve_all(site, browser, viewport, item_url: str, shots: Path | None) -> object:
    """初审, 复审 and 终审 by three users; returns the last one's page."""
    from playwright.sync_api import expect

    for name, step in STEP_USERS:
        page = browser.page(name, viewport)
        page.goto(item_url)
        fits(page, viewport)
        previews = page.locator(".previews iframe")
        expect(previews).to_have_count(3)
        for n in range(3):
            expect(page.frame_locator(".previews iframe").nth(n).locator("h1").first).to_be_visible()
        page.fill("form#approve input[name=comment]", "同意")
        if viewport is PHONE:  # full-width previews; WeChat's at a phone's own width; the decision at the thumb
            boxes = [previews.nth(n).bounding_box() for n in range(3)]
            assert all(box["width"] >= viewport["width"] - 60 for box in boxes)
            bar = page.locator(".decide-bar button[form=approve]")
            expect(bar).to_be_visible()
            box = bar.bounding_box()
            assert box["y"] + box["height"] <= viewport["height"] and box["height"] >= 40
            if name == "rev2":
                shoot(page, shots, "review", at="figure.pv-wechat")
            bar.click()
        else:  # WeChat's preview is as wide as a phone (375 px) on a laptop too
            assert 370 <= page.locator("figure.pv-wechat iframe").bounding_box()["width"] <= 376
            page.click(f"form#approve button:has-text('通过（{step}）')")
        expect(page.locator(".notice")).to_contain_text("已通过")
        fits(page, viewport)
    return page


def publish(site, item_id: int) -> None:
    from publisher.delivery.dispatcher import Dispatcher

    for _ in range(30):  # the daemon's part, in-process
        Dispatcher(site.app).run_due()
        states = {d["channel"]: d["status"] for d in site.app.store.get_item(item_id)["deliveries"]}
        if set(states.values()) == {"published"}:
            return
        site.clock.advance(timedelta(minutes=5))
    raise AssertionError(states)


def journey(site, browser, viewport, title: str, shots: Path | None = None) -> None:
    from playwright.sync_api import expect

    item_url = compose(site, browser, viewport, title, shots)
    item_id = int(item_url.rsplit("/", 1)[1])
    approver = approve_all(site, browser, viewport, item_url, shots)
    publish(site, item_id)
    assert any(a["title"] == title for a in site.cms.emulator.live_articles())
    assert title in site.feed.read_text(encoding="utf-8")
    approver.goto(item_url)
    expect(approver.locator(".st-published")).to_have_count(3)
    fits(approver, viewport)
    shoot(approver, shots, "item")
    approver.click("#retract a:has-text('在所有渠道撤回')")
    expect(approver.locator("ul.retract-channels")).to_contain_text("微信公众号")
    fits(approver, viewport)
    approver.fill("#retract-confirm input[name=reason]", "名单需更正")
    approver.click("button:has-text('确认在以上 3 个渠道撤回')")
    expect(approver.locator(".notice")).to_contain_text("已撤回")
    fits(approver, viewport)
    publish_retractions(site)
    assert {d["status"] for d in site.app.store.get_item(item_id)["deliveries"]} == {"retracted"}
    assert not any(a["title"] == title for a in site.cms.emulator.live_articles())


def publish_retractions(site) -> None:
    from publisher.delivery.dispatcher import Dispatcher

    Dispatcher(site.app).run_due()


def test_the_journey_from_compose_to_retraction_on_a_laptop(site, browser):
    journey(site, browser, DESKTOP, "关于2019年第三批租赁补贴资格审核结果的公示（电脑）")


def test_the_journey_from_compose_to_retraction_on_a_phone(site, browser):
    journey(site, browser, PHONE, "关于2019年第三批租赁补贴资格审核结果的公示（手机）")


@pytest.mark.slow
def test_phone_screenshots_for_the_readme(site, browser):
    """Writes docs/screenshots/phone-*.png (login, 工作台, compose, review with previews, item page)."""
    page = browser.browser.new_page(viewport=PHONE, device_scale_factor=2)
    page.goto(site.base + "/login")
    page.screenshot(path=str(DOCS_SHOTS / "phone-login.png"))
    page.close()
    journey(site, browser, PHONE, "关于2019年第三批租赁补贴资格审核结果的公示", shots=DOCS_SHOTS)

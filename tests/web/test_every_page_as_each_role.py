"""Every console page, as each role, on a phone (390×844) and at 1366×768: no page is wider than the screen, axe
finds no serious or critical violation, and no English word shows outside the allow-list (product and format
names such as WeChat, RSS, PDF; URLs)."""

from __future__ import annotations

import pytest

from console_browser import (DESKTOP, PHONE, ROLES, axe_violations, english_words, needs_chromium,
                             page_width, record, VISIBLE_TEXT)
from console_browser import browser, site  # noqa: F401  (module fixtures)

pytestmark = needs_chromium



def pages_of(site, role: str) -> list[str]:
    """The pages a user of ``role`` reaches from the menu, the items they open and a page they may not see."""
    items = site.items
    paths = ["/", "/compose", "/review", "/review?all=1", "/items", "/items?q=%E5%85%AC%E7%A4%BA",
             "/calendar?month=2019-06", "/calendar?view=week&day=2019-06-10", "/tally?year=2019", "/audit",
             "/reposts", "/channels", "/registers", "/inspection", "/notifications", "/items/999999"]
    paths += [f"/items/{items[k]}" for k in ("draft", "waiting", "rejected", "finding", "published", "retracted",
                                             "failed")]
    if role == "editor":
        paths += [f"/items/{items['draft']}/edit", f"/items/{items['published']}/edit"]
    paths.append(f"/items/{items['published']}/retract")
    return paths + ["/users"]  # the admin's page; a refusal page for the others


def visit(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("load")


@pytest.fixture(scope="module")
def measured(site, browser):
    """What each role's pages showed (each page visited once a width): ``{"width", "axe", "english"}`` lists."""
    cache: dict[str, dict[str, list[str]]] = {}

    def measure(role: str) -> dict[str, list[str]]:
        if role not in cache:
            cache[role] = found = {"width": [], "axe": [], "english": []}
            for viewport in (PHONE, DESKTOP):
                page = browser.page(ROLES[role], viewport)
                for path in pages_of(site, role):
                    visit(page, site.base + path)
                    width = page_width(page)
                    if width > viewport["width"]:
                        found["width"].append(f"{path} at {viewport['width']}: {width} px")
                    if viewport is PHONE:
                        found["axe"] += [f"{path}: {v['id']} ×{v['count']} {v['where']}" for v in axe_violations(page)]
                        found["english"] += [f"{path}: {w}" for w in english_words(page.evaluate(VISIBLE_TEXT))]
            for kind, items in found.items():
                record(kind, role, items)
        return cache[role]
    return measure


@pytest.mark.parametrize("role", list(ROLES))
def test_no_page_is_wider_than_a_phone_or_a_laptop_screen(measured, role):
    assert measured(role)["width"] == []


@pytest.mark.parametrize("role", list(ROLES))
def test_axe_finds_no_serious_violation_on_any_page(measured, role):
    assert measured(role)["axe"] == []


@pytest.mark.parametrize("role", list(ROLES))
def test_no_english_word_shows_on_any_page(measured, role):
    assert sorted(set(measured(role)["english"])) == []


def test_the_login_page_fits_a_phone_and_passes_axe(site, browser):
    page = browser.browser.new_page(viewport=PHONE, bypass_csp=True)
    try:
        visit(page, site.base + "/login")
        assert page_width(page) <= PHONE["width"]
        assert axe_violations(page) == []
        assert english_words(page.evaluate(VISIBLE_TEXT)) == []
    finally:
        page.close()

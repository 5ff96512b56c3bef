"""The registers in the console: an editor decides a pending appeal once in a real browser and the report counts it
once; the page lists deadlines marked 「节假日安排未知」; pausing a clock and deciding follow the CLI's rules (role,
office, CSRF, no future dates, once), each change an audit event."""

from __future__ import annotations

import os
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from console_helpers import PASSWORD, add_staff, cheap_hashing, csrf_of, login, serving
from publisher.foundation.clock import SimulatedClock
from publisher.foundation.workdays import HolidayFile, use_holidays

CHROMIUM = os.environ.get("PUBLISHER_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def clock() -> SimulatedClock:
    """7 December 2026, 10:00 in Shanghai: 2027's holiday arrangement is not published yet."""
    return SimulatedClock(datetime(2026, 12, 7, 2, 0, tzinfo=timezone.utc))


@pytest.fixture
def office(make_app, sqlite_url, monkeypatch):
    """An office with staff, one pending appeal (filed 2025) and one application received on 4 December 2026."""
    from publisher.report.registers.appeals import Appeal, AppealRegister
    from publisher.report.registers.applications import Application, ApplicationRegister

    cheap_hashing(monkeypatch)
    use_holidays(HolidayFile())  # the package's data only: it ends with 2026
    app = make_app(sqlite_url, {"website": {"type": "cms", "display_name": "测试网站平台", "base_url": "http://127.0.0.1:9",
                                            "auth_token": "test-cms-token"}})  # never called
    add_staff(app)
    [appeal] = AppealRegister(app.store).add_many([Appeal(None, "行政复议", date(2025, 11, 2), reference="复〔2025〕7号")])
    application = ApplicationRegister(app.store).add(Application(None, date(2026, 12, 4), "自然人", subject="拆迁补偿"))
    return app, appeal, application


def _table4(app, year: int) -> dict[str, int]:
    from publisher.report.build import build_report

    [row] = [r for r in build_report(app.store, app.config, year, appendix=False)["tables"]["四"]["rows"]
             if r["label"] == "行政复议"]
    return row["values"]


def _events(app, kind: str) -> list[dict]:
    from sqlalchemy import select

    from publisher.db.engine import reading
    from publisher.db.schema import events

    with reading(app.store.engine) as conn:
        return [dict(r) for r in conn.execute(select(events).where(events.c.kind == kind)).mappings()]


@pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"), reason="Chromium is not installed")
def test_an_appeal_decided_once_in_the_browser_is_counted_once(office):
    from playwright.sync_api import expect, sync_playwright

    from publisher.web import create_app

    app, appeal, _application = office
    assert _table4(app, 2025)["尚未审结"] == 1
    with serving(create_app(app)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_context(locale="zh-CN").new_page()
        page.goto(base + "/login")
        page.fill("input[name=name]", "editor1")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('登录')")
        page.click("nav a:has-text('申请与复议')")
        row = page.locator(f"tr[data-appeal='{appeal}']")
        expect(row.locator("td.result")).to_have_text("尚未审结")
        expect(page.locator("tr[data-application] td.due")).to_contain_text("节假日安排未知")
        stale = page.content()  # the form as a second tab would still show it
        row.locator("select[name=result]").select_option("纠正")
        row.locator("input[name=on]").fill("2026-03-02")
        row.locator("button:has-text('登记结果')").click()
        expect(page.locator(".notice")).to_contain_text("结果纠正")
        expect(row.locator("td.result")).to_have_text("结果纠正（2026-03-02）")
        expect(row.locator("form")).to_have_count(0)  # decided: nothing left to decide
        page.set_content(stale.replace('action="/registers', f'action="{base}/registers'))
        page.locator(f"tr[data-appeal='{appeal}'] input[name=on]").fill("2026-04-01")
        page.locator(f"tr[data-appeal='{appeal}'] button:has-text('登记结果')").click()
        expect(page.locator("p.error")).to_contain_text("结果只登记一次")
        browser.close()
    assert _table4(app, 2026)["结果纠正"] == 1 and _table4(app, 2026)["总计"] == 1
    assert _table4(app, 2025)["尚未审结"] == 1  # still pending at the end of 2025
    [event] = _events(app, "appeal_decided")
    assert event["actor"] == "editor1" and event["office"] == "default"


def _client(app, name: str):
    from fastapi.testclient import TestClient

    from publisher.web import create_app

    client = TestClient(create_app(app))
    assert login(client, name).status_code == 303
    return client


def test_only_editors_and_admins_of_the_office_change_the_registers(office):
    app, appeal, application = office
    reviewer = _client(app, "rev1")
    page = reviewer.get("/registers")
    assert page.status_code == 200 and "复〔2025〕7号" in page.text and "登记结果" not in page.text
    refused = reviewer.post(f"/registers/appeals/{appeal}/decide",
                            data={"csrf_token": csrf_of(reviewer, "/registers"), "result": "维持", "on": "2026-01-05"})
    assert refused.status_code == 403 and "只有编辑和管理员" in refused.text
    stranger = _client(app, "other")  # an editor of another office
    assert "复〔2025〕7号" not in stranger.get("/registers").text
    hidden = stranger.post(f"/registers/applications/{application}/pause",
                           data={"csrf_token": csrf_of(stranger, "/registers"), "reason": "补正", "from": "2026-12-05"})
    assert hidden.status_code == 404
    editor = _client(app, "editor1")
    forged = editor.post(f"/registers/appeals/{appeal}/decide", data={"result": "维持", "on": "2026-01-05"})
    assert forged.status_code == 403 and "CSRF" in forged.text
    assert _events(app, "appeal_decided") == [] and _events(app, "application_paused") == []


def test_a_pause_from_the_console_stops_the_clock_with_the_clis_rules(office):
    app, _appeal, application = office
    editor = _client(app, "editor1")
    token = csrf_of(editor, "/registers")

    def pause(**fields):
        return editor.post(f"/registers/applications/{application}/pause", data={"csrf_token": token, **fields},
                           follow_redirects=False)

    future = pause(reason="第三方", **{"from": "2026-12-08"})
    assert future.status_code == 422 and "2026-12-08" in future.text and "将来" in future.text
    assert pause(reason="休假", **{"from": "2026-12-05"}).status_code == 422
    assert pause(reason="第三方", **{"from": "2026-12-04"}).status_code == 303
    paused = editor.get("/registers").text
    assert "计时暂停中" in paused and "第三方暂停 2026-12-04 至 今" in paused
    ended = pause(reason="第三方", **{"from": "2026-12-04", "to": "2026-12-07"})
    assert ended.status_code == 303 and "%E8%8A%82%E5%81%87%E6%97%A5%E5%AE%89%E6%8E%92%E6%9C%AA%E7%9F%A5" in ended.headers[
        "location"]  # the notice's new deadline is marked 节假日安排未知 too
    [a] = [a for a in app_applications(app) if a.id == application]
    assert a.due_on is not None and a.due_on > date(2027, 1, 4)  # the paused working days do not count
    assert "节假日安排未知" in editor.get("/registers").text
    assert [e["actor"] for e in _events(app, "application_paused")] == ["editor1", "editor1"]


def app_applications(app):
    from publisher.report.registers.applications import ApplicationRegister

    return ApplicationRegister(app.store).all()

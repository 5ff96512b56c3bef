"""The console's pages and its session security, through the ASGI app (Starlette's TestClient)."""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from console_helpers import PASSWORD, add_staff, cheap_hashing, csrf_of, login
from publisher.db.engine import reading
from publisher.db.schema import events

LONG_TITLE = "关于公布二〇一九年第二批城镇住房保障家庭租赁补贴资格审核结果及有关事项的公示"  # > 32 characters


def channels(tmp_path) -> dict:
    return {
        "website": {"type": "cms", "display_name": "测试网站平台", "base_url": "http://127.0.0.1:9", "auth_token": "t"},
        "wechat": {"type": "wechat", "display_name": "微信公众号", "api_base": "http://127.0.0.1:9", "appid": "wx1",
                   "secret": "s", "cover_color": "#1f4e8c"},
        "feed": {"type": "rss", "display_name": "RSS", "output": str(tmp_path / "feed.xml"),
                 "site_url": "http://127.0.0.1:9", "count_in_report": False},
    }


@pytest.fixture
def app(make_app, sqlite_url, tmp_path, monkeypatch):
    cheap_hashing(monkeypatch)
    app = make_app(sqlite_url, channels(tmp_path), routing={"default": ["website", "feed"]}, review={"enabled": True})
    add_staff(app)
    return app


@pytest.fixture
def client(app):
    from publisher.web import create_app

    def make(name: str | None = None) -> TestClient:
        c = TestClient(create_app(app))
        if name:
            assert login(c, name).status_code == 303
        return c
    return make


def compose(c, **fields):
    data = {"csrf_token": csrf_of(c, "/compose"), "title": "关于住房保障资格审核结果的公示", "category": "公示公告",
            "body": "<p>公示内容。</p>", "at": "2019-06-01T12:00", **fields}
    files = fields.pop("files", None)
    data.pop("files", None)
    return c.post("/compose", data=data, files=files, follow_redirects=False)


def test_pages_need_a_login_and_answer_in_chinese_after_it(client):
    anonymous = client()
    r = anonymous.get("/items", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    c = client("editor1")
    for path in ("/", "/compose", "/items", "/calendar", "/review", "/tally", "/audit"):
        r = c.get(path)
        assert r.status_code == 200, path
        assert "工作台" in r.text and 'lang="zh-CN"' in r.text


def test_pages_are_never_kept_and_the_consoles_own_files_are_kept_and_checked_again(client):
    c = client("editor1")
    assert c.get("/items").headers["cache-control"] == "no-store"
    script = c.get("/static/console.js")
    assert script.status_code == 200 and script.headers["cache-control"] == "no-cache"
    again = c.get("/static/console.js", headers={"If-None-Match": script.headers["etag"]})
    assert again.status_code == 304 and again.content == b""  # unchanged: the browser uses what it kept


def test_every_page_has_a_csp_without_inline_script(client):
    c = client("editor1")
    for path in ("/", "/compose", "/login"):
        r = c.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", r.text), path  # only same-origin script files
        assert r.headers["x-content-type-options"] == "nosniff"


def test_session_cookie_is_httponly_and_samesite(app):
    from publisher.web import create_app

    c = TestClient(create_app(app, secure_cookies=True), base_url="https://testserver")
    r = login(c, "editor1")
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie


def test_a_session_survives_a_console_restart_and_only_its_hash_is_stored(app):
    from publisher.db.schema import console_sessions
    from publisher.web import create_app

    first = TestClient(create_app(app))
    assert login(first, "editor1").status_code == 303
    cookie = first.cookies.get("publisher_session")
    restarted = TestClient(create_app(app))  # a new console process on the same database
    restarted.cookies.set("publisher_session", cookie)
    assert restarted.get("/", follow_redirects=False).status_code == 200
    with reading(app.store.engine) as conn:
        stored = [tuple(r) for r in conn.execute(select(console_sessions))]
    assert len(stored) == 1 and not any(cookie in str(value) for value in stored[0])
    restarted.post("/logout", data={"csrf_token": csrf_of(restarted)})
    assert first.get("/", follow_redirects=False).status_code == 303  # logged out everywhere


def test_a_form_without_the_csrf_token_is_refused(client, app):
    c = client("editor1")
    r = c.post("/compose", data={"title": "无令牌", "category": "公示公告", "body": "x"}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    r = c.post("/api/items", json={"title": "无令牌", "category": "公示公告"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf"
    ok = c.post("/api/items", json={"title": "带令牌", "category": "公示公告"},
                headers={"X-CSRF-Token": csrf_of(c)})
    assert ok.status_code == 201


def test_a_script_title_is_shown_as_text_everywhere(client):
    c = client("editor1")
    r = compose(c, title="<script>alert('x')</script>公示")
    assert r.status_code == 303
    item_page = c.get(r.headers["location"])
    queue_page = c.get("/items")
    for page in (item_page, queue_page, c.get("/")):
        assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(" in item_page.text and "&lt;script&gt;alert(" in queue_page.text


def test_an_account_is_locked_after_repeated_failures_and_it_is_logged(client, app):
    c = client()
    for _ in range(4):
        assert login(c, "rev1", "wrong password!").status_code == 401
    r = login(c, "rev1", "wrong password!")
    assert r.status_code == 429 and "锁定" in r.text
    assert login(c, "rev1", PASSWORD).status_code == 429  # even the right password, while locked
    with reading(app.store.engine) as conn:
        kinds = list(conn.execute(select(events.c.kind).where(events.c.actor == "rev1")).scalars())
    assert kinds.count("login_failed") == 4 and "login_locked" in kinds and "login_refused" in kinds
    app.clock.advance(16 * 60)
    assert login(c, "rev1", PASSWORD).status_code == 303


def test_an_address_with_failures_across_accounts_is_slowed_not_locked(client, app, monkeypatch):
    waits = []
    monkeypatch.setattr("publisher.web.security.pause", waits.append)
    c = client()
    for n in range(20):
        login(c, f"nobody{n}", "wrong password!")
    assert not waits
    assert login(c, "editor1", PASSWORD).status_code == 303  # one office behind NAT keeps working
    assert waits == [2.0]


def test_logout_ends_the_session(client):
    c = client("editor1")
    r = c.post("/logout", data={"csrf_token": csrf_of(c)}, follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/", follow_redirects=False).status_code == 303


def test_a_docx_upload_becomes_the_sanitised_body(client, app):
    from docx import Document

    doc = Document()
    doc.add_paragraph("关于住房保障资格审核结果的公示正文第一段。")
    doc.add_paragraph("<script>alert(1)</script>第二段。")
    buf = io.BytesIO()
    doc.save(buf)
    c = client("editor1")
    r = compose(c, body="", files={"docx": ("公示.docx", buf.getvalue(),
                                            "application/vnd.openxmlformats-officedocument.wordprocessingml.document")})
    assert r.status_code == 303
    item_id = int(r.headers["location"].split("?")[0].rsplit("/", 1)[1])
    body = app.store.get_item(item_id)["body_html"]
    assert "正文第一段" in body and "<script>" not in body


def test_a_wechat_title_over_the_limit_is_named_and_a_short_title_fixes_it(client):
    c = client("editor1")
    r = compose(c, title=LONG_TITLE, channels=["website", "wechat"])
    assert r.status_code == 422 and "32" in r.text and "wechat" in r.text
    assert LONG_TITLE in r.text  # the form keeps what the editor typed
    r = compose(c, title=LONG_TITLE, channels=["website", "wechat"], **{"short_title.wechat": "租赁补贴资格审核结果公示"})
    assert r.status_code == 303


def test_live_check_reports_each_channels_limits(client):
    c = client("editor1")
    r = c.post("/api/check", json={"title": LONG_TITLE, "category": "公示公告", "body": "<p>x</p>",
                                   "channels": ["wechat", "website"]}, headers={"X-CSRF-Token": csrf_of(c)})
    assert r.status_code == 200
    assert any("32" in p for p in r.json()["channels"]["wechat"]) and r.json()["channels"]["website"] == []
    assert r.json()["findings"] == []


def test_live_check_shows_the_gates_findings_as_the_editor_types(client):
    c = client("editor1")
    r = c.post("/api/check", json={"title": "名单公示", "category": "公示公告",
                                   "body": "<p>张三 320623198503121233</p><p>秘密★1年</p>"},
               headers={"X-CSRF-Token": csrf_of(c)})
    found = {(f["label"], f["where"]) for f in r.json()["findings"]}
    assert found == {("身份证号", "line 1"), ("密级标志", "line 2")}
    assert "320623198503121233" not in r.text  # excerpts are masked


def test_review_in_the_console_four_people_and_the_diff_after_an_edit(client, app):
    editor = client("editor1")
    r = compose(editor)
    item = r.headers["location"].split("?")[0]
    editor.post(item + "/submit", data={"csrf_token": csrf_of(editor)})
    own = editor.post(item + "/approve", data={"csrf_token": csrf_of(editor)}, follow_redirects=True)
    assert "未完成" in own.text and "规则：角色权限" in own.text  # the console names the rule, in Chinese
    for name in ("rev1", "rev2"):
        c = client(name)
        assert "待我审核" in c.get("/").text
        c.post(item + "/approve", data={"csrf_token": csrf_of(c), "comment": "同意"})
    page = editor.get(item)
    assert "等待终审" in page.text
    editor.post(item + "/edit", data={"csrf_token": csrf_of(editor), "title": "关于住房保障资格审核结果的公示（更正）",
                                       "category": "公示公告", "body": "<p>公示内容已更正。</p>",
                                       "at": "2019-06-01T12:00", "channels": ["website", "feed"]})
    page = client("rev1").get(item)
    assert "等待初审" in page.text and "以来的修改" in page.text and "（更正）" in page.text
    c = client("appr1")
    c.post(item + "/reject", data={"csrf_token": csrf_of(c), "comment": "请重写"})
    assert "请重写" in client("editor1").get(item).text


def test_another_offices_item_is_not_found(client):
    c = client("editor1")
    item = compose(c).headers["location"].split("?")[0]
    other = client("other")
    assert other.get(item).status_code == 404
    assert other.get(f"/api/items/{item.rsplit('/', 1)[1]}").status_code == 404
    assert "关于住房保障资格审核结果的公示" not in other.get("/items").text


def test_preview_is_sandboxed_with_its_own_strict_policy(client):
    c = client("editor1")
    item = compose(c, channels=["website", "wechat"]).headers["location"].split("?")[0]
    page = c.get(item)
    assert 'sandbox=""' in page.text and f'src="{item}/preview/wechat"' in page.text
    preview = c.get(item + "/preview/wechat")
    assert "sandbox" in preview.headers["content-security-policy"]
    assert "script-src" not in preview.headers["content-security-policy"]


def test_users_page_is_for_admins_only(client):
    assert client("editor1").get("/users").status_code == 403
    admin = client("admin1")
    assert admin.get("/users").status_code == 200
    r = admin.post("/users", data={"csrf_token": csrf_of(admin, "/users"), "action": "add", "name": "rev3",
                                   "role": "reviewer", "password": "Another good password 2"}, follow_redirects=False)
    assert r.status_code == 303
    assert login(client(), "rev3", "Another good password 2").status_code == 303
    admin.post("/users", data={"csrf_token": csrf_of(admin, "/users"), "action": "disable", "name": "rev1"})
    assert login(client(), "rev1").status_code == 401


def test_a_disabled_users_session_stops_working(client):
    c = client("rev2")
    admin = client("admin1")
    admin.post("/users", data={"csrf_token": csrf_of(admin, "/users"), "action": "disable", "name": "rev2"})
    assert c.get("/", follow_redirects=False).status_code == 303


def test_queue_page_shows_the_total_and_pages(client, app):
    from publisher.items.intake import ItemRequest, queue_one
    from publisher.accounts.users import actor_from_row, get_user

    editor = actor_from_row(get_user(app.store, "editor1"))
    for n in range(55):
        queue_one(app, ItemRequest(title=f"工作动态第{n}期", category="其他", body="x"), actor=editor)
    c = client("editor1")
    page = c.get("/items")
    assert "共 <b>55</b> 条" in page.text and "下一页" in page.text
    assert "共 <b>1</b> 条" in c.get("/items?q=第54期").text


def test_login_never_redirects_off_site(client):
    c = client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    for target in ("//evil.example/", "/\\evil.example", "https://evil.example/"):
        r = c.post("/login", data={"name": "editor1", "password": PASSWORD, "csrf_token": token, "next": target},
                   follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/"
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)


def test_compose_takes_the_records_catalogue_data_and_names_a_wrong_field(client, app):
    editor = client("editor1")
    wrong = compose(editor, doc_no="东住建〔2019〕12号", written_on="2019-02-30")
    assert wrong.status_code == 422 and "written_on" in wrong.text and "东住建〔2019〕12号" in wrong.text  # kept
    saved = compose(editor, doc_no="东住建〔2019〕12号", written_on="2019-05-20", genre="规范性文件",
                    subject="城乡建设、环境保护", disclosure="主动公开")
    assert saved.status_code == 303
    item = app.store.get_item(int(re.search(r"/items/(\d+)", saved.headers["location"]).group(1)))
    assert (item["doc_no"], item["written_on"].isoformat(), item["genre"], item["subject"]) == (
        "东住建〔2019〕12号", "2019-05-20", "规范性文件", "城乡建设、环境保护")
    page = editor.get("/compose")
    assert "信息公开目录" in page.text and re.search(r"<option\s*>规范性文件</option>", page.text)

"""The editor's server side, through the ASGI app: pictures into the content store and back, documents into the
body, attachments kept across a refused save, the compose page's policy, and each channel's preview of a table."""

from __future__ import annotations

import base64
import re

import pytest
from fastapi.testclient import TestClient

from console_helpers import add_staff, cheap_hashing, csrf_of, login
from document_samples import NOTICE_TITLE, gongshi_docx, png, table_cells

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def app(make_app, sqlite_url, tmp_path, monkeypatch):
    cheap_hashing(monkeypatch)
    app = make_app(sqlite_url, {
        "website": {"type": "cms", "display_name": "测试网站平台", "base_url": "http://127.0.0.1:9", "auth_token": "t"},
        "wechat": {"type": "wechat", "display_name": "微信公众号", "api_base": "http://127.0.0.1:9", "appid": "wx1",
                   "secret": "s", "cover_color": "#1f4e8c"},
        "feed": {"type": "rss", "display_name": "RSS", "output": str(tmp_path / "feed.xml"),
                 "site_url": "http://127.0.0.1:9", "count_in_report": False},
    }, routing={"default": ["website", "feed"]}, review={"enabled": True})
    add_staff(app)
    return app


@pytest.fixture
def editor(app):
    from publisher.web import create_app

    c = TestClient(create_app(app))
    assert login(c, "editor1").status_code == 303
    return c


def post_form(c, path: str, data: dict, files=None):
    return c.post(path, data={"csrf_token": csrf_of(c, "/compose"), "category": "公示公告", "at": "2019-06-01T12:00",
                              **data}, files=files, follow_redirects=False)


def item_of(response) -> int:
    assert response.status_code == 303, response.text[:2000]
    return int(response.headers["location"].split("?")[0].rsplit("/", 1)[1])


def test_a_picture_goes_into_the_content_store_and_is_served_back(editor, app):
    token = csrf_of(editor, "/compose")
    r = editor.post("/api/uploads/images", files={"file": ("图.png", png(), "image/png")},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.text
    url, sha = r.json()["url"], r.json()["sha256"]
    assert url == f"/api/uploads/images/{sha}"
    assert editor.get(url).content == png()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    refused = editor.post("/api/uploads/images", files={"file": ("x.svg", svg, "image/svg+xml")},
                          headers={"X-CSRF-Token": token})
    assert refused.status_code == 422 and "JPEG" in refused.json()["error"]["message"]
    assert editor.post("/api/uploads/images", files={"file": ("图.png", png(), "image/png")}).status_code == 403


def test_a_document_is_converted_for_the_editor_with_its_pictures_stored(editor):
    r = editor.post("/api/uploads/documents", files={"file": ("公示.docx", gongshi_docx(), DOCX)},
                    data={"title": NOTICE_TITLE}, headers={"X-CSRF-Token": csrf_of(editor, "/compose")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["title_dropped"] and body["images"] == 1
    assert len(re.findall(r"<t[dh][\s>]", body["body"])) == table_cells()
    src = re.search(r'src="(/api/uploads/images/[0-9a-f]{64})"', body["body"]).group(1)
    assert editor.get(src).status_code == 200


def test_an_old_format_without_libreoffice_is_refused_naming_the_package(editor, monkeypatch):
    from publisher.items.documents import legacy

    monkeypatch.setattr(legacy, "soffice", lambda: None)
    r = editor.post("/api/uploads/documents", files={"file": ("旧.doc", b"\xd0\xcf\x11\xe0", "application/msword")},
                    headers={"X-CSRF-Token": csrf_of(editor, "/compose")})
    assert r.status_code == 422
    assert "libreoffice-writer-nogui" in r.json()["error"]["message"] and r.json()["error"]["field"] == "docx"


def test_the_saved_body_holds_its_pictures_as_the_items_inline_images(editor, app):
    token = csrf_of(editor, "/compose")
    stored = editor.post("/api/uploads/images", files={"file": ("图.png", png((0, 90, 0)), "image/png")},
                         headers={"X-CSRF-Token": token}).json()
    pasted = "data:image/png;base64," + base64.b64encode(png((0, 0, 200))).decode()
    body = (f'<p>公示如下。</p><p><img src="{stored["url"]}"></p><p><img src="{pasted}"></p>'
            '<p><img src="/etc/publisher/secret.png"></p><p><img src="file:///C:/clip_image001.png"></p>')
    item_id = item_of(post_form(editor, "/compose", {"title": "关于图片的公示", "body": body}))
    item = app.store.get_item(item_id)
    inline = [a for a in item["attachments"] if a["inline"]]
    assert len(inline) == 2
    assert re.findall(r'src="attachment:([0-9a-f]{64})"', item["body_html"]) == [a["sha256"] for a in inline]
    assert "secret" not in item["body_html"] and "file:" not in item["body_html"]
    edit = editor.get(f"/items/{item_id}/edit").text  # the editor shows them from the content store
    assert f'/api/uploads/images/{inline[0]["sha256"]}' in edit


def test_attachments_are_kept_across_a_refused_save(editor, app):
    refused = post_form(editor, "/compose", {"title": "", "body": "<p>见附件。</p>"},
                        files={"attach": ("名单.csv", "序号,姓名\n1,张某\n".encode(), "text/csv")})
    assert refused.status_code == 422
    assert "已附加" in refused.text and "名单.csv" in refused.text
    token = re.search(r'name="kept_attach" value="([^"]+)"', refused.text).group(1)
    item_id = item_of(post_form(editor, "/compose", {"title": "关于名单的公示", "body": "<p>见附件。</p>",
                                                      "kept_attach": token}))
    attached = [a for a in app.store.get_item(item_id)["attachments"] if not a["inline"]]
    assert [a["filename"] for a in attached] == ["名单.csv"]
    forged = token[:-4] + "0000"
    item_id = item_of(post_form(editor, "/compose", {"title": "关于另一名单的公示", "body": "<p>见附件。</p>",
                                                      "kept_attach": forged}))
    assert not [a for a in app.store.get_item(item_id)["attachments"] if not a["inline"]]


def test_the_compose_page_lets_style_attributes_through_and_nothing_else(editor):
    policy = editor.get("/compose").headers["content-security-policy"]
    assert "style-src-attr 'unsafe-inline'" in policy
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy
    assert "style-src-attr" not in editor.get("/items").headers["content-security-policy"]


def test_each_channels_preview_shows_the_table_as_that_channel_will(editor, app):
    body = ('<table><tr><th colspan="2">家庭情况</th></tr><tr><td>张某</td><td>3人</td></tr></table>')
    item_id = item_of(post_form(editor, "/compose", {"title": "关于表格的公示", "body": body,
                                                      "channels": ["website", "wechat", "feed"],
                                                      "short_title.wechat": "表格公示"}))
    for channel in ("website", "wechat", "feed"):
        page = editor.get(f"/items/{item_id}/preview/{channel}").text
        assert len(re.findall(r"<t[dh][\s>]", page)) == 3, channel
        assert 'colspan="2"' in page
    assert 'style="border:1px solid' in editor.get(f"/items/{item_id}/preview/wechat").text


def test_an_edit_keeps_the_pictures_and_the_api_takes_uploaded_ones(editor, app):
    token = csrf_of(editor, "/compose")
    stored = editor.post("/api/uploads/images", files={"file": ("图.png", png((9, 9, 9)), "image/png")},
                         headers={"X-CSRF-Token": token}).json()
    body = f'<p>图：<img src="{stored["url"]}"></p>'
    item_id = item_of(post_form(editor, "/compose", {"title": "关于图片的公示", "body": body}))
    shown = editor.get(f"/items/{item_id}/edit").text
    body = re.search(r'<textarea name="body" id="body" rows="12">(.*?)</textarea>', shown, re.S).group(1)
    import html as html_module

    edited = html_module.unescape(body).replace("图：", "现场图：")
    r = editor.post(f"/items/{item_id}/edit", data={"csrf_token": token, "title": "关于图片的公示", "category": "公示公告",
                                                    "at": "2019-06-01T12:00", "body": edited}, follow_redirects=False)
    assert r.status_code == 303, r.text[:3000]
    item = app.store.get_item(item_id)
    assert "现场图" in item["body_html"] and f'src="attachment:{stored["sha256"]}"' in item["body_html"]
    assert [a["sha256"] for a in item["attachments"] if a["inline"]] == [stored["sha256"]]

    r = editor.post("/api/items", json={"title": "经接口提交的图片", "category": "公示公告",
                                        "body": f'<p><img src="{stored["url"]}"></p>'}, headers={"X-CSRF-Token": token})
    assert r.status_code == 201, r.text
    assert f'attachment:{stored["sha256"]}' in app.store.get_item(r.json()["id"])["body_html"]


def test_the_live_check_takes_an_uploaded_picture_as_the_items_own(editor):
    token = csrf_of(editor, "/compose")
    stored = editor.post("/api/uploads/images", files={"file": ("图.png", png(), "image/png")},
                         headers={"X-CSRF-Token": token}).json()
    r = editor.post("/api/check", json={"title": "关于图片的公示", "category": "公示公告", "channels": ["wechat"],
                                        "body": f'<p>图：<img src="{stored["url"]}"></p>'}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["channels"]["wechat"] == []

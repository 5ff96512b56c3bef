"""Input edges answered by name, never by a 500: numbers past 64 bits, uploaded names like ``..``, invisible and
text-direction characters in titles."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from console_helpers import add_staff, cheap_hashing, csrf_of, login
from publisher.foundation.filenames import safe_filename


@pytest.fixture
def client(make_app, sqlite_url, tmp_path, monkeypatch):
    cheap_hashing(monkeypatch)
    app = make_app(sqlite_url, {"feed": {"type": "rss", "output": str(tmp_path / "f.xml"), "site_url": "http://x.cn"}})
    add_staff(app)
    from publisher.web import create_app

    c = TestClient(create_app(app), raise_server_exceptions=False)
    assert login(c, "editor1").status_code == 303
    return c


@pytest.mark.parametrize("query", ["offset=99999999999999999999", "offset=9223372036854775808",
                                   "item=99999999999999999999", "limit=99999999999999999999"])
def test_a_number_too_large_for_the_database_is_a_named_422(client, query):
    r = client.get(f"/api/audit?{query}")
    assert r.status_code == 422 and r.json()["error"]["field"] == query.split("=")[0]


@pytest.mark.parametrize("name", ["..", "../../etc/passwd", "a\x00b.txt", "\u202etxt.exe", "..\\..\\boot.ini"])
def test_an_uploaded_file_name_is_normalised_not_a_500(client, name):
    data = {"csrf_token": csrf_of(client, "/compose"), "title": "关于住房保障资格审核结果的公示", "category": "公示公告",
            "body": "<p>公示内容。</p>", "at": "2019-06-01T12:00"}
    r = client.post("/compose", data=data, files={"attach": (name, b"hello", "text/plain")}, follow_redirects=False)
    assert r.status_code in (303, 422), r.text[:300]


@pytest.mark.parametrize("title", ["关于\u202e示公的果结\u202c", "公\u200b示", "\ufeff公示", "公示\u2066名单\u2069"])
def test_a_title_with_invisible_or_direction_characters_is_refused_by_name(client, title):
    r = client.post("/api/items", json={"title": title, "category": "公示公告", "body": "<p>x</p>"},
                    headers={"X-CSRF-Token": csrf_of(client)})
    assert r.status_code in (400, 422), r.text
    assert "U+" in r.json()["error"]["message"]


@pytest.mark.parametrize("given, safe", [
    ("..", "attachment"), ("../../etc/passwd", "passwd"), ("C:\\Users\\x\\名单.xlsx", "名单.xlsx"),
    ("a\x00b.txt", "ab.txt"), ("\u202etxt.exe", "txt.exe"), (".hidden", "hidden"), ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
])
def test_file_names_lose_folders_dots_and_hidden_characters(given, safe):
    assert safe_filename(given) == safe

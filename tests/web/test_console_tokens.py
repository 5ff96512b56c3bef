"""The console's user page issues a token once (on the page, never in a URL), lists the office's tokens without
them, and revokes one; another office's tokens are neither listed nor revocable."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from console_helpers import add_staff, cheap_hashing, csrf_of, login
from publisher.accounts.users import list_tokens, new_token, user_for_token


@pytest.fixture
def admin(make_app, sqlite_url, tmp_path, monkeypatch):
    cheap_hashing(monkeypatch)
    app = make_app(sqlite_url, {"feed": {"type": "rss", "output": str(tmp_path / "f.xml"), "site_url": "http://x.cn"}})
    add_staff(app)
    from publisher.web import create_app

    c = TestClient(create_app(app))
    assert login(c, "admin1").status_code == 303
    return app, c


def test_a_token_is_shown_once_listed_without_itself_and_revoked(admin):
    app, c = admin
    r = c.post("/users", data={"csrf_token": csrf_of(c, "/users"), "action": "token", "name": "editor1",
                               "label": "同步脚本", "expires": "30"}, follow_redirects=False)
    assert r.status_code == 200
    token = re.search(r"<code[^>]*>(pub_[^<]+)</code>", r.text).group(1)
    assert user_for_token(app.store, token).name == "editor1"
    page = c.get("/users").text
    assert "同步脚本" in page and token not in page
    [row] = list_tokens(app.store, "editor1")
    assert row["expires_at"] is not None
    c.post("/users", data={"csrf_token": csrf_of(c, "/users"), "action": "revoke", "token_id": str(row["id"])})
    assert user_for_token(app.store, token) is None


def test_another_offices_token_is_neither_listed_nor_revoked(admin):
    app, c = admin
    theirs = new_token(app.store, "other", actor="test", label="海门脚本")
    assert "海门脚本" not in c.get("/users").text
    token_id = list_tokens(app.store, "other")[0]["id"]
    r = c.post("/users", data={"csrf_token": csrf_of(c, "/users"), "action": "revoke", "token_id": str(token_id)})
    assert r.status_code == 422
    assert user_for_token(app.store, theirs).name == "other"
    big = c.post("/users", data={"csrf_token": csrf_of(c, "/users"), "action": "revoke", "token_id": "9" * 5000})
    assert big.status_code == 422

"""A password change ends the user's other sessions; API tokens are named, listed, expire, record their last use
and can be revoked one by one — by the library, the CLI and the API alike."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from conftest import run_cli, write_config
from console_helpers import cheap_hashing
from publisher.accounts.users import actor_from_row, add_user, get_user, list_tokens, new_token, revoke_token, set_password, user_for_token
from publisher.web.security import Sessions

GOOD = "Hunter2-Pa55"


@pytest.fixture
def app(make_app, db_url, tmp_path, monkeypatch):
    cheap_hashing(monkeypatch)
    app = make_app(db_url, {"feed": {"type": "rss", "output": str(tmp_path / "f.xml"), "site_url": "http://x.cn"}})
    add_user(app.store, "zhang", "editor", "default", password=GOOD, created_by="test")
    return app


@pytest.mark.parametrize("by", ["zhang", "admin", "cli"])
def test_a_password_change_ends_the_users_other_sessions(app, by):
    sessions = Sessions(app.store.engine, timedelta(hours=8))
    now = app.clock.now()
    zhang = actor_from_row(get_user(app.store, "zhang", "default"))
    mine, _ = sessions.open(zhang, now)
    other, _ = sessions.open(zhang, now)
    keep = None
    if by == "zhang":  # the user, from the session ``mine``
        import hashlib
        keep = hashlib.sha256(mine.encode()).hexdigest()
    set_password(app.store, "zhang", "Another-Pa55word", actor=by, keep_session=keep)
    assert sessions.get(other, now) is None
    assert (sessions.get(mine, now) is not None) is (by == "zhang")


def test_a_token_is_named_listed_records_its_use_and_expires(app):
    token = new_token(app.store, "zhang", actor="test", label="网站同步脚本", expires_days=30)
    [row] = list_tokens(app.store, "zhang")
    assert row["name"] == "网站同步脚本" and row["last_used_at"] is None
    assert row["expires_at"] == app.clock.now() + timedelta(days=30)
    assert user_for_token(app.store, token).name == "zhang"
    assert list_tokens(app.store, "zhang")[0]["last_used_at"] == app.clock.now()
    app.clock.advance(timedelta(days=30, seconds=1))
    assert user_for_token(app.store, token) is None


def test_one_token_is_revoked_the_others_still_work(app):
    first = new_token(app.store, "zhang", actor="test", label="a")
    second = new_token(app.store, "zhang", actor="test", label="b")
    first_id = next(r["id"] for r in list_tokens(app.store, "zhang") if r["name"] == "a")
    assert revoke_token(app.store, first_id, actor="test")
    assert user_for_token(app.store, first) is None
    assert user_for_token(app.store, second).name == "zhang"


def test_the_cli_issues_lists_and_revokes_tokens(tmp_path, monkeypatch):
    cheap_hashing(monkeypatch)
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'p.db'}",
                          {"feed": {"type": "rss", "output": str(tmp_path / "f.xml"), "site_url": "http://x.cn"}})
    assert run_cli(config, "user", "add", "zhang", "--role", "admin").exit_code == 0
    issued = run_cli(config, "--as", "zhang", "user", "token", "zhang", "--name", "脚本", "--expires", "7", "--json")
    assert issued.exit_code == 0, issued.output
    shown = json.loads(issued.stdout)
    assert shown["token"].startswith("pub_") and shown["name"] == "脚本" and shown["expires_at"]
    listed = run_cli(config, "--as", "zhang", "user", "tokens", "zhang", "--json")
    [row] = json.loads(listed.stdout)
    assert row["id"] == shown["id"] and "token" not in row and row["revoked_at"] is None
    assert run_cli(config, "--as", "zhang", "user", "revoke-token", str(row["id"])).exit_code == 0
    assert json.loads(run_cli(config, "--as", "zhang", "user", "tokens", "zhang", "--json").stdout)[0]["revoked_at"]
    missing = run_cli(config, "--as", "zhang", "user", "revoke-token", "99999999999999999999")
    assert missing.exit_code == 2 and "Traceback" not in missing.output


def test_tokens_expire_after_the_configured_days_by_default(tmp_path, monkeypatch):
    cheap_hashing(monkeypatch)
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'p.db'}",
                          {"feed": {"type": "rss", "output": str(tmp_path / "f.xml"), "site_url": "http://x.cn"}},
                          console={"token_days": 30})
    run_cli(config, "user", "add", "zhang", "--role", "admin")
    shown = json.loads(run_cli(config, "--as", "zhang", "user", "token", "zhang", "--json").stdout)
    assert shown["expires_at"] is not None


@pytest.mark.parametrize("password, rule", [
    ("aaaaaaaaaa", "at least 3"), ("          ", "only spaces"), ("Short-1", "at least 10"),
    ("Zhang-2019-abc", "user name"), ("lowercase only here", "at least 3"),
])
def test_a_weak_password_is_refused_by_name(tmp_path, password, rule):
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'p.db'}",
                          {"feed": {"type": "rss", "output": str(tmp_path / "f.xml"), "site_url": "http://x.cn"}})
    from click.testing import CliRunner

    from publisher.cli.main import main

    result = CliRunner().invoke(main, ["--config", str(config), "user", "add", "zhang", "--role", "admin",
                                       "--password-stdin"], input=password + "\n",
                                env={"PUBLISHER_CONFIG": None, "PUBLISHER_LANG": "en"})
    assert result.exit_code == 2, result.output
    assert rule in result.stderr and "password" in result.stderr


def test_a_new_offices_first_admin_is_added_from_the_operators_shell_only(tmp_path, monkeypatch):
    cheap_hashing(monkeypatch)
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'p.db'}",
                          {"feed": {"type": "rss", "output": str(tmp_path / "f.xml"), "site_url": "http://x.cn"}})
    assert run_cli(config, "user", "add", "boss", "--role", "admin").exit_code == 0
    assert run_cli(config, "user", "add", "hm_admin", "--role", "admin", "--office", "haimen").exit_code == 0
    assert run_cli(config, "user", "add", "hm_second", "--role", "admin", "--office", "haimen").exit_code == 3
    assert run_cli(config, "--as", "boss", "user", "add", "x", "--role", "admin", "--office", "qidong").exit_code == 3

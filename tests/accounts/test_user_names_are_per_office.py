"""User names are unique per office, not overall: two offices may each have a `zhang`, each logs in, acts and holds
tokens as their own; one office's admin cannot find out which names another office uses; a new office's first admin
comes from the operator's shell; a database of revision 0012 upgrades with its users and sessions."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, text

from conftest import run_cli, write_config
from console_helpers import PASSWORD, cheap_hashing, csrf_of, login
from publisher.accounts.users import add_user, get_user, list_tokens, new_token, user_for_token

def feed(tmp_path) -> dict:
    return {"feed": {"type": "rss", "output": str(tmp_path / "f.xml"), "site_url": "http://x.cn"}}


@pytest.fixture
def app(make_app, db_url, tmp_path, monkeypatch):
    """Offices `east` (admin `li`, editor `zhang`) and `west` (admin `wang`, editor `zhang`, editor `zhao`)."""
    cheap_hashing(monkeypatch)
    app = make_app(db_url, feed(tmp_path), office={"name": "东区住建局", "code": "east"})
    for name, role, office in (("li", "admin", "east"), ("zhang", "editor", "east"), ("wang", "admin", "west"),
                               ("zhang", "editor", "west"), ("zhao", "editor", "west")):
        add_user(app.store, name, role, office, display_name=f"{name}@{office}", password=PASSWORD, created_by="t")
    return app


def _console(app) -> TestClient:
    from publisher.web import create_app

    return TestClient(create_app(app))


def test_two_offices_each_with_a_zhang_log_in_independently(app):
    east, west = _console(app), _console(app)
    form = east.get("/login").text
    assert 'name="office" value="east"' in form and "单位代码" in form  # two offices: a field, pre-filled
    assert 'name="office" value="west"' in east.get("/login?office=west").text  # a bookmarkable office
    assert login(east, "zhang", office="east").status_code == 303
    assert login(west, "zhang", office="west").status_code == 303
    assert east.get("/api/me").json()["office"] == "east" and west.get("/api/me").json()["office"] == "west"
    assert login(_console(app), "zhang", "Wrong-Pa55word", office="west").status_code == 401
    assert login(_console(app), "zhang", office="north").status_code == 401  # no such office: the same answer
    west_token = new_token(app.store, "zhang", actor="t", office="west")
    assert user_for_token(app.store, west_token).office == "west"
    # a password change of east's zhang ends east's sessions only
    from publisher.accounts.users import set_password

    set_password(app.store, "zhang", "Another-Pa55word", actor="li", office="east")
    assert east.get("/api/me").status_code == 401 and west.get("/api/me").status_code == 200


def test_one_office_hides_the_office_field(make_app, sqlite_url, tmp_path, monkeypatch):
    cheap_hashing(monkeypatch)
    app = make_app(sqlite_url, feed(tmp_path))
    add_user(app.store, "zhang", "admin", "default", password=PASSWORD, created_by="t")
    page = _console(app).get("/login").text
    assert '<input type="hidden" name="office" value="default">' in page and "单位代码" not in page


def test_the_cli_acts_as_the_zhang_of_the_office_it_is_told(app, db_url, tmp_path):
    config = app.config.path
    here = run_cli(config, "--as", "zhang", "queue", "add", "--title", "东区通知", "--category", "其他",
                   "--body", "<p>x</p>")
    assert here.exit_code == 0, here.output  # the configuration's office (east) is the default
    assert "东区通知" in run_cli(config, "--as", "zhang", "queue", "list", "--json").output
    there = run_cli(config, "--as", "zhang", "--office", "west", "queue", "list", "--json")
    assert there.exit_code == 0 and "东区通知" not in there.output  # west's zhang sees west's items only
    (tmp_path / "north").mkdir()
    config_elsewhere = write_config(tmp_path / "north", db_url, feed(tmp_path),
                                    office={"name": "北区", "code": "north"})
    ambiguous = run_cli(config_elsewhere, "--as", "zhang", "user", "list")
    assert ambiguous.exit_code == 2 and "--office" in ambiguous.output
    assert run_cli(config_elsewhere, "--as", "zhao", "user", "list").exit_code == 0  # one office has a zhao


def _timed(client, path: str, data: dict) -> tuple[int, str, float]:
    start = time.perf_counter()
    r = client.post(path, data=data, follow_redirects=False)
    error = re.search(r'class="error" role="alert">([^<]*)<', r.text)
    return r.status_code, error.group(1) if error else "", time.perf_counter() - start


def _median(answers: list) -> float:
    return sorted(took for _status, _error, took in answers)[len(answers) // 2]


def test_an_admin_cannot_tell_whether_another_office_has_a_name(app):
    admin = _console(app)
    assert login(admin, "li", office="east").status_code == 303
    answers: dict[tuple[str, str], list] = {}
    for action in ("disable", "password", "token"):
        for attempt in range(10):  # interleaved, the first one a warm-up: the other test processes load the cores
            for name in ("zhao", "nobody"):  # zhao exists in west only
                status, error, took = _timed(admin, "/users", {"csrf_token": csrf_of(admin, "/users"),
                                                               "action": action, "name": name,
                                                               "password": "Brand-new-Pa55"})
                answers.setdefault((name, action), []).append((status, error.replace(name, "NAME"), took))
    for action in ("disable", "password", "token"):
        known, unknown = answers["zhao", action][1:], answers["nobody", action][1:]
        assert {a[:2] for a in known} == {a[:2] for a in unknown} and known[0][0] == 422, (known[0], unknown[0])
        fast, slow = sorted((_median(known), _median(unknown)))
        assert slow < 10 * fast, (action, fast, slow)
    added = _timed(admin, "/users", {"csrf_token": csrf_of(admin, "/users"), "action": "add", "name": "zhao",
                                     "role": "editor", "password": "Dongqu-Pa55word"})
    assert added[0] == 303, added  # west's zhao does not stand in east's way
    assert get_user(app.store, "zhao", "west")["disabled"] is False


def test_the_cli_admin_cannot_tell_either(app):
    config = app.config.path
    known = run_cli(config, "--as", "li", "user", "disable", "zhao")
    unknown = run_cli(config, "--as", "li", "user", "disable", "nobody")
    assert known.exit_code == unknown.exit_code == 2
    assert known.output.replace("zhao", "NAME") == unknown.output.replace("nobody", "NAME")
    new_token(app.store, "zhao", actor="t", office="west")
    token_id = list_tokens(app.store, "zhao", "west")[0]["id"]
    revoke = run_cli(config, "--as", "li", "user", "revoke-token", str(token_id))
    missing = run_cli(config, "--as", "li", "user", "revoke-token", "999")
    assert revoke.exit_code == missing.exit_code == 2
    assert revoke.output.replace(str(token_id), "ID") == missing.output.replace("999", "ID")


def test_a_new_offices_first_admin_comes_from_the_operators_shell_only(app):
    config = app.config.path
    by_east_admin = run_cli(config, "--as", "li", "user", "add", "zhou", "--office", "south", "--role", "admin")
    assert by_east_admin.exit_code == 3
    first = run_cli(config, "user", "add", "zhou", "--office", "south", "--role", "admin", "--json")
    assert first.exit_code == 0 and '"office": "south"' in first.output, first.output
    second = run_cli(config, "user", "add", "wu", "--office", "south", "--role", "admin")
    assert second.exit_code == 3  # south has its admin now: it adds its own users
    assert run_cli(config, "--as", "zhou", "--office", "south", "user", "add", "wu", "--role", "editor"
                   ).exit_code == 0


def test_a_revision_0012_database_upgrades_keeping_users_and_sessions(db_url):
    from datetime import datetime, timezone

    from publisher.db.engine import make_engine
    from publisher.db.migrations import migrate, downgrade
    from publisher.db.schema import console_sessions, users

    engine = make_engine(db_url)
    downgrade(engine, "0012")
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (name, display_name, role, office, disabled, failed_logins, created_at,"
                          " created_by) VALUES ('zhang', '', 'admin', 'east', false, 0, :t, 't')"), {"t": now})
        conn.execute(text("INSERT INTO console_sessions (id_sha256, user_name, csrf, expires_at, created_at) "
                          "VALUES ('s1', 'zhang', 'c', :t, :t)"), {"t": now})
    migrate(engine)
    try:
        with engine.begin() as conn:
            zhang = conn.execute(select(users.c.id).where(users.c.name == "zhang")).scalar()
            assert conn.execute(select(console_sessions.c.user_id)).scalar() == zhang
            conn.execute(insert(users).values(name="zhang", display_name="", role="editor", office="west",
                                              disabled=False, failed_logins=0, created_at=now, created_by="t"))
        with pytest.raises(Exception), engine.begin() as conn:  # still one zhang per office
            conn.execute(insert(users).values(name="zhang", display_name="", role="editor", office="west",
                                              disabled=False, failed_logins=0, created_at=now, created_by="t"))
    finally:
        engine.dispose()

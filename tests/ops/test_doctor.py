"""publisher doctor: each check passes on a working installation and fails — with what to do — when its
precondition is taken away."""

from __future__ import annotations

import json
import socket
from datetime import date, datetime, timedelta, timezone

import pytest

from conftest import cms_block, run_cli, write_config
from publisher.ops import doctor


def _config(tmp_path, url, channels=None):
    feed = {"feed": {"type": "rss", "output": str(tmp_path / "public" / "rss.xml"), "site_url": "http://127.0.0.1/"}}
    return write_config(tmp_path, url, channels or feed)


def _by_name(config_path) -> dict:
    return {c.name: c for c in doctor.run_checks(str(config_path))}


@pytest.fixture
def healthy(monkeypatch):
    """The machine's own libraries, fonts and dates replaced by ones that pass, so each test takes one away."""
    monkeypatch.setattr(doctor, "find_library", lambda name: f"lib{name}.so")
    monkeypatch.setattr(doctor, "fonts", lambda: "Noto Sans CJK SC")
    monkeypatch.setattr(doctor, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(doctor, "today", lambda: date(2024, 6, 1))


def test_a_working_installation_passes_every_check(tmp_path, db_url, healthy):
    config = _config(tmp_path, db_url)
    assert run_cli(config, "queue", "list").exit_code == 0  # creates the database
    result = run_cli(config, "doctor", "--json")
    data = json.loads(result.output)
    assert result.exit_code == 0 and data["ok"], result.output
    names = {c["name"] for c in data["checks"]}
    assert {"python", "config", "database", "channel:feed", "pdf", "libreoffice", "holidays",
            "permissions:attachments", "clock"} <= names
    assert all(c["status"] == "ok" for c in data["checks"]), data


def test_an_old_python_fails_with_what_to_install():
    check = doctor.check_python((3, 8, 18))
    assert check.status == "fail" and "3.8.18" in check.verdict and "3.11" in check.fix


def test_a_broken_configuration_fails_and_exits_1(tmp_path, healthy):
    config = tmp_path / "config.yaml"
    config.write_text("office: {name: 1\n", encoding="utf-8")
    result = run_cli(config, "doctor")
    assert result.exit_code == 1 and "[FAIL] config" in result.output and "check-config" in result.output


def test_an_unreachable_database_fails(tmp_path, healthy):
    config = _config(tmp_path, "postgresql+psycopg://nobody@127.0.0.1:1/none")
    check = _by_name(config)["database"]
    assert check.status == "fail" and "does not answer" in check.verdict and "database.url" in check.fix


def test_an_old_schema_fails_and_says_to_migrate(tmp_path, db_url, healthy):
    from publisher.db.engine import make_engine
    from publisher.db.migrations import downgrade

    config = _config(tmp_path, db_url)
    assert run_cli(config, "queue", "list").exit_code == 0
    engine = make_engine(db_url, migrate_schema=False)
    downgrade(engine, "0009")
    engine.dispose()
    check = _by_name(config)["database"]
    assert check.status == "fail" and "0009" in check.verdict and "publisher migrate" in check.fix


def test_unset_channel_secrets_fail_and_name_the_variable(tmp_path, sqlite_url, healthy, monkeypatch):
    monkeypatch.delenv("DOCTOR_TEST_TOKEN", raising=False)
    config = _config(tmp_path, sqlite_url, {"website": {"type": "cms", "base_url": "http://127.0.0.1:9",
                                                        "auth_token": "${DOCTOR_TEST_TOKEN}"}})
    check = _by_name(config)["channel:website"]
    assert check.status == "fail" and "DOCTOR_TEST_TOKEN" in check.verdict


def test_an_unreachable_channel_fails_and_a_reachable_one_passes(tmp_path, sqlite_url, healthy, cms_server):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    down = dict(cms_block(cms_server), base_url=f"http://127.0.0.1:{closed}")
    config = _config(tmp_path, sqlite_url, {"up": cms_block(cms_server), "down": down})
    checks = _by_name(config)
    assert checks["channel:up"].status == "ok"
    assert checks["channel:down"].status == "fail" and f"127.0.0.1:{closed}" in checks["channel:down"].verdict


def test_missing_pango_or_chinese_font_fails_the_pdf_check(healthy, monkeypatch):
    monkeypatch.setattr(doctor, "find_library", lambda name: None if name == "pango-1.0" else "lib.so")
    check = doctor.check_pdf()
    assert check.status == "fail" and "pango-1.0" in check.verdict and "Pango" in check.fix
    monkeypatch.setattr(doctor, "find_library", lambda name: "lib.so")
    monkeypatch.setattr(doctor, "fonts", lambda: "")
    check = doctor.check_pdf()
    assert check.status == "fail" and "Chinese font" in check.verdict


def test_missing_libreoffice_is_a_warning_that_names_what_still_works(healthy, monkeypatch):
    monkeypatch.setattr(doctor, "which", lambda name: None)
    check = doctor.check_libreoffice()
    assert check.status == "warn" and ".docx" in check.verdict


def test_a_holiday_calendar_without_next_year_fails(healthy, monkeypatch):
    monkeypatch.setattr(doctor, "today", lambda: date(2090, 3, 1))
    check = doctor.check_holidays()
    assert check.status == "fail" and "2091" in check.verdict and "chinese-calendar" in check.fix


def test_unwritable_folders_and_a_world_writable_config_fail(tmp_path, sqlite_url, healthy, monkeypatch):
    config = _config(tmp_path, sqlite_url)
    config.chmod(0o666)
    monkeypatch.setattr(doctor, "can_write", lambda folder: False)
    checks = _by_name(config)
    assert checks["permissions:attachments"].status == "fail" and "chown" in checks["permissions:attachments"].fix
    assert checks["permissions:database"].status == "fail"
    assert checks["permissions:config"].status == "fail" and "chmod 640" in checks["permissions:config"].fix


def test_a_wrong_clock_fails(tmp_path, db_url, healthy, monkeypatch):
    config = _config(tmp_path, db_url)
    monkeypatch.setattr(doctor, "utcnow", lambda: datetime(1970, 1, 1, tzinfo=timezone.utc))
    check = _by_name(config)["clock"]
    assert check.status == "fail" and "1970" in check.verdict and "chronyd" in check.fix
    if db_url.startswith("postgresql"):  # the database server's clock is the reference too
        monkeypatch.setattr(doctor, "utcnow", lambda: datetime.now(timezone.utc) + timedelta(hours=1))
        check = _by_name(config)["clock"]
        assert check.status == "fail" and "differ by" in check.verdict

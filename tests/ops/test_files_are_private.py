"""Under a umask of 022 the database, its WAL, the attachment store, backups and exports are still the owner's
alone: files 0600, folders 0700."""

from __future__ import annotations

import os
import stat

import pytest

from conftest import run_cli, write_config


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_database_wal_attachments_backup_and_report_are_owner_only(tmp_path, loose_umask):
    data = tmp_path / "data"
    config = write_config(tmp_path, f"sqlite:///{data / 'publisher.db'}", {
        "feed": {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://www.example.gov.cn"}},
        storage={"attachments": str(data / "attachments")})
    attachment = tmp_path / "名单.txt"
    attachment.write_text("公示名单", encoding="utf-8")
    queued = run_cli(config, "queue", "add", "--title", "公示", "--category", "公示公告", "--body", "<p>无</p>",
                     "--attach", str(attachment))
    assert queued.exit_code == 0, queued.output
    assert run_cli(config, "backup", str(tmp_path / "copy.db")).exit_code == 0
    assert run_cli(config, "report", "--year", "2019", "-o", str(tmp_path / "report.md")).exit_code == 0
    assert run_cli(config, "catalogue", "--year", "2019", "-o", str(tmp_path / "目录.csv")).exit_code == 0

    assert mode(data) == 0o700
    files = [data / "publisher.db", tmp_path / "copy.db", tmp_path / "report.md", tmp_path / "目录.csv"]
    files += [p for p in (data / "publisher.db-wal", data / "publisher.db-shm") if p.exists()]
    blobs = [p for p in (data / "attachments").rglob("*")]
    assert blobs
    for path in files + [p for p in blobs if p.is_file()]:
        assert mode(path) == 0o600, path
    for folder in [p for p in blobs if p.is_dir()] + [data / "attachments"]:
        assert mode(folder) == 0o700, folder

"""One backup archive holds the database and the attached files; a restore checks every file before it replaces
anything, and works on a machine that has neither the database's folder nor the attachment store yet."""

from __future__ import annotations

import shutil
import tarfile

import pytest

from conftest import run_cli, write_config


@pytest.fixture
def office(tmp_path, sqlite_url):
    return _office(tmp_path, sqlite_url)


def _office(tmp_path, db_url):
    config = write_config(tmp_path, db_url, {"feed": {"type": "rss", "output": str(tmp_path / "rss.xml"),
                                                      "site_url": "http://127.0.0.1/"}})
    sheet = tmp_path / "名单.txt"
    sheet.write_text("张三 李四\n", encoding="utf-8")
    done = run_cli(config, "queue", "add", "--title", "公示", "--category", "公示公告", "--body", "<p>x</p>",
                   "--attach", str(sheet))
    assert done.exit_code == 0, done.output
    return config


def test_the_backup_archive_holds_the_database_and_every_attached_file(tmp_path, db_url):
    office = _office(tmp_path, db_url)
    archive = tmp_path / "backup.tar.gz"
    done = run_cli(office, "backup", str(archive))
    assert done.exit_code == 0, done.output
    names = tarfile.open(archive).getnames()
    assert "manifest.json" in names and any(n.startswith("database.") for n in names)
    assert len([n for n in names if n.startswith("attachments/")]) == 1
    again = run_cli(office, "backup", str(archive))
    assert again.exit_code == 2 and "exists" in again.output

    shutil.rmtree(tmp_path / "attachments")  # a new machine: no attachment store
    restored = run_cli(office, "restore", str(archive), "--yes")
    assert restored.exit_code == 0, restored.output
    assert len([p for p in (tmp_path / "attachments").rglob("*") if p.is_file()]) == 1


def test_restore_on_a_fresh_machine_creates_the_database_folder(tmp_path, office):
    archive = tmp_path / "backup.tar.gz"
    assert run_cli(office, "backup", str(archive)).exit_code == 0
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    config = write_config(fresh, f"sqlite:///{fresh / 'var' / 'publisher.db'}", {"feed": {
        "type": "rss", "output": str(fresh / "rss.xml"), "site_url": "http://127.0.0.1/"}})
    restored = run_cli(config, "restore", str(archive), "--yes")
    assert restored.exit_code == 0, restored.output
    assert (fresh / "var" / "publisher.db").is_file()
    shown = run_cli(config, "item", "show", "1", "--json")
    assert shown.exit_code == 0 and "公示" in shown.output


def test_an_archive_missing_an_attached_file_is_refused_before_anything_is_replaced(tmp_path, office):
    archive = tmp_path / "backup.tar.gz"
    assert run_cli(office, "backup", str(archive)).exit_code == 0
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src.getmembers():
            if not member.name.startswith("attachments/"):
                dst.addfile(member, src.extractfile(member) if member.isfile() else None)
    before = (tmp_path / "publisher.db").read_bytes()
    refused = run_cli(office, "restore", str(damaged), "--yes")
    assert refused.exit_code == 2 and "missing or damaged" in refused.output
    assert (tmp_path / "publisher.db").read_bytes() == before


def test_restore_of_a_file_that_is_not_an_archive_or_database_is_a_named_error(tmp_path, office):
    junk = tmp_path / "junk.tar.gz"
    with tarfile.open(junk, "w:gz") as tar:
        tar.add(office, arcname="config.yaml")
    refused = run_cli(office, "restore", str(junk), "--yes")
    assert refused.exit_code == 2 and "not a publisher backup archive" in refused.output

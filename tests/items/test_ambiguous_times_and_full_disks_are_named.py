"""Two inputs that used to slip through: a local time the clocks pass twice (DST fall-back) is refused like one
they skip, and a full disk while storing an attachment is named as such, not as a configuration problem."""

from __future__ import annotations

import errno

from conftest import cms_block, run_cli, write_config


def _berlin_office(tmp_path, sqlite_url, cms_server):
    config = write_config(tmp_path, sqlite_url, {"cms": cms_block(cms_server)})
    config.write_text(config.read_text(encoding="utf-8").replace("Asia/Shanghai", "Europe/Berlin"), encoding="utf-8")
    return config


def test_a_time_the_clocks_pass_twice_is_refused_with_both_offsets(tmp_path, sqlite_url, cms_server):
    config = _berlin_office(tmp_path, sqlite_url, cms_server)
    result = run_cli(config, "queue", "add", "--title", "通知", "--category", "公示公告", "--body", "<p>x</p>",
                     "--at", "2019-10-27T02:30")
    assert result.exit_code == 2
    assert "happens twice" in result.stderr and "at:" in result.stderr
    assert "2019-10-27T02:30+02:00" in result.stderr and "2019-10-27T02:30+01:00" in result.stderr
    given = run_cli(config, "queue", "add", "--title", "通知", "--category", "公示公告", "--body", "<p>x</p>",
                    "--at", "2019-10-27T02:30+01:00")
    assert given.exit_code == 0, given.stderr


def test_a_full_disk_while_storing_an_attachment_is_named_and_nothing_is_queued(tmp_path, sqlite_url, cms_server,
                                                                                monkeypatch):
    config = write_config(tmp_path, sqlite_url, {"cms": cms_block(cms_server)})
    doc = tmp_path / "名单.pdf"
    doc.write_bytes(b"%PDF-1.4 list")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("publisher.items.intake.store_file", full)
    result = run_cli(config, "queue", "add", "--title", "名单公示", "--category", "公示公告", "--body", "<p>x</p>",
                     "--attach", str(doc))
    assert result.exit_code == 1
    assert "disk" in result.stderr and "full" in result.stderr and "invalid configuration" not in result.stderr
    assert "名单.pdf" in result.stderr
    listed = run_cli(config, "queue", "list", "--json")
    assert "名单公示" not in listed.output

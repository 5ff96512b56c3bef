"""Queued by the CLI, an ID number in the department, the author or a channel's own title is a finding."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli, write_config
from publisher.gate.personal import id_check_digit

ID = "32062319900101123" + id_check_digit("32062319900101123")


@pytest.mark.parametrize("flag, value, field", [
    ("--department", f"办公室{ID}", "department"),
    ("--author", f"张三{ID}", "author"),
    ("--option", f"feed.title=公示{ID}", "option:feed.title"),
])
def test_a_number_in_department_author_or_a_channel_option_is_found_at_queue_time(tmp_path, flag, value, field):
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'p.db'}", {
        "feed": {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://www.example.gov.cn"}})
    queued = run_cli(config, "queue", "add", "--title", "公示", "--category", "公示公告", "--body", "<p>无</p>",
                     flag, value, "--json")
    assert queued.exit_code == 0, queued.output
    item = json.loads(queued.stdout)["id"]
    checked = run_cli(config, "check", str(item), "--json", env={"PUBLISHER_LANG": "en"})
    assert checked.exit_code == 1, checked.output
    found = json.loads(checked.stdout)["findings"]
    assert any(f["kind"] in ("id_number", "ID number") for f in found), found

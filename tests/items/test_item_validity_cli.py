"""``item validity`` and ``queue list`` from the command line (issue 20): only an approver or an admin changes a
record's validity (exit 3 naming the rule otherwise), bad input is named (exit 2) and nothing is written; the list
shows each record's 20-working-day due date. Real SQLite and PostgreSQL, the cms emulator over HTTP."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from conftest import cms_block, run_cli, write_config
from publisher.items.catalogue import publication_due


def office_today():
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def test_validity_is_an_approvers_decision_checked_and_recorded_and_the_list_shows_the_due_date(
        tmp_path, db_url, cms_server):
    config = write_config(tmp_path, db_url, {"portal": cms_block(cms_server)})
    for name, role in (("adm", "admin"), ("ed", "editor"), ("boss", "approver")):
        assert run_cli(config, *(["--as", "adm"] if name != "adm" else []), "user", "add", name, "--role", role)\
            .exit_code == 0
    written = office_today() - timedelta(days=3)
    queued = run_cli(config, "--as", "ed", "queue", "add", "--category", "政策文件", "--title", "住房租赁管理规定",
                     "--body", "<p>第一条</p>", "--genre", "规范性文件", "--doc-no", "东住建〔2026〕5号",
                     "--written-on", written.isoformat(), "--json")
    assert queued.exit_code == 0, queued.output
    item = str(json.loads(queued.stdout)["id"])
    listed = run_cli(config, "--as", "ed", "queue", "list")
    assert publication_due(written).isoformat() in listed.stdout
    [row] = json.loads(run_cli(config, "--as", "ed", "queue", "list", "--json").stdout)
    assert row["publication_due"] == publication_due(written).isoformat() and row["publication_late"] is False
    assert run_cli(config, "run", "--once").exit_code == 0

    refused = run_cli(config, "--as", "ed", "item", "validity", item, "--set", "废止", "--on", office_today().isoformat(),
                      "--basis", "东住建〔2026〕9号")
    assert refused.exit_code == 3 and "role" in refused.stderr
    tomorrow = (office_today() + timedelta(days=1)).isoformat()
    future = run_cli(config, "--as", "boss", "item", "validity", item, "--set", "废止", "--on", tomorrow,
                     "--basis", "东住建〔2026〕9号")
    assert future.exit_code == 2 and "on" in future.stderr
    wrong = run_cli(config, "--as", "boss", "item", "validity", item, "--set", "作废", "--on", office_today().isoformat(),
                    "--basis", "x")
    assert wrong.exit_code == 2 and "set" in wrong.stderr
    shown = json.loads(run_cli(config, "--as", "ed", "item", "show", item, "--json").stdout)
    assert shown["validity"] == "有效"

    done = run_cli(config, "--as", "boss", "item", "validity", item, "--set", "废止", "--on", office_today().isoformat(),
                   "--basis", "东住建〔2026〕9号", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["updated"] == ["portal"]
    assert run_cli(config, "run", "--once").exit_code == 0
    notice = f"本文件已于{office_today().year}年{office_today().month}月{office_today().day}日废止"
    assert cms_server.emulator.live_articles()[0]["content"].startswith(
        f'<p class="validity-notice"><strong>{notice}</strong></p>')
    shown = json.loads(run_cli(config, "--as", "ed", "item", "show", item, "--json", "--events").stdout)
    assert (shown["validity"], shown["validity_basis"]) == ("废止", "东住建〔2026〕9号")
    [event] = [e for e in shown["events"] if e["kind"] == "validity_changed"]
    assert event["actor"] == "boss" and event["detail"]["previous"] == "有效"

"""The command line's share of issue 22: ``channel retry-failed NAME`` sends every dead delivery of a channel again
(refused for an editor), ``channel health`` names the trouble, ``review reschedule`` gives a late item a new time
and sends approvals back, and ``review reject`` without a reason is refused."""

from __future__ import annotations

import json

from conftest import cms_block, run_cli, write_config


def ok(config, *args):
    result = run_cli(config, *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.stdout


def test_a_channels_dead_deliveries_are_retried_in_bulk_and_health_names_them(tmp_path, sqlite_url, cms_server):
    config = write_config(tmp_path, sqlite_url, {"website": cms_block(cms_server)},
                          retry={"max_attempts": 1, "base_delay": 10, "max_delay": 600, "jitter": 0.0, "lease": "2m"})
    for name, role in (("adm", "admin"), ("ed", "editor")):
        run_cli(config, *(("--as", "adm") if name == "ed" else ()), "user", "add", name, "--role", role)
    cms_server.emulator.faults.add("status", status=503, times=2)
    ids = [ok(config, "--as", "ed", "queue", "add", "--title", f"通知{n}", "--category", "公示公告", "--json")["id"]
           for n in (1, 2)]
    run_cli(config, "run", "--once")
    health = ok(config, "--as", "adm", "channel", "health", "--json")
    assert health[0]["failing"] == 2 and health[0]["level"] == "bad"
    refused = run_cli(config, "--as", "ed", "channel", "retry-failed", "website")
    assert refused.exit_code == 3
    assert ok(config, "--as", "adm", "channel", "retry-failed", "website", "--json")["retried"] == 2
    assert run_cli(config, "run", "--once").exit_code == 0
    assert {ok(config, "item", "show", str(i), "--json")["deliveries"][0]["status"] for i in ids} == {"published"}
    assert run_cli(config, "--as", "adm", "channel", "retry-failed", "nowhere").exit_code == 2


def test_review_reschedule_and_a_rejection_without_a_reason(tmp_path, sqlite_url, cms_server):
    config = write_config(tmp_path, sqlite_url, {"website": cms_block(cms_server)}, review={"enabled": True})
    run_cli(config, "user", "add", "adm", "--role", "admin")
    for name, role in (("ed", "editor"), ("rev1", "reviewer"), ("rev2", "reviewer"), ("boss", "approver")):
        run_cli(config, "--as", "adm", "user", "add", name, "--role", role)
    item = ok(config, "--as", "ed", "queue", "add", "--title", "关于停水的通知", "--category", "公示公告",
              "--at", "2020-01-01T09:00", "--json")["id"]
    ok(config, "--as", "ed", "review", "submit", str(item))
    ok(config, "--as", "rev1", "review", "approve", str(item))
    assert ok(config, "--as", "rev2", "review", "list", "--json")[0]["late"] is True
    assert run_cli(config, "--as", "rev2", "review", "reject", str(item), "--comment", " ").exit_code == 2
    shown = ok(config, "--as", "rev2", "review", "reschedule", str(item), "--at", "2099-01-05T09:00", "--json")
    assert shown["late"] is False and shown["step"]["name"] == "初审" and shown["history"][-1]["decision"] == "restarted"

"""publisher backup / restore: a copy taken while the daemon runs restores without a single re-post."""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta

import pytest
from click.testing import CliRunner

from conftest import cms_block, write_config
from exactly_once_sites import NoDedupeCms
from publisher.runtime.app import App
from publisher.ops.backup import backup, restore
from publisher.cli.main import main
from publisher.config.load import load_config
from publisher.delivery.dispatcher import Dispatcher
from publisher.items.intake import ItemRequest, queue_one
from publisher.sandbox.server import EmulatorServer, wait_until


@pytest.fixture
def site():
    with EmulatorServer(NoDedupeCms(token="test-cms-token")) as server:
        yield server


def _statuses(app, ids):
    return [app.store.get_item(i)["deliveries"][0]["status"] for i in ids]


def test_restoring_a_copy_taken_while_the_daemon_ran_posts_nothing_twice(tmp_path, sqlite_url, site, clock):
    config_path = write_config(tmp_path, sqlite_url, {"website": cms_block(site, concurrency=2, timeout=5)})
    app = App.from_config(load_config(config_path), clock)
    ids = [queue_one(app, ItemRequest(title=f"第{i}号公告", category="公示公告", body="<p>公示</p>")) for i in range(12)]
    gate = threading.Event()
    site.emulator.faults.add("gated", gate=gate, seconds=30, path="/api/articles$", times=2)
    dispatcher = Dispatcher(app, workers=2)
    running = threading.Thread(target=dispatcher.run_due)
    running.start()
    try:
        assert wait_until(lambda: site.emulator.active == 2)  # two saves in flight, the rest queued
        copy = tmp_path / "hot-copy.db"
        backup(app.config, copy)  # the daemon is mid-run: some rows are `publishing`
    finally:
        gate.set()
        running.join(30)
    for _ in range(3):
        dispatcher.run_due()
    dispatcher.close()
    assert _statuses(app, ids) == ["published"] * len(ids)
    creates = site.emulator.create_calls
    app.close()

    marked = restore(app.config, copy, clock=clock)
    assert marked == len(ids)  # nothing was settled in the copy
    restored = App.from_config(load_config(config_path), clock)
    try:
        clock.advance(timedelta(seconds=5 + restored.config.retry.in_doubt_delay + 1))
        Dispatcher(restored).run_due()
        assert _statuses(restored, ids) == ["published"] * len(ids)
    finally:
        restored.close()
    assert site.emulator.create_calls == creates  # zero re-posts
    assert set(site.emulator.copies().values()) == {1} and len(site.emulator.copies()) == len(ids)


def test_backup_and_restore_commands(tmp_path, sqlite_url, site):
    config_path = write_config(tmp_path, sqlite_url, {"website": cms_block(site)})
    runner = CliRunner()
    base = ["--config", str(config_path)]
    assert runner.invoke(main, [*base, "queue", "add", "--title", "公告", "--category", "公示公告",
                                "--body", "<p>x</p>"]).exit_code == 0
    copy = tmp_path / "copy.db"
    done = runner.invoke(main, [*base, "backup", str(copy)])
    assert done.exit_code == 0 and copy.exists(), done.output
    again = runner.invoke(main, [*base, "backup", str(copy)])
    assert again.exit_code == 2 and "exists" in again.output
    restored = runner.invoke(main, [*base, "restore", str(copy), "--yes"])
    assert restored.exit_code == 0 and "1 unsettled deliveries will be looked up" in restored.output
    assert runner.invoke(main, [*base, "restore"]).exit_code == 2  # neither FILE nor --in-place
    assert "1 unsettled" in runner.invoke(main, [*base, "restore", "--in-place"]).output
    shown = runner.invoke(main, [*base, "item", "show", "1", "--json"])
    assert '"status": "in_doubt"' in shown.output
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    refused = runner.invoke(main, [*base, "restore", str(junk), "--yes"])
    assert refused.exit_code == 2 and "not an SQLite database" in refused.output


def test_postgresql_backup_and_restore_repost_nothing_and_keep_the_password_off_the_command_line(
        tmp_path, pg_url, site, clock, monkeypatch):
    config_path = write_config(tmp_path, pg_url, {"website": cms_block(site)})
    app = App.from_config(load_config(config_path), clock)
    ids = [queue_one(app, ItemRequest(title=f"第{i}号公告", category="公示公告", body="<p>公示</p>")) for i in range(4)]
    copy = tmp_path / "ledger.dump"
    backup(app.config, copy)  # nothing published yet: every delivery is pending in the copy
    Dispatcher(app).run_due()
    assert _statuses(app, ids) == ["published"] * len(ids)
    creates = site.emulator.create_calls
    app.close()

    marked = restore(app.config, copy, clock=clock)
    assert marked == len(ids)
    restored = App.from_config(load_config(config_path), clock)
    try:
        clock.advance(timedelta(seconds=5 + restored.config.retry.in_doubt_delay + 31))
        Dispatcher(restored).run_due()
        assert _statuses(restored, ids) == ["published"] * len(ids)
    finally:
        restored.close()
    assert site.emulator.create_calls == creates  # every delivery was looked up and found, none re-posted

    from publisher.ops import backup as backup_module
    seen = []
    monkeypatch.setattr(backup_module.subprocess, "run",
                        lambda args, **kw: seen.append((args, kw["env"])) or
                        backup_module.subprocess.CompletedProcess(args, 1, "", "could not connect"))
    with pytest.raises(Exception, match="pg_dump failed: could not connect"):
        backup(dataclasses.replace(load_config(config_path),
                                   database_url=pg_url.replace("postgres@", "postgres:s3cret-pass@")),
               tmp_path / "other.dump")
    args, env = seen[0]
    assert "s3cret-pass" not in " ".join(args) and env["PGPASSWORD"] == "s3cret-pass"
    assert not (tmp_path / "other.dump").exists()


def test_restoring_a_file_that_is_not_a_pg_dump_is_a_named_error(tmp_path, pg_url, site):
    config_path = write_config(tmp_path, pg_url, {"website": cms_block(site)})
    junk = tmp_path / "junk.dump"
    junk.write_text("not a dump")
    refused = CliRunner().invoke(main, ["--config", str(config_path), "restore", str(junk), "--yes"])
    assert refused.exit_code == 2 and "not a pg_dump archive" in refused.output

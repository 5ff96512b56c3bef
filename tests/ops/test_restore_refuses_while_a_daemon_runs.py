"""``restore`` refuses while ``publisher run`` uses the database, on SQLite (the daemon would go on using the
replaced file) and on PostgreSQL (it would go on writing into the restored schema). Once the daemon has stopped,
the same restore goes through."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from conftest import cms_block, run_cli, write_config
from publisher.sandbox.server import wait_until


def test_restore_refuses_while_a_daemon_holds_the_database_and_works_once_it_stopped(tmp_path, db_url,
                                                                                        cms_server):
    config = write_config(tmp_path, db_url, {"website": cms_block(cms_server)}, daemon={"poll_interval": 0.1})
    assert run_cli(config, "queue", "add", "--title", "通知", "--category", "公示公告", "--body", "<p>x</p>").exit_code == 0
    copy = tmp_path / "copy.db"
    assert run_cli(config, "backup", str(copy)).exit_code == 0
    daemon = subprocess.Popen([sys.executable, "-m", "publisher", "--config", str(config), "run"],
                              env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: len(cms_server.emulator.live_articles()) == 1, timeout=30)
        refused = run_cli(config, "restore", str(copy), "--yes")
        assert refused.exit_code == 3 and "daemon-running" in refused.output, refused.output
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
    assert run_cli(config, "restore", str(copy), "--yes").exit_code == 0

"""A 429 with Retry-After holds the channel for every daemon process from the moment its status line arrives: the
channel here sends the 429's headers at once and its body two seconds later, while two ``publisher run`` processes
keep four requests in flight each; no request reaches the channel after the 429 left it (on main, where the hold
was recorded after the body, requests kept arriving for those two seconds)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone

from conftest import cms_block, write_config
from publisher.config.load import load_config
from publisher.items.intake import ItemRequest, queue_one
from publisher.runtime.app import App
from publisher.sandbox.server import wait_until

WORKERS = 4
# A request another daemon began while the 429's status line was on its way can arrive a moment after it left.
IN_TRANSIT = timedelta(milliseconds=100)


def test_no_request_reaches_the_channel_after_its_429_left_with_two_daemon_processes(tmp_path, db_url, cms_server):
    config = write_config(tmp_path, db_url, {"website": cms_block(cms_server, concurrency=2 * WORKERS, timeout=5)},
                          daemon={"workers": WORKERS})
    app = App.from_config(load_config(config))
    for i in range(60):
        queue_one(app, ItemRequest(title=f"第{i}号公告", category="公示公告", body="<p>公示</p>"))
    app.close()
    emulator = cms_server.emulator
    emulator.request_clock = lambda: datetime.now(timezone.utc)
    release = threading.Event()
    # both daemons' first four requests wait at the channel, so both are mid-flight when the 429 comes
    emulator.faults.add("gated", gate=release, seconds=60, times=2 * WORKERS, path="^/api/articles$")
    stall = emulator.faults.add("status_then_stall", status=429, retry_after=60, seconds=2, path="^/api/articles$")
    emulator.faults.randomly([(1.0, {"kind": "slow", "seconds": 0.1})], path="^/api/articles$")
    daemons = [subprocess.Popen([sys.executable, "-m", "publisher", "--config", str(config), "run", "--once",
                                 "--max-time", "20"], env={**os.environ, "PYTHONUNBUFFERED": "1"},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    try:
        assert wait_until(lambda: emulator.active >= 2 * WORKERS, timeout=60), emulator.active
        release.set()
        for daemon in daemons:
            daemon.wait(timeout=60)
    finally:
        release.set()
        for daemon in daemons:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait()
    assert stall.sent_at is not None, "the 429 was never sent"
    late = [s for s in emulator.seen if s.path == "/api/articles" and s.at > stall.sent_at + IN_TRANSIT]
    assert late == [], f"{len(late)} requests reached the channel up to " \
                       f"{max(s.at for s in late) - stall.sent_at} after its 429 left"

"""The daemon as users run it: `publisher run` in its own process, stopped by SIGTERM or killed with -9."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

from conftest import cms_block, write_config

from publisher.runtime.app import App
from publisher.config.load import load_config
from publisher.items.intake import ItemRequest, queue_one
from publisher.sandbox.server import wait_until

PUBLISHER = [sys.executable, "-m", "publisher"]


def _daemon(config: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([*PUBLISHER, "--config", str(config), "run"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _config(tmp_path, db_url, server, *, lease="2m", timeout=10, in_doubt_delay=10):
    """A daemon's config. A request in doubt is looked up once it cannot be in flight any more (its ``timeout``
    plus ``in_doubt_delay`` after the lease or the stop): a test that waits for that look-up shortens both."""
    path = write_config(tmp_path, db_url, {"website": cms_block(server, timeout=timeout)},
                        daemon={"poll_interval": 0.1, "workers": 2})
    text = path.read_text(encoding="utf-8").replace("lease: 2m", f"lease: {lease}\n  in_doubt_delay: {in_doubt_delay}")
    path.write_text(text, encoding="utf-8")
    return path


class HeldCreate:
    """Holds the portal's article creation until the test releases it (instead of a timed ``slow`` fault):
    ``arrived`` is set when a create request is in, ``stored`` once the portal has stored the article."""

    def __init__(self, emulator):
        self.arrived, self.release, self.stored = threading.Event(), threading.Event(), threading.Event()
        original = emulator.dispatch

        def dispatch(request):
            if request.method == "POST" and request.path == "/api/articles":
                self.arrived.set()
                self.release.wait(timeout=60)
                try:
                    return original(request)
                finally:
                    self.stored.set()
            return original(request)

        emulator.dispatch = dispatch


class Output:
    """Reads a process's output in the background; :meth:`expect` waits for a line containing some text."""

    def __init__(self, proc: subprocess.Popen):
        self.lines: list[str] = []
        self._new: queue.Queue[str] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            self.lines.append(line)
            self._new.put(line)

    def expect(self, text: str, timeout: float = 30) -> bool:
        """Whether a line containing ``text`` arrives (or has arrived) within ``timeout`` seconds."""
        if any(text in line for line in self.lines):
            return True
        try:
            while True:
                if text in self._new.get(timeout=timeout):
                    return True
        except queue.Empty:
            return False

    def text(self) -> str:
        """Everything read (call after the process has exited)."""
        self._thread.join(timeout=10)
        return "".join(self.lines)


def _status(config: Path, item_id: int) -> str:
    app = App.from_config(load_config(config))
    try:
        return app.store.get_item(item_id)["deliveries"][0]["status"]
    finally:
        app.close()


def _queue(config: Path, title: str) -> int:
    app = App.from_config(load_config(config))
    try:
        return queue_one(app, ItemRequest(title=title, category="公示公告", body="<p>内容</p>"))
    finally:
        app.close()


def test_sigterm_stops_the_daemon_cleanly(tmp_path, db_url, cms_server):
    config = _config(tmp_path, db_url, cms_server)
    item_id = _queue(config, "关于停水的通知")
    daemon = _daemon(config)
    try:
        assert wait_until(lambda: _status(config, item_id) == "published", timeout=30)
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
    output = daemon.stdout.read()
    assert "Traceback" not in output
    assert "stopped" in output
    assert len(cms_server.emulator.live_articles()) == 1


def test_kill_9_mid_attempt_then_restart_publishes_exactly_once(tmp_path, db_url, cms_server):
    config = _config(tmp_path, db_url, cms_server, lease="2s")
    item_id = _queue(config, "关于保障性住房分配的公告")
    # The portal holds the request before storing it; the daemon is killed while it waits.
    held = HeldCreate(cms_server.emulator)
    first = _daemon(config)
    try:
        assert held.arrived.wait(timeout=30)
        assert _status(config, item_id) == "publishing"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
        held.release.set()
    # The portal stores the article after the sender died.
    assert held.stored.wait(timeout=10) and cms_server.emulator.create_calls == 1
    second = _daemon(config)
    try:
        assert wait_until(lambda: _status(config, item_id) == "published", timeout=30)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    assert len(cms_server.emulator.live_articles()) == 1
    assert cms_server.emulator.create_calls == 1  # settled by look-up after the lease ran out, not re-posted


def test_run_once_exit_codes(tmp_path, sqlite_url, cms_server):
    config = _config(tmp_path, sqlite_url, cms_server)
    _queue(config, "通知一")
    done = subprocess.run([*PUBLISHER, "--config", str(config), "run", "--once"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    cms_server.emulator.faults.add("status", status=500, path="^/api/articles$")
    _queue(config, "通知二")
    failed = subprocess.run([*PUBLISHER, "--config", str(config), "run", "--once"], capture_output=True, text=True)
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr


def test_sigterm_lets_the_in_flight_delivery_finish(tmp_path, sqlite_url, cms_server):
    config = _config(tmp_path, sqlite_url, cms_server)
    item_id = _queue(config, "关于燃气管道检修的通知")
    held = HeldCreate(cms_server.emulator)
    daemon = _daemon(config)
    output = Output(daemon)
    try:
        assert held.arrived.wait(timeout=30)
        daemon.send_signal(signal.SIGTERM)  # while the portal is still answering
        assert output.expect("received SIGTERM"), output.lines
        held.release.set()  # only now does the portal answer
        assert daemon.wait(timeout=30) == 0
    finally:
        held.release.set()
        if daemon.poll() is None:
            daemon.kill()
    assert "Traceback" not in output.text()
    assert _status(config, item_id) == "published"
    assert len(cms_server.emulator.live_articles()) == 1


def test_two_daemons_one_killed_each_item_published_exactly_once(tmp_path, pg_url, cms_server):
    config = _config(tmp_path, pg_url, cms_server, lease="2s", timeout=3, in_doubt_delay=1)
    app = App.from_config(load_config(config))
    try:
        ids = [queue_one(app, ItemRequest(title=f"第{i}期住房保障公示", category="公示公告", body="<p>名单</p>"))
               for i in range(40)]
    finally:
        app.close()
    # Every create takes a moment, so the victim is surely holding leases when it dies.
    cms_server.emulator.faults.add("slow", seconds=0.05, path="^/api/articles$", times=40)
    survivor, victim = _daemon(config), _daemon(config)
    try:
        assert wait_until(lambda: cms_server.emulator.requests_seen >= 8, timeout=30)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        assert wait_until(lambda: all(_status(config, i) == "published" for i in ids), timeout=60)
    finally:
        for proc in (survivor, victim):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
    titles = [a["title"] for a in cms_server.emulator.live_articles()]
    assert len(titles) == 40 and len(set(titles)) == 40


def test_sigterm_stops_after_shutdown_grace_and_the_held_delivery_is_settled_later(tmp_path, sqlite_url, cms_server):
    config = _config(tmp_path, sqlite_url, cms_server, lease="2s", timeout=3, in_doubt_delay=1)
    config.write_text(config.read_text(encoding="utf-8").replace("poll_interval: 0.1", "poll_interval: 0.1\n  shutdown_grace: 0.5"),
                      encoding="utf-8")
    item_id = _queue(config, "关于供水管网改造的通知")
    held = HeldCreate(cms_server.emulator)
    daemon = _daemon(config)
    output = Output(daemon)
    try:
        assert held.arrived.wait(timeout=30)
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0  # did not wait for the portal, which still holds the request
        assert "still in flight" in output.text()
        assert _status(config, item_id) == "in_doubt"  # its lease given back: looked up, never sent again blindly
    finally:
        held.release.set()
        if daemon.poll() is None:
            daemon.kill()
    assert held.stored.wait(timeout=30)
    second = _daemon(config)
    try:
        assert wait_until(lambda: _status(config, item_id) == "published", timeout=30)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    assert len(cms_server.emulator.live_articles()) == 1 and cms_server.emulator.create_calls == 1


def test_sigterm_mid_batch_gives_back_every_lease_within_the_grace(tmp_path, sqlite_url, cms_server):
    """A slow channel's batch, stopped: nothing stays leased; what was never sent is claimable at once, what was
    sent and not answered is in doubt."""
    config = _config(tmp_path, sqlite_url, cms_server, lease="5m")
    config.write_text(config.read_text(encoding="utf-8").replace(
        "poll_interval: 0.1", "poll_interval: 0.1\n  shutdown_grace: 1"), encoding="utf-8")
    ids = [_queue(config, f"第{i}期公示") for i in range(30)]
    held = HeldCreate(cms_server.emulator)
    daemon = _daemon(config)
    output = Output(daemon)
    try:
        assert held.arrived.wait(timeout=30)
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=10) == 0
    finally:
        held.release.set()
        if daemon.poll() is None:
            daemon.kill()
    assert "Traceback" not in output.text()
    app = App.from_config(load_config(config))
    try:
        rows = [app.store.get_item(i)["deliveries"][0] for i in ids]
        leased = app.store.engine.connect().exec_driver_sql(
            "SELECT count(*) FROM deliveries WHERE lease_owner IS NOT NULL").scalar()
    finally:
        app.close()
    statuses = [d["status"] for d in rows]
    assert leased == 0 and "publishing" not in statuses, statuses
    assert statuses.count("in_doubt") <= 2  # the two workers' requests held by the portal
    assert statuses.count("pending") >= 27  # claimed ahead, never sent: given back, due at once

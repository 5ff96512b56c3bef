"""A sleeping daemon publishes on time: it sleeps until the next due time and wakes when something is queued."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from conftest import cms_block, write_config

from publisher.runtime.app import App
from publisher.config.load import load_config
from publisher.daemon.service import Daemon
from publisher.items.intake import ItemRequest, queue_one
from publisher.db.schema import deliveries
from sqlalchemy import select


def _start(tmp_path, db_url, server):
    path = write_config(tmp_path, db_url, {"website": cms_block(server)}, daemon={"poll_interval": 60, "workers": 2})
    app = App.from_config(load_config(path))
    daemon = Daemon(app)
    thread = threading.Thread(target=daemon.run, kwargs={"install_signals": False})
    thread.start()
    assert daemon.passed.wait(10), "the daemon's first pass did not end"
    return path, app, daemon, thread


def _published_at(app: App) -> list[datetime]:
    with app.store.engine.connect() as conn:
        rows = conn.execute(select(deliveries.c.published_at).where(deliveries.c.status == "published")).scalars()
        return [r if r.tzinfo else r.replace(tzinfo=timezone.utc) for r in rows]


def test_item_queued_by_another_process_while_the_daemon_sleeps_is_published_at_once(tmp_path, db_url, cms_server):
    path, app, daemon, thread = _start(tmp_path, db_url, cms_server)
    other = App.from_config(load_config(path))  # its own engine: the signal crosses as it would between processes
    try:
        daemon.passed.clear()
        queued = datetime.now(timezone.utc)
        queue_one(other, ItemRequest(title="立即发布", category="公示公告", body="<p>正文</p>"))
        # the poll interval is 60 s: only the wake-up can end the daemon's sleep within this wait (a pass that
        # was already ending when the item came may end first: wait for the passes until it is out)
        deadline = queued + timedelta(seconds=10)
        while not _published_at(app) and datetime.now(timezone.utc) < deadline:
            assert daemon.passed.wait(10), "the daemon slept on"
            daemon.passed.clear()
        published = _published_at(app)
        assert len(published) == 1 and published[0] - queued < timedelta(seconds=5)
    finally:
        daemon.stop()
        thread.join()
        other.close()
        app.close()


def test_daemon_wakes_at_the_next_due_time_not_the_poll_interval(tmp_path, sqlite_url, cms_server):
    path, app, daemon, thread = _start(tmp_path, sqlite_url, cms_server)
    try:
        due = datetime.now(timezone.utc) + timedelta(seconds=1.5)
        queue_one(app, ItemRequest(title="定时发布", category="公示公告", body="<p>正文</p>", at=due.isoformat()))
        deadline = due + timedelta(seconds=10)
        while not _published_at(app) and datetime.now(timezone.utc) < deadline:
            daemon.passed.clear()
            daemon.passed.wait(10)
        published = _published_at(app)
        assert published, "not published although its time came (the poll interval is 60 s)"
        assert published[0] - due < timedelta(seconds=0.5)
    finally:
        daemon.stop()
        thread.join()
        app.close()

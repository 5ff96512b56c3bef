"""Emulator variants for the exactly-once proofs: a CMS that does not deduplicate, counted per delivery key."""

from __future__ import annotations

from collections import Counter

from channels.cms.emulator import CmsEmulator


class NoDedupeCms(CmsEmulator):
    """A CMS that stores the request id but never refuses a second create with it (as many real ones do)."""

    def _create(self, request):
        with self.lock:
            self._keys.clear()
        return super()._create(request)

    def copies(self) -> Counter:
        """How many live articles each delivery key has."""
        return Counter(a["request_id"] for a in self.live_articles())


# -- daemons that can be killed -------------------------------------------------------------------
import multiprocessing
import os
import signal
from datetime import timedelta
from conftest import site_block as documented_site_block

WECHAT_APPID = "wxsandbox0000000001"
WECHAT_SECRET = "sandbox-wechat-secret"
SITE_PASSWORD = "sandbox-site-password"
PRELOAD = ["publisher.daemon.service", "publisher.delivery.dispatcher", "channels.cms.adapter", "channels.wechat.adapter",
           "channels.resource_site.adapter", "exactly_once_sites"]


def run_daemon(config_path: str) -> None:
    """A child process's body: ``publisher run`` on the real clock, until it is killed."""
    import logging

    from publisher.runtime.app import App
    from publisher.daemon.service import Daemon

    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)
    Daemon(App.load(config_path)).run(install_signals=False)


def daemon_processes():
    """A multiprocessing context whose children start fast (modules preloaded) and share no threads."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def start_daemon(context, config_path) -> multiprocessing.Process:
    process = context.Process(target=run_daemon, args=(str(config_path),), daemon=True)
    process.start()
    return process


def kill9(process) -> None:
    """kill -9: no handler, no clean-up."""
    os.kill(process.pid, signal.SIGKILL)
    process.join(10)


def cms_block(server) -> dict:
    return {"type": "cms", "display_name": "测试网站平台", "base_url": server.url, "auth_token": "test-cms-token",
            "timeout": 2, "concurrency": 4}


def wechat_block(server) -> dict:
    return {"type": "wechat", "display_name": "微信公众号", "api_base": server.url, "appid": WECHAT_APPID,
            "secret": WECHAT_SECRET, "author": "测试住建", "cover_color": "#1f4e8c", "timeout": 2, "concurrency": 2,
            "poll_interval": 0.5, "lookup_settle_seconds": 3}


def site_block(server) -> dict:
    """The documented trading-site block (as the channel tests use it), with a short timeout and a deep listing."""
    block = documented_site_block(server, timeout=2)
    return {**block, "listing": {**block["listing"], "pages": 50}}


FAST_DAEMON = {"retry": {"max_attempts": 30, "base_delay": 0.2, "max_delay": 2, "jitter": 0.0, "lease": "3s",
                         "in_doubt_delay": 0.5, "max_age": "3d"},
               "daemon": {"poll_interval": 0.1, "workers": 6, "shutdown_grace": 1}}


def settle_everything(app, clock, rounds: int = 60) -> None:
    """Clean runs after the kills, on a simulated clock jumped past every retry time, until nothing is due."""
    from publisher.delivery.dispatcher import Dispatcher

    dispatcher = Dispatcher(app)
    try:
        for _ in range(rounds):
            dispatcher.run_due()
            due = dispatcher.next_due()
            if due is None:
                return
            clock.set(max(due, clock.now()) + timedelta(seconds=1))
    finally:
        dispatcher.close()


def ledger(app) -> dict[tuple[int, str], str]:
    """(item, channel) → status, for every delivery."""
    from sqlalchemy import select

    from publisher.db.engine import reading
    from publisher.db.schema import deliveries

    with reading(app.store.engine) as conn:
        return {(r.item_id, r.channel): r.status
                for r in conn.execute(select(deliveries.c.item_id, deliveries.c.channel, deliveries.c.status))}


def waiting_for_operator(app) -> list[tuple[int, str]]:
    """(item, channel) of deliveries an operator must check."""
    from sqlalchemy import select

    from publisher.db.engine import reading
    from publisher.db.schema import deliveries

    with reading(app.store.engine) as conn:
        return [(r.item_id, r.channel) for r in conn.execute(
            select(deliveries.c.item_id, deliveries.c.channel).where(deliveries.c.waiting_for == "operator"))]


def act_as_operator(app, on_site) -> int:
    """Do what the README tells an operator: ``item settle`` what is on the channel, ``item retry`` what is not.

    ``on_site(item_id, channel)`` says whether the channel has the item. Returns how many needed a person.
    """
    from publisher.delivery.actions import retry_item, settle_item

    waits = waiting_for_operator(app)
    for item_id, channel in waits:
        if on_site(item_id, channel):
            settle_item(app, item_id, channel, url=None, external_id="checked by hand")
        else:
            retry_item(app, item_id, channel)
    return len(waits)

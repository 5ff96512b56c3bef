"""Proof: kill -9 at random moments while items go to a CMS, WeChat and a trading site; each lands exactly once.

Short versions run in CI; ``pytest -m slow`` runs the issue's sizes (300 items, 20 kills; PUBLISHER_PROOF_ITEMS
raises the item count, e.g. 2000).
"""

from __future__ import annotations

import os
import random
from collections import Counter
from datetime import timedelta

import pytest

from conftest import write_config
from exactly_once_sites import (FAST_DAEMON, SITE_PASSWORD, WECHAT_APPID, WECHAT_SECRET, NoDedupeCms, act_as_operator,
                                cms_block, daemon_processes, kill9, ledger, settle_everything, site_block,
                                start_daemon, waiting_for_operator, wechat_block)
from publisher.runtime.app import App
from publisher.foundation.clock import SimulatedClock, SystemClock
from publisher.config.load import load_config
from publisher.items.intake import ItemRequest, queue_one
from channels.resource_site.emulator import ResourceSiteEmulator
from publisher.sandbox.server import EmulatorServer, wait_until
from channels.wechat.emulator import WechatEmulator


@pytest.fixture
def sites():
    servers = [EmulatorServer(NoDedupeCms(token="test-cms-token")),
               EmulatorServer(WechatEmulator(appid=WECHAT_APPID, secret=WECHAT_SECRET, publish_delay_seconds=0.5)),
               EmulatorServer(ResourceSiteEmulator(password=SITE_PASSWORD))]
    for server in servers:
        server.start()
    yield servers
    for server in servers:
        server.stop()


def _config(tmp_path, db_url, sites):
    cms, wechat, site = sites
    return write_config(tmp_path, db_url, {"website": cms_block(cms), "wechat": wechat_block(wechat),
                                           "trading": site_block(site)}, **FAST_DAEMON)


def _queue(config_path, n):
    app = App.from_config(load_config(config_path), SystemClock())
    try:
        return [queue_one(app, ItemRequest(title=f"关于第{i:04d}号地块招标结果的公示", category="公示公告",
                                           body=f"<p>第{i}号公示内容。</p>")) for i in range(n)]
    finally:
        app.close()


def _requests(sites) -> int:
    return sum(s.emulator.requests_seen for s in sites)


def _copies(sites) -> dict[str, Counter]:
    cms, wechat, site = (s.emulator for s in sites)
    return {
        "website": Counter(a["title"] for a in cms.live_articles()),
        "wechat": Counter(item["title"] for a in wechat.live_articles() for item in a.news_item),
        "trading": Counter(n.title for n in site.live_notices()),
    }


def _prove_exactly_once(config_path, sites, ids, titles) -> int:
    """Clean runs, an operator for what only a person can settle, then each item once on each site."""
    assert wait_until(lambda: all(s.emulator.idle() for s in sites), timeout=30)  # nothing a dead daemon sent
    clock = SimulatedClock(SystemClock().now() + timedelta(hours=1))
    app = App.from_config(load_config(config_path), clock)
    try:
        settle_everything(app, clock, rounds=200)
        titles_of = {i: app.store.get_item(i)["title"] for i in ids}
        operator = act_as_operator(app, lambda i, channel: _copies(sites)[channel][titles_of[i]] > 0)
        settle_everything(app, clock, rounds=200)
        statuses = ledger(app)
        unsettled = [(d["channel"], d["status"], d["last_error"]) for i in ids
                     for d in app.store.get_item(i)["deliveries"] if d["status"] != "published"]
    finally:
        app.close()
    copies = _copies(sites)
    for channel, counted in copies.items():
        assert {t: n for t, n in counted.items() if n != 1} == {}, f"{channel} has duplicates"
    assert unsettled == []
    for channel, counted in copies.items():
        assert set(counted) == set(titles), f"{channel} is missing items the ledger says are published"
    assert len(statuses) == 3 * len(ids)
    return operator


def _kill_loop(config_path, sites, kills: int, rng: random.Random, *, daemons: int = 1) -> int:
    context = daemon_processes()
    done = 0
    for _ in range(kills):
        running = [start_daemon(context, config_path) for _ in range(daemons)]
        target = _requests(sites) + rng.randint(5, 60)
        reached = wait_until(lambda: _requests(sites) >= target, timeout=20)
        for process in running:
            kill9(process)
        done += 1
        if not reached:
            break  # everything was published before this kill
    return done


def _proof(tmp_path, db_url, sites, *, items: int, kills: int, seed: int) -> None:
    config_path = _config(tmp_path, db_url, sites)
    ids = _queue(config_path, items)
    titles = {f"关于第{i:04d}号地块招标结果的公示" for i in range(items)}
    done = _kill_loop(config_path, sites, kills, random.Random(seed))
    operator = _prove_exactly_once(config_path, sites, ids, titles)
    print(f"{items} items, {done} kills, {_requests(sites)} requests, {_events(config_path)}, "
          f"{operator} checked by an operator")


def _events(config_path) -> dict:
    from sqlalchemy import func, select

    from publisher.db.engine import reading
    from publisher.db.schema import events

    app = App.from_config(load_config(config_path), SystemClock())
    try:
        with reading(app.store.engine) as conn:
            rows = conn.execute(select(events.c.kind, func.count()).where(
                events.c.kind.in_(["in_doubt", "claimed", "published"])).group_by(events.c.kind)).all()
        return dict(rows)
    finally:
        app.close()


def test_kill_9_at_random_moments_leaves_each_item_once_on_every_site(tmp_path, sqlite_url, sites):
    _proof(tmp_path, sqlite_url, sites, items=40, kills=6, seed=1)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_kill_9_twenty_times_during_300_items_leaves_each_item_once_on_every_site(tmp_path, sqlite_url, sites):
    _proof(tmp_path, sqlite_url, sites, items=int(os.environ.get("PUBLISHER_PROOF_ITEMS", 300)), kills=20, seed=2)


def _three_daemons_one_killed(tmp_path, pg_url, sites, items: int) -> None:
    config_path = _config(tmp_path, pg_url, sites)
    ids = _queue(config_path, items)
    titles = {f"关于第{i:04d}号地块招标结果的公示" for i in range(items)}
    context = daemon_processes()
    running = [start_daemon(context, config_path) for _ in range(3)]
    try:
        assert wait_until(lambda: _requests(sites) >= 40, timeout=30)
        kill9(running[0])  # one daemon dies mid-run; the other two take over its leases
        app = App.from_config(load_config(config_path), SystemClock())
        try:
            waits = lambda: len(waiting_for_operator(app))  # noqa: E731
            settled = wait_until(lambda: list(ledger(app).values()).count("published") + waits() == 3 * items,
                                 timeout=60 + items)
            assert settled, [(d["channel"], d["status"], d["next_attempt_at"], d["last_error"]) for i in ids
                             for d in app.store.get_item(i)["deliveries"] if d["status"] != "published"]
        finally:
            app.close()
    finally:
        for process in running[1:]:
            kill9(process)
    operator = _prove_exactly_once(config_path, sites, ids, titles)
    print(f"{items} items, 3 daemons, 1 killed, {_requests(sites)} requests, {operator} checked by an operator")


def test_three_daemons_on_postgresql_one_killed_mid_run_publish_each_item_once(tmp_path, pg_url, sites):
    _three_daemons_one_killed(tmp_path, pg_url, sites, items=30)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_three_daemons_on_postgresql_one_killed_mid_run_300_items(tmp_path, pg_url, sites):
    _three_daemons_one_killed(tmp_path, pg_url, sites, items=300)

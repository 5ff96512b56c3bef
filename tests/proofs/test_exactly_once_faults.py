"""Proof: 30 % 5xx, 5 % accept-then-timeout, 5 % gateway-504-after-save, 10 % 429 — all published, none twice,
and not one request inside a Retry-After window."""

from __future__ import annotations

import os
from collections import Counter

import pytest

from conftest import cms_block
from exactly_once_sites import NoDedupeCms, ledger, settle_everything
from publisher.items.intake import ItemRequest, queue_one
from channels.cms.emulator import CmsEmulator
from publisher.sandbox.server import EmulatorServer

FAULTS = [
    (0.10, {"kind": "status", "status": 500}),
    (0.10, {"kind": "status", "status": 502}),
    (0.10, {"kind": "status", "status": 503}),
    (0.05, {"kind": "accept_then_timeout", "seconds": 0.6}),
    (0.05, {"kind": "accept_then_status", "status": 504}),
    (0.10, {"kind": "status", "status": 429, "retry_after": 20}),
]
RETRY = {"max_attempts": 40, "base_delay": 1, "max_delay": 30, "jitter": 0.0, "lease": "2m", "in_doubt_delay": 1,
         "max_age": "3d"}


def _gateway_errors_are_unknown() -> bool:
    import channels.cms.adapter

    return hasattr(channels.cms.adapter, "GATEWAY_STATUSES")  # a CMS that does not deduplicate needs it


SITES = [pytest.param(CmsEmulator, id="deduplicating-cms"),
         pytest.param(NoDedupeCms, id="cms-without-dedupe", marks=pytest.mark.skipif(
             not _gateway_errors_are_unknown(), reason="needs the cms adapter's gateway-error handling"))]


def _proof(db_url, make_app, clock, site_class, items: int, seed: int):
    with EmulatorServer(site_class(token="test-cms-token")) as site:
        emulator = site.emulator
        emulator.request_clock = clock.now
        app = make_app(db_url, {"website": cms_block(site, timeout=0.3, concurrency=4)}, retry=RETRY,
                       daemon={"workers": 4})
        ids = [queue_one(app, ItemRequest(title=f"第{i:04d}号公告", category="公示公告", body="<p>公示</p>"))
               for i in range(items)]
        emulator.faults.randomly(FAULTS, seed=seed, path=r"^/api/articles")
        settle_everything(app, clock, rounds=2000)
        emulator.faults.randomly([])
        statuses = Counter(ledger(app).values())
        copies = Counter(a["request_id"] for a in emulator.live_articles())
        answered = Counter(s.status for s in emulator.seen)
        inside = emulator.inside_retry_after()
    print(f"{items} items: {dict(answered)}; ledger {dict(statuses)}")
    assert statuses == {"published": len(ids)}
    assert len(copies) == len(ids) and set(copies.values()) == {1}, "an item was posted twice"
    assert answered[429] > 0 and inside == [], inside[:5]


@pytest.mark.parametrize("site_class", SITES)
def test_every_item_published_once_through_5xx_timeouts_gateway_errors_and_429(db_url, make_app, clock, site_class):
    _proof(db_url, make_app, clock, site_class, items=40, seed=7)


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("site_class", SITES)
def test_every_item_published_once_through_faults_full_size(db_url, make_app, clock, site_class):
    _proof(db_url, make_app, clock, site_class, items=int(os.environ.get("PUBLISHER_PROOF_ITEMS", 300)), seed=11)

"""One claim transaction serves many deliveries, and outcomes of one shape are written in one statement, without
changing what is recorded: a channel that cannot look up keeps few claimed ahead, a channel that allows more
than one daemon's workers leaves a second daemon its part, and one outcome whose lease was lost meanwhile does
not take the others written with it down (issue 13)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, update

from conftest import cms_block
from publisher.ledger import audit
from publisher.delivery.dispatcher import CLAIM_AHEAD, Dispatcher, _HAND_IN
from publisher.items.intake import ItemRequest, queue_one
from channels.cms.emulator import CmsEmulator
from publisher.sandbox.server import EmulatorServer
from publisher.db.schema import deliveries, events

CONCURRENCY = 4


def queue(app, n: int) -> None:
    for i in range(n):
        queue_one(app, ItemRequest(title=f"第{i}号公告", category="公示公告", body="<p>公示</p>"))


@pytest.mark.parametrize("lookup, leased", [("default", CLAIM_AHEAD), (None, 2 * CONCURRENCY)])
def test_a_channel_keeps_claimed_ahead_only_what_a_crash_can_look_up(db_url, make_app, cms_server, lookup, leased):
    paths = {} if lookup == "default" else {"paths": {"lookup": None}}
    app = make_app(db_url, {"website": cms_block(cms_server, concurrency=CONCURRENCY, **paths)})
    queue(app, 50)
    dispatcher = Dispatcher(app)
    claimed = dispatcher.claim_many({"website": 100}, 100)
    assert len(claimed) == leased
    assert dispatcher.claim_many({"website": 100}, 100) == []  # it holds all it may until some finish
    for claim in claimed:
        dispatcher.release(claim)


def test_an_outcome_whose_lease_was_lost_leaves_the_others_written_with_it(db_url, make_app, cms_server):
    app = make_app(db_url, {"website": cms_block(cms_server, concurrency=CONCURRENCY)})
    queue(app, 3)
    dispatcher = Dispatcher(app)
    claims = dispatcher.claim("website", 3)
    token = _HAND_IN.set(True)  # as run_due's workers do: outcomes handed in, written with the next claim
    try:
        assert [dispatcher.execute(c) for c in claims] == ["published"] * 3
    finally:
        _HAND_IN.reset(token)
    lost = claims[1].id
    with app.store.transaction() as conn:  # another worker took this one over meanwhile (its lease ran out)
        conn.execute(update(deliveries).where(deliveries.c.id == lost).values(lease_owner="other/worker"))

    dispatcher.record(dispatcher.handed.take())

    with app.store.engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(deliveries))}
        kinds = [r.kind for r in conn.execute(select(events.c.kind).where(events.c.delivery_id == lost))]
        assert audit.verify(conn)[1] is None
    assert {i: rows[i].status for i in rows} == {claims[0].id: "published", lost: "publishing",
                                                 claims[2].id: "published"}
    assert rows[lost].lease_owner == "other/worker" and rows[lost].external_id is None
    assert kinds[-1] == "lease_lost" and "published" not in kinds
    assert len(cms_server.emulator.articles) == 3  # each was sent once; the other worker's look-up finds its copy


class SlowCms(CmsEmulator):
    """The CMS emulator taking a while over each new article, so that two daemons' runs overlap."""

    def dispatch(self, request):
        if request.method == "POST" and request.path == "/api/articles":
            time.sleep(0.05)
        return super().dispatch(request)


def test_a_second_daemon_gets_its_part_of_a_channel_that_allows_more_than_one_daemons_workers(db_url, make_app):
    with EmulatorServer(SlowCms(token="test-cms-token")) as server:
        apps = [make_app(db_url, {"website": cms_block(server, concurrency=12, timeout=10)}) for _ in range(2)]
        queue(apps[0], 48)
        dispatchers = [Dispatcher(app, workers=4) for app in apps]  # 12 allows more than one daemon's 2 × 4
        start = threading.Barrier(2)
        stats = {}

        def run(d: Dispatcher) -> None:
            start.wait()
            stats[d] = d.run_due()

        threads = [threading.Thread(target=run, args=(d,)) for d in dispatchers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for d in dispatchers:
            d.close()
        published = [stats[d].outcomes.get("published", 0) for d in dispatchers]
        assert sum(published) == 48 and min(published) > 0, published
        assert len(server.emulator.articles) == 48

"""A channel's ``concurrency`` is the account's limit: two daemons on one database keep at most that many
requests in flight to it together, and use all of it."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from sqlalchemy import select

from conftest import cms_block
from publisher.ledger import audit
from publisher.delivery.dispatcher import Dispatcher
from publisher.items.intake import ItemRequest, queue_one
from publisher.db.schema import events
from channels.cms.emulator import CmsEmulator
from publisher.sandbox.server import EmulatorServer

LIMIT = 4
HOLD = 0.5  # seconds each request is held, unless more than LIMIT arrive (then all go on: the limit is broken)


class CountingCms(CmsEmulator):
    """The CMS emulator holding each create call a while so calls overlap, recording the most at once."""

    def __init__(self):
        super().__init__(token="test-cms-token")
        self.in_flight = 0
        self.most = 0
        self._changed = threading.Condition()

    def dispatch(self, request):
        if request.method != "POST" or request.path != "/api/articles":
            return super().dispatch(request)
        with self._changed:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
            self._changed.notify_all()
            self._changed.wait_for(lambda: self.in_flight > LIMIT, timeout=HOLD)
        try:
            return super().dispatch(request)
        finally:
            with self._changed:
                self.in_flight -= 1


@pytest.fixture
def counting_cms():
    with EmulatorServer(CountingCms()) as server:
        yield server


def test_two_daemons_keep_a_channels_concurrency_together(db_url, make_app, counting_cms):
    apps = [make_app(db_url, {"website": cms_block(counting_cms, concurrency=LIMIT, timeout=10)}) for _ in range(2)]
    for i in range(24):
        queue_one(apps[0], ItemRequest(title=f"第{i}号公告", category="公示公告", body="<p>公示</p>"))
    dispatchers = [Dispatcher(app, workers=LIMIT) for app in apps]
    threads = [threading.Thread(target=d.run_due) for d in dispatchers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for d in dispatchers:
        d.close()
    emulator = counting_cms.emulator
    assert apps[0].store.delivery_counts() == {"published": 24}
    assert emulator.create_calls == 24
    assert emulator.most == LIMIT  # never more than the account allows, and all of it used
    with apps[0].store.engine.connect() as conn:
        checked, problem = audit.verify(conn)
        kinds = Counter(conn.execute(select(events.c.kind)).scalars())
    assert problem is None  # both daemons' claims and outcomes on one unbroken chain
    assert checked == sum(kinds.values()) and kinds["claimed"] == kinds["published"] == 24

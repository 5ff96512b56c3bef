"""The reads made before every request (is the item still approved at this revision, is the channel held) run on
a connection each worker thread keeps: a database restart that breaks it costs no delivery, a thread that ends
or an engine that is disposed leaves no connection open, and a hold recorded by another daemon is still seen at
the next request (issue 28)."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import text

from conftest import cms_block
from publisher.db.thread_reads import thread_reads
from publisher.delivery.dispatcher import Dispatcher
from publisher.delivery.execution import item_state
from publisher.items.intake import ItemRequest, queue_one
from publisher.runtime.channel_state_db import ChannelHolds


def _delivery_of(app, item_id: int) -> int:
    with app.store.engine.connect() as conn:
        return conn.execute(text("SELECT id FROM deliveries WHERE item_id = :item"), {"item": item_id}).scalar_one()


def _backends(app) -> int:
    with app.store.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND application_name = 'publisher-reads-test' AND pid <> pg_backend_pid()")).scalar()


def test_a_broken_read_connection_is_replaced_and_the_delivery_goes_out(pg_url, make_app, cms_server):
    app = make_app(pg_url, {"website": cms_block(cms_server)})
    item_id = queue_one(app, ItemRequest(title="停水通知", category="公示公告", body="<p>正文</p>"))
    delivery_id = _delivery_of(app, item_id)
    assert item_state(app.store.engine, item_id, delivery_id) is not None
    reads = thread_reads(app.store.engine)
    held = reads._local.held
    with app.store.engine.connect() as conn:  # what a database restart does to an open connection
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": held.connection.info.backend_pid})

    assert item_state(app.store.engine, item_id, delivery_id).revision == 1
    assert reads._local.held is not held
    Dispatcher(app).run_due()
    assert app.store.delivery_counts() == {"published": 1}


def test_read_connections_close_with_their_thread_and_their_engine(pg_url, make_app, cms_server):
    app = make_app(pg_url + "&application_name=publisher-reads-test", {"website": cms_block(cms_server)})
    item_id = queue_one(app, ItemRequest(title="停水通知", category="公示公告", body="<p>正文</p>"))
    delivery_id = _delivery_of(app, item_id)
    before = _backends(app)
    worker = threading.Thread(target=item_state, args=(app.store.engine, item_id, delivery_id))
    worker.start()
    worker.join()
    assert _backends(app) == before  # the thread ended: its connection with it
    item_state(app.store.engine, item_id, delivery_id)
    assert _backends(app) == before + 1
    app.store.engine.dispose()
    assert _backends(app) == 0


def test_a_hold_recorded_elsewhere_is_seen_at_the_next_request(db_url, make_app, cms_server, clock):
    app = make_app(db_url, {"website": cms_block(cms_server)})
    other = make_app(db_url, {"website": cms_block(cms_server)})  # another daemon on the same database
    holds = ChannelHolds(app.store, clock)
    assert holds.held_until("website") is None  # this thread's read connection is open now
    until = clock.now() + timedelta(seconds=30)
    assert ChannelHolds(other.store, clock).hold("website", until, "HTTP 429", "daemon-b")
    holds._seen.clear()  # as in another process: only the database knows
    assert holds.held_until("website") == until


def test_an_operators_pause_and_resume_elsewhere_are_seen_at_the_next_request(db_url, make_app, cms_server, clock):
    app = make_app(db_url, {"website": cms_block(cms_server)})
    console = make_app(db_url, {"website": cms_block(cms_server)})  # the console or the CLI, another process
    holds = ChannelHolds(app.store, clock)
    assert holds.held_until("website") is None  # read once: the check keeps it until a pause changes

    console.store.pause_channel("website", "IP 白名单未加", None, "admin")
    assert holds.held_until("website") is not None
    console.store.resume_channel("website", "admin")
    assert holds.held_until("website") is None

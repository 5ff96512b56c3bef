"""One delivery lifecycle: allowed moves only, compare-and-set with its event, an explicit operator wait."""

from __future__ import annotations

from click.testing import CliRunner
import pytest
from sqlalchemy import select

from conftest import cms_block, write_config
from publisher.cli.main import main
from publisher.ledger.lifecycle import TRANSITIONS, DeliveryStatus, IllegalTransition, event, move
from publisher.delivery.dispatcher import Dispatcher
from publisher.items.intake import ItemRequest, queue_one
from publisher.db.schema import deliveries


def _queue(app):
    return queue_one(app, ItemRequest(title="关于保障性住房分配结果的公示", category="公示公告", body="<p>公示</p>"))


def _row(app, item_id):
    with app.store.engine.connect() as conn:
        return conn.execute(select(deliveries).where(deliveries.c.item_id == item_id)).one()


def test_every_status_has_its_moves_and_a_retracted_delivery_never_moves_again():
    assert set(TRANSITIONS) == set(DeliveryStatus)
    assert TRANSITIONS[DeliveryStatus.RETRACTED] == frozenset()
    assert [s.value for s in DeliveryStatus] == ["pending", "publishing", "in_doubt", "published", "failed", "dead",
                                                 "retracted"]


def test_a_move_is_compare_and_set_and_writes_its_event_only_when_it_happens(sqlite_url, make_app, cms_server, clock):
    app = make_app(sqlite_url, {"website": cms_block(cms_server)})
    item_id = _queue(app)
    d = _row(app, item_id)
    note = event("retracted", actor="test", at=clock.now(), item_id=item_id, channel="website", reason="test")
    with app.store.transaction() as conn:
        assert not move(conn, d.id, current="pending", to="retracted", version=d.version + 1, event=note)
        assert move(conn, d.id, current="pending", to="retracted", version=d.version, event=note, updated_at=clock.now())
    assert _row(app, item_id).status == "retracted" and _row(app, item_id).version == d.version + 1
    assert [e["kind"] for e in app.store.events_for(item_id)].count("retracted") == 1
    with app.store.transaction() as conn, pytest.raises(IllegalTransition):
        move(conn, d.id, current="retracted", to="pending", event=None)


def test_a_channel_that_cannot_look_up_waits_for_an_operator_not_for_ten_years(tmp_path, sqlite_url, cms_server, clock):
    from publisher.runtime.app import App
    from publisher.config.load import load_config

    config = write_config(tmp_path, sqlite_url, {"website": cms_block(cms_server, paths={"lookup": None})})
    app = App.from_config(load_config(config), clock)
    try:
        item_id = _queue(app)
        cms_server.emulator.faults.add("accept_then_drop", path="/api/articles$")
        dispatcher = Dispatcher(app)
        dispatcher.run_due()
        clock.advance(app.config.retry.in_doubt_delay + 1)
        dispatcher.run_due()
        d = _row(app, item_id)
        assert d.status == "in_doubt" and d.waiting_for == "operator"
        assert d.next_attempt_at <= clock.now()  # no retry time years ahead
        assert dispatcher.next_due() is None and dispatcher.run_due().total == 0  # nothing moves by itself
        dispatcher.close()
    finally:
        app.close()
    shown = CliRunner().invoke(main, ["--config", str(config), "item", "show", str(item_id)])
    assert "in_doubt (waiting for operator)" in shown.output
    retried = CliRunner().invoke(main, ["--config", str(config), "item", "retry", str(item_id)])
    assert retried.exit_code == 0
    shown = CliRunner().invoke(main, ["--config", str(config), "item", "show", str(item_id), "--json"])
    assert '"status": "pending"' in shown.output and '"waiting_for": null' in shown.output


def test_a_resend_after_the_operators_retry_repeats_the_first_attempts_publication_time(sqlite_url, make_app,
                                                                                       cms_server, clock):
    from publisher.delivery.actions import retry_item

    app = make_app(sqlite_url, {"website": cms_block(cms_server, paths={"lookup": None})})
    item_id = _queue(app)
    cms_server.emulator.faults.add("accept_then_drop", path="/api/articles$")  # the CMS keeps it, no answer comes
    dispatcher = Dispatcher(app)
    dispatcher.run_due()
    clock.advance(app.config.retry.in_doubt_delay + 1)
    dispatcher.run_due()
    assert _row(app, item_id).waiting_for == "operator"
    clock.advance(3600)  # the operator looks an hour later and sends it again under the same key

    retry_item(app, item_id)
    dispatcher.run_due()

    assert _row(app, item_id).status == "published"  # not refused as the same key with other content
    assert cms_server.emulator.create_calls == 2 and len(cms_server.emulator.live_articles()) == 1
    dispatcher.close()

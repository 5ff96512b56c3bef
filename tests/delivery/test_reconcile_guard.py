"""Reconciliation never rewrites the statutory record on its own: removals are observations until a person
applies them, an implausible run is refused and alerts, a frozen year never changes, a CMS without a read-back
endpoint (or one refusing our key) is never read as "every article deleted"."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from channel_blocks import KEY, domestic_block
from conftest import run_cli, write_config
from channels.cms.emulator import DomesticCmsEmulator
from publisher.config.load import load_config
from publisher.db.engine import reading
from publisher.delivery.dispatcher import Dispatcher
from publisher.delivery.reconcile import FindingKind, reconcile
from publisher.delivery.reconcile_guard import alerts
from publisher.items.intake import ItemRequest, queue_one
from publisher.report.freeze import freeze
from publisher.report.tally import tally
from publisher.review.notify import notices_for
from publisher.runtime.app import App
from publisher.sandbox.server import EmulatorServer


@pytest.fixture
def portal():
    emulator = DomesticCmsEmulator(KEY)
    with EmulatorServer(emulator) as server:
        yield emulator, server.url


def _block(url: str, **overrides) -> dict:
    block = domestic_block(url, **overrides)
    block["payload"]["channelId"] = "=gsgg"
    return block


def _publish(app, count: int) -> list[int]:
    ids = [queue_one(app, ItemRequest(title=f"公告{n}", category="公示公告", body="<p>正文</p>")) for n in range(count)]
    Dispatcher(app).run_due()
    return ids


def _total(app, year: int = 2019) -> int:
    return tally(app.store, app.config, year)["publications"]


def test_reconcile_against_an_empty_portal_keeps_the_tally_and_alerts(db_url, tmp_path, portal, clock):
    emulator, url = portal
    config = write_config(tmp_path, db_url, {"portal": _block(url)})
    app = App.from_config(load_config(config), clock)
    _publish(app, 25)
    assert _total(app) == 25
    emulator.docs.clear()  # a migrated portal: every article answers 「文档不存在」
    app.close()

    result = run_cli(config, "reconcile", "--fix", "--yes", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["refused"] == {"portal": {"removed": 25, "checked": 25}} and report["fixed"] == 0
    app = App.from_config(load_config(config), clock)
    assert _total(app) == 25
    assert alerts(app)["portal"]["removed"] == 25  # the 工作台 shows it
    with reading(app.store.engine) as conn:
        [notice] = notices_for(app, conn, _last_event(conn, "reconcile_refused"))
    assert "25" in notice.text and "疑似渠道故障" in notice.text
    app.close()


def _last_event(conn, kind: str) -> dict:
    from sqlalchemy import select

    from publisher.db.schema import events

    return dict(conn.execute(select(events).where(events.c.kind == kind).order_by(events.c.id.desc())).mappings()
                .first())


def test_a_cms_without_a_read_back_endpoint_or_refusing_our_key_is_never_read_as_removals(db_url, make_app, portal):
    emulator, url = portal
    app = make_app(db_url, {"portal": _block(url)})
    ids = _publish(app, 2)
    emulator.get_by_id = False  # the path answers 404 「接口不存在」
    report = reconcile(app, fix=True)
    assert {f.kind for f in report.findings} == {FindingKind.UNREADABLE}
    assert "接口不存在" in report.findings[0].reason
    emulator.get_by_id, emulator.key_expired = True, True
    report = reconcile(app, fix=True)
    assert {f.kind for f in report.findings} == {FindingKind.UNREADABLE}
    assert {app.store.get_item(i)["deliveries"][0]["status"] for i in ids} == {"published"}


def test_a_channel_whose_read_back_is_off_is_not_reconciled_and_says_so(db_url, tmp_path, portal, clock):
    emulator, url = portal
    config = write_config(tmp_path, db_url, {"portal": _block(url, read_back=False)})
    app = App.from_config(load_config(config), clock)
    _publish(app, 2)
    emulator.docs.clear()
    app.close()
    result = run_cli(config, "reconcile", "--fix", "--yes", env={"PUBLISHER_LANG": "en"})
    assert result.exit_code == 0, result.output
    assert "portal: not reconciled: read-back is switched off" in result.output


def test_fix_lists_the_removals_and_applies_them_only_when_the_person_agrees(db_url, tmp_path, portal, clock):
    emulator, url = portal
    config = write_config(tmp_path, db_url, {"portal": _block(url)})
    app = App.from_config(load_config(config), clock)
    ids = _publish(app, 3)
    doc_id = int(app.store.get_item(ids[0])["deliveries"][0]["external_id"])
    emulator.docs[doc_id]["status"] = "offline"
    app.close()
    said_no = run_cli(config, "reconcile", "--fix", env={"PUBLISHER_LANG": "en"}, input="n\n")
    assert said_no.exit_code == 1 and "--fix would change" in said_no.output and "nothing applied" in said_no.output
    app = App.from_config(load_config(config), clock)
    assert app.store.get_item(ids[0])["deliveries"][0]["status"] == "published"
    kinds = [e["kind"] for e in app.store.events_for(ids[0])]
    assert kinds.count("removal_observed") == 1  # the observation, with its evidence
    [observed] = [e for e in app.store.events_for(ids[0]) if e["kind"] == "removal_observed"]
    assert observed["detail"]["evidence"]["asked"] and "offline" in observed["detail"]["evidence"]["answered"]
    app.close()
    said_yes = run_cli(config, "reconcile", "--fix", env={"PUBLISHER_LANG": "en"}, input="y\n")
    assert said_yes.exit_code == 0, said_yes.output
    app = App.from_config(load_config(config), clock)
    assert app.store.get_item(ids[0])["deliveries"][0]["status"] == "retracted"
    app.close()


def test_a_frozen_year_is_never_changed_by_reconciliation(db_url, make_app, portal, clock):
    emulator, url = portal
    app = make_app(db_url, {"portal": _block(url)})
    ids = _publish(app, 2)
    freeze(app.store, {"year": 2019, "template": "2021", "title": "2019"})
    emulator.docs[int(app.store.get_item(ids[0])["deliveries"][0]["external_id"])]["status"] = "offline"
    [finding] = reconcile(app, fix=True).findings
    assert not finding.fixed and "frozen" in finding.held
    assert app.store.get_item(ids[0])["deliveries"][0]["status"] == "published"


def test_a_removal_counts_against_the_year_it_happened_in_never_an_earlier_one(db_url, make_app, portal, clock):
    emulator, url = portal
    app = make_app(db_url, {"portal": _block(url)})
    first, second, _third = _publish(app, 3)

    def take_down(item_id):
        emulator.docs[int(app.store.get_item(item_id)["deliveries"][0]["external_id"])]["status"] = "offline"

    take_down(first)  # removed in 2019, the year it was published: not counted, like a retraction
    reconcile(app, fix=True)
    assert _total(app) == 2
    clock.set(datetime(2020, 2, 3, 2, 0, tzinfo=timezone.utc))
    take_down(second)  # removed in 2020: it was still published in 2019
    [finding] = [f for f in reconcile(app, fix=True).findings if f.fixed]
    assert finding.item_id == second
    assert app.store.get_item(second)["deliveries"][0]["status"] == "retracted"
    assert _total(app) == 2


def test_report_check_flags_a_year_whose_removals_jumped(db_url, tmp_path, portal, clock):
    emulator, url = portal
    config = write_config(tmp_path, db_url, {"portal": _block(url)}, reconcile={"max_removed": 20,
                                                                               "max_removed_share": 0.05})
    app = App.from_config(load_config(config), clock)
    ids = _publish(app, 30)
    for item_id in ids[:6]:  # six of thirty: under 20, but 20 % — a person agreed, yet the year looks wrong
        emulator.docs[int(app.store.get_item(item_id)["deliveries"][0]["external_id"])]["status"] = "offline"
    app.close()
    app = App.from_config(load_config(config.parent / "config.yaml"), clock)
    with pytest.MonkeyPatch.context() as patch:  # this office accepts larger runs, the report still flags the year
        patch.setattr(app.config.reconcile, "max_removed_share", 1.0)
        reconcile(app, fix=True)
    app.close()
    result = run_cli(config, "report", "--year", "2020", "--check", env={"PUBLISHER_LANG": "en"})
    assert "removals-plausible" in result.output
    result = run_cli(config, "report", "--year", "2019", "--check", env={"PUBLISHER_LANG": "en"})
    assert result.exit_code == 1
    assert "6 publications recorded as removed on the platform this year" in result.output

"""An item is a government record: its catalogue data reaches the portal's 信息公开目录, its 索引号 is handed out
once and never twice, and its publication time is the real one — over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta, timezone

import pytest

from channels.cms.emulator import PORTAL_REQUIRED, CmsEmulator
from conftest import cms_block, run_cli, write_config
from publisher.delivery.dispatcher import Dispatcher
from publisher.items.intake import ItemRequest, queue_one
from publisher.ledger import index_numbers
from publisher.runtime.app import App
from publisher.config.load import load_config
from publisher.sandbox.server import EmulatorServer

CATALOGUE = {"org_code": "014160123"}
PORTAL_PAYLOAD = {"title": "title", "content": "body_html", "column": "category", "publish_time": "publish_at",
                  "catalogue.index_no": "index_no", "catalogue.issuer": "issuer", "catalogue.doc_no": "doc_no",
                  "catalogue.written_on": "written_on", "catalogue.genre": "genre"}
POLICY = {"doc_no": "东住建〔2019〕12号", "written_on": "2019-05-20", "genre": "规范性文件"}


@pytest.fixture
def portal():
    """The sandbox portal: it refuses an article without 索引号 and 发布机构, as real portals do."""
    with EmulatorServer(CmsEmulator(token="test-cms-token", catalogue_required=PORTAL_REQUIRED)) as server:
        yield server


def _queue(app, title="如东县住房租赁管理办法", category="政策文件", **kw):
    return queue_one(app, ItemRequest(title=title, category=category, body="<p>第一条 为规范住房租赁……</p>", **kw))


def _delivery(app, item_id):
    return app.store.get_item(item_id)["deliveries"][0]


def test_the_catalogue_data_reaches_the_portals_catalogue(db_url, make_app, portal):
    app = make_app(db_url, {"website": cms_block(portal, payload=PORTAL_PAYLOAD)}, catalogue=CATALOGUE)
    item_id = _queue(app, catalogue=dict(POLICY))
    Dispatcher(app).run_due()
    [article] = portal.emulator.live_articles()
    catalogue = article["catalogue"]
    assert re.fullmatch(r"014160123/2019-\d{5}", catalogue["index_no"])
    assert catalogue == {"index_no": catalogue["index_no"], "issuer": "测试县住房和城乡建设局",
                         "doc_no": "东住建〔2019〕12号", "written_on": "2019-05-20", "genre": "规范性文件"}
    shown = app.store.get_item(item_id)
    assert shown["index_no"] == catalogue["index_no"] and shown["doc_no"] == "东住建〔2019〕12号"


def test_a_portal_refuses_a_record_without_its_catalogue_and_says_which_field(db_url, make_app, portal):
    app = make_app(db_url, {"website": cms_block(portal)}, catalogue=CATALOGUE)  # no catalogue.* in the payload
    item_id = _queue(app)
    Dispatcher(app).run_due()
    delivery = _delivery(app, item_id)
    assert delivery["status"] == "dead" and "catalogue.index_no" in delivery["last_error"]
    assert portal.emulator.live_articles() == []


def test_a_back_dated_time_is_published_with_the_real_time(db_url, make_app, portal, clock):
    app = make_app(db_url, {"website": cms_block(portal, payload=PORTAL_PAYLOAD)}, catalogue=CATALOGUE)
    item_id = _queue(app, at="2019-03-01T09:00", catalogue=dict(POLICY))  # three months before "now"
    clock.advance(timedelta(minutes=5))
    Dispatcher(app).run_due()
    now = clock.now()
    [article] = portal.emulator.live_articles()
    assert datetime.fromisoformat(article["publish_time"]) == now.replace(microsecond=0)
    item = app.store.get_item(item_id)
    assert item["first_published_at"] == now and _delivery(app, item_id)["published_at"] == now
    assert item["publish_at"] < now  # the time asked for stays on record beside the real one


def test_an_update_keeps_the_first_publication_time(db_url, make_app, portal, clock):
    app = make_app(db_url, {"website": cms_block(portal, payload=PORTAL_PAYLOAD)}, catalogue=CATALOGUE)
    item_id = _queue(app, catalogue=dict(POLICY))
    Dispatcher(app).run_due()
    first = app.store.get_item(item_id)["first_published_at"]
    clock.advance(timedelta(days=30))
    with app.store.engine.connect() as conn:
        view = app.store.item_view(conn, item_id, "website")
    assert view.publish_at == first and view.catalogue.index_no == app.store.get_item(item_id)["index_no"]


def test_required_catalogue_fields_are_named_when_queued(tmp_path, sqlite_url, portal):
    config = write_config(tmp_path, sqlite_url, {"website": cms_block(portal)},
                          catalogue={**CATALOGUE, "required": {"政策文件": ["doc_no", "written_on"]}},
                          review={"enabled": True})
    missing = run_cli(config, "queue", "add", "--title", "办法", "--category", "政策文件", "--body", "<p>x</p>")
    assert missing.exit_code == 2 and "doc_no" in missing.output
    wrong = run_cli(config, "queue", "add", "--title", "办法", "--category", "政策文件", "--body", "<p>x</p>",
                    "--doc-no", "东住建〔2019〕12号", "--written-on", "2019-02-30")
    assert wrong.exit_code == 2 and "written_on" in wrong.output
    fine = run_cli(config, "queue", "add", "--title", "办法", "--category", "公示公告", "--body", "<p>x</p>")
    assert fine.exit_code == 0  # the rule is per category
    shown = run_cli(config, "item", "show", fine.stdout.splitlines()[0], "--json")
    assert '"index_no": null' in shown.output  # review is on: the number comes with the last approval


def test_index_numbers_are_handed_out_once_under_concurrent_assignment(db_url, tmp_path, clock, portal):
    """Two daemons and console users numbering items at the same moment never give two items one 索引号."""
    config = write_config(tmp_path, db_url, {"website": cms_block(portal)}, catalogue=CATALOGUE)
    apps = [App.from_config(load_config(config), clock) for _ in range(4)]
    try:
        ids = [_queue(apps[0], title=f"公告{n}", category="公示公告") for n in range(24)]
        with apps[0].store.transaction() as conn:  # forget the numbers the queue gave (review is off)
            conn.exec_driver_sql("UPDATE items SET index_no = NULL")
            conn.exec_driver_sql("DELETE FROM catalogue_sequences")
        start = threading.Barrier(len(apps))
        errors: list[BaseException] = []

        def number(app: App, mine: list[int]) -> None:
            start.wait()
            try:
                for item_id in mine:
                    with app.store.transaction() as conn:
                        index_numbers.assign(app, conn, item_id, "test")
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=number, args=(app, ids[n::2] if n % 2 else ids[::-1]))
                   for n, app in enumerate(apps)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        numbers = [apps[0].store.get_item(item_id)["index_no"] for item_id in ids]
        assert None not in numbers and len(set(numbers)) == len(ids)
    finally:
        for app in apps:
            app.close()


def test_the_index_number_never_changes_once_given(db_url, make_app, portal, clock):
    app = make_app(db_url, {"website": cms_block(portal, payload=PORTAL_PAYLOAD)}, catalogue=CATALOGUE)
    item_id = _queue(app, catalogue=dict(POLICY))
    given = app.store.get_item(item_id)["index_no"]
    clock.set(datetime(2020, 1, 2, 2, 0, tzinfo=timezone.utc))  # a new year: a new sequence, not a new number
    Dispatcher(app).run_due()
    with app.store.transaction() as conn:
        assert index_numbers.assign(app, conn, item_id, "test") is None
    assert app.store.get_item(item_id)["index_no"] == given
    kinds = [e["kind"] for e in app.store.events_for(item_id)]
    assert kinds.count("index_assigned") == 1


def test_an_import_carries_the_catalogue_columns_and_names_a_bad_row(tmp_path, sqlite_url, portal):
    config = write_config(tmp_path, sqlite_url, {"website": cms_block(portal)}, catalogue=CATALOGUE)
    rows = tmp_path / "policies.csv"
    rows.write_text("title,category,body,doc_no,written_on,genre\n"
                    "如东县住房租赁管理办法,政策文件,<p>办法</p>,东住建〔2019〕12号,2019-05-20,规范性文件\n"
                    "关于公共租赁住房的通知,政策文件,<p>通知</p>,东住建〔2019〕13号,2019-05-32,通知\n", encoding="utf-8")
    bad = run_cli(config, "queue", "import", str(rows))
    assert bad.exit_code == 2 and "line 3" in bad.output.replace("第 3 行", "line 3") and "written_on" in bad.output
    rows.write_text(rows.read_text(encoding="utf-8").replace("2019-05-32", "2019-05-31"), encoding="utf-8")
    assert run_cli(config, "queue", "import", str(rows)).exit_code == 0
    shown = run_cli(config, "item", "show", "2", "--json").output
    assert '"doc_no": "东住建〔2019〕13号"' in shown and '"written_on": "2019-05-31"' in shown

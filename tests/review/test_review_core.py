"""Regression tests from the core review: user mistakes exit 2 without a traceback, in-doubt deliveries are
looked up before anything is re-sent, retraction holds against a concurrent claim, a waiting feed never
starves the website it links to. Real CLI (CliRunner), real SQLite (PostgreSQL where a race needs it)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import event, insert, text

from conftest import cms_block, write_config
from publisher.delivery.actions import retract_item
from publisher.cli.main import main
from publisher.delivery.dispatcher import Dispatcher
from publisher.items.intake import ItemRequest, queue_one
from conftest import run_cli as cli

ARTICLES = "^/api/articles$"


def add(config: Path, *args: str) -> int:
    result = cli(config, "queue", "add", "--title", "关于开展住房保障年审的通知", "--category", "公示公告", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["id"]


def show(config: Path, item_id: int) -> dict:
    result = cli(config, "item", "show", str(item_id), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def website(config: Path, item_id: int) -> dict:
    return next(d for d in show(config, item_id)["deliveries"] if d["channel"] == "website")


def item_count(config: Path) -> int:
    result = cli(config, "queue", "list", "--json")
    assert result.exit_code == 0, result.output
    return len(json.loads(result.stdout))


@pytest.fixture
def config(tmp_path, sqlite_url, cms_server) -> Path:
    return write_config(tmp_path, sqlite_url, {"website": cms_block(cms_server)})


def edit(path: Path, **sections) -> Path:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in sections.items():
        doc[key] = {**doc.get(key, {}), **value} if isinstance(value, dict) else value
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# -- bad input and environment: exit 2, a message naming the key, no traceback ---------------------------
def test_config_path_that_is_a_folder_exits_2(tmp_path):
    result = cli(tmp_path, "check-config")
    assert result.exit_code == 2
    assert "is a folder" in result.stderr


def test_sqlite_folder_that_cannot_be_created_exits_2(config, tmp_path):
    (tmp_path / "notes.txt").write_text("not a folder", encoding="utf-8")
    edit(config, database={"url": f"sqlite:///{tmp_path / 'notes.txt' / 'publisher.db'}"})
    result = cli(config, "queue", "list")
    assert result.exit_code == 2
    assert "database.url: cannot create the folder" in result.stderr


def test_database_from_a_newer_publisher_is_refused_with_exit_2(config):
    assert item_count(config) == 0  # creates the database
    from publisher.config.load import load_config
    from publisher.db.engine import make_engine

    engine = make_engine(load_config(config).database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    result = cli(config, "queue", "list")
    assert result.exit_code == 2
    assert "database.url:" in result.stderr and "newer" in result.stderr


def datetime_utc():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def test_attachment_store_that_cannot_be_written_exits_2_and_queues_nothing(config, tmp_path):
    (tmp_path / "store.txt").write_text("a file, not a folder", encoding="utf-8")
    edit(config, storage={"attachments": str(tmp_path / "store.txt")})
    (tmp_path / "名单.xlsx").write_bytes(b"PK\x03\x04 not really a spreadsheet")
    result = cli(config, "queue", "add", "--title", "名单公示", "--category", "公示公告",
                 "--attach", str(tmp_path / "名单.xlsx"))
    assert result.exit_code == 2
    assert "storage.attachments: cannot store 名单.xlsx" in result.stderr
    assert item_count(config) == 0


@pytest.mark.parametrize("at", ["0001-01-01T00:00+08:00", "9999-12-31T23:00-05:00"])
def test_at_outside_the_representable_range_is_a_named_input_error(config, tmp_path, at):
    result = cli(config, "queue", "add", "--title", "通知", "--category", "其他", "--at", at)
    assert result.exit_code == 2 and f"at: {at!r} is out of range" in result.stderr
    rows = tmp_path / "items.csv"
    rows.write_text(f"title,category,at\n第一条,其他,2019-03-10T09:00\n第二条,其他,{at}\n", encoding="utf-8")
    result = cli(config, "queue", "import", str(rows))
    assert result.exit_code == 2 and "line 3" in result.stderr and "out of range" in result.stderr
    assert item_count(config) == 0


@pytest.mark.parametrize("field", ["department", "author"])
def test_department_or_author_too_long_for_the_database_is_refused(db_url, tmp_path, cms_server, field):
    config = write_config(tmp_path, db_url, {"website": cms_block(cms_server)})
    result = cli(config, "queue", "add", "--title", "通知", "--category", "其他", f"--{field}", "部" * 201)
    assert result.exit_code == 2
    assert f"{field}: more than 200 characters" in result.stderr
    assert item_count(config) == 0
    assert add(config, f"--{field}", "部" * 200)


def test_config_limits_beyond_the_columns_are_named(config):
    edit(config, limits={"title_max": 5000}, categories=["其他", "类" * 201])
    result = cli(config, "check-config")
    assert result.exit_code == 2
    assert "limits.title_max:" in result.stderr and "categories[1]: longer than 200 characters" in result.stderr


def test_long_actor_name_still_claims_deliveries_on_postgresql(pg_url, tmp_path, cms_server):
    config = write_config(tmp_path, pg_url, {"website": cms_block(cms_server)})
    env = {"PUBLISHER_ACTOR": "编辑" * 80}
    item_id = add(config)
    result = cli(config, "run", "--once", env=env)
    assert result.exit_code == 0, result.output
    assert website(config, item_id)["status"] == "published"


@pytest.mark.parametrize("year", ["1", "1899"])
def test_tally_and_report_years_out_of_range_exit_2(config, year):
    for command in ("tally", "report"):
        result = cli(config, command, "--year", year)
        assert result.exit_code == 2 and "--year" in result.output


def test_demo_keep_never_wipes_a_folder_it_did_not_create(tmp_path):
    mine = tmp_path / "documents"
    mine.mkdir()
    (mine / "报告草稿.docx").write_bytes(b"the office's own work")
    result = CliRunner().invoke(main, ["demo", "--keep", str(mine), "--no-progress"])
    assert result.exit_code == 2, result.output
    assert "--keep" in result.stderr and "not empty" in result.stderr
    assert (mine / "报告草稿.docx").read_bytes() == b"the office's own work"


def test_item_show_events_prints_details_as_json(config):
    item_id = add(config)
    result = cli(config, "item", "show", str(item_id), "--events")
    assert result.exit_code == 0
    assert '{"channels": ["website"]' in result.stdout


# -- in doubt: look up before anything is sent again ---------------------------------------------------
def test_retry_of_an_in_doubt_delivery_looks_it_up_instead_of_posting_again(config, cms_server):
    item_id = add(config)
    cms_server.emulator.faults.add("accept_then_drop", path=ARTICLES)
    assert cli(config, "run", "--once").exit_code == 1
    assert website(config, item_id)["status"] == "in_doubt"
    assert cms_server.emulator.create_calls == 1

    result = cli(config, "item", "retry", str(item_id), "--channel", "website")
    assert result.exit_code == 0 and "website" in result.stdout
    assert website(config, item_id)["status"] == "in_doubt"  # still to be looked up, now
    assert cli(config, "run", "--once").exit_code == 0
    d = website(config, item_id)
    assert d["status"] == "published" and d["external_id"]
    assert cms_server.emulator.create_calls == 1  # found by look-up, never re-posted
    assert len(cms_server.emulator.live_articles()) == 1


def test_retry_of_an_in_doubt_delivery_the_channel_cannot_look_up_sends_it(tmp_path, sqlite_url, cms_server):
    config = write_config(tmp_path, sqlite_url, {"website": cms_block(cms_server, paths={"lookup": None})})
    edit(config, retry={"in_doubt_delay": 0.001})
    item_id = add(config)
    cms_server.emulator.faults.add("accept_then_drop", path=ARTICLES)
    cli(config, "run", "--once")
    cli(config, "run", "--once")
    d = website(config, item_id)
    assert d["status"] == "in_doubt" and "item retry" in d["last_error"]  # set aside for the operator
    assert cms_server.emulator.create_calls == 1

    assert cli(config, "item", "retry", str(item_id)).exit_code == 0  # the operator checked by hand
    assert website(config, item_id)["status"] == "pending"
    assert cli(config, "run", "--once").exit_code == 0
    assert website(config, item_id)["status"] == "published"


def test_retract_while_in_doubt_takes_down_the_copy_that_arrived(config, cms_server):
    item_id = add(config)
    cms_server.emulator.faults.add("accept_then_drop", path=ARTICLES)
    cli(config, "run", "--once")
    assert website(config, item_id)["status"] == "in_doubt"
    assert len(cms_server.emulator.live_articles()) == 1

    result = cli(config, "item", "retract", str(item_id), "--reason", "误发")
    assert result.exit_code == 0, result.output
    assert website(config, item_id)["status"] == "retracted"
    assert cms_server.emulator.live_articles() == []
    assert cms_server.emulator.create_calls == 1


def test_retract_while_in_doubt_without_look_up_asks_for_removal_by_hand(tmp_path, sqlite_url, cms_server):
    config = write_config(tmp_path, sqlite_url, {"website": cms_block(cms_server, paths={"lookup": None})})
    item_id = add(config)
    cms_server.emulator.faults.add("accept_then_drop", path=ARTICLES)
    cli(config, "run", "--once")
    result = cli(config, "item", "retract", str(item_id))
    assert result.exit_code == 1
    d = website(config, item_id)
    assert d["status"] == "in_doubt"
    assert "retracted: remove it there by hand" in d["last_error"] and "item retry" not in d["last_error"]
    assert cms_server.emulator.create_calls == 1


def test_retract_twice_and_retry_of_a_retracted_item(config, cms_server):
    item_id = add(config)
    assert cli(config, "run", "--once").exit_code == 0
    for _ in range(2):
        result = cli(config, "item", "retract", str(item_id), "--json")
        assert result.exit_code == 0
        assert [d["status"] for d in json.loads(result.stdout)["deliveries"]] == ["retracted"]
    assert cms_server.emulator.live_articles() == []
    result = cli(config, "item", "retry", str(item_id))
    assert result.exit_code == 2 and "retracted" in result.stderr


# -- races and starvation in the dispatcher ------------------------------------------------------------
def test_retract_racing_another_daemons_claim_still_takes_the_item_down(pg_url, make_app, cms_server):
    app = make_app(pg_url, {"website": cms_block(cms_server)})
    item_id = queue_one(app, ItemRequest(title="关于公示的通知", category="公示公告", body="<p>公示</p>"))
    other = Dispatcher(app, worker_id="daemon-b")
    claims = []

    def claim_first(conn, cursor, statement, parameters, context, executemany):
        # Another daemon claims the delivery after `item retract` read it and before it writes.
        if not claims and statement.startswith("UPDATE deliveries") and "retract_requested" in statement:
            claims.extend(other.claim("website", 1))

    event.listen(app.store.engine, "before_cursor_execute", claim_first)
    try:
        retract_item(app, item_id, "误发")
    finally:
        event.remove(app.store.engine, "before_cursor_execute", claim_first)
    [claim] = claims
    assert other.execute(claim) == "published"  # the other daemon's attempt lands ...
    other.run_due()
    other.close()
    d = next(x for x in app.store.get_item(item_id)["deliveries"])
    assert d["status"] == "retracted"  # ... and is then taken down, as the editor asked
    assert cms_server.emulator.live_articles() == []


def test_a_feed_waiting_for_the_website_never_starves_it(sqlite_url, make_app, cms_server, tmp_path, clock):
    rss = {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://example.gov.cn",
           "link_from": "website", "count_in_report": False}
    app = make_app(sqlite_url, {"website": cms_block(cms_server), "feed": rss}, daemon={"workers": 4})
    ids = [queue_one(app, ItemRequest(title=f"第{i}号公告", category="公示公告", body="<p>公告</p>")) for i in range(40)]
    cms_server.emulator.faults.add("status", status=503, path=ARTICLES, times=40)
    dispatcher = Dispatcher(app)
    assert dispatcher.run_due().outcomes == {"failed": 40}  # every website delivery was tried
    clock.advance(timedelta(minutes=2))  # the outage is over; retries are due, well within the feed's wait
    assert dispatcher.run_due().outcomes == {"published": 80}
    dispatcher.close()
    for item_id in ids:
        site, feed = app.store.get_item(item_id)["deliveries"]
        assert site["status"] == feed["status"] == "published"
        assert feed["external_url"] == site["external_url"]
    assert cms_server.emulator.create_calls == 40 and len(cms_server.emulator.live_articles()) == 40


def test_json_lines_with_unicode_line_separators_inside_strings_are_read(config, tmp_path):
    rows = tmp_path / "items.jsonl"
    lines = [{"title": "关于水质检测结果的公示", "category": "水质检测", "body": "<p>第一段\u2028第二段\x85第三段</p>"},
             {"title": "第二条", "category": "其他"}]
    rows.write_text("\r\n".join(json.dumps(r, ensure_ascii=False) for r in lines) + "\r\n", encoding="utf-8")
    result = cli(config, "queue", "import", str(rows), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["count"] == 2


@pytest.mark.parametrize("title", ["第一行\r第二行", "第一行\u2028第二行"])
def test_title_broken_over_lines_is_refused(config, title):
    result = cli(config, "queue", "add", "--title", title, "--category", "其他")
    assert result.exit_code == 2 and "title: must be one line" in result.stderr
    assert item_count(config) == 0


def test_retract_says_why_a_delivery_was_not_taken_down(tmp_path, sqlite_url, cms_server):
    feed = {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://example.gov.cn",
            "count_in_report": False}
    config = write_config(tmp_path, sqlite_url, {"website": cms_block(cms_server), "feed": feed})
    item_id = add(config)
    assert cli(config, "run", "--once").exit_code == 0
    edit(config, channels={"website": cms_block(cms_server), "feed": {**feed, "enabled": False}},
         routing={"default": ["website"]})
    result = cli(config, "item", "retract", str(item_id))
    assert result.exit_code == 1
    assert "website        retracted" in result.stdout
    assert "feed           published  (the channel is not enabled in the configuration" in result.stdout


def test_run_once_exits_1_when_a_worker_crashed(config, monkeypatch):
    item_id = add(config)

    def broken(*args, **kwargs):
        raise RuntimeError("bookkeeping bug")

    monkeypatch.setattr("publisher.ledger.store.build_item_view", broken)
    result = cli(config, "run", "--once")
    assert result.exit_code == 1 and "error: 1" in result.stdout
    monkeypatch.undo()
    assert website(config, item_id)["status"] == "publishing"  # left to its lease, then settled by look-up


def test_a_body_cannot_publish_a_local_file_that_is_not_a_picture(config, tmp_path):
    secret = tmp_path / "id_rsa"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----", encoding="utf-8")
    body = tmp_path / "notice.html"
    body.write_text(f'<p>通知</p><img src="{secret}">', encoding="utf-8")
    result = cli(config, "queue", "add", "--title", "通知", "--category", "其他", "--body-file", str(body))
    assert result.exit_code == 2 and "body: image" in result.stderr and "not a picture file" in result.stderr
    assert item_count(config) == 0 and not (tmp_path / "attachments").exists()


def test_a_slow_delivery_keeps_its_lease_so_no_other_daemon_posts_it_again(sqlite_url, make_app, cms_server, clock):
    import threading

    app = make_app(sqlite_url, {"website": cms_block(cms_server)})
    item_id = queue_one(app, ItemRequest(title="关于公示的通知", category="公示公告", body="<p>公示</p>"))
    adapter = app.channel("website")
    publish, started, release, renewed = adapter.publish, threading.Event(), threading.Event(), threading.Event()

    def slow_publish(item, ctx):  # a slow site: the request outlives the lease (in simulated time)
        started.set()
        assert release.wait(10)
        return publish(item, ctx)

    adapter.publish = slow_publish
    slow = Dispatcher(app, worker_id="daemon-a", heartbeat=0.01)
    renew = slow.renew_leases

    def renew_and_tell(claims):
        before = clock.now()  # a renewal that started after the clock moved renews from the new time
        renew(claims)
        if started.is_set() and before > lease_end:
            renewed.set()

    slow.renew_leases = renew_and_tell
    lease_end = clock.now() + timedelta(minutes=2)
    runner = threading.Thread(target=slow.run_due)
    runner.start()
    try:
        assert started.wait(10)
        clock.advance(timedelta(minutes=3))  # past the first lease
        assert renewed.wait(10)
        other = Dispatcher(app, worker_id="daemon-b")
        assert other.run_due().total == 0  # the lease was renewed: nothing to take over
        other.close()
    finally:
        release.set()
        runner.join()
        slow.close()
    assert next(iter(app.store.get_item(item_id)["deliveries"]))["status"] == "published"
    assert cms_server.emulator.create_calls == 1


def test_report_format_follows_the_output_extension(config, tmp_path):
    for name, start in (("r.docx", b"PK"), ("r.html", b"<!doctype html>"), ("r.json", b"{"), ("r.md", b"# ")):
        result = cli(config, "report", "--year", "2019", "-o", str(tmp_path / name))
        assert result.exit_code == 0, result.output
        assert (tmp_path / name).read_bytes().startswith(start), name
    result = cli(config, "report", "--year", "2019", "--format", "md", "-o", str(tmp_path / "plain.docx"))
    assert result.exit_code == 2 and "--format md" in result.stderr and "plain.docx" in result.stderr  # must agree
    assert not (tmp_path / "plain.docx").exists()


@pytest.mark.skipif(not Path("/proc/self/mem").is_file(), reason="needs Linux /proc (a file that cannot be read)")
@pytest.mark.parametrize("option, field", [("--body-file", "body_file"), ("--attach", "attach")])
def test_a_file_that_cannot_be_read_is_a_named_input_error(config, option, field):
    result = cli(config, "queue", "add", "--title", "通知", "--category", "其他", option, "/proc/self/mem")
    assert result.exit_code == 2 and f"{field}: cannot read /proc/self/mem" in result.stderr
    result = cli(config, "queue", "import", "/proc/self/mem")
    assert result.exit_code == 2 and "cannot read /proc/self/mem" in result.stderr
    assert item_count(config) == 0


def test_a_database_that_goes_away_mid_command_is_an_error_not_a_traceback(tmp_path, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from publisher.ledger.store import Store

    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'p.db'}",
                          {"feed": {"type": "rss", "output": str(tmp_path / "f.xml"), "site_url": "http://x"}})

    def gone(*_a, **_k):
        raise OperationalError("SELECT 1", {}, Exception("could not connect to server: Connection refused"))

    monkeypatch.setattr(Store, "list_items", gone)
    monkeypatch.setattr("publisher.ledger.listing.list_items", gone)  # what `queue list` reads through now
    result = CliRunner().invoke(main, ["--config", str(config), "queue", "list"])
    assert result.exit_code == 1
    assert "error: database: could not connect to server" in result.output
    assert "Traceback" not in result.output

"""Review before publishing (三审) through the real CLI: four users take an item from draft to every channel;
the rules refuse with exit 3 and name themselves; rejection and edits restart review; the gate holds the last
approval; offices never see each other's items; the audit chain notices a hand-edited row. SQLite and PostgreSQL,
the CMS emulator on loopback."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import create_engine, text

from conftest import cms_block, write_config
from publisher.cli.main import main

STAFF = [("ed", "editor"), ("rev1", "reviewer"), ("rev2", "reviewer"), ("boss", "approver"), ("adm", "admin")]
ID_NUMBER = "320623198503121233"  # a valid GB 11643 check digit


class Office:
    """A configured office with review on, its staff, the CMS emulator and an RSS feed."""

    def __init__(self, tmp_path: Path, db_url: str, server, **extra):
        self.dir = tmp_path
        self.server = server
        self.db_url = db_url
        blocks = {"website": cms_block(server),
                  "feed": {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://www.example.gov.cn",
                           "count_in_report": False}}
        self.config = write_config(tmp_path, db_url, blocks, routing={"default": ["website", "feed"]},
                                   review={"enabled": True}, office={"name": "测试县住房和城乡建设局", "code": "rudong"},
                                   **extra)
        assert self.cli("user", "add", "adm", "--role", "admin").exit_code == 0  # the first user needs no admin
        for name, role in STAFF[:-1]:
            assert self.cli("--as", "adm", "user", "add", name, "--role", role).exit_code == 0

    def cli(self, *args: str, input: str | None = None):
        result = CliRunner().invoke(main, ["--config", str(self.config), *args], input=input,
                                    env={"PUBLISHER_CONFIG": None, "PUBLISHER_USER": None})
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        return result

    def ok(self, *args: str) -> dict | list:
        result = self.cli(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def add(self, *args: str, user: str = "ed") -> int:
        return self.ok("--as", user, "queue", "add", "--category", "公示公告", *args)["id"]

    def deliveries(self, item_id: int, user: str = "ed") -> dict[str, str]:
        return {d["channel"]: d["status"] for d in self.ok("--as", user, "item", "show", str(item_id))["deliveries"]}

    def run_once(self):
        return self.cli("run", "--once")


@pytest.fixture
def office(tmp_path, db_url, cms_server):
    return Office(tmp_path, db_url, cms_server)


def test_four_users_take_an_item_from_draft_to_every_channel(office):
    item = office.add("--title", "关于2019年公共租赁住房保障资格审核结果的公示", "--body", "<p>经审核，现予公示。</p>")
    assert office.ok("--as", "ed", "review", "show", str(item))["state"] == "draft"
    office.run_once()
    assert office.deliveries(item) == {"website": "pending", "feed": "pending"}  # a draft is never published

    assert office.ok("--as", "ed", "review", "submit", str(item))["step"] == {"name": "初审", "role": "reviewer"}
    assert [r["id"] for r in office.ok("--as", "rev1", "review", "list", "--mine")] == [item]
    assert office.ok("--as", "rev1", "review", "approve", str(item), "--comment", "文字无误")["step"]["name"] == "复审"
    office.run_once()
    assert office.deliveries(item) == {"website": "pending", "feed": "pending"}  # nor one half-way through review
    assert office.ok("--as", "rev2", "review", "approve", str(item))["step"]["name"] == "终审"
    assert office.ok("--as", "boss", "review", "approve", str(item))["state"] == "approved"
    assert office.run_once().exit_code == 0
    assert office.deliveries(item) == {"website": "published", "feed": "published"}
    assert len(office.server.emulator.live_articles()) == 1

    history = office.ok("--as", "ed", "review", "show", str(item))["history"]
    assert [(h["decision"], h["step"], h["user"]) for h in history] == [
        ("submitted", None, "ed"), ("approved", "初审", "rev1"), ("approved", "复审", "rev2"),
        ("approved", "终审", "boss")]
    kinds = [e["kind"] for e in reversed(office.ok("--as", "ed", "audit", "--item", str(item)))]
    assert kinds[:5] == ["queued", "review_submitted", "review_approved", "review_approved", "review_approved"]
    assert "published" in kinds
    actors = {e["actor"] for e in office.ok("--as", "ed", "audit", "--item", str(item)) if e["kind"].startswith("review")}
    assert actors == {"ed", "rev1", "rev2", "boss"}


def test_self_approval_and_a_second_step_by_the_same_user_are_refused(office):
    item = office.add("--title", "关于征求意见的通知", "--body", "<p>正文</p>", user="boss")  # an approver writes it
    office.ok("--as", "boss", "review", "submit", str(item))
    refused = office.cli("--as", "boss", "review", "approve", str(item))
    assert refused.exit_code == 3 and "own_item" in refused.stderr

    office.ok("--as", "rev1", "review", "approve", str(item))
    twice = office.cli("--as", "rev1", "review", "approve", str(item))
    assert twice.exit_code == 3 and "two_steps" in twice.stderr
    editor = office.cli("--as", "ed", "review", "approve", str(item))
    assert editor.exit_code == 3 and "role" in editor.stderr
    nobody = office.cli("review", "approve", str(item))
    assert nobody.exit_code == 3 and "user" in nobody.stderr
    assert office.ok("--as", "ed", "review", "show", str(item))["step"]["name"] == "复审"  # nothing moved


def test_a_rejection_returns_the_item_and_an_edit_after_approval_restarts_review(office):
    item = office.add("--title", "关于开展安全检查的通知", "--body", "<p>第一稿</p>")
    office.ok("--as", "ed", "review", "submit", str(item))
    office.ok("--as", "rev1", "review", "approve", str(item))
    no_reason = office.cli("--as", "rev2", "review", "reject", str(item), "--comment", " ")
    assert no_reason.exit_code == 2 and "comment" in no_reason.stderr
    office.ok("--as", "rev2", "review", "reject", str(item), "--comment", "日期写错了")
    assert [r["id"] for r in office.ok("--as", "ed", "review", "list", "--mine")] == [item]
    assert office.ok("--as", "ed", "review", "show", str(item))["state"] == "rejected"

    office.ok("--as", "ed", "review", "submit", str(item))  # a fresh round: rev1 may take 初审 again
    office.ok("--as", "rev1", "review", "approve", str(item))
    office.ok("--as", "rev2", "review", "approve", str(item))
    shown = office.ok("--as", "ed", "item", "edit", str(item), "--body", "<p>第二稿</p>")
    assert shown["state"] == "in_review" and shown["step"]["name"] == "初审" and shown["revision"] == 2
    office.run_once()
    assert office.deliveries(item)["website"] == "pending"
    for user in ("rev1", "rev2", "boss"):
        office.ok("--as", user, "review", "approve", str(item))
    office.run_once()
    assert office.server.emulator.live_articles()[0]["content"].count("第二稿") == 1

    retimed = office.ok("--as", "ed", "item", "show", str(item))
    assert retimed["review"]["state"] == "approved"
    late_edit = office.ok("--as", "ed", "item", "edit", str(item), "--title", "改标题")  # a correction: reviewed again
    assert late_edit["state"] == "in_review" and late_edit["step"]["name"] == "初审"
    office.run_once()
    assert office.server.emulator.live_articles()[0]["title"] == "关于开展安全检查的通知"  # not before its approval


def test_an_id_number_in_an_attached_spreadsheet_holds_the_last_approval_until_masked_or_overridden(office):
    book = Workbook()
    sheet = book.active
    sheet.title = "名单"
    sheet.append(["序号", "姓名", "身份证号"])
    sheet.append([1, "张三", ID_NUMBER])
    path = office.dir / "名单.xlsx"
    book.save(path)
    result = office.cli("--as", "ed", "queue", "add", "--category", "公示公告", "--title", "保障房资格公示",
                        "--body", "<p>名单见附件。</p>", "--attach", str(path))
    assert result.exit_code == 0 and "id_number" in result.stderr and "名单" in result.stderr
    item = int(result.stdout.strip())
    [finding] = office.ok("--as", "ed", "review", "show", str(item))["findings"]
    assert finding["kind"] == "id_number" and finding["field"] == "attachment:名单.xlsx"
    assert "C2" in finding["where"] and ID_NUMBER not in json.dumps(finding, ensure_ascii=False)

    office.ok("--as", "ed", "review", "submit", str(item))
    office.ok("--as", "rev1", "review", "approve", str(item))
    office.ok("--as", "rev2", "review", "approve", str(item))
    held = office.cli("--as", "boss", "review", "approve", str(item))
    assert held.exit_code == 3 and "gate" in held.stderr

    masked = office.cli("--as", "ed", "check", str(item), "--mask", "--json")
    assert masked.exit_code == 0, masked.output  # clean afterwards
    data = json.loads(masked.stdout)
    assert data["masked"] == 1 and data["findings"] == [] and data["revision"] == 2
    shown = office.ok("--as", "ed", "review", "show", str(item))
    assert shown["state"] == "in_review" and shown["step"]["name"] == "初审"  # masked text is new text: review again
    for user in ("rev1", "rev2", "boss"):
        office.ok("--as", user, "review", "approve", str(item))
    assert office.run_once().exit_code == 0
    assert office.deliveries(item)["website"] == "published"


def test_an_approver_may_override_a_finding_with_a_logged_reason(office):
    item = office.add("--title", "关于表彰先进个人的决定", "--body", f"<p>联系人手机13812345678</p>")
    office.ok("--as", "ed", "review", "submit", str(item))
    office.ok("--as", "rev1", "review", "approve", str(item))
    office.ok("--as", "rev2", "review", "approve", str(item))
    assert office.cli("--as", "boss", "review", "approve", str(item)).exit_code == 3
    done = office.ok("--as", "boss", "review", "approve", str(item), "--override", "单位公务手机，已同意公开")
    assert done["state"] == "approved" and done["history"][-1]["override"] == "单位公务手机，已同意公开"
    [event] = [e for e in office.ok("--as", "ed", "audit", "--item", str(item)) if e["kind"] == "review_approved"
               and e["detail"].get("override")]
    assert event["actor"] == "boss"


def test_the_gate_alone_on_files_reports_places_and_exits_1(office):
    body = office.dir / "notice.txt"
    body.write_text("第一行\n秘密★1年\n联系电话：0513-84512345\n", encoding="utf-8")
    found = office.cli("check", "--title", "通知", "--body-file", str(body), "--json")
    assert found.exit_code == 1
    [finding] = json.loads(found.stdout)["findings"]
    assert finding["kind"] == "classification" and finding["where"] == "line 2"
    clean = office.cli("check", "--title", "关于秘书处工作的通知")
    assert clean.exit_code == 0


def test_an_item_late_in_review_is_not_published_and_goes_as_soon_as_it_is_approved(office):
    past = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat(timespec="seconds")
    item = office.add("--title", "关于停水的通知", "--body", "<p>停水</p>", "--at", past)
    office.ok("--as", "ed", "review", "submit", str(item))
    office.run_once()
    shown = office.ok("--as", "ed", "item", "show", str(item))
    assert shown["review"]["late"] is True and shown["deliveries"][0]["status"] == "pending"
    assert office.ok("--as", "rev1", "review", "list")[0]["late"] is True
    for user in ("rev1", "rev2", "boss"):
        office.ok("--as", user, "review", "approve", str(item))
    office.run_once()
    assert office.deliveries(item)["website"] == "published"


def test_with_late_wait_an_item_approved_late_waits_for_a_new_time(tmp_path, sqlite_url, cms_server):
    office = Office(tmp_path, sqlite_url, cms_server)
    doc = office.config.read_text(encoding="utf-8").replace("enabled: true", "enabled: true\n  late: wait", 1)
    office.config.write_text(doc, encoding="utf-8")
    past = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat(timespec="seconds")
    item = office.add("--title", "关于停水的通知", "--body", "<p>停水</p>", "--at", past)
    office.ok("--as", "ed", "review", "submit", str(item))
    for user in ("rev1", "rev2", "boss"):
        office.ok("--as", user, "review", "approve", str(item))
    office.run_once()
    assert office.ok("--as", "ed", "item", "show", str(item))["review"]["held"] is True
    assert office.deliveries(item)["website"] == "pending"
    soon = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat(timespec="seconds")
    office.ok("--as", "ed", "item", "edit", str(item), "--at", soon)  # a new time: no new review
    assert office.ok("--as", "ed", "review", "show", str(item))["state"] == "approved"
    office.run_once()
    assert office.deliveries(item)["website"] == "published"


def test_one_office_never_sees_or_acts_on_another_offices_items(office):
    assert office.cli("--as", "adm", "user", "add", "other_ed", "--role", "editor", "--office", "haimen").exit_code == 3
    assert office.cli("user", "add", "other_adm", "--role", "admin", "--office", "haimen").exit_code == 0  # its first
    from publisher.config.load import load_config
    from publisher.ledger.store import Store
    from publisher.accounts.users import add_user

    store = Store.open(load_config(office.config).database_url)
    add_user(store, "other_ed", "editor", "haimen")
    add_user(store, "other_boss", "approver", "haimen")
    store.engine.dispose()

    mine = office.add("--title", "如东的公示", "--body", "<p>如东</p>")
    theirs = office.add("--title", "海门的公示", "--body", "<p>海门</p>", user="other_ed")
    office.ok("--as", "other_ed", "review", "submit", str(theirs))
    for args in (("item", "show", str(mine)), ("review", "show", str(mine)), ("review", "submit", str(mine)),
                 ("review", "approve", str(mine)), ("item", "edit", str(mine), "--title", "改"),
                 ("item", "retract", str(mine)), ("audit", "--item", str(mine)), ("check", str(mine))):
        result = office.cli("--as", "other_boss", *args)
        assert result.exit_code == 2 and f"no item with id {mine}" in result.stderr, (args, result.output)
    assert [r["id"] for r in office.ok("--as", "rev1", "review", "list")] == [mine]
    assert [r["id"] for r in office.ok("--as", "other_boss", "review", "list")] == [theirs]
    assert {r["name"] for r in office.ok("--as", "other_ed", "user", "list")} == {"other_adm", "other_ed", "other_boss"}
    audit_items = {e["item_id"] for e in office.ok("--as", "other_ed", "audit") if e["item_id"]}
    assert audit_items == {theirs}


def test_audit_verify_names_an_event_edited_or_removed_by_hand(office):
    item = office.add("--title", "关于公示的通知", "--body", "<p>正文</p>")
    office.ok("--as", "ed", "review", "submit", str(item))
    intact = office.cli("audit", "verify")
    assert intact.exit_code == 0 and "intact" in intact.stdout

    engine = create_engine(office.db_url)
    with engine.begin() as conn:
        target = conn.execute(text("SELECT id, seq FROM events WHERE kind = 'review_submitted'")).one()
        conn.execute(text("UPDATE events SET actor = 'rev1' WHERE id = :id"), {"id": target.id})
    broken = office.cli("audit", "verify")
    assert broken.exit_code == 1 and f"event {target.id} " in broken.stderr and "altered" in broken.stderr
    with engine.begin() as conn:
        conn.execute(text("UPDATE events SET actor = 'ed' WHERE id = :id"), {"id": target.id})
        first = conn.execute(text("SELECT id FROM events WHERE seq = 2")).scalar()
        conn.execute(text("DELETE FROM events WHERE id = :id"), {"id": first})
    engine.dispose()
    removed = office.cli("audit", "verify")
    assert removed.exit_code == 1 and "no. 2" in removed.stderr and "missing" in removed.stderr


def test_review_disabled_publishes_what_is_queued(tmp_path, sqlite_url, cms_server):
    config = write_config(tmp_path, sqlite_url, {"website": cms_block(cms_server)})
    result = CliRunner().invoke(main, ["--config", str(config), "queue", "add", "--title", "通知", "--category", "其他",
                                       "--body", "<p>x</p>"], env={"PUBLISHER_CONFIG": None})
    assert result.exit_code == 0
    CliRunner().invoke(main, ["--config", str(config), "run", "--once"], env={"PUBLISHER_CONFIG": None})
    assert len(cms_server.emulator.live_articles()) == 1
    refused = CliRunner().invoke(main, ["--config", str(config), "review", "submit", result.stdout.strip()],
                                 env={"PUBLISHER_CONFIG": None})
    assert refused.exit_code == 3 and "review_disabled" in refused.stderr


def test_the_tally_counts_only_the_configured_offices_items(tmp_path, sqlite_url, cms_server):
    from publisher.config.load import load_config
    from publisher.ledger.store import Store
    from publisher.accounts.users import add_user

    config = write_config(tmp_path, sqlite_url, {"website": cms_block(cms_server)})
    store = Store.open(load_config(config).database_url)
    add_user(store, "hm_editor", "editor", "haimen")  # another office sharing the database
    store.engine.dispose()

    def cli(*args):
        return CliRunner().invoke(main, ["--config", str(config), *args], env={"PUBLISHER_CONFIG": None,
                                                                              "PUBLISHER_USER": None})

    year = datetime.now(timezone.utc).year
    assert cli("queue", "add", "--title", "本局通知", "--category", "其他", "--body", "<p>x</p>").exit_code == 0
    assert cli("--as", "hm_editor", "queue", "add", "--title", "海门通知", "--category", "其他",
               "--body", "<p>x</p>").exit_code == 0
    assert cli("run", "--once").exit_code == 0 and len(cms_server.emulator.live_articles()) == 2
    counted = json.loads(cli("tally", "--year", str(year), "--json").stdout)
    assert counted["publications"] == 1 and counted["channels"][0]["by_category"] == {"其他": 1}

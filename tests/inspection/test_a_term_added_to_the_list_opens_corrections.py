"""A term added to the office's 错敏词 list finds the items already published with it and opens a correction task
for each finding; the task stays listed until the item is corrected or it is dismissed with a reason."""

from __future__ import annotations

import json

import yaml

from conftest import cms_block, run_cli, write_config

OLD_NAME = "县建设局"


def _publish(tmp_path, db_url, cms_server) -> tuple[object, list[int]]:
    config = write_config(tmp_path, db_url, {"website": cms_block(cms_server)})
    ids = []
    for title, body in (("关于开展安全检查的通知", f"<p>{OLD_NAME}将于下周开展检查。</p>"),
                        ("工作动态", "<p>我局召开会议。</p>")):
        queued = run_cli(config, "queue", "add", "--title", title, "--category", "公示公告", "--body", body, "--json")
        assert queued.exit_code == 0, queued.output
        ids.append(json.loads(queued.stdout)["id"])
    ran = run_cli(config, "run", "--once")
    assert ran.exit_code == 0, ran.output
    return config, ids


def _add_term(tmp_path, config) -> None:
    terms = tmp_path / "office_terms.yaml"
    terms.write_text(yaml.safe_dump({"terms": [{"word": OLD_NAME, "right": "县住房和城乡建设局", "category": "机构名称",
                                                 "note": "2019年机构改革后已更名"}]}, allow_unicode=True),
                     encoding="utf-8")
    doc = yaml.safe_load(config.read_text(encoding="utf-8"))
    doc["gate"] = {"terms_file": str(terms)}
    config.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


def test_a_new_term_finds_published_items_and_opens_a_correction_each(tmp_path, db_url, cms_server):
    config, (with_term, without) = _publish(tmp_path, db_url, cms_server)
    clean = run_cli(config, "check", "--published", "--json")
    assert clean.exit_code == 0, clean.output
    assert json.loads(clean.stdout)["scanned"] == 2

    _add_term(tmp_path, config)
    found = run_cli(config, "check", "--published", "--json")
    assert found.exit_code == 1, found.output
    report = json.loads(found.stdout)
    assert report["opened"] == 1 and [i["id"] for i in report["items"]] == [with_term]
    task = report["open"][0]
    assert (task["item_id"], task["kind"], task["field"], task["where"]) == (with_term, "term", "body", "line 1")
    assert OLD_NAME in task["text"] and task["suggestion"] == "县住房和城乡建设局"
    assert task["remedies"] == [{"channel": "website", "remedy": "update"}]

    again = run_cli(config, "check", "--published", "--json")
    assert json.loads(again.stdout)["opened"] == 0  # a task is opened once, not at every re-scan
    listed = run_cli(config, "corrections", "list", "--json")
    assert [t["id"] for t in json.loads(listed.stdout)] == [task["id"]]


def test_a_correction_is_listed_until_the_item_is_corrected(tmp_path, db_url, cms_server):
    config, (with_term, _) = _publish(tmp_path, db_url, cms_server)
    _add_term(tmp_path, config)
    run_cli(config, "check", "--published")
    edited = run_cli(config, "item", "edit", str(with_term), "--body", "<p>县住房和城乡建设局将于下周开展检查。</p>")
    assert edited.exit_code == 0, edited.output
    assert run_cli(config, "run", "--once").exit_code == 0
    article = next(a for a in cms_server.emulator.live_articles() if "检查" in a["content"])
    assert OLD_NAME not in article["content"].replace("县住房和城乡建设局", "")  # updated in place on the portal

    rescanned = run_cli(config, "check", "--published", "--json")
    assert rescanned.exit_code == 0, rescanned.output
    assert json.loads(rescanned.stdout)["corrected"] == 1
    closed = json.loads(run_cli(config, "corrections", "list", "--status", "corrected", "--json").stdout)
    assert [t["item_id"] for t in closed] == [with_term] and closed[0]["closed_by"]


def test_a_dismissed_correction_records_its_reason_and_stays_dismissed(tmp_path, db_url, cms_server):
    config, (with_term, _) = _publish(tmp_path, db_url, cms_server)
    _add_term(tmp_path, config)
    task = json.loads(run_cli(config, "check", "--published", "--json").stdout)["open"][0]
    refused = run_cli(config, "corrections", "dismiss", str(task["id"]), "--reason", " ")
    assert refused.exit_code == 2
    done = run_cli(config, "corrections", "dismiss", str(task["id"]), "--reason", "引用历史文件原文", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["status"] == "dismissed"
    assert run_cli(config, "check", "--published", "--json").exit_code == 0  # not opened again
    audit = json.loads(run_cli(config, "audit", "--item", str(with_term), "--json").stdout)
    audit = audit if isinstance(audit, list) else audit.get("events", audit)
    assert any(e["kind"] == "correction_dismissed" and "引用历史文件原文" in json.dumps(e, ensure_ascii=False)
               for e in audit)


def test_check_published_takes_since_and_channel(tmp_path, db_url, cms_server):
    config, _ = _publish(tmp_path, db_url, cms_server)
    _add_term(tmp_path, config)
    later = run_cli(config, "check", "--published", "--since", "2999-01-01", "--json")
    assert later.exit_code == 0 and json.loads(later.stdout)["scanned"] == 0
    unknown = run_cli(config, "check", "--published", "--channel", "nowhere")
    assert unknown.exit_code == 2 and "nowhere" in unknown.output
    bad = run_cli(config, "check", "--published", "--since", "yesterday")
    assert bad.exit_code == 2


def test_a_copy_left_on_a_channel_keeps_the_correction_open_until_it_is_retracted(tmp_path, db_url, cms_server):
    config, (with_term, _) = _publish(tmp_path, db_url, cms_server)
    _add_term(tmp_path, config)
    run_cli(config, "check", "--published")
    edited = run_cli(config, "item", "edit", str(with_term), "--body", "<p>县住房和城乡建设局将于下周开展检查。</p>",
                     "--leave", "website")
    assert edited.exit_code == 0, edited.output
    assert run_cli(config, "run", "--once").exit_code == 0
    still = run_cli(config, "check", "--published", "--json")
    assert still.exit_code == 1 and json.loads(still.stdout)["corrected"] == 0  # the portal still shows the old text

    assert run_cli(config, "item", "retract", str(with_term), "--reason", "名称有误").exit_code == 0
    assert run_cli(config, "run", "--once").exit_code == 0
    closed = run_cli(config, "check", "--published", "--json")
    assert closed.exit_code == 0, closed.output
    assert json.loads(closed.stdout)["corrected"] == 1

"""`report --queue` files the report itself as an item (HTML body, PDF attached) that goes through review like
any other, once per year."""

from __future__ import annotations

import json

from publisher.runtime.app import App
from report_support import backfill, cli, office


def test_the_report_is_queued_as_a_draft_with_its_pdf_and_only_once(tmp_path, sqlite_url):
    config = office(tmp_path, sqlite_url, report={"queue_category": "其他"})
    text = config.read_text(encoding="utf-8") + "review:\n  enabled: true\n"
    config.write_text(text.replace("review:\n  enabled: false\n", ""), encoding="utf-8")
    backfill(config, tmp_path)
    result = cli(config, "report", "--year", "2019", "--queue")
    assert result.exit_code == 0, result.output
    item_id = int(result.stdout.strip())
    shown = json.loads(cli(config, "item", "show", str(item_id), "--json").stdout)
    assert shown["title"].startswith("2019年") and shown["category"] == "其他" and shown["key"] == "annual-report-2019"
    assert shown["review"]["state"] == "draft"
    [pdf] = shown["attachments"]
    assert pdf["filename"].endswith(".pdf") and pdf["size"] > 10_000
    again = cli(config, "report", "--year", "2019", "--queue")
    assert again.exit_code == 2 and "annual-report-2019" in again.stderr


def test_an_unknown_queue_category_is_named(tmp_path, sqlite_url):
    config = office(tmp_path, sqlite_url)  # 计划总结 is not among this office's categories
    backfill(config, tmp_path)
    result = cli(config, "report", "--year", "2019", "--queue")
    assert result.exit_code == 2 and "report.queue_category" in result.stderr


def test_the_queued_article_carries_the_report_only_and_the_office_notes_go_to_stderr(tmp_path, sqlite_url):
    config = office(tmp_path, sqlite_url, report={"queue_category": "其他", "idle": {"channels": {"website": "14d"}}})
    backfill(config, tmp_path)
    result = cli(config, "report", "--year", "2019", "--queue")
    assert result.exit_code == 0, result.output
    assert "未更新" in result.stderr  # the office hears of the gap
    body = App.load(config).store.get_item(int(result.stdout.strip()))["body_html"]
    assert "提请说明" not in body and "未更新" not in body
    assert "六、" in body

"""Tasks arrive as 上级 send them — an Excel sheet or a GBK CSV with Chinese column names — and are recorded all
or none; a bad row is named by its line; `tally` and `report --explain` give the 转载率 per account and quarter.
SQLite and PostgreSQL, through the CLI."""

from __future__ import annotations

import json

from openpyxl import Workbook

from conftest import run_cli, write_config


def _config(tmp_path, db_url):
    feed = {"type": "rss", "display_name": "网站RSS", "output": str(tmp_path / "feed.xml"),
            "site_url": "http://www.example.gov.cn"}
    return write_config(tmp_path, db_url, {"feed": feed}, reposts={"other_accounts": ["抖音号", "今日头条"]})


def test_an_excel_sheet_and_a_gbk_csv_are_recorded_and_a_bad_row_records_nothing(tmp_path, db_url):
    config = _config(tmp_path, db_url)
    book = Workbook()
    sheet = book.active
    sheet.append(["标题", "原文链接", "账号", "截止日期", "下发单位"])
    sheet.append(["转载：防汛工作部署", "https://www.example.gov.cn/a/1.html", "feed、抖音号", "2030-03-05", "市应急局"])
    sheet.append(["转载：安全生产月", "https://www.example.gov.cn/a/2.html", "今日头条", "2030-05-20", "市委网信办"])
    book.save(tmp_path / "tasks.xlsx")
    assert run_cli(config, "reposts", "import", str(tmp_path / "tasks.xlsx")).exit_code == 0

    csv = "标题,原文链接,账号,截止日期\n转载：垃圾分类,https://www.example.gov.cn/a/3.html,feed,2030-08-01\n"
    (tmp_path / "tasks.csv").write_bytes(csv.encode("gbk"))
    assert run_cli(config, "reposts", "import", str(tmp_path / "tasks.csv")).exit_code == 0
    listed = json.loads(run_cli(config, "reposts", "list", "--json").stdout)
    assert [(t["title"], [a["account"] for a in t["accounts"]], t["due_on"]) for t in listed] == [
        ("转载：防汛工作部署", ["feed", "抖音号"], "2030-03-05"), ("转载：安全生产月", ["今日头条"], "2030-05-20"),
        ("转载：垃圾分类", ["feed"], "2030-08-01")]
    assert listed[0]["issuer"] == "市应急局"

    bad = "标题,原文链接,账号,截止日期\n好的,https://www.example.gov.cn/a/4.html,feed,2030-01-01\n" \
          "坏的,https://www.example.gov.cn/a/5.html,快手号,2030-01-01\n"
    (tmp_path / "bad.csv").write_text(bad, encoding="utf-8")
    refused = run_cli(config, "reposts", "import", str(tmp_path / "bad.csv"))
    assert refused.exit_code == 2 and "line 3" in refused.stderr and "快手号" in refused.stderr
    assert len(json.loads(run_cli(config, "reposts", "list", "--json").stdout)) == 3  # nothing of the bad file

    done = run_cli(config, "reposts", "done", str(listed[1]["id"]), "--channel", "今日头条",
                   "--url", "https://www.toutiao.com/article/1/", "--at", "2030-05-19T10:00")
    assert done.exit_code == 0, done.output
    rates = {(r["quarter"], r["account"]): r for r in json.loads(run_cli(config, "tally", "--year", "2030",
                                                                          "--json").stdout)["reposts"]}
    assert rates[(2, "今日头条")]["rate"] == 1.0 and rates[(1, None)]["required"] == 2
    explain = run_cli(config, "report", "--year", "2030", "--explain").stdout
    assert "reposts Q2 今日头条: 1/1 carried on time (100%)" in explain


def test_make_names_the_accounts_publisher_does_not_serve(tmp_path, db_url):
    config = _config(tmp_path, db_url)
    added = run_cli(config, "reposts", "add", "--title", "转载", "--source", "https://www.example.gov.cn/a.html",
                    "--channel", "抖音号", "--due", "2030-01-01", "--json")
    task_id = json.loads(added.stdout)["id"]
    made = run_cli(config, "reposts", "make", str(task_id))
    assert made.exit_code == 2 and "reposts done" in made.stderr
    no_source = run_cli(config, "reposts", "add", "--title", "转载", "--channel", "feed", "--due", "2030-01-01")
    assert no_source.exit_code == 2 and "source" in no_source.stderr


def test_a_task_given_as_a_document_makes_an_item_carrying_it(tmp_path, db_url):
    config = _config(tmp_path, db_url)
    (tmp_path / "原文.pdf").write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    added = run_cli(config, "reposts", "add", "--title", "转载：文件", "--document", str(tmp_path / "原文.pdf"),
                    "--channel", "feed", "--due", "2030-02-02", "--json")
    task_id = json.loads(added.stdout)["id"]
    (tmp_path / "原文.pdf").unlink()  # the register keeps its own copy
    item_id = json.loads(run_cli(config, "reposts", "make", str(task_id), "--json").stdout)["item_id"]
    item = json.loads(run_cli(config, "item", "show", str(item_id), "--json").stdout)
    assert [a["filename"] for a in item["attachments"]] == ["原文.pdf"] and item["title"] == "转载：文件"
    again = run_cli(config, "reposts", "make", str(task_id))
    assert again.exit_code == 3 and "repost_made" in again.stderr

"""`publisher catalogue` exports the office's 政府信息公开目录 for a year as an inspector or a portal's import reads
it: every record first published in the year, in order, back-filled ones marked 补录."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from openpyxl import load_workbook

from conftest import cms_block, run_cli, write_config
from publisher.config.load import load_config
from publisher.delivery.dispatcher import Dispatcher
from publisher.items.intake import ItemRequest, queue_one
from publisher.runtime.app import App


def _office(tmp_path, db_url, cms_server, clock):
    config = write_config(tmp_path, db_url, {"website": cms_block(cms_server)}, catalogue={"org_code": "014160123"})
    app = App.from_config(load_config(config), clock)
    first = queue_one(app, ItemRequest(title="如东县住房租赁管理办法", category="政策文件", body="<p>办法</p>",
                                       catalogue={"doc_no": "东住建〔2019〕12号", "written_on": "2019-05-20",
                                                  "genre": "规范性文件"}))
    Dispatcher(app).run_due()
    clock.advance(timedelta(days=1))
    queue_one(app, ItemRequest(title="《如东县住房租赁管理办法》解读", category="政策文件", body="<p>解读</p>",
                               catalogue={"genre": "解读", "interprets": first}))
    Dispatcher(app).run_due()
    backfill = tmp_path / "old.csv"
    backfill.write_text("channel,title,category,published_at,url\n"
                        "website,2019年第一季度工作简报,其他,2019-03-01T09:00:00+08:00,https://example.gov.cn/1.html\n",
                        encoding="utf-8")
    assert run_cli(config, "backfill", str(backfill)).exit_code == 0
    app.close()
    return config


def test_the_catalogue_lists_the_years_records_in_order_with_their_numbers(tmp_path, db_url, cms_server, clock):
    config = _office(tmp_path, db_url, cms_server, clock)
    result = run_cli(config, "catalogue", "--year", "2019")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert [r["名称"] for r in rows] == ["2019年第一季度工作简报", "如东县住房租赁管理办法", "《如东县住房租赁管理办法》解读"]
    backfilled, policy, reading = rows
    assert backfilled["备注"] == "补录" and backfilled["发布日期"] == "2019-03-01"
    assert policy["索引号"].startswith("014160123/2019-") and policy["文号"] == "东住建〔2019〕12号"
    assert policy["成文日期"] == "2019-05-20" and policy["发布日期"] == "2019-06-01"
    assert reading["解读对象索引号"] == policy["索引号"] and reading["链接"].startswith(cms_server.url)
    assert run_cli(config, "catalogue", "--year", "2018").stdout.strip().count("\n") == 0  # the heading alone


def test_the_catalogue_as_json_and_excel_holds_the_same_rows(tmp_path, db_url, cms_server, clock):
    config = _office(tmp_path, db_url, cms_server, clock)
    as_json = json.loads(run_cli(config, "catalogue", "--year", "2019", "--format", "json").stdout)
    assert [r["title"] for r in as_json][1] == "如东县住房租赁管理办法"
    book_path = tmp_path / "目录.xlsx"
    assert run_cli(config, "catalogue", "--year", "2019", "--format", "xlsx", "-o", str(book_path)).exit_code == 0
    sheet = load_workbook(book_path).active
    values = list(sheet.values)
    assert values[0][0] == "索引号" and [v[1] for v in values[1:]] == [r["title"] for r in as_json]
    again = run_cli(config, "catalogue", "--year", "2019", "--format", "xlsx", "-o", str(book_path))
    assert again.exit_code == 2 and "--output" in again.output  # an earlier export is never overwritten
    assert run_cli(config, "catalogue", "--year", "2019", "--format", "xlsx").exit_code == 2

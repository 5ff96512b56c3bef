"""Table 二 (一) of the annual report comes from the records (issue 20): 规章 and 规范性文件 made in the year, repealed
in the year and in force at its end, counted from the items' genre, first publication and validity (2021 and 2019
templates); the YAML data file keeps only what no item carries. ``tally --json`` and the report give the 解读比例, the
forms used, the policies without a 解读, the 解读 later than 3 working days and the publications later than 20
working days (section 五's warning). Real SQLite and PostgreSQL, the cms emulator over HTTP, an injected clock."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from conftest import cms_block, run_cli
from publisher.delivery.dispatcher import Dispatcher
from publisher.errors import InputError
from publisher.foundation.clock import SimulatedClock
from publisher.items.intake import ItemRequest, queue_one
from publisher.items.validity import set_validity
from publisher.report.build import build_report


@pytest.fixture
def clock() -> SimulatedClock:
    """Starts in March 2018: the office's older rule goes out then."""
    return SimulatedClock(datetime(2018, 3, 5, 2, 0, tzinfo=timezone.utc))


def publish(app, title: str, genre: str, written_on: str, **catalogue) -> int:
    item = queue_one(app, ItemRequest(title=title, category="政策文件", body=f"<p>{title}</p>", catalogue={
        "genre": genre, "written_on": written_on, **catalogue}))
    assert Dispatcher(app).run_due().outcomes["published"] >= 1
    return item


@pytest.fixture
def year_of_records(make_app, db_url, cms_server, clock, tmp_path):
    """2018: a 规范性文件 (B); 2019: a 规范性文件 (A) with a 图解 out 8 working days later, a 规章 (C) without one, a
    notice written 2 months before it went out (E); B repealed in July."""
    app = make_app(db_url, {"portal": cms_block(cms_server)}, report={"date": "2020-01-15"})
    old = publish(app, "东住建〔2018〕5号 住房租赁管理规定", "规范性文件", "2018-03-01")
    clock.set(datetime(2019, 6, 3, 2, 0, tzinfo=timezone.utc))
    policy = publish(app, "东住建〔2019〕12号 公共租赁住房管理办法", "规范性文件", "2019-05-20")
    rule = publish(app, "东莞市物业管理规章", "规章", "2019-06-01")
    late = publish(app, "关于做好防汛工作的通知", "通知", "2019-04-01")
    clock.set(datetime(2019, 6, 13, 2, 0, tzinfo=timezone.utc))
    jiedu = publish(app, "图解：公共租赁住房管理办法", "解读", "2019-06-10", interprets=str(policy),
                    interpretation_form="图解")
    clock.advance(timedelta(days=40))
    set_validity(app, app.current_actor(), old, "废止", "2019-07-15", "东住建〔2019〕12号", by=policy)
    Dispatcher(app).run_due()
    return app, {"old": old, "policy": policy, "rule": rule, "late": late, "jiedu": jiedu}


def rows_of(report: dict) -> dict:
    block = report["tables"]["二"]["blocks"][0]
    return {r["label"]: r for r in block["rows"]}


def test_table_two_first_block_is_counted_from_the_records_in_both_templates(year_of_records):
    app, ids = year_of_records
    rows = rows_of(build_report(app.store, app.config, 2019, template="2021"))
    assert rows["行政规范性文件"]["values"] == {"本年制发件数": 1, "本年废止件数": 1, "现行有效件数": 1}
    assert rows["规章"]["values"] == {"本年制发件数": 1, "本年废止件数": 0, "现行有效件数": 1}
    sources = rows["行政规范性文件"]["sources"]
    assert sources["本年废止件数"] == {"from": "records", "genre": "规范性文件", "items": [ids["old"]]}
    assert sources["现行有效件数"]["items"] == [ids["policy"]]

    rows = rows_of(build_report(app.store, app.config, 2018, template="2021"))
    assert rows["行政规范性文件"]["values"] == {"本年制发件数": 1, "本年废止件数": 0, "现行有效件数": 1}
    rows = rows_of(build_report(app.store, app.config, 2019, template="2019"))
    assert rows["规范性文件"]["values"] == {"本年新制作数量": 1, "本年新公开数量": 1, "对外公开总数量": 2}


def test_the_data_file_cannot_also_give_a_cell_the_records_count(year_of_records, tmp_path):
    from publisher.report.tables import table2
    from publisher.report.records import record_rows, table2_from_records

    app, _ids = year_of_records
    with app.store.engine.connect() as conn:
        counted = table2_from_records(record_rows(conn, app.config, app.config.office.code), "2021", 2019)
    with pytest.raises(InputError) as bad:
        table2("2021", {"规章": {"本年制发件数": 3}}, counted)
    assert bad.value.field == "table2.规章.本年制发件数"
    kept = table2("2021", {"行政许可": {"本年处理决定数量": 7}}, counted)  # what no item carries stays in the file
    assert kept["blocks"][1]["rows"][0]["values"] == {"本年处理决定数量": 7}


def test_tally_and_the_report_give_the_interpretation_ratio_forms_and_the_late_ones(year_of_records, tmp_path):
    app, ids = year_of_records
    report = build_report(app.store, app.config, 2019, template="2021")
    j = report["records"]["interpretations"]
    assert (j["policies"], j["with_interpretation"], j["ratio"], j["forms"]) == (2, 1, 0.5, {"图解": 1})
    assert [p["id"] for p in j["without"]] == [ids["rule"]]
    assert [(r["id"], r["due"]) for r in j["late"]] == [(ids["jiedu"], "2019-06-06")]
    assert [r["id"] for r in report["records"]["late_publications"]] == [ids["late"]]
    assert any("超过20个工作日" in w and f"第{ids['late']}号" in w for w in report["warnings"])
    assert any("晚于政策文件公开后3个工作日" in w for w in report["warnings"])

    out = run_cli(tmp_path / "config.yaml", "tally", "--year", "2019", "--json")
    assert out.exit_code == 0, out.output
    tally = json.loads(out.stdout)
    assert tally["interpretations"]["ratio"] == 0.5 and tally["interpretations"]["forms"] == {"图解": 1}
    assert [r["id"] for r in tally["late_publications"]] == [ids["late"]]

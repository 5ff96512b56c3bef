"""`publisher applications`: the register behind Table 三, deadlines in China's working days, carry-over, identities."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import create_engine, insert

from publisher.foundation.workdays import add_workdays, answer_due, is_workday
from report_support import cli, office, report_json, write_yaml

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the register is plain SQL


def test_deadline_skips_the_2019_national_day_holiday_and_counts_the_make_up_sunday():
    assert not is_workday(date(2019, 10, 1)) and not is_workday(date(2019, 10, 7))
    assert is_workday(date(2019, 9, 29))  # a Sunday worked to make up for the holiday
    assert is_workday(date(2019, 10, 12))  # a Saturday, likewise
    # received Friday 20 September: 5 days that week, Sunday 29th, Monday 30th, then 8–12 October (incl. Saturday),
    # 14–18 and 21–23 October
    assert answer_due(date(2019, 9, 20), extended=False) == date(2019, 10, 23)
    assert answer_due(date(2019, 9, 20), extended=True) == add_workdays(date(2019, 10, 23), 20) == date(2019, 11, 20)
    assert add_workdays(date(2019, 9, 27), 1) == date(2019, 9, 29)  # Friday → the make-up Sunday


@SQLITE
def test_add_list_due_and_close(tmp_path, db_url, monkeypatch):
    config = office(tmp_path, db_url)
    added = cli(config, "applications", "add", "--received", "2019-09-20", "--applicant", "自然人",
                "--subject", "公租房分配名单", "--json")
    assert added.exit_code == 0, added.output
    application = json.loads(added.stdout)
    assert application["due_on"] == "2019-10-23" and application["closed_on"] is None
    listed = json.loads(cli(config, "applications", "list", "--json").stdout)
    assert [a["id"] for a in listed] == [application["id"]]
    too_late = cli(config, "applications", "extend", str(application["id"]))  # due 2019-10-23, long past
    assert too_late.exit_code == 3 and "extend-before-deadline" in too_late.stderr
    closed = cli(config, "applications", "close", str(application["id"]), "--outcome", "部分公开", "--date", "2019-11-25")
    assert closed.exit_code == 0 and "late: due 2019-10-23" in closed.stdout
    again = cli(config, "applications", "close", str(application["id"]), "--outcome", "予以公开", "--date", "2019-11-26")
    assert again.exit_code == 2 and "closed on 2019-11-25" in again.stderr
    r = report_json(config, "--year", "2019")
    assert any("超过期限2019-10-23" in w for w in r["warnings"])  # answered late: for section 五


@SQLITE
def test_due_lists_what_is_about_to_be_late(tmp_path, db_url):
    config = office(tmp_path, db_url)
    today = datetime.now(timezone.utc).date()
    for received in (today, date(2019, 1, 2)):
        assert cli(config, "applications", "add", "--received", received.isoformat(), "--applicant", "商业企业").exit_code == 0
    assert cli(config, "applications", "add", "--received", "2019-01-03", "--applicant", "自然人", "--outcome", "予以公开",
               "--closed", "2019-01-10").exit_code == 0
    due = json.loads(cli(config, "applications", "list", "--due", "--json").stdout)
    assert [a["received_on"] for a in due] == ["2019-01-02"]  # the late one; today's has 20 working days left
    assert due[0]["working_days_left"] < 0
    assert "LATE by" in cli(config, "applications", "list", "--due").stdout
    wide = json.loads(cli(config, "applications", "list", "--due", "25", "--json").stdout)
    assert len(wide) == 2


@SQLITE
def test_import_is_all_or_nothing_and_names_the_line(tmp_path, db_url):
    config = office(tmp_path, db_url)
    source = tmp_path / "apps.csv"
    source.write_text("received_on,applicant_type,outcome,closed_on\n2019-03-01,自然人,予以公开,2019-03-10\n"
                      "2019-03-02,个体户,,\n", encoding="utf-8")
    result = cli(config, "applications", "import", str(source))
    assert result.exit_code == 2 and "line 3" in result.stderr and "applicant_type" in result.stderr
    assert json.loads(cli(config, "applications", "list", "--json").stdout) == []
    source.write_text("received_on,applicant_type,outcome,closed_on\n2019-03-01,自然人,无效结果,2019-03-10\n", encoding="utf-8")
    result = cli(config, "applications", "import", str(source))
    assert result.exit_code == 2 and "outcome" in result.stderr
    source.write_text("received_on,applicant_type,outcome,closed_on\n2019-03-05,自然人,予以公开,2019-03-01\n", encoding="utf-8")
    assert "before the application was received" in cli(config, "applications", "import", str(source)).stderr


@SQLITE
def test_open_at_year_end_is_carried_over_and_appears_next_year(tmp_path, db_url):
    config = office(tmp_path, db_url)
    source = tmp_path / "apps.jsonl"
    rows = [{"received_on": "2019-04-01", "applicant_type": "自然人", "outcome": "予以公开", "closed_on": "2019-04-15"},
            {"received_on": "2019-12-24", "applicant_type": "科研机构"},
            {"received_on": "2019-12-26", "applicant_type": "自然人", "outcome": "本机关不掌握相关政府信息",
             "closed_on": "2020-01-08"},
            {"received_on": "2020-02-03", "applicant_type": "自然人", "outcome": "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
             "closed_on": "2020-03-02"}]
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    assert cli(config, "applications", "import", str(source)).exit_code == 0

    def table(year: int, *extra: str) -> dict[str, dict]:
        return {r["key"]: r["values"] for r in report_json(config, "--year", str(year), *extra)["tables"]["三"]["rows"]}

    t2019 = table(2019)
    assert t2019["一"]["总计"] == 3 and t2019["二"]["总计"] == 0
    assert t2019["三.七"]["总计"] == 1 and t2019["1"]["自然人"] == 1
    assert t2019["四"] == {"自然人": 1, "商业企业": 0, "科研机构": 1, "社会公益组织": 0, "法律服务机构": 0, "其他": 0, "总计": 2}
    t2020 = table(2020)
    assert t2020["二"]["总计"] == 2 and t2020["二"]["科研机构"] == 1  # 上年结转
    assert t2020["一"]["总计"] == 1
    assert t2020["4.1"]["自然人"] == 1 and t2020["6"]["自然人"] == 1  # 2019 format: one row for 其他处理
    assert t2020["四"]["科研机构"] == 1
    t2021_format = table(2020, "--template", "2021")
    assert t2021_format["6.1"]["自然人"] == 1 and "6" not in t2021_format


@SQLITE
def test_identity_violations_are_refused_naming_the_column(tmp_path, db_url):
    data = write_yaml(tmp_path / "data.yaml", {2019: {"table3": {"一": {"自然人": 5, "商业企业": 2},
                                                                 "予以公开": {"自然人": 4, "商业企业": 2},
                                                                 "四": {"自然人": 0}}}})
    config = office(tmp_path, db_url, report={"data_file": str(data)})
    result = cli(config, "report", "--year", "2019")
    assert result.exit_code == 3
    assert "rule table3-identity" in result.stderr and "column 自然人: 一+二 = 5, 三（七）+四 = 4" in result.stderr
    assert "商业企业" not in result.stderr.split("table3-identity")[1].split(";")[0]
    check = cli(config, "report", "--year", "2019", "--check")
    assert check.exit_code == 1 and "FAIL table3-identity" in check.stdout
    assert cli(config, "report", "--year", "2019", "--freeze").exit_code == 3


@SQLITE
def test_a_register_row_that_breaks_the_identity_is_refused(tmp_path, db_url):
    config = office(tmp_path, db_url)
    assert cli(config, "applications", "list").exit_code == 0  # creates the schema
    from publisher.report.registers.tables import applications

    engine = create_engine(db_url)
    with engine.begin() as conn:  # closed before it was received: only a hand edit of the database can do this
        conn.execute(insert(applications).values(received_on=date(2019, 6, 1), applicant_type="社会公益组织",
                                                 outcome="1", closed_on=date(2018, 12, 1), extended=0,
                                                 created_at=datetime.now(timezone.utc)))
    engine.dispose()
    result = cli(config, "report", "--year", "2019")
    assert result.exit_code == 3 and "column 社会公益组织" in result.stderr


@SQLITE
def test_table4_totals_are_checked(tmp_path, db_url):
    config = office(tmp_path, db_url)
    assert cli(config, "appeals", "add", "--kind", "行政复议", "--filed", "2019-05-01", "--result", "结果维持",
               "--decided", "2019-06-20").exit_code == 0
    assert cli(config, "appeals", "add", "--kind", "复议后起诉", "--filed", "2019-11-01").exit_code == 0
    bad = cli(config, "appeals", "add", "--kind", "信访", "--filed", "2019-11-01")
    assert bad.exit_code == 2 and "kind" in bad.stderr
    rows = {r["label"]: r["values"] for r in report_json(config, "--year", "2019")["tables"]["四"]["rows"]}
    assert rows["行政复议"] == {"结果维持": 1, "结果纠正": 0, "其他结果": 0, "尚未审结": 0, "总计": 1}
    assert rows["复议后起诉"]["尚未审结"] == 1 and rows["复议后起诉"]["总计"] == 1
    data = write_yaml(tmp_path / "data.yaml", {2019: {"table4": {"行政复议": {"结果维持": 2, "结果纠正": 1, "总计": 2}}}})
    config = office(tmp_path, db_url, report={"data_file": str(data)})
    result = cli(config, "report", "--year", "2019")
    assert result.exit_code == 3 and "rule table4-totals: 行政复议: results add up to 3, 总计 is 2" in result.stderr

"""Registers that follow the law: an appeal is decided once and counted once, an extension only before the
deadline, no future dates, deadlines in years whose holidays are unknown are marked (or use the office's file)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from publisher.foundation import workdays
from publisher.foundation.workdays import HolidayFile, answer_due, read_holidays, use_holidays
from report_support import cli, office, report_json

HOLIDAYS_2027 = """\
2027:
  holidays: [2027-01-01, 2027-02-05..2027-02-11]
  workdays: [2027-02-20]
"""


def test_an_appeal_is_decided_once_and_counted_once(tmp_path, sqlite_url):
    config = office(tmp_path, sqlite_url)
    added = cli(config, "appeals", "add", "--kind", "行政复议", "--filed", "2019-11-02")
    appeal_id = added.stdout.strip()
    assert cli(config, "appeals", "add", "--kind", "行政复议", "--filed", "2019-12-01").exit_code == 0
    pending = report_json(config, "--year", "2019")["tables"]["四"]
    decided = cli(config, "appeals", "decide", appeal_id, "--result", "纠正", "--on", "2020-02-03")
    assert decided.exit_code == 0, decided.output
    again = cli(config, "appeals", "decide", appeal_id, "--result", "维持", "--on", "2020-03-01")
    assert again.exit_code == 3 and "decided-once" in again.stderr
    year_2020 = report_json(config, "--year", "2020")["tables"]["四"]
    assert _cell(pending, "行政复议", "尚未审结") == 2
    assert _cell(year_2020, "行政复议", "结果纠正") == 1 and _cell(year_2020, "行政复议", "总计") == 2
    listed = json.loads(cli(config, "appeals", "list", "--json").stdout)
    assert [a["result"] for a in listed] == ["结果纠正", None]


def _cell(table: dict, kind: str, result: str) -> int:
    for row in table["rows"]:
        if row["label"] == kind or kind in row["label"]:
            return row["values"][result]
    return sum(r["values"].get(f"{kind}.{result}", 0) for r in table["rows"])


def test_future_dates_are_refused_naming_the_field(tmp_path, sqlite_url):
    config = office(tmp_path, sqlite_url)
    tomorrow = (datetime.now(timezone.utc).date() + timedelta(days=2)).isoformat()
    result = cli(config, "applications", "add", "--received", tomorrow, "--applicant", "自然人")
    assert result.exit_code == 2 and "received_on" in result.stderr
    result = cli(config, "appeals", "add", "--kind", "行政复议", "--filed", tomorrow)
    assert result.exit_code == 2 and "--filed" in result.stderr


def test_an_extension_is_granted_before_the_deadline_and_once(tmp_path, sqlite_url):
    config = office(tmp_path, sqlite_url)
    today = datetime.now(timezone.utc).date().isoformat()
    added = json.loads(cli(config, "applications", "add", "--received", today, "--applicant", "自然人", "--json").stdout)
    assert cli(config, "applications", "extend", str(added["id"])).exit_code == 0
    again = cli(config, "applications", "extend", str(added["id"]))
    assert again.exit_code == 3 and "extend-before-deadline" in again.stderr


def test_a_2027_deadline_is_marked_without_a_holiday_file_and_counted_with_one(tmp_path, sqlite_url):
    use_holidays(HolidayFile())
    received = date(2026, 12, 20)
    assert answer_due(received, False) == date(2027, 1, 15)  # Monday to Friday only: 1 January counted
    assert not workdays.known_through(received, answer_due(received, False))
    path = tmp_path / "holidays.yaml"
    path.write_text(HOLIDAYS_2027, encoding="utf-8")
    try:
        use_holidays(read_holidays(path))
        assert answer_due(received, False) == date(2027, 1, 18)
        assert workdays.known_through(received, date(2027, 1, 18))
        assert workdays.is_workday(date(2027, 2, 20)) and not workdays.is_workday(date(2027, 2, 8))
    finally:
        use_holidays(HolidayFile())
    config = office(tmp_path, sqlite_url)
    added = cli(config, "applications", "add", "--received", "2026-12-04", "--applicant", "自然人")
    assert added.exit_code == 0, added.output
    assert "2027-01-01（节假日安排未知）" in added.stdout
    assert "节假日安排未知" in cli(config, "applications", "list").stdout
    text = config.read_text(encoding="utf-8") + f"registers:\n  holidays_file: {path}\n"
    config.write_text(text, encoding="utf-8")
    listed = json.loads(cli(config, "applications", "list", "--json").stdout)
    assert listed[0]["due_on"] == "2027-01-04" and listed[0]["due_note"] is None  # 1 January is a holiday


def test_a_wrong_holiday_file_is_named(tmp_path, sqlite_url):
    config = office(tmp_path, sqlite_url)
    (tmp_path / "holidays.yaml").write_text("2027:\n  holidays: [2027-13-01]\n", encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8") + "registers:\n  holidays_file: holidays.yaml\n",
                      encoding="utf-8")
    result = cli(config, "check-config")
    assert result.exit_code == 2 and "registers.holidays_file" in result.stderr and "2027-13-01" in result.stderr


def test_check_config_warns_from_the_first_of_december_when_next_year_is_unknown(tmp_path, sqlite_url):
    use_holidays(HolidayFile())  # the package's data only (an earlier in-process command may have set a file)
    assert workdays.missing_arrangement(date(2026, 11, 30)) is None
    assert workdays.missing_arrangement(date(2026, 12, 1)) == 2027
    config = office(tmp_path, sqlite_url)
    result = cli(config, "check-config", "--offline")
    if workdays.missing_arrangement(datetime.now(timezone.utc).date()) is not None:
        assert "registers.holidays_file" in result.stderr


def test_applications_import_reads_an_xlsx_workbook_and_a_gbk_csv(tmp_path, sqlite_url):
    from openpyxl import Workbook

    config = office(tmp_path, sqlite_url)
    book = Workbook()
    sheet = book.active
    sheet.append(["received_on", "applicant_type", "subject", "outcome", "closed_on"])
    sheet.append([datetime(2019, 3, 4), "自然人", "公租房名单", "予以公开", datetime(2019, 3, 20)])
    sheet.append([None, None, None, None, None])
    book.save(tmp_path / "register.xlsx")
    (tmp_path / "register.csv").write_bytes("received_on,applicant_type,subject\n2019-05-06,商业企业,拆迁补偿标准\n"
                                            .encode("gbk"))
    for name in ("register.xlsx", "register.csv"):
        result = cli(config, "applications", "import", str(tmp_path / name))
        assert result.exit_code == 0, result.output
    listed = json.loads(cli(config, "applications", "list", "--json").stdout)
    assert [(a["received_on"], a["subject"], a["closed_on"]) for a in listed] == [
        ("2019-03-04", "公租房名单", "2019-03-20"), ("2019-05-06", "拆迁补偿标准", None)]


def test_a_carry_over_that_disagrees_with_the_filed_year_is_named(tmp_path, sqlite_url):
    config = office(tmp_path, sqlite_url)
    added = json.loads(cli(config, "applications", "add", "--received", "2019-12-25", "--applicant", "自然人",
                           "--json").stdout)
    frozen = cli(config, "report", "--year", "2019", "--freeze")
    assert frozen.exit_code == 0, frozen.output  # filed: 结转下年度 1
    assert cli(config, "applications", "close", str(added["id"]), "--outcome", "予以公开",
               "--date", "2019-12-30").exit_code == 0  # the register corrected after filing
    result = cli(config, "report", "--year", "2020", "--check", env={"PUBLISHER_LANG": "en"})
    assert result.exit_code == 1
    line = next(x for x in result.output.splitlines() if "carried-over-matches-filed" in x)
    assert "2020 上年结转 is 0, the filed 2019 结转下年度 is 1" in line


def test_legal_pauses_stop_the_clock_so_lawful_answers_are_not_late(tmp_path, sqlite_url):
    config = office(tmp_path, sqlite_url)

    def add(received: str) -> int:
        return json.loads(cli(config, "applications", "add", "--received", received, "--applicant", "自然人",
                              "--json").stdout)["id"]

    correction, third_party, fee = add("2019-03-04"), add("2019-03-04"), add("2019-03-04")  # due 2019-04-01
    steps = [(correction, "补正", "2019-03-06", "2019-03-20"),   # counts anew from 20 March: due 2019-04-18
             (third_party, "第三方", "2019-03-11", "2019-03-22"),  # ten working days not counted: due 2019-04-16
             (fee, "收费", "2019-03-25", None)]                   # still waiting for payment
    for app_id, reason, first, last in steps:
        result = cli(config, "applications", "pause", str(app_id), "--reason", reason, "--from", first,
                     *(["--to", last] if last else []))
        assert result.exit_code == 0, result.output
    assert cli(config, "applications", "pause", str(fee), "--reason", "收费", "--from", "2019-03-25",
               "--to", "2019-04-02").exit_code == 0
    listed = {a["id"]: a for a in json.loads(cli(config, "applications", "list", "--json").stdout)}
    assert listed[correction]["due_on"] == "2019-04-18" and listed[third_party]["due_on"] == "2019-04-16"
    for app_id, day in ((correction, "2019-04-15"), (third_party, "2019-04-12"), (fee, "2019-04-09")):
        closed = cli(config, "applications", "close", str(app_id), "--outcome", "予以公开", "--date", day)
        assert closed.exit_code == 0 and "late" not in closed.stdout, closed.output
    assert not any("超过期限" in w for w in report_json(config, "--year", "2019")["warnings"])

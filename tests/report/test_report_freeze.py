"""`report --freeze` and `--diff`: the figures as filed never change silently."""

from __future__ import annotations

import json

import pytest

from report_support import backfill, cli, office, report_json

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


def test_frozen_report_keeps_its_figures_and_diff_shows_each_changed_cell(tmp_path, db_url):
    config = office(tmp_path, db_url)
    backfill(config, tmp_path)
    assert cli(config, "applications", "add", "--received", "2019-03-04", "--applicant", "自然人",
               "--outcome", "予以公开", "--closed", "2019-03-20").exit_code == 0
    before = report_json(config, "--year", "2019")
    frozen = cli(config, "report", "--year", "2019", "--freeze")
    assert frozen.exit_code == 0 and "froze the 2019 report" in frozen.stdout
    assert cli(config, "report", "--year", "2019", "--diff").stdout.startswith("2019 report frozen at")

    # later: one more 2019 publication is back-filled, and a 2019 application is recorded late
    backfill(config, tmp_path, rows=[("website", "补录的通知", "公示公告", "2019-06-01T09:00")], name="late.csv")
    assert cli(config, "applications", "add", "--received", "2019-07-01", "--applicant", "商业企业").exit_code == 0

    after = report_json(config, "--year", "2019")
    assert after["tables"] == before["tables"] and after["tally"] == before["tally"]  # as filed
    assert any("此后台账有" in w and "--diff" in w for w in after["warnings"])
    stderr = cli(config, "report", "--year", "2019").stderr
    assert "此后台账有" in stderr  # said, not silent

    diff = json.loads(cli(config, "report", "--year", "2019", "--diff", "--format", "json").stdout)
    changes = {c["cell"]: (c["frozen"], c["now"]) for c in diff["changes"]}
    assert changes["发布合计"] == (7, 8)
    assert changes["渠道/测试网站平台/公示公告"] == (1, 2)
    assert changes["表三/一、本年新收政府信息公开申请数量/商业企业"] == (0, 1)
    assert changes["表三/四、结转下年度继续办理/总计"] == (0, 1)
    text = cli(config, "report", "--year", "2019", "--diff").stdout
    assert "渠道/测试网站平台/合计: 5 → 6" in text

    again = cli(config, "report", "--year", "2019", "--freeze")
    assert again.exit_code == 3 and "rule: frozen-once" in again.stderr
    assert report_json(config, "--year", "2020")["tally"]["publications"] == 1  # other years are live


def test_diff_needs_a_frozen_report(tmp_path, db_url):
    config = office(tmp_path, db_url)
    result = cli(config, "report", "--year", "2019", "--diff")
    assert result.exit_code == 2 and "not frozen" in result.stderr


def test_a_text_edited_after_the_freeze_shows_in_diff_and_is_filed_as_a_recorded_revision(tmp_path, db_url):
    config = office(tmp_path, db_url)
    backfill(config, tmp_path)
    assert cli(config, "report", "--year", "2019", "--freeze").exit_code == 0
    (tmp_path / "report" / "problems.md").write_text("主要问题:人员不足;改进:增加编制。", encoding="utf-8")
    assert "增加编制" not in cli(config, "report", "--year", "2019").stdout  # the filed text is served
    diff = json.loads(cli(config, "report", "--year", "2019", "--diff", "--format", "json").stdout)
    [change] = diff["changes"]
    assert "五、" in change["cell"] and "加强培训" in change["frozen"] and "增加编制" in change["now"]
    again = cli(config, "report", "--year", "2019", "--freeze")
    assert again.exit_code == 3 and "--reason" in again.stderr
    revised = cli(config, "report", "--year", "2019", "--freeze", "--reason", "更正第五部分")
    assert revised.exit_code == 0 and "revision 2" in revised.stdout
    assert "增加编制" in cli(config, "report", "--year", "2019").stdout
    filed = report_json(config, "--year", "2019")
    assert filed["revision"] == 2 and filed["revisions"][0]["changes"][0]["cell"] == change["cell"]
    assert '"report_revised"' in cli(config, "audit", "--json").stdout

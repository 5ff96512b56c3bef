"""`publisher report`: the whole statutory report as data — six sections, three tables, checks, narrative files."""

from __future__ import annotations

import csv
import io
import re

import pytest

from report_support import backfill, cli, office, report_json, write_yaml

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # rendering does not depend on the database

PARAGRAPH = ("2019年，我局主动公开政府信息7条（各渠道发布合计；涉及不重复信息6条）。测试网站平台全年共发布部门动态信息5条，"
             "其中机构概况1条，政策文件1条，水质检测2条，公示公告1条。公共资源交易中心网站发布信息2条。")


@pytest.fixture
def filled(tmp_path, db_url):
    config = office(tmp_path, db_url)
    backfill(config, tmp_path)
    return config


def test_json_has_six_sections_three_tables_and_the_ledger_paragraph(filled):
    r = report_json(filled, "--year", "2019")
    assert r["title"] == "2019年测试县住房和城乡建设局政府信息公开工作年度报告"
    assert r["preface"] == ("根据《中华人民共和国政府信息公开条例》规定，《2019年测试县住房和城乡建设局政府信息公开工作年度报告》"
                            "已经研究同意，现予公开发布。")
    assert [s["number"] for s in r["sections"]] == ["一", "二", "三", "四", "五", "六"]
    assert [s["title"] for s in r["sections"]] == ["总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请情况",
                                                   "政府信息公开行政复议、行政诉讼情况", "存在的主要问题及改进情况",
                                                   "其他需要报告的事项"]
    assert set(r["tables"]) == {"二", "三", "四"}
    assert [s["table"] for s in r["sections"]] == [None, "二", "三", "四", None, None]
    overview = r["sections"][0]["text"]
    assert f"2.{PARAGRAPH}" in overview  # placed by the office's {{ channel_paragraph }}
    assert "1.2019年，我局认真贯彻落实《条例》。" in overview
    assert r["sections"][4]["text"] == "主要问题：人员不足；改进：加强培训。"  # half-width punctuation made full-width
    assert all(c["ok"] for c in r["checks"]), r["checks"]
    assert r["template"] == "2019" and r["date"] == "2020-01-15"


def test_chinese_text_has_no_half_width_punctuation(filled):
    r = report_json(filled, "--year", "2019")
    texts = [r["preface"]] + [s["text"] for s in r["sections"]]
    for text in texts:
        assert not re.search(r"[\u4e00-\u9fff][,;:()]|[,;:()][\u4e00-\u9fff]", text), text


def test_categories_always_add_up_to_the_channel_total(filled):
    r = report_json(filled, "--year", "2019")
    for ch in r["tally"]["channels"]:
        assert sum(ch["by_category"].values()) == ch["total"]
    rules = {c["rule"]: c["ok"] for c in r["checks"]}
    assert rules["category-sums"] and rules["publications-sum"] and rules["appendix-matches-tally"]


def test_missing_narrative_is_said_in_place_and_check_exits_1(tmp_path, db_url):
    config = office(tmp_path, db_url, narrative={"overview.md": "总体情况。"})
    r = report_json(config, "--year", "2019")
    assert "【本节内容未提供：请撰写 report/problems.md】" == r["sections"][4]["text"]
    assert r["missing_narrative"] == ["report/problems.md", "report/other.md"]
    assert cli(config, "report", "--year", "2019").exit_code == 0  # rendering still works
    check = cli(config, "report", "--year", "2019", "--check")
    assert check.exit_code == 1
    assert "FAIL narrative-present: missing report/problems.md; missing report/other.md" in check.stdout


def test_unknown_placeholder_is_bad_input_naming_file_and_line(tmp_path, db_url):
    config = office(tmp_path, db_url, narrative={"overview.md": "第一段。\n\n{{ channel.weibo.total }}条"})
    result = cli(config, "report", "--year", "2019")
    assert result.exit_code == 2
    assert "overview.md, line 3" in result.stderr and "weibo" in result.stderr


def test_narrative_cannot_reach_python_internals(tmp_path, db_url):
    config = office(tmp_path, db_url, narrative={"overview.md": "{{ ''.__class__.__mro__[1].__subclasses__() }}"})
    result = cli(config, "report", "--year", "2019")
    assert result.exit_code == 2 and "unsafe" in result.stderr


def test_template_follows_the_year_and_can_be_overridden(filled):
    r2019 = report_json(filled, "--year", "2019")
    blocks = r2019["tables"]["二"]["blocks"]
    assert [b["clause"] for b in blocks][-1] == "第二十条第（九）项"
    assert blocks[0]["columns"] == ["本年新制作数量", "本年新公开数量", "对外公开总数量"]
    labels = [row["label"] for row in r2019["tables"]["三"]["rows"]]
    assert "（六）其他处理" in labels
    r2021 = report_json(filled, "--year", "2021")
    assert r2021["template"] == "2021"
    blocks = r2021["tables"]["二"]["blocks"]
    assert [b["rows"][-1]["label"] for b in blocks][0] == "行政规范性文件"
    assert blocks[0]["columns"] == ["本年制发件数", "本年废止件数", "现行有效件数"]
    assert len(blocks) == 4  # (九) 政府集中采购 dropped in 2021
    keys = [row["key"] for row in r2021["tables"]["三"]["rows"]]
    assert {"6.1", "6.2", "6.3"} <= set(keys) and "6" not in keys
    assert report_json(filled, "--year", "2019", "--template", "2021")["template"] == "2021"


def test_table2_cells_say_where_they_come_from(tmp_path, db_url):
    data = write_yaml(tmp_path / "data.yaml", {2019: {"table2": {"规范性文件": {"本年新制作数量": 3, "对外公开总数量": 20},
                                                                 "政府集中采购": {"采购总金额": 120.5}}}})
    config = office(tmp_path, db_url, report={"data_file": str(data), "table2_categories": {"规范性文件": ["政策文件"]}})
    backfill(config, tmp_path)
    r = report_json(config, "--year", "2019")
    rows = {row["label"]: row for b in r["tables"]["二"]["blocks"] for row in b["rows"]}
    doc = rows["规范性文件"]
    assert doc["values"] == {"本年新制作数量": 3, "本年新公开数量": 1, "对外公开总数量": 20}
    assert doc["sources"]["本年新公开数量"]["from"] == "ledger" and doc["sources"]["本年新公开数量"]["items"] == [2]
    assert doc["sources"]["本年新制作数量"] == {"from": "data_file"}
    assert rows["政府集中采购"]["values"]["采购总金额"] == 120.5
    assert rows["规章"]["sources"]["本年新制作数量"] == {"from": "unfilled"}
    assert any("规章·本年新制作数量" in w for w in r["warnings"])
    explained = cli(config, "report", "--year", "2019", "--explain").stdout
    assert "二 规范性文件·本年新公开数量 = 1: ledger, categories 政策文件, items 2" in explained
    assert "政策文件 1: items 2" in explained


def test_data_file_may_not_override_a_ledger_cell(tmp_path, db_url):
    data = write_yaml(tmp_path / "data.yaml", {2019: {"table2": {"规范性文件": {"本年新公开数量": 9}}}})
    config = office(tmp_path, db_url, report={"data_file": str(data), "table2_categories": {"规范性文件": ["政策文件"]}})
    result = cli(config, "report", "--year", "2019")
    assert result.exit_code == 2 and "table2.规范性文件.本年新公开数量" in result.stderr


def test_output_extension_must_agree_with_format(filled, tmp_path):
    result = cli(filled, "report", "--year", "2019", "--format", "pdf", "-o", str(tmp_path / "r.docx"))
    assert result.exit_code == 2
    assert "--format pdf" in result.stderr and "r.docx" in result.stderr
    assert not (tmp_path / "r.docx").exists()
    assert cli(filled, "report", "--year", "2019", "-o", str(tmp_path / "r.md")).exit_code == 0


def test_csv_appendix_lists_every_counted_publication(filled):
    result = cli(filled, "report", "--year", "2019", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert rows[0] == ["条目编号", "标题", "类别", "渠道", "发布时间", "网址", "导入（补录）"]
    assert len(rows) - 1 == 7  # 2020's item is not in 2019
    first = rows[1]
    assert first[1:5] == ["机构职能调整", "机构概况", "测试网站平台", "2019-03-01 09:00:00"]  # office time
    assert first[5].startswith("http://example.gov.cn/") and first[6] == "是"


def test_report_runs_without_channel_secrets(tmp_path, db_url):
    """tally and report read the ledger only; the channel's secret is not needed for them."""
    channels = {"website": {"type": "cms", "display_name": "测试网站平台", "base_url": "http://127.0.0.1:9",
                            "auth_token": "${REPORT_TEST_UNSET_TOKEN}"}}
    config = office(tmp_path, db_url, channels=channels)
    result = cli(config, "report", "--year", "2019", env={"REPORT_TEST_UNSET_TOKEN": None})
    assert result.exit_code == 0, result.output


def test_idle_channels_and_columns_are_warned_for_section_five(tmp_path, db_url):
    config = office(tmp_path, db_url, report={"idle": {"channels": {"trading": "14d"}, "categories": {"政策文件": "180d"}}})
    backfill(config, tmp_path)
    warnings = report_json(config, "--year", "2019")["warnings"]
    assert "公共资源交易中心网站自2019-01-01至2019-05-01连续120天未更新（检查标准：14天）" in warnings
    assert "“政策文件”栏目自2019-04-10至2020-01-01连续265天未更新（检查标准：180天）" in warnings
    assert not any("“政策文件”栏目自2019-01-01" in w for w in warnings)  # 99 days: within six months
    check = cli(config, "report", "--year", "2019", "--check")
    assert check.exit_code == 0 and "warn 公共资源交易中心网站自2019-01-01" in check.stdout  # warnings do not fail


def test_explain_names_the_applications_behind_table3(tmp_path, db_url):
    config = office(tmp_path, db_url)
    for received in ("2019-03-01", "2019-03-02"):
        cli(config, "applications", "add", "--received", received, "--applicant", "自然人", "--outcome", "予以公开",
            "--closed", "2019-03-10")
    explained = cli(config, "report", "--year", "2019", "--explain").stdout
    assert "三 from the applications register" in explained
    assert "三 一、本年新收政府信息公开申请数量·自然人 = 2: applications 1-2" in explained

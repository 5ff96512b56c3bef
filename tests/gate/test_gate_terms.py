"""The 错敏词 list: the shipped starter list, the office's own beside it, and named errors in a bad list."""

from __future__ import annotations

import pytest

from publisher.errors import ConfigError
from publisher.gate import GateConfig, check_text, load_terms, starter_terms


def hits(terms, text: str) -> list[tuple[str, str | None]]:
    return [(f.text, f.suggestion) for f in check_text(text, "body", terms) if f.kind == "term"]


def test_the_starter_list_loads_and_finds_common_wording_errors():
    terms = starter_terms()
    assert 50 <= len(terms) <= 60


def test_the_starter_list_holds_the_inspections_categories_with_right_forms():
    from publisher.gate.terms import CATEGORIES

    terms = starter_terms()
    assert {t.category for t in terms.terms if t.category} == set(CATEGORIES)
    assert [s for _, s in hits(terms, "赴广西省考察，不忘出心、牢记使名，国家卫计委发文。")] == [
        "广西壮族自治区", "不忘初心", "牢记使命", "国家卫生健康委员会（简称国家卫生健康委）"]
    assert [s for _, s in hits(terms, "截止2019年底，其它单位做为试点，再接再励。")] == ["截至", "其他", "作为", "再接再厉"]
    assert [s for _, s in hits(terms, "会议学习贯彻新时代中国特色社会主义思想和党的19大精神。")] == [
        "习近平新时代中国特色社会主义思想", "用汉字数字（如：党的十九大）"]


@pytest.mark.parametrize("text", [
    "报名截止日期为2019年3月10日。", "报名于3月10日截止。", "截止时间以系统为准。", "截至2019年底，共有300户。",
    "其他事项另行通知。", "作为试点单位。", "学习习近平新时代中国特色社会主义思想。", "党的十九大以来。",
    "十九届四中全会。", "依法制定国家标准。", "依法制国家级规划。", "“一带一路”倡议。", "在内地和香港两地。",
    "生活必需品供应充足。", "必须严格遵守。", "台湾地区领导人。", "全国人大常委会。", "国务院办公厅。",
    "一鼓作气。", "2019年第19大类商品。", "19大项工程。",
])
def test_correct_wording_is_not_flagged(text):
    assert hits(starter_terms(), text) == []


def test_the_office_list_adds_replaces_and_disables_starter_entries(tmp_path):
    office = tmp_path / "terms.yaml"
    office.write_text(
        "terms:\n"
        "  - word: 本局\n    right: 我局\n    note: 本办公室的习惯\n"
        "  - word: 其它\n    right: 其他（本办规定）\n"
        "  - id: 敏感地名\n    pattern: '某某(?:事件|风波)'\n    note: 敏感表述，删除或改写\n"
        "disable: [做为]\n", encoding="utf-8")
    terms = load_terms(office)
    assert "本局" in terms.ids() and "做为" not in terms.ids() and len(terms) == len(starter_terms()) + 1
    assert [s for _, s in hits(terms, "本局做为牵头单位，其它单位配合，避免某某事件重演。")] == [
        "我局", "其他（本办规定）", "敏感表述，删除或改写"]


def test_the_office_list_may_be_a_gbk_csv(tmp_path):
    office = tmp_path / "terms.csv"
    office.write_bytes("word,right,note,action\n本局,我局,习惯,\n其它,,,disable\n".encode("gbk"))
    terms = load_terms(office)
    assert [s for _, s in hits(terms, "本局其它")] == ["我局"]


@pytest.mark.parametrize("content, message", [
    ("terms:\n  - word: 本局\n    right: 我局\n  - right: 只有正确写法\n", "line 4: terms[1]: give either 'word' or 'pattern'"),
    ("terms:\n  - pattern: '([未闭合'\n    id: x\n", "line 2: terms[0]: pattern is not a valid regular expression"),
    ("terms:\n  - word: 本局\n    rihgt: 我局\n", "line 2: terms[0]: unknown key 'rihgt'"),
    ("terms:\n  - word: 本局\n  right: 我局\n", "not valid YAML"),
    ("disable: [没有这一条]\n", "disable: no term with id '没有这一条'"),
    ("terms:\n  - pattern: 'a*'\n    id: x\n", "pattern matches empty text"),
])
def test_a_malformed_office_list_is_a_config_error_naming_the_line(tmp_path, content, message):
    office = tmp_path / "terms.yaml"
    office.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_terms(office)
    assert message in str(raised.value) and str(office) in str(raised.value)


def test_a_malformed_csv_list_names_its_line(tmp_path):
    office = tmp_path / "terms.csv"
    office.write_text("word,right,note\n本局,我局,\n,只有正确写法,\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 3: give either 'word' or 'pattern'"):
        load_terms(office)
    office.write_text("词,正确\n本局,我局\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 1: header must name word"):
        load_terms(office)


def test_a_missing_or_unsupported_office_list_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the term list"):
        load_terms(tmp_path / "nope.yaml")
    (tmp_path / "terms.txt").write_text("本局", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\.yaml, \.yml or \.csv"):
        load_terms(tmp_path / "terms.txt")


def test_gate_config_defaults_and_refuses_unknown_keys():
    config = GateConfig()
    assert config.terms_file is None and config.limits.max_cells > 0
    assert GateConfig.model_validate({"terms_file": "terms.yaml", "limits": {"max_pages": 10}}).limits.max_pages == 10
    with pytest.raises(ValueError, match="terms_fiel"):
        GateConfig.model_validate({"terms_fiel": "x"})


def test_gate_config_loads_the_office_list_relative_to_the_config_and_may_drop_the_starter_list(tmp_path):
    (tmp_path / "terms.yaml").write_text("terms:\n  - word: 本局\n    right: 我局\n", encoding="utf-8")
    config = GateConfig.model_validate({"terms_file": "terms.yaml", "use_starter_terms": False})
    assert config.load_terms(tmp_path).ids() == ["本局"]
    assert len(GateConfig().load_terms()) == len(starter_terms())

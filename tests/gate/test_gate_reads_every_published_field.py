"""The gate reads everything that reaches a channel: attribute values, department, author, per-channel titles and
digests, attachment names, XLSX formulas and comments — with invisible characters read as absent."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment

from publisher.gate import check_item, load_terms
from publisher.gate.personal import id_check_digit

TERMS = load_terms()
ID = "32062319900101123" + id_check_digit("32062319900101123")


def findings(*, title="公示", body="<p>见附件</p>", fields=None, attachments=()):
    result = check_item(title=title, summary="", body_html=body, attachments=list(attachments), terms=TERMS,
                        fields=fields)
    return [(str(f.kind), f.field) for f in result.findings], result


@pytest.mark.parametrize("body", [
    f'<p><a title="{ID}" href="/x">联系人</a></p>',
    f'<p><img alt="申请人 {ID}" src="attachment:abc"></p>',
    f'<p><a href="tel:13812345678">电话</a></p>',
    f'<p><a href="/query?id={ID}">查询</a></p>',
])
def test_a_number_in_an_attribute_value_is_found(body):
    found, _ = findings(body=body)
    assert [k for k, field in found if field == "body"], found


@pytest.mark.parametrize("field", ["department", "author", "option:wechat.title", "option:wechat.digest"])
def test_a_number_in_another_published_field_is_found_under_its_name(field):
    found, _ = findings(fields={field: f"经办人 {ID}"})
    assert ("id_number", field) in found


@pytest.mark.parametrize("hidden", ["\u200b", "\u200d", "\u2060", "\ufeff", "\u202e", "\u00ad"])
def test_an_invisible_character_does_not_hide_a_number(hidden):
    found, _ = findings(title=f"公示 {ID[:6]}{hidden}{ID[6:]}", body=f"<p>电话 138{hidden}1234{hidden}5678</p>")
    assert ("id_number", "title") in found and ("mobile", "body") in found


def test_a_number_in_an_attachment_name_is_found(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("无", encoding="utf-8")
    name = f"{ID}张三.txt"
    found, _ = findings(attachments=[(name, path)])
    assert ("id_number", f"attachment:{name}") in found


def test_an_xlsx_comment_and_a_hidden_sheet_are_read(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "名单"
    workbook.active["A1"].comment = Comment(f"身份证 {ID}", "编辑")
    hidden = workbook.create_sheet("隐藏")
    hidden.sheet_state = "hidden"
    hidden["B2"] = "13812345678"
    path = tmp_path / "名单.xlsx"
    workbook.save(path)
    found, result = findings(attachments=[("名单.xlsx", path)])
    assert ("id_number", "attachment:名单.xlsx") in found
    assert ("mobile", "attachment:名单.xlsx") in found
    assert any("A1" in f.where for f in result.findings if str(f.kind) == "id_number")


def test_an_xlsx_formula_without_a_saved_result_is_read_and_left_for_a_person(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active["C7"] = f'="{ID[:9]}"&"{ID[9:]}"'
    path = tmp_path / "公式.xlsx"
    workbook.save(path)  # openpyxl saves no cached result
    found, result = findings(attachments=[("公式.xlsx", path)])
    assert ("id_number", "attachment:公式.xlsx") in found
    assert "公式.xlsx" in result.unchecked

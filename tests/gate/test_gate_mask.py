"""``mask_item`` produces the de-identified copy the inspections ask for, with no unmasked number left."""

from __future__ import annotations

import zipfile

import docx
import openpyxl
import openpyxl.drawing.image
import openpyxl.styles
import PIL.Image

from publisher.gate import FindingKind, check_item, load_terms, mask_item, mask_text
from publisher.gate.findings import PERSONAL_KINDS
from publisher.gate.personal import id_check_digit

TERMS = load_terms()
ID = "32062319900101123" + id_check_digit("32062319900101123")
ID2 = "11010519851231002" + id_check_digit("11010519851231002")
CARD = "6222021234567890128"


def personal(result) -> list:
    return [f for f in result.findings if f.kind in PERSONAL_KINDS]


def test_mask_text_keeps_the_parts_the_inspections_allow():
    text = f"身份证{ID}，手机138-1234-5678，卡号{CARD}，座机0513-84512345"
    assert mask_text(text) == (f"身份证320623********{ID[-4:]}，手机138-****-5678，卡号6222***********0128，"
                               "座机0513-84512345")


def test_masking_the_body_keeps_its_markup(tmp_path):
    body = (f'<p class="x">张三，身份证号3206231990<b>0101{ID[-4:]}</b>，电话<a href="tel:">13812345678</a></p>'
            "<table><tr><td>李四</td><td>13912345678</td></tr></table><p>金额 1,000 元 &amp; 其他</p>")
    item = mask_item(title=f"公示（联系人13612345678）", summary="", body_html=body, attachments=[],
                     out_dir=tmp_path)
    assert item.title == "公示（联系人136****5678）"
    assert item.body_html == ('<p class="x">张三，身份证号320623****<b>****' + ID[-4:] + '</b>，电话<a href="tel:">'
                              "138****5678</a></p><table><tr><td>李四</td><td>139****5678</td></tr></table>"
                              "<p>金额 1,000 元 &amp; 其他</p>")
    assert item.masked == 4
    assert check_item(title=item.title, summary=item.summary, body_html=item.body_html, attachments=[],
                      terms=TERMS).clean


def test_a_body_without_numbers_is_returned_unchanged(tmp_path):
    body = "<p>没有号码<br>的正文</p>"
    assert mask_item(title="t", summary="s", body_html=body, attachments=[], out_dir=tmp_path).body_html is body


def test_masked_docx_xlsx_and_csv_copies_have_no_number_left_and_keep_everything_else(tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    document = docx.Document()
    document.add_paragraph("关于困难家庭救助情况的公示").runs[0].bold = True
    paragraph = document.add_paragraph("联系人：王伟，手机：138")
    paragraph.add_run("1234").italic = True
    paragraph.add_run("5678。")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "李四", ID
    document.sections[0].footer.paragraphs[0].text = f"监督电话 0513-84512345，卡号 {CARD}"
    document.save(source / "公示.docx")

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "名单"
    sheet.append(["姓名", "身份证号", "电话", "人口"])
    sheet.append(["张三", ID, 13912345678, 3])
    sheet.append(["王五", int(ID2), "—", 2])
    sheet.append(["赵六", float(ID2), "—", 1])
    sheet["F1"] = f"备注：联系人{'13712345678'}"
    sheet["F1"].font = openpyxl.styles.Font(bold=True)
    picture = tmp_path / "章.png"
    PIL.Image.new("RGB", (4, 4), "red").save(picture)
    sheet.add_image(openpyxl.drawing.image.Image(str(picture)), "H2")
    workbook.save(source / "名单.xlsx")

    (source / "名单.csv").write_bytes(f"姓名,身份证号,电话\n张三,{ID},138 1234 5678\n".encode("gbk"))
    (source / "扫描件.pdf").write_bytes(b"%PDF-1.4 not really")

    attachments = [(p.name, p) for p in sorted(source.iterdir())]
    before = check_item(title="", summary="", body_html="", attachments=attachments, terms=TERMS)
    assert len(personal(before)) == 10
    out = tmp_path / "out"
    item = mask_item(title="", summary="", body_html="", attachments=attachments, out_dir=out)
    assert [name for name, _ in item.attachments] == [name for name, _ in attachments]
    assert all(path.parent == out and path.name == name for name, path in item.attachments)
    assert item.masked == 10 and item.not_masked == ["扫描件.pdf"]

    after = check_item(title="", summary="", body_html="", attachments=item.attachments, terms=TERMS)
    assert personal(after) == []

    masked_doc = docx.Document(str(out / "公示.docx"))
    assert masked_doc.paragraphs[0].runs[0].bold and masked_doc.paragraphs[0].text == "关于困难家庭救助情况的公示"
    assert masked_doc.paragraphs[1].text == "联系人：王伟，手机：138****5678。"
    assert masked_doc.paragraphs[1].runs[1].italic
    assert masked_doc.tables[0].cell(0, 1).text == f"320623********{ID[-4:]}"
    assert masked_doc.sections[0].footer.paragraphs[0].text == "监督电话 0513-84512345，卡号 6222***********0128"

    masked_book = openpyxl.load_workbook(out / "名单.xlsx")
    assert masked_book.active["F1"].value == "备注：联系人137****5678" and masked_book.active["F1"].font.bold
    assert any(n.startswith("xl/media/") for n in zipfile.ZipFile(out / "名单.xlsx").namelist())  # picture kept
    rows = [row[:4] for row in masked_book.active.values]
    assert rows[1] == ("张三", f"320623********{ID[-4:]}", "139****5678", 3)
    # openpyxl, like Excel, stores an integer this long as a float: the last digits are gone, the rest masked
    assert rows[2][1].startswith("110105********") and rows[2][3] == 2
    assert rows[3][1].startswith("110105********") and rows[3][3] == 1

    assert (out / "名单.csv").read_bytes().decode("gbk") == (
        f"姓名,身份证号,电话\n张三,320623********{ID[-4:]},138 **** 5678\n")
    assert (out / "扫描件.pdf").read_bytes() == b"%PDF-1.4 not really"


def test_masking_leaves_other_findings_for_the_reviewer(tmp_path):
    item = mask_item(title="秘密★1年", summary="截止2019年底", body_html=f"<p>{ID}</p>", attachments=[],
                     out_dir=tmp_path)
    result = check_item(title=item.title, summary=item.summary, body_html=item.body_html, attachments=[],
                        terms=TERMS)
    assert [f.kind for f in result.findings] == [FindingKind.CLASSIFICATION, FindingKind.TERM]

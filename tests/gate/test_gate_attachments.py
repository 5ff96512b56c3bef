"""The gate reads attachments — DOCX, XLSX, PDF, TXT/CSV — and names the place of every finding."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import docx
import openpyxl

from publisher.gate import GateLimits, check_item, load_terms
from publisher.gate.personal import id_check_digit

_spec = importlib.util.spec_from_file_location("pdfmaker", Path(__file__).parents[1] / "data" / "gate" / "pdfmaker.py")
pdfmaker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pdfmaker)

TERMS = load_terms()
ID = "32062319900101123" + id_check_digit("32062319900101123")
ID2 = "11010519851231002" + id_check_digit("11010519851231002")


def gate(*attachments: tuple[str, Path], limits: GateLimits | None = None):
    return check_item(title="公示", summary="", body_html="<p>见附件</p>", attachments=list(attachments),
                      terms=TERMS, limits=limits)


def places(result) -> list[tuple[str, str, str]]:
    return [(str(f.kind), f.field, f.where) for f in result.findings]


def make_xlsx(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "名单"
    sheet.append(["序号", "姓名", "身份证号", "联系电话"])
    sheet.append([1, "张三", ID, "13812345678"])
    sheet.append([2, "李四", "320623********1234", 13912345678])
    sheet.append([3, "王五", int(ID2), None])
    other = workbook.create_sheet("补充")
    other["B2"] = float(ID2)  # stored as a number by a careless import: the last digits are lost
    other["C3"] = "秘密★1年"
    workbook.save(path)
    return path


def test_an_id_number_in_an_attached_xlsx_is_found_with_its_sheet_and_cell(tmp_path):
    result = gate(("名单.xlsx", make_xlsx(tmp_path / "名单.xlsx")))
    assert places(result) == [
        ("id_number", "attachment:名单.xlsx", "sheet 名单 cell C2"),
        ("mobile", "attachment:名单.xlsx", "sheet 名单 cell D2"),
        ("mobile", "attachment:名单.xlsx", "sheet 名单 cell D3"),
        ("id_number", "attachment:名单.xlsx", "sheet 名单 cell C4"),
        ("id_number", "attachment:名单.xlsx", "sheet 补充 cell B2"),
        ("classification", "attachment:名单.xlsx", "sheet 补充 cell C3"),
    ]
    assert result.unchecked == [] and not result.clean
    lost = result.findings[4]
    assert lost.text.startswith("110105********") and "文本格式" in lost.suggestion
    assert all(ID not in f.text and ID2 not in f.text for f in result.findings)


def make_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("秘密★1年")
    document.add_paragraph("关于困难家庭救助情况的报告")
    paragraph = document.add_paragraph("联系人：王伟，手机：138")
    paragraph.add_run("1234").bold = True  # a number split over two runs
    paragraph.add_run("5678。")
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).text, table.cell(0, 1).text = "姓名", "身份证号"
    table.cell(2, 0).text, table.cell(2, 1).text = "李四", ID
    document.add_paragraph("其它事项另行通知。")
    document.sections[0].header.paragraphs[0].text = "内部资料　注意保密"
    document.save(path)
    return path


def test_docx_findings_name_the_paragraph_or_table_cell(tmp_path):
    result = gate(("报告.docx", make_docx(tmp_path / "报告.docx")))
    assert places(result) == [
        ("classification", "attachment:报告.docx", "paragraph 1"),
        ("mobile", "attachment:报告.docx", "paragraph 3"),
        ("id_number", "attachment:报告.docx", "table 1 row 3 cell 2"),
        ("term", "attachment:报告.docx", "paragraph 4"),
        ("classification", "attachment:报告.docx", "header paragraph 1"),
    ]


def test_pdf_findings_name_the_page_and_line(tmp_path):
    pdf = pdfmaker.make_pdf(tmp_path / "名单.pdf", [["第一页", "公示名单"],
                                                   ["第二页", "姓名 张三", "电话 13812345678", f"身份证 {ID}"]])
    result = gate(("名单.pdf", pdf))
    assert places(result) == [("mobile", "attachment:名单.pdf", "page 2 line 3"),
                              ("id_number", "attachment:名单.pdf", "page 2 line 4")]
    assert result.unchecked == []


def test_a_scanned_pdf_image_or_unknown_type_is_listed_as_unchecked(tmp_path):
    scan = pdfmaker.make_pdf(tmp_path / "扫描件.pdf", [[], []], scanned={1, 2})
    picture = tmp_path / "照片.jpg"
    picture.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    old = tmp_path / "名单.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0 old word file")
    result = gate(("扫描件.pdf", scan), ("照片.jpg", picture), ("名单.doc", old))
    assert result.findings == [] and result.clean
    assert result.unchecked == ["扫描件.pdf", "照片.jpg", "名单.doc"]
    assert "text layer" in result.reasons["扫描件.pdf"] and "image" in result.reasons["照片.jpg"]
    assert result.to_json() == {"findings": [], "unchecked": ["扫描件.pdf", "照片.jpg", "名单.doc"]}


def test_a_pdf_with_one_scanned_page_is_checked_and_listed_as_partly_checked(tmp_path):
    pdf = pdfmaker.make_pdf(tmp_path / "a.pdf", [["电话 13812345678"], []], scanned={2})
    result = gate(("a.pdf", pdf))
    assert places(result) == [("mobile", "attachment:a.pdf", "page 1 line 1")]
    assert result.unchecked == ["a.pdf"] and "page 2" in result.reasons["a.pdf"]


def test_a_corrupt_office_file_is_unchecked_not_an_error(tmp_path):
    broken = tmp_path / "坏.docx"
    broken.write_bytes(b"PK\x03\x04 truncated")
    result = gate(("坏.docx", broken))
    assert result.unchecked == ["坏.docx"] and "cannot be read" in result.reasons["坏.docx"]


def test_txt_and_csv_are_decoded_as_utf8_or_gbk_and_checked_by_line(tmp_path):
    csv_file = tmp_path / "名单.csv"
    csv_file.write_bytes(f"姓名,身份证号,电话\n张三,{ID},0513-84512345\n李四,—,13912345678\n".encode("gbk"))
    txt = tmp_path / "说明.txt"
    txt.write_text("第一行\n截止2019年底，共有3户。\n", encoding="utf-8")
    result = gate(("名单.csv", csv_file), ("说明.txt", txt))
    assert places(result) == [("id_number", "attachment:名单.csv", "line 2"),
                              ("mobile", "attachment:名单.csv", "line 3"),
                              ("term", "attachment:说明.txt", "line 2")]


def test_attachments_past_a_limit_are_checked_up_to_it_and_listed_as_partly_checked(tmp_path):
    workbook = openpyxl.Workbook()
    for row in range(1, 41):
        workbook.active.append([f"第{row}行", "13812345678" if row in (5, 30) else "—"])
    workbook.save(tmp_path / "big.xlsx")
    result = gate(("big.xlsx", tmp_path / "big.xlsx"), limits=GateLimits(max_cells=20))
    assert places(result) == [("mobile", "attachment:big.xlsx", "sheet Sheet cell B5")]
    assert result.unchecked == ["big.xlsx"] and "partly checked" in result.reasons["big.xlsx"]
    text = tmp_path / "big.txt"
    text.write_text("x" * 500 + "\n13812345678\n", encoding="utf-8")
    result = gate(("big.txt", text), limits=GateLimits(max_bytes=100))
    assert result.findings == [] and result.unchecked == ["big.txt"]


def test_the_body_is_checked_by_the_lines_an_editor_shows(tmp_path):
    body = ("<h1>公示</h1>\n<p>根据有关规定，现予公示。</p>\n<p>张三<br>电话：<b>138</b>12345678</p>"
            "<table><tr><td>李四</td><td>" + ID + "</td></tr></table>")
    result = check_item(title="关于2019年度公租房的公示", summary="截止2019年底", body_html=body,
                        attachments=[], terms=TERMS)
    assert places(result) == [("term", "summary", "line 1"), ("mobile", "body", "line 4"),
                              ("id_number", "body", "line 5")]
    assert result.to_json()["findings"][1] == {
        "kind": "mobile", "field": "body", "where": "line 4", "text": "电话：138****5678", "suggestion": "mask: 138****5678"}


def test_tracked_deletions_in_a_docx_are_checked_apart_from_the_text_around_them(tmp_path):
    from docx.oxml.ns import qn
    from docx.oxml import OxmlElement

    document = docx.Document()
    paragraph = document.add_paragraph("电话138")
    deletion = OxmlElement("w:del")
    run = OxmlElement("w:r")
    deleted = OxmlElement("w:delText")
    deleted.text = f"（原身份证号{ID}）"
    run.append(deleted)
    deletion.append(run)
    paragraph._p.append(deletion)
    paragraph.add_run("12345678")
    assert paragraph._p.find(qn("w:del")) is not None
    document.save(tmp_path / "修订.docx")
    result = gate(("修订.docx", tmp_path / "修订.docx"))
    assert sorted(places(result)) == [("id_number", "attachment:修订.docx", "paragraph 1"),
                                      ("mobile", "attachment:修订.docx", "paragraph 1")]


def test_a_spreadsheet_spanning_a_million_rows_is_read_by_the_cells_it_holds(tmp_path):
    """A 5 KB .xlsx with one cell in A1 and one in XFD1048576 declares A1:XFD1048576; read cell by declared cell
    it cost minutes of CPU. Its cells are read, not its range."""
    import time

    huge = make_xlsx(tmp_path / "名单.xlsx")
    workbook = openpyxl.load_workbook(huge)
    workbook["名单"]["XFD1048576"] = "完"
    workbook.save(huge)
    assert huge.stat().st_size < 10_000
    started = time.monotonic()
    result = gate(("名单.xlsx", huge))
    assert time.monotonic() - started < 20
    assert ("id_number", "attachment:名单.xlsx", "sheet 名单 cell C2") in places(result)
    assert result.unchecked == []


def test_a_word_file_of_600000_empty_paragraphs_is_not_opened_and_says_why(tmp_path):
    import time

    from document_samples import bomb_docx

    bomb = tmp_path / "通知.docx"
    bomb.write_bytes(bomb_docx())
    started = time.monotonic()
    result = gate(("通知.docx", bomb))
    assert time.monotonic() - started < 5
    assert result.unchecked == ["通知.docx"] and "paragraphs" in result.reasons["通知.docx"]

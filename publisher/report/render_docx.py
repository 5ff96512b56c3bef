"""The report as a Word file in 公文 layout (GB/T 9704-2012): A4, 37/35/28/26 mm margins, 22 lines of 28 characters."""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from publisher.report.chart import chart_png
from publisher.report.grid import Grid, grid_for
from publisher.report.render_md import cn_date

TITLE_FONT, BODY_FONT, HEADING_FONT, SUBHEADING_FONT, PAGE_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体"
TITLE_SIZE, BODY_SIZE, TABLE_SIZE, PAGE_SIZE = Pt(22), Pt(16), Pt(10.5), Pt(14)  # 2号, 3号, 5号, 4号
LINE_PITCH = Pt(28.95)  # 22 lines in the 225 mm type area
# 28 characters of 3号 in the 156 mm line need a pitch of 15.79 pt: the text is condensed by 0.25 pt (twentieths of a
# point). A character grid would say the same to Word, but LibreOffice gives a character wider than its cell two.
CONDENSED = -5
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
TABLE_COLUMNS_MM = {"二": [44, 37, 37, 38], "三": [12, 22, 46] + [11] * 7, "四": [10.4] * 15}


def render_docx(report: dict[str, Any], *, chart: bool = True) -> bytes:
    doc = Document()
    _page_setup(doc)
    _default_style(doc)
    _title(doc, report["title"])
    _para(doc, "", BODY_FONT, BODY_SIZE, indent=False)
    _para(doc, report["preface"], BODY_FONT, BODY_SIZE)
    for s in report["sections"]:
        heading = _para(doc, f"{s['number']}、{s['title']}", HEADING_FONT, BODY_SIZE)
        heading.paragraph_format.keep_with_next = True
        for b in s["blocks"]:
            p = _para(doc, b["text"], SUBHEADING_FONT if b["kind"] == "h" else BODY_FONT, BODY_SIZE)
            p.paragraph_format.keep_with_next = bool(s["table"]) or b["kind"] == "h"  # a heading stays with its text
        if s["number"] == "一" and chart:
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = p.add_run()
            _font(run._element.get_or_add_rPr(), BODY_FONT)
            run.add_picture(io.BytesIO(chart_png(report)), width=Mm(150))
        if s["table"]:
            doc.paragraphs[-1].paragraph_format.keep_with_next = True  # never a heading or its text left alone
            _table(doc, grid_for(s["table"], report), TABLE_COLUMNS_MM[s["table"]],
                   Pt(9) if s["table"] == "四" else TABLE_SIZE)
    doc.paragraphs[-1].paragraph_format.keep_with_next = True  # the 落款 never alone on the last page
    _para(doc, "", BODY_FONT, BODY_SIZE, indent=False).paragraph_format.keep_with_next = True
    for text in (report["signature"], cn_date(report["date"])):
        p = _para(doc, text, BODY_FONT, BODY_SIZE, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
        p.paragraph_format.right_indent = Pt(16 * 4)  # 右空四字
        p.paragraph_format.keep_with_next = text == report["signature"]
    _footer(doc)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


TITLE_TAIL = "政府信息公开工作年度报告"


def _title(doc, title: str) -> None:
    """The title centred in 2号 小标宋, broken before 政府信息公开工作年度报告 (never inside a word such as 公开)."""
    head, tail = (title[: -len(TITLE_TAIL)], TITLE_TAIL) if title.endswith(TITLE_TAIL) else (title, "")
    p = _para(doc, head, TITLE_FONT, TITLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    if head and tail:
        p.runs[-1].add_break()
    if tail:
        _run(p, tail, TITLE_FONT, TITLE_SIZE)


def _page_setup(doc) -> None:
    section = doc.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.footer_distance = Mm(28)  # the page number sits about 7 mm below the type area
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH.pt * 20)))
    settings = doc.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    if lang is None:
        lang = OxmlElement("w:themeFontLang")
        settings.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _default_style(doc) -> None:
    """3号 仿宋 as the document default too: the character grid's pitch is counted from the default size."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for tag in ("w:sz", "w:szCs"):
        el = rpr.find(qn(tag))
        if el is None:
            el = OxmlElement(tag)
            rpr.append(el)
        el.set(qn("w:val"), str(round(BODY_SIZE.pt * 2)))
    style = doc.styles["Normal"]
    _font(style.element.get_or_add_rPr(), BODY_FONT)
    _condensed(style.element.get_or_add_rPr())
    style.font.name, style.font.size = BODY_FONT, BODY_SIZE


def _font(rpr, name: str) -> None:
    """East-Asian and Latin font plus zh-CN language on one run (or style) properties element."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _condensed(rpr) -> None:
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(CONDENSED))
    rpr.append(spacing)


def _run(paragraph, text: str, font: str, size) -> None:
    run = paragraph.add_run(text)
    run.font.size = size
    run.font.name = font
    _font(run._element.get_or_add_rPr(), font)
    _condensed(run._element.get_or_add_rPr())


def _para(doc_or_cell, text: str, font: str, size, *, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = True,
          exact: bool = True):
    p = doc_or_cell.add_paragraph()
    p.alignment = align
    fmt = p.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    if exact:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = LINE_PITCH if size == BODY_SIZE else Pt(max(size.pt * 1.5, 14))
    if size == TITLE_SIZE:
        fmt.line_spacing = Pt(36)
    if indent:
        fmt.first_line_indent = Pt(size.pt * 2)
        ind = p._p.get_or_add_pPr().get_or_add_ind()
        ind.set(qn("w:firstLineChars"), "200")
    if text:
        _run(p, text, font, size)
    return p


def _table(doc, grid: Grid, widths_mm: list[float], size) -> None:
    table = doc.add_table(rows=grid.height, cols=grid.width)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _grid_widths(table, widths_mm)
    for i, w in enumerate(widths_mm):
        for cell in table.columns[i].cells:
            cell.width = Mm(w)
    for c in grid.cells:
        cell = table.cell(c.row, c.col)
        if c.rows > 1 or c.cols > 1:
            cell = cell.merge(table.cell(c.row + c.rows - 1, c.col + c.cols - 1))
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        p = cell.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.LEFT if c.left else WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(1)
        _off_grid(p)
        _run(p, c.text, BODY_FONT, size)
    for n, row in enumerate(table.rows):
        trpr = row._tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:cantSplit"))  # a row never splits across pages
        if n < grid.header_rows:
            trpr.append(OxmlElement("w:tblHeader"))  # the header repeats on every page
    _para(doc, "", BODY_FONT, BODY_SIZE, indent=False)


def _off_grid(p) -> None:
    """The body's 28 × 22 document grid is for 3号 text: a 5号 table cell set on it would get 3号 pitch per character
    and per line (LibreOffice applies it, stretching Table 三 over pages)."""
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    p._p.get_or_add_pPr().append(snap)


def _grid_widths(table, widths_mm: list[float]) -> None:
    """The table's grid (w:tblGrid) and its width agree with the cells' widths: LibreOffice and WPS lay a table
    out by its grid, Word by its cells; python-docx writes an even grid over the whole page."""
    for col, w in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths_mm):
        col.set(qn("w:w"), str(round(Mm(w).twips)))
    tblpr = table._tbl.tblPr
    width = tblpr.find(qn("w:tblW"))
    if width is None:
        width = OxmlElement("w:tblW")
        tblpr.append(width)
    width.set(qn("w:w"), str(round(Mm(sum(widths_mm)).twips)))
    width.set(qn("w:type"), "dxa")
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tblpr.append(layout)


def _footer(doc) -> None:
    """Page numbers ``— 1 —`` in 4号 宋体 in the outside corners (GB/T 9704): odd pages right, even pages left,
    one character in from the edge of the type area."""
    doc.settings.odd_and_even_pages_header_footer = True
    section = doc.sections[0]
    for footer, align, side in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
                                (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left")):
        p = footer.paragraphs[0]
        p.alignment = align
        setattr(p.paragraph_format, f"{side}_indent", Pt(14))
        _page_number(p)


def _page_number(p) -> None:
    _run(p, "— ", PAGE_FONT, PAGE_SIZE)
    run = p.add_run()
    run.font.size = PAGE_SIZE
    _font(run._element.get_or_add_rPr(), PAGE_FONT)
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, None), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {text} "
        else:
            el = OxmlElement("w:t")
            el.text = "1"
        run._element.append(el)
    _run(p, " —", PAGE_FONT, PAGE_SIZE)

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
from publisher.report.render_md import _cn_date

TITLE_FONT, BODY_FONT, HEADING_FONT, SUBHEADING_FONT, PAGE_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体"
TITLE_SIZE, BODY_SIZE, TABLE_SIZE, PAGE_SIZE = Pt(22), Pt(16), Pt(10.5), Pt(14)  # 2号, 3号, 5号, 4号
LINE_PITCH = Pt(28.95)  # 22 lines in the 225 mm type area
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
TABLE_COLUMNS_MM = {"二": [44, 37, 37, 38], "三": [12, 22, 46] + [11] * 7, "四": [10.4] * 15}


def render_docx(report: dict[str, Any], *, chart: bool = True) -> bytes:
    doc = Document()
    _page_setup(doc)
    _default_style(doc)
    _para(doc, report["title"], TITLE_FONT, TITLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _para(doc, "", BODY_FONT, BODY_SIZE, indent=False)
    _para(doc, report["preface"], BODY_FONT, BODY_SIZE)
    for s in report["sections"]:
        _para(doc, f"{s['number']}、{s['title']}", HEADING_FONT, BODY_SIZE)
        for b in s["blocks"]:
            _para(doc, b["text"], SUBHEADING_FONT if b["kind"] == "h" else BODY_FONT, BODY_SIZE)
        if s["number"] == "一" and chart:
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = p.add_run()
            _font(run._element.get_or_add_rPr(), BODY_FONT)
            run.add_picture(io.BytesIO(chart_png(report)), width=Mm(150))
        if s["table"]:
            _table(doc, grid_for(s["table"], report), TABLE_COLUMNS_MM[s["table"]],
                   Pt(9) if s["table"] == "四" else TABLE_SIZE)
    _para(doc, "", BODY_FONT, BODY_SIZE, indent=False)
    for text in (report["signature"], _cn_date(report["date"])):
        p = _para(doc, text, BODY_FONT, BODY_SIZE, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
        p.paragraph_format.right_indent = Pt(16 * 4)  # 右空四字
    _footer(doc)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


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
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH.pt * 20)))
    grid.set(qn("w:charSpace"), "0")
    settings = doc.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    if lang is None:
        lang = OxmlElement("w:themeFontLang")
        settings.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _default_style(doc) -> None:
    style = doc.styles["Normal"]
    _font(style.element.get_or_add_rPr(), BODY_FONT)
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


def _run(paragraph, text: str, font: str, size) -> None:
    run = paragraph.add_run(text)
    run.font.size = size
    run.font.name = font
    _font(run._element.get_or_add_rPr(), font)


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
        _run(p, c.text, BODY_FONT, size)
    for row in table.rows[: grid.header_rows]:
        trpr = row._tr.get_or_add_trPr()
        header = OxmlElement("w:tblHeader")
        trpr.append(header)
    _para(doc, "", BODY_FONT, BODY_SIZE, indent=False)


def _footer(doc) -> None:
    """Page numbers ``— 1 —`` in 4号 宋体, centred."""
    footer = doc.sections[0].footer
    p = footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
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

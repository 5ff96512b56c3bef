"""The report's files: DOCX in 公文 layout, PDF from the print HTML, HTML in a headless browser when there is one."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from report_support import backfill, cli, office

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture
def config(tmp_path, db_url):
    path = office(tmp_path, db_url)
    backfill(path, tmp_path)
    path.parent.joinpath("applications.csv").write_text(
        "received_on,applicant_type,outcome,closed_on\n2019-03-04,自然人,予以公开,2019-03-20\n"
        "2019-05-06,商业企业,保护第三方合法权益,2019-05-30\n2019-12-25,法律服务机构,,\n", encoding="utf-8")
    assert cli(path, "applications", "import", str(path.parent / "applications.csv")).exit_code == 0
    return path


def _render(config, tmp_path, fmt: str) -> Path:
    out = tmp_path / f"report.{fmt}"
    result = cli(config, "report", "--year", "2019", "-o", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_docx_is_a4_in_official_document_layout(config, tmp_path):
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    doc = Document(str(_render(config, tmp_path, "docx")))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert [round(m.mm) for m in (section.top_margin, section.bottom_margin, section.left_margin,
                                  section.right_margin)] == [37, 35, 28, 26]
    grid = section._sectPr.find(f"{W}docGrid")
    assert grid.get(f"{W}linePitch") == "579"  # 28.95 pt: 22 lines
    width = section.page_width - section.left_margin - section.right_margin
    assert 27 <= width / Mm(1) / (16 * 0.3528) <= 28.5  # about 28 characters of 3号 per line

    paragraphs = [p for p in doc.paragraphs if p.text]
    title = paragraphs[0]
    assert title.text == "2019年测试县住房和城乡建设局\n政府信息公开工作年度报告"  # broken between words
    assert title.runs[0].font.size.pt == 22 and _east_asian(title.runs[0]) == "方正小标宋简体"
    heading = next(p for p in paragraphs if p.text == "一、总体情况")
    assert _east_asian(heading.runs[0]) == "黑体" and heading.runs[0].font.size.pt == 16
    body = next(p for p in paragraphs if p.text.startswith("2.2019年，我局主动公开"))
    assert _east_asian(body.runs[0]) == "仿宋_GB2312" and body.runs[0].font.size.pt == 16
    assert body.paragraph_format.first_line_indent.pt == 32
    assert body._p.pPr.find(f"{W}ind").get(f"{W}firstLineChars") == "200"
    assert body.paragraph_format.line_spacing.pt == pytest.approx(28.95, abs=0.05)
    for p in doc.paragraphs + [p for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs]:
        for run in p.runs:
            assert _east_asian(run), p.text
            assert run._element.rPr.find(f"{W}lang").get(f"{W}eastAsia") == "zh-CN"
    assert [p.text for p in paragraphs[-2:]] == ["测试县住房和城乡建设局", "2020年1月15日"]

    footer = section.footer.paragraphs[0]
    assert footer.text.startswith("— ") and footer.text.endswith(" —")
    assert footer.alignment == WD_ALIGN_PARAGRAPH.RIGHT  # odd pages: the outside corner is the right one
    assert section.even_page_footer.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.LEFT
    assert "PAGE" in "".join(t.text for t in footer._p.iter(f"{W}instrText"))
    assert doc.inline_shapes, "the chart is embedded"


def _east_asian(run) -> str | None:
    fonts = run._element.rPr.find(f"{W}rFonts")
    return None if fonts is None else fonts.get(f"{W}eastAsia")


def test_docx_tables_are_shaped_like_the_official_forms(config, tmp_path):
    from docx import Document

    doc = Document(str(_render(config, tmp_path, "docx")))
    table2, table3, table4 = doc.tables
    assert len(table3.columns) == 10 and len(table3.rows) == 3 + 2 + 19 + 1 + 1  # 2019: 19 outcome rows
    corner = table3.cell(0, 0)
    assert corner.text.startswith("本列数据的勾稽关系为") and corner._tc is table3.cell(2, 2)._tc  # 3×3 merged
    assert table3.cell(0, 3)._tc is table3.cell(0, 9)._tc and table3.cell(0, 3).text == "申请人情况"
    assert table3.cell(1, 3).text == "自然人" and table3.cell(1, 3)._tc is table3.cell(2, 3)._tc
    assert table3.cell(1, 4).text == "法人或其他组织" and table3.cell(1, 4)._tc is table3.cell(1, 8)._tc
    assert [table3.cell(2, c).text for c in range(4, 9)] == ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
    rows = {table3.cell(r, 0).text + "|" + table3.cell(r, 2).text: [table3.cell(r, c).text for c in range(3, 10)]
            for r in range(3, len(table3.rows))}
    assert rows["一、本年新收政府信息公开申请数量|一、本年新收政府信息公开申请数量"] == ["1", "1", "0", "0", "1", "0", "3"]
    assert rows["三、本年度办理结果|4.保护第三方合法权益"] == ["0", "1", "0", "0", "0", "0", "1"]
    assert rows["四、结转下年度继续办理|四、结转下年度继续办理"] == ["0", "0", "0", "0", "1", "0", "1"]
    assert table3.cell(3 + 2, 0)._tc is table3.cell(3 + 2 + 19, 0)._tc  # 三、本年度办理结果 spans its 20 rows
    assert len(table4.columns) == 15 and table4.cell(0, 0).text == "行政复议" and table4.cell(0, 5).text == "行政诉讼"
    assert [c.text for c in table4.rows[-1].cells] == ["0"] * 15
    assert table2.cell(0, 0).text == "第二十条第（一）项"


def test_pdf_has_the_report_text_and_page_images(config, tmp_path):
    from pypdf import PdfReader

    pdf = _render(config, tmp_path, "pdf")
    reader = PdfReader(str(pdf))
    assert 3 <= len(reader.pages) <= 8
    text = "".join(p.extract_text() for p in reader.pages)
    for needle in ("政府信息公开工作年度报告", "一、总体情况", "申请人情况", "结转下年度继续办理", "行政复议", "— 1 —"):
        assert needle in text.replace("\n", ""), needle
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)
    if shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(exist_ok=True)
        table_page = next(i for i, p in enumerate(reader.pages, 1) if "申请人情况" in p.extract_text())
        for page, name in ((1, "report-page-1"), (table_page, "report-table-3")):
            subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(page), "-l", str(page), "-singlefile", str(pdf),
                            str(ARTIFACTS / name)], check=True)


def test_html_is_print_ready(config, tmp_path):
    html = _render(config, tmp_path, "html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and '<html lang="zh-CN">' in html
    assert "size: A4" in html and "border: 1px solid #000" in html and "Noto Serif CJK SC" in html
    assert 'rowspan="3" colspan="3"' in html  # Table 三's corner
    assert "data:image/png;base64," in html  # the chart


@pytest.mark.skipif(not (shutil.which("chromium") or shutil.which("chromium-browser")) and not os.environ.get("CI"),
                    reason="no chromium installed (CI installs it and runs this)")
def test_html_renders_in_headless_chromium(config, tmp_path):
    html = _render(config, tmp_path, "html")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-html.png"
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=900,1400", html.as_uri()], check=True, timeout=60, capture_output=True,
                   env={**os.environ, "HOME": str(tmp_path)})
    assert shot.stat().st_size > 10_000


def test_binary_formats_need_an_output_file(config):
    for fmt in ("pdf", "docx"):
        result = cli(config, "report", "--year", "2019", "--format", fmt)
        assert result.exit_code == 2 and "-o FILE" in result.stderr


def test_chart_counts_publications_per_month_per_channel(config):
    import json

    r = json.loads(cli(config, "report", "--year", "2019", "--format", "json").stdout)
    assert r["chart"]["series"]["测试网站平台"] == [0, 0, 1, 3, 1, 0, 0, 0, 0, 0, 0, 0]
    assert r["chart"]["series"]["公共资源交易中心网站"][4] == 2
    from publisher.report.chart import chart_png

    assert chart_png(r)[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif((not subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip()
                     if shutil.which("fc-list") else True) and not os.environ.get("CI"),
                    reason="no CJK font installed (CI installs one and runs this)")
def test_the_chart_finds_a_chinese_font_installed_after_matplotlib_cached_its_list(config, monkeypatch, recwarn):
    from matplotlib import font_manager

    from publisher.report.chart import chart_png, cjk_font

    stale = [f for f in font_manager.fontManager.ttflist if "CJK" not in f.name and "Hei" not in f.name]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)  # the cache as it was before the font came
    assert cjk_font() is not None
    import json

    chart_png(json.loads(cli(config, "report", "--year", "2019", "--format", "json").stdout))
    assert not [w for w in recwarn if "missing from font" in str(w.message)]

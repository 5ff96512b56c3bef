"""The report as a print-ready HTML page (A4, ruled tables, CJK font stack) and as PDF through WeasyPrint."""

from __future__ import annotations

import base64
import html
from typing import Any

from publisher.errors import InputError
from publisher.foundation.i18n import _
from publisher.report.chart import chart_png
from publisher.report.grid import grid_for
from publisher.report.render_md import cn_date

CSS = """
@page { size: A4; margin: 37mm 26mm 35mm 28mm; }
@page :right { @bottom-right { content: "— " counter(page) " —"; font-family: "SimSun", "Noto Serif CJK SC", serif;
                               font-size: 14pt; margin-right: 7mm; } }
@page :left { @bottom-left { content: "— " counter(page) " —"; font-family: "SimSun", "Noto Serif CJK SC", serif;
                             font-size: 14pt; margin-left: 7mm; } }
body { font-family: "FangSong_GB2312", "仿宋_GB2312", "FangSong", "STFangsong", "Noto Serif CJK SC", "Source Han Serif SC",
       "WenQuanYi Zen Hei", serif; font-size: 16pt; line-height: 28.95pt; color: #000; max-width: 156mm; margin: 0 auto; }
h1 { font-family: "方正小标宋简体", "FZXiaoBiaoSong-B05S", "Noto Serif CJK SC", "Source Han Serif SC", serif;
     font-size: 22pt; font-weight: normal; text-align: center; line-height: 1.5; margin: 0 0 28.95pt; }
h2 { font-family: "黑体", "SimHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", sans-serif;
     font-size: 16pt; font-weight: normal; margin: 0; text-indent: 2em; }
h3 { font-family: "楷体_GB2312", "KaiTi_GB2312", "KaiTi", "STKaiti", "Noto Serif CJK SC", serif;
     font-size: 16pt; font-weight: normal; margin: 0; text-indent: 2em; }
p { margin: 0; text-indent: 2em; text-align: justify; }
p.missing { color: #b00; }
table { border-collapse: collapse; width: 100%; margin: 8pt 0 14pt; font-size: 10.5pt; line-height: 1.35;
        page-break-inside: avoid; }
th, td { border: 1px solid #000; padding: 2pt 3pt; text-align: center; vertical-align: middle; font-weight: normal; }
td.num { text-align: center; }
th.label { text-align: left; }
table.table-四 { font-size: 9pt; }
figure { margin: 10pt 0; text-align: center; } figure img { width: 100%; }
.signature { text-align: right; text-indent: 0; margin-top: 28.95pt; } .date { text-align: right; text-indent: 0; }
@media screen { body { padding: 20mm 0; } }
"""


def render_html(report: dict[str, Any], *, chart: bool = True) -> str:
    """The public report as one HTML page; the warnings (提请说明的事项) are the office's and never part of it."""
    e = html.escape
    parts = [f'<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(report["title"])}</title>'
             f"<style>{CSS}</style></head><body>", f"<h1>{e(report['title'])}</h1>", f"<p>{e(report['preface'])}</p>"]
    for s in report["sections"]:
        parts.append(f"<h2>{s['number']}、{e(s['title'])}</h2>")
        for b in s["blocks"]:
            if b["kind"] == "h":
                parts.append(f"<h3>{e(b['text'])}</h3>")
            else:
                cls = ' class="missing"' if b["kind"] == "missing" else ""
                parts.append(f"<p{cls}>{e(b['text'])}</p>")
        if s["number"] == "一" and chart:
            png = base64.b64encode(chart_png(report)).decode()
            parts.append(f'<figure><img alt="各渠道每月发布信息条数" src="data:image/png;base64,{png}"></figure>')
        if s["table"]:
            parts.append(table_html(s["table"], report))
    parts.append(f'<p class="signature">{e(report["signature"])}</p><p class="date">{cn_date(report["date"])}</p>')
    parts.append("</body></html>\n")
    return "\n".join(parts)


def table_html(name: str, report: dict[str, Any]) -> str:
    grid = grid_for(name, report)
    rows = []
    for cells in grid.rows():
        out = []
        for c in cells:
            span = (f' rowspan="{c.rows}"' if c.rows > 1 else "") + (f' colspan="{c.cols}"' if c.cols > 1 else "")
            tag, cls = ("th", ' class="label"' if c.left else "") if c.head else ("td", ' class="num"')
            out.append(f"<{tag}{span}{cls}>{html.escape(c.text)}</{tag}>")
        rows.append("<tr>" + "".join(out) + "</tr>")
    widths = COLUMN_WIDTHS.get(name)
    cols = "<colgroup>" + "".join(f'<col style="width:{w}%">' for w in widths) + "</colgroup>" if widths else ""
    return f'<table class="table-{name}">{cols}' + "".join(rows) + "</table>"


COLUMN_WIDTHS = {"二": [28, 24, 24, 24], "三": [9, 13, 29] + [7] * 7, "四": [100 / 15] * 15}


class NoCjkFont(InputError):
    """No font on this machine can print Chinese: a PDF would be all boxes (or WeasyPrint would crash)."""


def require_cjk_font() -> None:
    """Raise NoCjkFont (exit 2) unless fontconfig knows a font covering Chinese."""
    import shutil
    import subprocess

    found = ""
    if shutil.which("fc-list"):
        try:
            found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True,
                                   timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
    if not found:
        raise NoCjkFont(_("no Chinese font is installed, so the PDF cannot be printed (it would show boxes): install "
                          "one (e.g. fonts-noto-cjk, or the office's 仿宋_GB2312 and 方正小标宋简体), or use --format "
                          "docx"), field="--format")


def render_pdf(report: dict[str, Any]) -> bytes:
    """The HTML page printed to PDF by WeasyPrint (needs Pango and a CJK font installed: NoCjkFont otherwise)."""
    import logging

    require_cjk_font()
    for name, level in (("weasyprint", logging.ERROR), ("fontTools", logging.WARNING)):
        logging.getLogger(name).setLevel(level)
    from weasyprint import HTML

    return HTML(string=render_html(report)).write_pdf()

"""The annual report's material: section 一's channel paragraph (in the reference wording) and its tables."""

from __future__ import annotations

import html
import io
import json
from typing import Any

from .config import Config


def channel_paragraph(t: dict[str, Any], config: Config) -> str:
    """Section 一's sentence on publications, e.g. ``2019年,我局主动公开政府信息627条。中国如东网站平台…``."""
    subject = config.office.short_name
    head = f"{t['year']}年,{subject}主动公开政府信息{t['publications']}条"
    if t["distinct_items"] != t["publications"]:
        head += f"(各渠道发布合计;涉及不重复信息{t['distinct_items']}条)"
    sentences = [head + "。"]
    brief: list[str] = []
    for ch in t["channels"]:
        if not ch["count_in_report"] or ch["total"] == 0:
            continue
        if ch.get("report_breakdown", True) and ch["by_category"]:
            if brief:
                sentences.append(",".join(brief) + "。")
                brief = []
            parts = ",".join(f"{cat}{n}条" for cat, n in ch["by_category"].items() if n)
            sentences.append(f"{ch['display_name']}全年共发布部门动态信息{ch['total']}条,其中{parts}。")
        else:
            brief.append(f"{ch['display_name']}发布信息{ch['total']}条")
    if brief:
        sentences.append(",".join(brief) + "。")
    return "".join(sentences)


def render(t: dict[str, Any], config: Config, fmt: str = "md") -> bytes:
    """The report material in ``md``, ``html``, ``json`` or ``docx``."""
    paragraph = channel_paragraph(t, config)
    title = f"{t['year']}年{config.office.name}政府信息公开工作年度报告(发布渠道统计)"
    if fmt == "json":
        return json.dumps({"title": title, "paragraph": paragraph, "tally": t}, ensure_ascii=False, indent=2).encode()
    rows = _rows(t)
    if fmt == "md":
        lines = [f"# {title}", "", "## 一、总体情况", "", paragraph, "", "### 各渠道发布统计", "",
                 "| 渠道 | 类别 | 条数 |", "|---|---|---:|"]
        lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
        lines += ["", _footnote(t)]
        return ("\n".join(lines) + "\n").encode()
    if fmt == "html":
        cells = "".join(f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td><td>{c}</td></tr>" for a, b, c in rows)
        return (f"<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
                f"<h1>{html.escape(title)}</h1><h2>一、总体情况</h2><p>{html.escape(paragraph)}</p>"
                f"<table><tr><th>渠道</th><th>类别</th><th>条数</th></tr>{cells}</table>"
                f"<p>{html.escape(_footnote(t))}</p></html>").encode()
    if fmt == "docx":
        return _docx(title, paragraph, rows, _footnote(t))
    raise ValueError(f"unknown format {fmt!r}")


def _rows(t: dict[str, Any]) -> list[tuple[str, str, int]]:
    rows = []
    for ch in t["channels"]:
        if not ch["count_in_report"]:
            continue
        for cat, n in ch["by_category"].items():
            rows.append((ch["display_name"], cat, n))
        rows.append((ch["display_name"], "合计", ch["total"]))
    return rows


def _footnote(t: dict[str, Any]) -> str:
    return (f"统计口径:按{t['timezone']}时区计入{t['year']}年发布的条目;发布合计{t['publications']}条为各计入渠道之和,"
            f"不重复信息{t['distinct_items']}条。每个数字可用 `publisher tally --year {t['year']} --items --json` 追溯到具体条目。")


def _docx(title: str, paragraph: str, rows, footnote: str) -> bytes:
    from docx import Document

    doc = Document()
    doc.add_heading(title, level=1)
    doc.add_heading("一、总体情况", level=2)
    doc.add_paragraph(paragraph)
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("渠道", "类别", "条数")):
        cell.text = text
    for a, b, c in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = a, b, str(c)
    doc.add_paragraph(footnote)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()

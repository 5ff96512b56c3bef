"""The report as Markdown (tables as pipe tables; Table 三's nested labels flattened into one column)."""

from __future__ import annotations

from typing import Any

from publisher.report import shapes


def fmt_number(value: Any) -> str:
    """Numbers as the template writes them: integers plain, amounts with up to two decimals."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(int(value))


def render_md(report: dict[str, Any]) -> str:
    """The public report: six sections and their tables (the warnings are the office's, never in the document)."""
    lines = [f"# {report['title']}", "", report["preface"], ""]
    for s in report["sections"]:
        lines += [f"## {s['number']}、{s['title']}", ""]
        for b in s["blocks"]:
            lines += [f"### {b['text']}" if b["kind"] == "h" else b["text"], ""]
        if s["table"]:
            lines += table_md(s["table"], report["tables"][s["table"]]) + [""]
    lines += [f"{report['signature']}", "", cn_date(report["date"]), ""]
    return "\n".join(lines)


def cn_date(iso: str) -> str:
    y, m, d = (int(x) for x in iso.split("-"))
    return f"{y}年{m}月{d}日"


def table_md(name: str, table: dict[str, Any]) -> list[str]:
    if name == "二":
        out = []
        for block in table["blocks"]:
            out += ["| " + " | ".join(["第二十条", "信息内容", *block["columns"]]) + " |",
                    "|" + "---|" * (2 + len(block["columns"]))]
            out += ["| " + " | ".join([block["clause"], r["label"], *(fmt_number(r["values"][c]) for c in block["columns"])])
                    + " |" for r in block["rows"]]
            out.append("")
        return out[:-1]
    if name == "三":
        out = ["| 申请人情况 | " + " | ".join(table["columns"]) + " |", "|---|" + "---:|" * len(table["columns"])]
        for r in table["rows"]:
            label = r["label"] if r["key"] not in {o.code for o in shapes.outcomes("2021")} | {"6"} else \
                f"{shapes.RESULTS_LABEL} {r['label']}"
            out.append(f"| {label} | " + " | ".join(fmt_number(r["values"][c]) for c in table["columns"]) + " |")
        out.append(f"| {table['note']} |" + " |" * len(table["columns"]))
        return out
    out = ["| 类别 | " + " | ".join(table["columns"]) + " |", "|---|" + "---:|" * len(table["columns"])]
    out += [f"| {'行政复议' if r['label'] == '行政复议' else '行政诉讼·' + r['label']} | "
            + " | ".join(fmt_number(r["values"][c]) for c in table["columns"]) + " |" for r in table["rows"]]
    return out

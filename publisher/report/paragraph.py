"""Section 一's sentence on publications, in the reference report's wording, from the ledger's tally."""

from __future__ import annotations

from typing import Any


def channel_paragraph(t: dict[str, Any], config) -> str:
    """E.g. ``2019年，我局主动公开政府信息627条。中国如东网站平台全年共发布部门动态信息497条，其中…``."""
    subject = config.office.short_name
    head = f"{t['year']}年，{subject}主动公开政府信息{t['publications']}条"
    if t["distinct_items"] != t["publications"]:
        head += f"（各渠道发布合计；涉及不重复信息{t['distinct_items']}条）"
    sentences = [head + "。"]
    brief: list[str] = []
    for ch in t["channels"]:
        if not ch["count_in_report"] or ch["total"] == 0:
            continue
        if ch.get("report_breakdown", True) and ch["by_category"]:
            if brief:
                sentences.append("，".join(brief) + "。")
                brief = []
            parts = "，".join(f"{cat}{n}条" for cat, n in ch["by_category"].items() if n)
            sentences.append(f"{ch['display_name']}全年共发布部门动态信息{ch['total']}条，其中{parts}。")
        else:
            brief.append(f"{ch['display_name']}发布信息{ch['total']}条")
    if brief:
        sentences.append("，".join(brief) + "。")
    return "".join(sentences)

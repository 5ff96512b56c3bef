"""Freezing a report as filed, and the cell-by-cell difference between the ledger now and what was filed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from publisher.db.engine import reading
from publisher.errors import Refused
from publisher.report.registers.tables import report_freezes
from publisher.foundation.i18n import _

RULE_FROZEN = "frozen-once"


class AlreadyFrozen(Refused):
    """A year's report is frozen once; the CLI exits 3."""

    def __init__(self, message: str):
        super().__init__(RULE_FROZEN, message)


def frozen(store, year: int) -> dict[str, Any] | None:
    """The report as filed for ``year`` with ``frozen_at``, or None."""
    with reading(store.engine) as conn:
        row = conn.execute(select(report_freezes).where(report_freezes.c.year == year)).first()
    if row is None:
        return None
    return {**row.report, "frozen_at": row.frozen_at.isoformat(), "frozen_by": row.frozen_by}


def freeze(store, report: dict[str, Any], actor: str = "") -> None:
    """Store ``report`` as filed; AlreadyFrozen when the year has a frozen report."""
    try:
        with store.transaction() as conn:
            conn.execute(report_freezes.insert().values(year=report["year"], template=report["template"],
                                                        frozen_at=store.clock.now(), frozen_by=actor, report=report))
    except IntegrityError:
        raise AlreadyFrozen(_("the {year} report is already frozen; see `report --year {year} --diff`, and file a "
                              "corrected revision with `--freeze --reason TEXT`").format(
                                year=report['year'])) from None


def refreeze(store, report: dict[str, Any], actor: str, reason: str, office: str | None = None) -> int:
    """File a new revision of a frozen year's report (a correction after filing); returns its number.

    The earlier revisions stay in the report as ``revisions`` (who, when, why, and the cells and texts that
    changed), and the audit chain records the revision with its reason.
    """
    from publisher.ledger.audit import append
    from publisher.ledger.event_kinds import EventKind

    before = frozen(store, report["year"])
    if before is None:
        raise AlreadyFrozen(_("the {year} report is not frozen yet: use --freeze without --reason").format(
                                year=report["year"]))
    number = int(before.get("revision", 1)) + 1
    changes = diff(before, report)
    earlier = before.get("revisions", []) + [{
        "revision": number - 1, "frozen_at": before["frozen_at"], "frozen_by": before["frozen_by"],
        "reason": before.get("reason", ""), "changes": changes}]
    filed = {**report, "revision": number, "reason": reason, "revisions": earlier}
    now = store.clock.now()
    with store.transaction() as conn:
        conn.execute(report_freezes.update().where(report_freezes.c.year == report["year"])
                     .values(template=report["template"], frozen_at=now, frozen_by=actor, report=filed))
        append(conn, [{"at": now, "kind": EventKind.REPORT_REVISED, "actor": actor, "office": office,
                       "detail": {"year": report["year"], "revision": number, "reason": reason,
                                  "changes": len(changes)}}])
    return number


def figures(report: dict[str, Any]) -> dict[str, Any]:
    """Every number of the report by a readable path, e.g. ``表三/一、本年新收…/自然人``."""
    out: dict[str, Any] = {"发布合计": report["tally"]["publications"], "不重复信息": report["tally"]["distinct_items"]}
    for ch in report["tally"]["channels"]:
        if ch["count_in_report"]:
            out[f"渠道/{ch['display_name']}/合计"] = ch["total"]
            for cat, n in ch["by_category"].items():
                out[f"渠道/{ch['display_name']}/{cat}"] = n
    for block in report["tables"]["二"]["blocks"]:
        for r in block["rows"]:
            for c, v in r["values"].items():
                out[f"表二/{r['label']}/{c}"] = v
    for name in ("三", "四"):
        for r in report["tables"][name]["rows"]:
            for c, v in r["values"].items():
                out[f"表{name}/{r['label']}/{c}"] = v
    return out


def texts(report: dict[str, Any]) -> dict[str, str]:
    """Every text of the report by a readable path, e.g. ``五、存在的主要问题及改进情况/第1段``."""
    out = {"标题": report.get("title", ""), "前言": report.get("preface", ""), "落款": report.get("signature", ""),
           "日期": report.get("date", "")}
    for section in report.get("sections", []):
        for n, block in enumerate(section.get("blocks", []), 1):
            out[f"{section['number']}、{section['title']}/第{n}段"] = block.get("text", "")
    return out


def diff(before: dict[str, Any], now: dict[str, Any]) -> list[dict[str, Any]]:
    """Cells whose number differs between two reports (a cell only one side has counts as 0 on the other), then
    the texts that differ (a paragraph only one side has is empty on the other)."""
    a, b = figures(before), figures(now)
    cells = [{"cell": k, "frozen": a.get(k, 0), "now": b.get(k, 0)} for k in list(a) + [k for k in b if k not in a]
             if a.get(k, 0) != b.get(k, 0)]
    x, y = texts(before), texts(now)
    return cells + [{"cell": k, "frozen": x.get(k, ""), "now": y.get(k, "")}
                    for k in list(x) + [k for k in y if k not in x] if x.get(k, "") != y.get(k, "")]

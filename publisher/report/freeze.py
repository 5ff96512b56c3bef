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
        raise AlreadyFrozen(_("the {year} report is already frozen; see `report --year {year} --diff`").format(
                                year=report['year'])) from None


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


def diff(before: dict[str, Any], now: dict[str, Any]) -> list[dict[str, Any]]:
    """Cells whose number differs between two reports (a cell only one side has counts as 0 on the other)."""
    a, b = figures(before), figures(now)
    return [{"cell": k, "frozen": a.get(k, 0), "now": b.get(k, 0)} for k in list(a) + [k for k in b if k not in a]
            if a.get(k, 0) != b.get(k, 0)]

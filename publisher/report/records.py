"""What the report and ``tally`` count from the records themselves (the catalogue fields of items, issue 20):
Table 二 (一) (规章 / 规范性文件 made, repealed, in force), the 解读 of policies (the 解读比例, the forms, policies
without one, 解读 later than 3 working days) and publications later than the 20 working days of 条例 第二十六条."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select

from publisher.config.load import Config
from publisher.db.schema import items
from publisher.foundation.workdays import add_workdays, workdays_between
from publisher.ledger.item_status import ItemStatus

POLICY_GENRES = ("规章", "规范性文件")
ENDED = ("废止", "失效")
INTERPRET_WITHIN = 3  # working days from a policy's publication to its 解读's (辽政办〔2022〕43号)
PUBLISH_WITHIN = 20  # working days from a record's making to its publication (条例 第二十六条)
#: Table 二's row for each genre, per template
ROWS = {"2019": {"规章": "规章", "规范性文件": "规范性文件"}, "2021": {"规章": "规章", "规范性文件": "行政规范性文件"}}
COLUMNS = {"2019": ("本年新制作数量", "本年新公开数量", "对外公开总数量"), "2021": ("本年制发件数", "本年废止件数", "现行有效件数")}


def record_rows(conn, config: Config, office: str) -> list[dict[str, Any]]:
    """The office's active items that carry catalogue data the counts use, with their local first-publication day."""
    c = items.c
    found = conn.execute(select(c.id, c.title, c.genre, c.written_on, c.validity, c.validity_on, c.interprets,
                                c.interpretation_form, c.first_published_at).where(and_(
        c.office == office, c.status == ItemStatus.ACTIVE.value,
        or_(c.genre.is_not(None), c.interprets.is_not(None), c.written_on.is_not(None)))).order_by(c.id))
    rows = []
    for r in found:
        row = dict(r._mapping)
        first = row["first_published_at"]
        row["published_on"] = first.astimezone(config.tz).date() if first else None
        rows.append(row)
    return rows


def _made_on(row: dict) -> date | None:
    """The day a record counts as made public: its first publication, or (back-filled) its 成文日期."""
    return row["published_on"] or row["written_on"]


def table2_from_records(rows: list[dict], template: str, year: int) -> dict[str, dict[str, Any]]:
    """Table 二 (一)'s cells for each genre some item carries: ``{row: {"cells": {column: {"count", "items"}}}}``."""
    end = date(year, 12, 31)
    out: dict[str, dict[str, Any]] = {}
    for genre, row_name in ROWS[template].items():
        mine = [r for r in rows if r["genre"] == genre]
        if not mine:
            continue  # no item carries it: the data file says it
        ended = lambda r, upto: r["validity"] in ENDED and r["validity_on"] and r["validity_on"] <= upto  # noqa: E731
        made = [r["id"] for r in mine if _made_on(r) and _made_on(r).year == year]
        if template == "2021":
            cells = {"本年制发件数": made,
                     "本年废止件数": [r["id"] for r in mine if ended(r, end) and r["validity_on"].year == year],
                     "现行有效件数": [r["id"] for r in mine if _made_on(r) and _made_on(r) <= end and not ended(r, end)]}
        else:
            cells = {"本年新制作数量": [r["id"] for r in mine if r["written_on"] and r["written_on"].year == year],
                     "本年新公开数量": made,
                     "对外公开总数量": [r["id"] for r in mine if _made_on(r) and _made_on(r) <= end]}
        out[row_name] = {"cells": {k: {"count": len(v), "items": v} for k, v in cells.items()}, "genre": genre}
    return out


def interpretations(rows: list[dict], year: int, today: date) -> dict[str, Any]:
    """Policies published in ``year`` (genre 规章 / 规范性文件, or named by some 解读) and their 解读."""
    named = {r["interprets"] for r in rows if r["interprets"]}
    by_id = {r["id"]: r for r in rows}
    policies = [r for r in rows if (r["genre"] in POLICY_GENRES or r["id"] in named)
                and r["published_on"] and r["published_on"].year == year]
    of: dict[int, list[dict]] = {}
    for r in rows:
        if r["interprets"]:
            of.setdefault(r["interprets"], []).append(r)
    late = []
    for r in rows:
        policy = by_id.get(r["interprets"]) if r["interprets"] else None
        if policy is None or not policy["published_on"] or policy["published_on"].year != year:
            continue
        due = add_workdays(policy["published_on"], INTERPRET_WITHIN)
        out_on = r["published_on"] or today
        if out_on > due:
            late.append({"id": r["id"], "title": r["title"], "policy": policy["id"], "due": due.isoformat(),
                         "published_on": r["published_on"].isoformat() if r["published_on"] else None,
                         "days_late": workdays_between(due, out_on)})
    with_one = [p for p in policies if of.get(p["id"])]
    forms = Counter(j["interpretation_form"] or "文字" for p in policies for j in of.get(p["id"], []))
    return {"policies": len(policies), "with_interpretation": len(with_one),
            "ratio": round(len(with_one) / len(policies), 4) if policies else None,
            "forms": dict(sorted(forms.items())),
            "without": [{"id": p["id"], "title": p["title"]} for p in policies if not of.get(p["id"])],
            "late": late}


def late_publications(rows: list[dict], year: int) -> list[dict[str, Any]]:
    """Records first published in ``year`` more than 20 working days after they were made (条例 第二十六条)."""
    late = []
    for r in rows:
        if r["written_on"] and r["published_on"] and r["published_on"].year == year:
            used = workdays_between(r["written_on"], r["published_on"])
            if used > PUBLISH_WITHIN:
                late.append({"id": r["id"], "title": r["title"], "written_on": r["written_on"].isoformat(),
                             "published_on": r["published_on"].isoformat(), "workdays": used})
    return late


def records_summary(store, config: Config, year: int, today: date, office: str | None = None) -> dict[str, Any]:
    """What ``tally --json`` adds: the 解读 of the year's policies and the late publications."""
    from publisher.db.engine import reading

    with reading(store.engine) as conn:
        rows = record_rows(conn, config, office or config.office.code)
    return {"interpretations": interpretations(rows, year, today), "late_publications": late_publications(rows, year)}

"""The report's arithmetic rules. A failed rule stops rendering (exit 3) and fails ``report --check`` (exit 1)."""

from __future__ import annotations

from typing import Any

from publisher.errors import Refused
from publisher.report import shapes
from publisher.foundation.i18n import _

RULE_CATEGORY_SUMS = "category-sums"
RULE_PUBLICATIONS = "publications-sum"
RULE_APPENDIX = "appendix-matches-tally"
RULE_TABLE3_IDENTITY = "table3-identity"
RULE_TABLE3_TOTALS = "table3-totals"
RULE_TABLE4_TOTALS = "table4-totals"
RULE_NARRATIVE = "narrative-present"
RULE_CARRIED = "carried-over-matches-filed"  # not blocking: the office corrects the register or explains it
RULE_REMOVALS = "removals-plausible"  # not blocking: a person looks at the channel before the report goes out
BLOCKING = {RULE_CATEGORY_SUMS, RULE_PUBLICATIONS, RULE_APPENDIX, RULE_TABLE3_IDENTITY, RULE_TABLE3_TOTALS,
            RULE_TABLE4_TOTALS}


class RuleRefused(Refused):
    """The figures break a rule of the report; the CLI exits 3 naming it."""

    def __init__(self, failed: list[dict[str, Any]]):
        self.failed = failed
        super().__init__(", ".join(c["rule"] for c in failed),
                         "; ".join(f"rule {c['rule']}: {c['detail']}" for c in failed))


def _check(rule: str, problems: list[str], ok_detail: str) -> dict[str, Any]:
    return {"rule": rule, "ok": not problems, "detail": "; ".join(problems) if problems else ok_detail}


def ledger_checks(t: dict[str, Any], rows: int) -> list[dict[str, Any]]:
    """Category sums equal each channel's total; the channels add up to the publications; the appendix's ``rows``
    (counted publications, from their own query) agree."""
    sums = [f"{ch['display_name']}: categories add up to {sum(ch['by_category'].values())}, total is {ch['total']}"
            for ch in t["channels"] if sum(ch["by_category"].values()) != ch["total"]]
    counted = [ch for ch in t["channels"] if ch["count_in_report"]]
    total = sum(ch["total"] for ch in counted)
    pubs = [] if total == t["publications"] else [f"channels add up to {total}, publications are {t['publications']}"]
    listed = [] if rows == t["publications"] else [f"the appendix lists {rows} publications, the tally {t['publications']}"]
    return [_check(RULE_CATEGORY_SUMS, sums, "每个渠道的分类合计等于其发布总数"),
            _check(RULE_PUBLICATIONS, pubs, f"各渠道合计{total}条"),
            _check(RULE_APPENDIX, listed, f"附录逐条列出{rows}条")]


def table3_checks(table: dict[str, Any], template: str) -> list[dict[str, Any]]:
    """一 + 二 = 三(七) + 四 in every column; （七）总计 is the sum of the outcomes; 总计 is the sum of the six columns."""
    rows = {r["key"]: r["values"] for r in table["rows"]}
    codes = [o.code for o in shapes.outcomes(template)]
    identity, totals = [], []
    for column in shapes.TABLE3_COLUMNS:
        left = rows[shapes.ROW_NEW][column] + rows[shapes.ROW_CARRIED_IN][column]
        right = rows[shapes.ROW_TOTAL][column] + rows[shapes.ROW_CARRIED_OUT][column]
        if left != right:
            identity.append(_("column {column}: 一+二 = {left}, 三（七）+四 = {right}").format(
                column=column, left=left, right=right))
        outcome_sum = sum(rows[c][column] for c in codes)
        if outcome_sum != rows[shapes.ROW_TOTAL][column]:
            totals.append(_("column {column}: outcomes add up to {outcome_sum}, （七）总计 is {total}").format(
                column=column, outcome_sum=outcome_sum, total=rows[shapes.ROW_TOTAL][column]))
    for r in table["rows"]:
        six = sum(r["values"][t] for t in shapes.APPLICANT_TYPES)
        if six != r["values"]["总计"]:
            totals.append(_("row {label}: columns add up to {six}, 总计 is {total}").format(
                label=r["label"], six=six, total=r["values"]["总计"]))
    return [_check(RULE_TABLE3_IDENTITY, identity, shapes.TABLE3_CHECK_NOTE),
            _check(RULE_TABLE3_TOTALS, totals, "（七）总计与总计列均为各项之和")]


def table4_checks(table: dict[str, Any]) -> list[dict[str, Any]]:
    """Each 总计 of Table 四 equals the sum of its four results."""
    problems = []
    for r in table["rows"]:
        four = sum(r["values"][c] for c in shapes.APPEAL_RESULTS)
        if four != r["values"]["总计"]:
            problems.append(_("{label}: results add up to {four}, 总计 is {total}").format(
                                label=r['label'], four=four, total=r['values']['总计']))
    return [_check(RULE_TABLE4_TOTALS, problems, "每个总计等于四项结果之和")]


def narrative_check(missing: list[str]) -> dict[str, Any]:
    """Every narrative file the report needs exists."""
    return _check(RULE_NARRATIVE, [f"missing {m}" for m in missing], "各节说明文字齐全")


def carried_over_check(table3: dict[str, Any], filed_before: dict[str, Any] | None, year: int) -> dict[str, Any]:
    """上年结转 of ``year`` equals 结转下年度 of the previous year's filed (frozen) report, column by column."""
    if filed_before is None:
        return _check(RULE_CARRIED, [], _("the {year} report is not frozen: nothing filed to compare").format(
                          year=year - 1))
    now = {r["key"]: r["values"] for r in table3["rows"]}.get(shapes.ROW_CARRIED_IN, {})
    before = {r["key"]: r["values"] for r in filed_before["tables"]["三"]["rows"]}.get(shapes.ROW_CARRIED_OUT, {})
    problems = [_("column {column}: {year} 上年结转 is {now}, the filed {before_year} 结转下年度 is {before}").format(
                    column=column, year=year, now=now.get(column, 0), before_year=year - 1,
                    before=before.get(column, 0))
                for column in shapes.TABLE3_COLUMNS if now.get(column, 0) != before.get(column, 0)]
    return _check(RULE_CARRIED, problems, f"上年结转与{year - 1}年报送的结转下年度一致")


def removals_check(removed: dict[str, tuple[int, int, int]], jumped) -> dict[str, Any]:
    """No channel's removals found on the platform jumped this year. ``removed``: channel → (this year's
    removals, last year's, this year's publications); ``jumped(now, before, published)`` says when it did."""
    problems = [_("{channel}: {now} publications recorded as removed on the platform this year ({before} the year "
                  "before, of {published} published): check the channel and the reconciliation before filing").format(
                    channel=name, now=now, before=before, published=published)
                for name, (now, before, published) in removed.items() if jumped(now, before, published)]
    return _check(RULE_REMOVALS, problems, "各渠道平台删除记录无异常")


def refuse_if_broken(checks: list[dict[str, Any]]) -> None:
    """Raise RuleRefused when a blocking rule failed."""
    failed = [c for c in checks if not c["ok"] and c["rule"] in BLOCKING]
    if failed:
        raise RuleRefused(failed)

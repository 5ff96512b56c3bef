"""Assemble the whole report for a year: six sections, three tables, checks and warnings, from the ledger."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from publisher.errors import InputError
from publisher.report.registers.appeals import AppealRegister, table4_counts
from publisher.report.registers.applications import ApplicationRegister, table3_counts
from publisher.db.engine import reading
from publisher.report.tally import ledger_groups, tally_of
from publisher.report import checks, inspection, records, shapes, tables
from publisher.report.freeze import frozen
from publisher.report.datafile import read_data_file
from publisher.report.ledger import counted_publications, per_month, publication_times, publications
from publisher.report.narrative import markdown_blocks, missing_text, render_file
from publisher.report.paragraph import channel_paragraph
from publisher.report.settings import narrative_path, report_settings
from publisher.reposts.rates import year_rates
from publisher.foundation.i18n import _


def report_title(year: int, config) -> str:
    """The report's title as the template writes it (the preface quotes it in 《》)."""
    return f"{year}年{config.office.name}政府信息公开工作年度报告"


def build_report(store, config, year: int, *, template: str | None = None, now: datetime | None = None,
                 appendix: bool = True) -> dict[str, Any]:
    """The report as data (the JSON format); renderers only lay it out.

    ``appendix=False`` leaves out the appendix (every publication, one row each: the JSON and CSV formats and a
    freeze need it; the documents do not), so a year of a million publications is counted, never fetched.
    """
    settings, base = report_settings(config)
    template = _chosen_template(template, settings, year)
    now = now or store.clock.now()
    with reading(store.engine) as conn:
        groups = ledger_groups(conn, config, year, config.office.code, months=True, with_items=True)
        record_list = records.record_rows(conn, config, config.office.code)
    t = tally_of(groups, config, year, with_items=True)
    rows = publications(store, config, year) if appendix else None
    listed = sum(1 for r in rows if r["counted"]) if rows is not None else counted_publications(store, config, year)
    data = read_data_file((base / settings.data_file) if settings.data_file else None, year)
    register = ApplicationRegister(store, config.office.code).all()
    appeals = AppealRegister(store, config.office.code).all()
    table2, table3, table4 = _tables(template, data, t, settings, register, appeals, year,
                                     records.table2_from_records(record_list, template, year))
    context = _context(t, config, table3, table4, year)
    preface, sections, missing = _narrative(settings, base, context, config, year)
    report_checks = (checks.ledger_checks(t, listed) + checks.table3_checks(table3, template)
                     + checks.table4_checks(table4) + [checks.narrative_check(missing)]
                     + [_removals_check(store, config, year, t),
                        checks.carried_over_check(table3, frozen(store, year - 1), year)])
    summary = {"interpretations": records.interpretations(record_list, year, now.astimezone(config.tz).date()),
               "late_publications": records.late_publications(record_list, year)}
    warnings = _warnings(store, config, settings, year, now, register, table2, table3) + \
        inspection.record_warnings(summary)
    day = settings.date or _default_date(year, now, config)
    report = {
        "year": year, "template": template, "title": report_title(year, config),
        "office": config.office.name, "signature": settings.signature or config.office.name,
        "date": day.isoformat(), "preface": preface[0]["text"],
        "sections": sections,
        "tables": {"二": table2, "三": table3, "四": table4},
        "checks": report_checks, "warnings": warnings, "records": summary,
        "tally": t,
        "reposts": year_rates(store.engine, config, config.office.code, year, now.astimezone(config.tz).date()),
        "chart": {"months": list(range(1, 13)), "series": per_month(groups, config)},
        "appendix": [{**r, "published_at": r["published_at"].isoformat()} for r in rows or () if r["counted"]],
        "missing_narrative": missing,
    }
    if rows is None:
        del report["appendix"]
    return report


def _removals_check(store, config, year: int, t: dict[str, Any]) -> dict[str, Any]:
    """``removals-plausible``: platform removals recorded this year per channel against last year's."""
    from publisher.delivery.reconcile_guard import removals_per_channel, suspicious_jump

    now, before = (removals_per_channel(store, config, y) for y in (year, year - 1))
    published = {ch["channel"]: ch["total"] + ch["retracted"] for ch in t["channels"]}
    removed = {name: (n, before.get(name, 0), published.get(name, 0)) for name, n in now.items()}
    return checks.removals_check(removed, lambda n, b, p: suspicious_jump(config, n, b, p))


def _chosen_template(template: str | None, settings, year: int) -> str:
    """The template asked for, else the configured one, else the one in force for ``year``; InputError if unknown."""
    template = template or settings.template or shapes.template_for(year)
    if template not in shapes.TEMPLATES:
        raise InputError(_("{template!r}: use 2019 or 2021").format(template=template), field="--template")
    return template


def _tables(template: str, data: dict, t: dict, settings, register, appeals, year: int,
            from_records: dict | None = None) -> tuple[dict, dict, dict]:
    """Tables 二, 三 and 四: from the office's data file where it has them, else from the ledger and the registers;
    Table 二 (一) from the records where items carry the genre (``from_records``)."""
    table2 = tables.table2(template, data.get("table2", {}), {**_table2_ledger(t, settings, template),
                                                              **(from_records or {})})
    if "table3" in data:
        table3 = tables.table3(template, None, data["table3"], "data_file")
    else:
        table3 = tables.table3(template, table3_counts(register, year, template), None, "applications_register")
    if "table4" in data:
        table4 = tables.table4(None, data["table4"], "data_file")
    else:
        table4 = tables.table4(table4_counts(appeals, year), None, "appeals_register")
    return table2, table3, table4


def _narrative(settings, base, context: dict, config, year: int) -> tuple[list, list, list[str]]:
    """(preface, the six sections, the narrative files that are missing), rendered from the office's files."""
    missing: list[str] = []

    def part(name: str) -> list[dict[str, str]]:
        path = narrative_path(settings, base, name)
        blocks = render_file(path, context) if path else None
        if blocks is None:
            shown = _relative(path, base)
            missing.append(shown)
            return [{"kind": "missing", "text": missing_text(shown)}]
        return blocks

    preface_path = narrative_path(settings, base, "preface")
    preface = (render_file(preface_path, context) if preface_path else None) or [{"kind": "p", "text": (
        f"根据《中华人民共和国政府信息公开条例》规定，《{report_title(year, config)}》已经研究同意，现予公开发布。")}]
    overview = part("overview")
    if not any(context["channel_paragraph"] in b["text"] for b in overview):  # unless the office placed it
        overview = [{"kind": "p", "text": context["channel_paragraph"]}] + overview
    sections = [
        _section(0, overview),
        _section(1, [], table="二"),
        _section(2, markdown_blocks(_applications_sentence(context, config)), table="三"),
        _section(3, [], table="四"),
        _section(4, part("problems")),
        _section(5, part("other")),
    ]
    return preface, sections, missing


def _warnings(store, config, settings, year: int, now: datetime, register, table2: dict, table3: dict) -> list[str]:
    """Idle channels, late answers (when Table 三 comes from the register) and unfilled cells (taken off Table 二)."""
    return (inspection.idle_warnings(lambda what, key: publication_times(store, config, year, **{what: key}),
                                     config, settings, year, now)
            + (inspection.late_warnings(register, year) if table3["source"] == "applications_register" else [])
            + inspection.unfilled_warning(table2.pop("unfilled")))


def _relative(path, base) -> str:
    try:
        return str(path.relative_to(base.resolve()))
    except ValueError:
        return str(path)


def _default_date(year: int, now: datetime, config) -> date:
    today = now.astimezone(config.tz).date()
    return today if today.year > year else date(year + 1, 1, 15)


def _section(index: int, blocks: list[dict[str, str]], table: str | None = None) -> dict[str, Any]:
    return {"number": shapes.NUMERALS[index], "title": shapes.SECTION_TITLES[index],
            "text": "\n\n".join(b["text"] for b in blocks), "blocks": blocks, "table": table}


def _table2_ledger(t: dict[str, Any], settings, template: str) -> dict[str, dict[str, Any]]:
    """Rows of Table 二 counted from items: distinct items of the mapped categories published this year."""
    out = {}
    for row, categories in settings.table2_categories.items():
        name = row if any(row in b.rows for b in shapes.TABLE2[template]) else tables.LEDGER_ROW_ALIASES.get(row, row)
        if name in ("规章", "规范性文件", "行政规范性文件"):
            column = shapes.TABLE2_LEDGER_COLUMN[template]
        elif name in ("行政许可", "行政处罚", "行政强制"):
            column = shapes.TABLE2_DECISION_COLUMN[template]
        else:
            raise InputError(_("{row!r} cannot be counted from items (only {names})").format(
                                 row=row,
                                 names='、'.join(sorted(shapes.TABLE2_LEDGER_ROWS))),
                             field=f"report.table2_categories.{row}")
        ids = sorted({i for ch in t["channels"] if ch["count_in_report"]
                      for c in categories for i in ch["items"].get(c, [])})
        out[name] = {"column": column, "count": len(ids), "items": ids, "categories": list(categories)}
    return out


def _context(t, config, table3, table4, year: int) -> dict[str, Any]:
    """What narrative placeholders can use."""
    t3 = {r["key"]: r["values"]["总计"] for r in table3["rows"]}
    channel = {ch["channel"]: {"total": ch["total"], "by_category": dict(ch["by_category"]),
                               "name": ch["display_name"], "retracted": ch["retracted"]} for ch in t["channels"]}
    return {
        "year": year, "office": config.office.name, "short_name": config.office.short_name,
        "publications": t["publications"], "distinct_items": t["distinct_items"], "channel": channel,
        "channel_paragraph": channel_paragraph(t, config),
        "applications": {"received": t3[shapes.ROW_NEW], "carried_in": t3[shapes.ROW_CARRIED_IN],
                         "closed": t3[shapes.ROW_TOTAL], "carried_out": t3[shapes.ROW_CARRIED_OUT]},
        "appeals": {r["label"]: r["values"]["总计"] for r in table4["rows"]},
    }


def _applications_sentence(context: dict[str, Any], config) -> str:
    a = context["applications"]
    text = (f"{context['year']}年，{config.office.short_name}新收政府信息公开申请{a['received']}件，"
            f"上年结转{a['carried_in']}件，本年度办结{a['closed']}件，结转下年度继续办理{a['carried_out']}件。")
    return text
